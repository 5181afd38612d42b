"""The lint on whole, realistic jugfiles (tests/lint_jugfiles/).

* sound_pipeline.py: sorted globs, seeded generators, one task per file,
  identity, barrier/bvalue/value, CachedFunction, mapreduce over sorted
  inputs -- no finding at all (no false positives on sound code);
* nondeterministic_pipeline.py: every kind of problem; each reported line is
  marked ``# <- CODE`` and exactly those are found.
"""

import os
import re

from jug.compiler.lint import lint_paths

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lint_jugfiles")
MARKER = re.compile(r"#\s*<-\s*((?:JUG\d+\s*)+)")


def marked(path):
    found = set()
    with open(path) as file:
        for number, line in enumerate(file, 1):
            match = MARKER.search(line)
            if match:
                found |= {(number, code) for code in match.group(1).split()}
    return found


def test_sound_pipeline_has_no_findings():
    report = lint_paths([os.path.join(HERE, "sound_pipeline.py")])
    assert report.errors == ()
    assert report.findings == (), "\n".join(
        f"{f.line}: {f.code} {f.message}" for f in report.findings)
    assert report.exit_code == 0


def test_nondeterministic_pipeline_reports_exactly_the_marked_lines():
    path = os.path.join(HERE, "nondeterministic_pipeline.py")
    report = lint_paths([path])
    assert report.errors == ()
    found = {(f.line, f.code) for f in report.findings}
    expected = marked(path)
    assert found == expected, (f"missing: {sorted(expected - found)}\n"
                               f"unexpected: {sorted(found - expected)}")
    assert report.exit_code == 1


def test_a_directory_means_its_python_files():
    report = lint_paths([HERE])
    assert sorted(set(report.files)) == sorted(
        os.path.join(HERE, name) for name in os.listdir(HERE) if name.endswith(".py"))


def test_every_python_file_of_this_repository_is_analysed_without_an_internal_error():
    """Real code of every shape (jug itself, its tests, benchmarks, examples),
    each file linted as if it were a jugfile: no crash, and the manual's
    examples are clean."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    paths = []
    for directory in ("jug", "tests", "benchmarks", "examples"):
        for folder, _, names in os.walk(os.path.join(root, directory)):
            paths += [os.path.join(folder, name) for name in sorted(names) if name.endswith(".py")]
    report = lint_paths(sorted(paths))
    assert len(report.files) > 100
    assert report.errors == (), [error.message for error in report.errors]
    examples = os.path.join(root, "examples")
    assert [f for f in report.findings if f.path.startswith(examples)] == []
