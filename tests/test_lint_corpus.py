"""The labelled corpus (tests/lint_corpus/, see its README): realistic
jugfiles with local helper modules, each line that must be reported labelled
``# expect: CODE``.  The lint is scored on it; recall and precision must both
be at least 0.95, and the score is printed whether or not output is captured.
"""

import os
import re

from jug.compiler.lint import lint_paths

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lint_corpus")
EXPECT = re.compile(r"#\s*expect:\s*((?:JUG\d{3}\s*)+)")
TARGET = 0.95

PROJECTS = sorted(name for name in os.listdir(CORPUS)
                  if os.path.isfile(os.path.join(CORPUS, name, "jugfile.py")))


def labels(project: str) -> set:
    """``{(file, line, code)}`` labelled in every Python file of ``project``."""
    root = os.path.join(CORPUS, project)
    found = set()
    for directory, _, names in os.walk(root):
        for name in sorted(names):
            if not name.endswith(".py"):
                continue
            path = os.path.join(directory, name)
            with open(path, encoding="utf-8") as handle:
                for number, line in enumerate(handle, 1):
                    match = EXPECT.search(line)
                    if match:
                        found |= {(os.path.relpath(path, root), number, code)
                                  for code in match.group(1).split()}
    return found


def findings(project: str) -> set:
    root = os.path.join(CORPUS, project)
    report = lint_paths([os.path.join(root, "jugfile.py")])
    assert report.errors == (), [error.message for error in report.errors]
    return {(os.path.relpath(f.path, root), f.line, f.code) for f in report.findings}


def test_the_corpus_has_at_least_twelve_projects_with_local_modules():
    assert len(PROJECTS) >= 12
    for project in PROJECTS:
        root = os.path.join(CORPUS, project)
        modules = [name for _, _, names in os.walk(root) for name in names
                   if name.endswith(".py") and name != "jugfile.py"]
        assert modules, f"{project} has no local helper module"
        assert labels(project), f"{project} has no labelled line"


def test_corpus_recall_and_precision(capsys):
    rows = []
    true_positives = false_positives = false_negatives = 0
    details = []
    for project in PROJECTS:
        expected, found = labels(project), findings(project)
        tp, fp, fn = len(found & expected), len(found - expected), len(expected - found)
        true_positives, false_positives, false_negatives = (
            true_positives + tp, false_positives + fp, false_negatives + fn)
        rows.append(f"  {project:<24} {tp:3d} found, {fp:2d} unexpected, {fn:2d} missed")
        details += [f"  unexpected: {project}/{f}:{line} {code}"
                    for f, line, code in sorted(found - expected)]
        details += [f"  missed:     {project}/{f}:{line} {code}"
                    for f, line, code in sorted(expected - found)]
    precision = true_positives / max(true_positives + false_positives, 1)
    recall = true_positives / max(true_positives + false_negatives, 1)
    score = (f"jug lint corpus: {len(PROJECTS)} projects, {true_positives} labelled findings "
             f"found, {false_positives} unexpected, {false_negatives} missed: "
             f"recall {recall:.3f}, precision {precision:.3f}")
    report = "\n".join([score] + rows + details)
    with capsys.disabled():
        print("\n" + report)
    assert recall >= TARGET and precision >= TARGET, report
