"""``jug lint``: find task arguments that are not deterministic, statically.

The jugfile and the local modules it imports are parsed (as the running
Python parses them), never imported or run.  Public API:

* :func:`lint_paths` / :func:`lint_file` / :func:`lint_source` -> :class:`LintReport`;
* :func:`fix_paths` -> :class:`FixOutcome` (``--fix``/``--diff``, fixes.py);
* :class:`Finding`, :class:`FileError` (frozen records);
* :data:`RULES`, :func:`rule_for` -- the rule registry (``rules/``);
* :func:`render` -- the text, json, sarif and github output formats;
* :class:`LintConfigError` -- a malformed ``[tool.jug.lint]``.

See docs/lint.md (generated in part from the rules by
``python -m jug.compiler.lint.docs``).
"""

from jug.compiler.lint.config import LintConfig, LintConfigError, parse_codes
from jug.compiler.lint.formats import FORMATS, render
from jug.compiler.lint.model import ERROR, WARNING, FileError, Finding, LintRule
from jug.compiler.lint.rules import RULES, RULES_BY_CODE, rule_for
from jug.compiler.lint.runner import (FixOutcome, LintReport, expand_paths, fix_paths,
                                      lint_file, lint_paths, lint_source)

__all__ = [
    "ERROR", "WARNING", "FORMATS", "FileError", "Finding", "FixOutcome", "LintConfig",
    "LintConfigError", "LintReport", "LintRule", "RULES", "RULES_BY_CODE", "expand_paths",
    "fix_paths", "lint_file", "lint_paths", "lint_source", "parse_codes", "render", "rule_for",
]
