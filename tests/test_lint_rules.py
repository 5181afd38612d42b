"""Every rule's VALID and INVALID examples, through one parametrized test.

The examples are the rules' documentation too (docs/lint.md).  A VALID
example must produce no finding at all; an INVALID one exactly the lines it
marks with ``# <- CODE``, all with the rule's code.
"""

import re

import pytest

from jug.compiler.lint import RULES, lint_source
from jug.compiler.lint.model import ERROR, SEVERITIES, WARNING

MARKER = re.compile(r"#\s*<-\s*((?:JUG\d+\s*)+)")


def expected_findings(example):
    """{(line, code)} marked with ``# <- CODE`` in ``example``."""
    marked = set()
    for number, line in enumerate(example.splitlines(), 1):
        match = MARKER.search(line)
        if match:
            marked |= {(number, code) for code in match.group(1).split()}
    return marked


EXAMPLES = [pytest.param(rule, kind, example, id=f"{rule.code}-{kind}-{index}")
            for rule in RULES
            for kind, examples in (("VALID", rule.VALID), ("INVALID", rule.INVALID))
            for index, example in enumerate(examples)]


@pytest.mark.parametrize("rule, kind, example", EXAMPLES)
def test_rule_example(rule, kind, example):
    report = lint_source(example, f"{rule.code.lower()}_example.py")
    found = {(finding.line, finding.code) for finding in report.findings}
    shown = "\n".join(f"{f.line}:{f.column}: {f.code} {f.message}" for f in report.findings)
    if kind == "VALID":
        assert found == set(), f"false positive in a VALID example:\n{shown}"
        assert report.errors == ()
    else:
        expected = expected_findings(example)
        assert expected, "an INVALID example must mark its findings with # <- CODE"
        assert {code for _, code in expected} == {rule.code}
        assert found == expected, shown
        assert all(f.severity == rule.severity for f in report.findings)


@pytest.mark.parametrize("rule", RULES, ids=[rule.code for rule in RULES])
def test_rule_is_complete(rule):
    assert re.fullmatch(r"JUG\d{3}", rule.code)
    assert re.fullmatch(r"[a-z]+(-[a-z]+)*", rule.name)
    assert rule.severity in SEVERITIES
    assert rule.summary and rule.message and rule.__doc__
    assert rule.VALID and rule.INVALID


def test_codes_and_names_are_unique():
    assert len({rule.code for rule in RULES}) == len(RULES)
    assert len({rule.name for rule in RULES}) == len(RULES)


def test_nondeterminism_is_an_error_and_fragility_a_warning():
    for rule in RULES:
        expected = WARNING if rule.code.startswith("JUG2") else ERROR
        assert rule.severity == expected, rule.code


def test_flow_messages_say_source_line_argument_task_and_what_to_do():
    source = "import time\nfrom jug import TaskGenerator\n\n@TaskGenerator\ndef train(seed):\n" \
             "    return seed\n\nmodel = train(time.time())\n"
    [finding] = lint_source(source).findings
    assert finding.message == (
        "clock time from time.time() (line 8) reaches argument `seed` of task `train`; "
        "pass a fixed value instead (written in the jugfile or given on the command line)")
