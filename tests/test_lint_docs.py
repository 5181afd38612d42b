"""docs/lint.md: the rule reference is generated from the rule classes, and
must be up to date (run ``python -m jug.compiler.lint.docs`` to refresh it)."""

import os

import pytest

from jug.compiler.lint import RULES
from jug.compiler.lint.docs import BEGIN, END, explain, main, render_reference, updated

DOCS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs",
                    "lint.md")


def test_docs_lint_md_is_up_to_date():
    with open(DOCS, encoding="utf-8") as file:
        current = file.read()
    assert updated(current) == current, (
        "docs/lint.md is out of date: run python -m jug.compiler.lint.docs")


def test_reference_documents_every_rule_with_its_examples():
    reference = render_reference()
    for rule in RULES:
        assert f"### {rule.code} `{rule.name}` ({rule.severity})" in reference
        for example in rule.VALID + rule.INVALID:
            assert example.rstrip("\n") in reference


def test_docs_explain_running_in_ci_with_sarif():
    with open(DOCS, encoding="utf-8") as file:
        text = file.read()
    assert "github/codeql-action/upload-sarif" in text
    assert "--format sarif" in text


def test_generator_rewrites_only_between_the_markers(tmp_path, capsys):
    path = tmp_path / "lint.md"
    path.write_text(f"intro\n{BEGIN}\nstale\n{END}\noutro\n")
    assert main([str(path), "--check"]) == 1
    assert main([str(path)]) == 0
    text = path.read_text()
    assert text.startswith(f"intro\n{BEGIN}\n\n| code |")
    assert text.endswith(f"{END}\noutro\n")
    assert "stale" not in text
    assert main([str(path), "--check"]) == 0


def test_generator_refuses_a_file_without_markers(tmp_path):
    path = tmp_path / "lint.md"
    path.write_text("no markers\n")
    assert main([str(path)]) == 2


@pytest.mark.parametrize("rule", RULES, ids=[rule.code for rule in RULES])
def test_explain_has_the_message_and_the_docstring(rule):
    text = explain(rule)
    assert rule.message in text
    assert rule.summary in text


def test_lint_and_the_volatile_trace_point_at_each_other():
    """A volatile trace's stderr line names a lint rule; that rule's
    explanation says what the trace does at run time (issue 10)."""
    from jug.compiler.freshness import VOLATILE_KINDS, Volatility
    from jug.compiler.lint.docs import explain
    from jug.compiler.lint.rules import RULES

    by_code = {rule.code: rule for rule in RULES}
    pointed = {code for _, _, code in VOLATILE_KINDS.values() if code}
    assert pointed, "no volatility kind names a lint rule"
    for kind, (what, _, code) in VOLATILE_KINDS.items():
        if code is None:
            continue
        line = Volatility(kind, "x.y", "jugfile.py:3").line()
        assert line.endswith(f"see jug lint --explain {code}")
        text = explain(by_code[code])
        assert "At run time" in text and what in text and "never reused" in text
    for code, rule in by_code.items():
        assert ("At run time" in explain(rule)) == (code in pointed)
