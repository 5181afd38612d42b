"""The rule reference of docs/lint.md, rendered from the rule classes.

``python -m jug.compiler.lint.docs`` rewrites the generated part of
docs/lint.md (between the BEGIN/END markers); ``--check`` only says whether it
is up to date (exit 1 if not).  ``jug lint --explain CODE`` prints
:func:`explain` of one rule.
"""

from __future__ import annotations

import argparse
import inspect
import os
import sys

from jug.compiler.lint.model import LintRule
from jug.compiler.lint.rules import ALWAYS_ON, RULES

BEGIN = ("<!-- BEGIN RULE REFERENCE: generated from jug/compiler/lint/rules by "
         "`python -m jug.compiler.lint.docs`; do not edit by hand -->")
END = "<!-- END RULE REFERENCE -->"

DOCS_PATH = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, os.pardir, "docs",
                         "lint.md")


def explain(rule: type[LintRule], heading: str = "#") -> str:
    """Markdown about one rule: what, why, the message, and its examples."""
    lines = [f"{heading} {rule.code} `{rule.name}` ({rule.severity})", "",
             f"**{rule.summary}**", "", inspect.cleandoc(rule.__doc__ or ""), ""]
    if rule.code in ALWAYS_ON:
        lines += ["This code is always on.", ""]
    lines += _at_run_time(rule)
    lines += ["Message:", "", "```text", rule.message, "```", ""]
    for title, examples in (("Flagged", rule.INVALID), ("Not flagged", rule.VALID)):
        for example in examples:
            lines += [f"{title}:", "", f"```{_language(example)}", example.rstrip("\n"), "```",
                      ""]
    return "\n".join(lines)


def _at_run_time(rule: type[LintRule]) -> list[str]:
    """What the trace does when the jugfile really does what the rule finds:
    the run-time side of the same finding (docs/manifest.md, volatility)."""
    from jug.compiler.freshness import VOLATILE_KINDS

    actions = [what for what, _, code in VOLATILE_KINDS.values() if code == rule.code]
    if not actions:
        return []
    return [f"At run time: when the jugfile's top level {' or '.join(actions)}, the trace "
            "is volatile, so its manifest is never reused: every command traces the "
            "jugfile again, as the original jug does, and prints one line naming the "
            f"file and line and pointing back here (`see jug lint --explain {rule.code}`).",
            ""]


def _language(example: str) -> str:
    """``python``, or ``text`` for an example that is not valid Python (those
    of JUG001): the docs check compiles every Python fragment of the guide."""
    try:
        compile(example, "<example>", "exec")
    except SyntaxError:
        return "text"
    return "python"


def render_reference() -> str:
    """The generated part of docs/lint.md: a table of the rules, then one
    section per rule."""
    lines = ["| code | name | severity | what |", "| --- | --- | --- | --- |"]
    for rule in RULES:
        lines.append(f"| [{rule.code}](#{_anchor(rule)}) | `{rule.name}` | {rule.severity} "
                     f"| {rule.summary} |")
    lines.append("")
    for rule in RULES:
        lines.append(explain(rule, heading="###"))
    return "\n".join(lines).rstrip("\n") + "\n"


def _anchor(rule: type[LintRule]) -> str:
    # GitHub's heading anchors: lower case, spaces to '-', punctuation dropped.
    text = f"{rule.code} {rule.name} ({rule.severity})".lower()
    return "".join(ch for ch in text.replace(" ", "-") if ch.isalnum() or ch in "-_")


def updated(document: str) -> str:
    """``document`` with the text between the markers replaced by the
    current reference.  Raises ValueError when the markers are missing."""
    start = document.find(BEGIN)
    end = document.find(END)
    if start < 0 or end < start:
        raise ValueError(f"the markers {BEGIN!r} and {END!r} are missing")
    return document[:start + len(BEGIN)] + "\n\n" + render_reference() + "\n" + document[end:]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jug.compiler.lint.docs",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default=os.path.normpath(DOCS_PATH))
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if the file is not up to date, without writing it")
    options = parser.parse_args(argv)
    with open(options.path, encoding="utf-8") as file:
        current = file.read()
    try:
        wanted = updated(current)
    except ValueError as error:
        print(f"{options.path}: {error}", file=sys.stderr)
        return 2
    if wanted == current:
        print(f"{options.path} is up to date")
        return 0
    if options.check:
        print(f"{options.path} is out of date: run python -m jug.compiler.lint.docs",
              file=sys.stderr)
        return 1
    with open(options.path, "w", encoding="utf-8") as file:
        file.write(wanted)
    print(f"wrote {options.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
