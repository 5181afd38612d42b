"""Lint files: read, parse, analyse, apply ``# noqa`` and the configuration.

``lint_paths`` is what ``jug lint`` calls; ``lint_source`` lints a string (the
rule examples and most tests use it).  A file that cannot be read or parsed,
or on which the analysis fails, becomes a :class:`FileError` in the report
and the other files are still linted.
"""

from __future__ import annotations

import ast
import dataclasses
import os
import re
import tokenize

import libcst as cst

from jug.compiler.lint.analysis import analyse
from jug.compiler.lint.config import ConfigFinder, LintConfig
from jug.compiler.lint.model import ERROR, FileError, Finding
from jug.compiler.lint.rules import ALWAYS_ON, RULES, RULES_BY_CODE, SyntaxErrorRule
from jug.compiler.lint.source import ParsedSource

_LIBCST_LOCATION = re.compile(r"error at (\d+):(\d+)")


@dataclasses.dataclass(frozen=True)
class LintReport:
    """The outcome of one lint run."""

    findings: tuple = ()
    errors: tuple = ()
    files: tuple = ()

    @property
    def exit_code(self) -> int:
        """0 clean, 1 findings, 2 a file could not be checked."""
        if self.errors:
            return 2
        return 1 if self.findings else 0

    def __add__(self, other: "LintReport") -> "LintReport":
        return LintReport(self.findings + other.findings, self.errors + other.errors,
                          self.files + other.files)


def lint_source(text: str, path: str = "<string>", codes=None) -> LintReport:
    """Lint ``text`` as if it were the file ``path``, running the rules whose
    codes are in ``codes`` (default: all)."""
    codes = frozenset(rule.code for rule in RULES) if codes is None else frozenset(codes)
    try:
        parsed = ParsedSource(text)
        findings = _findings(parsed, path, codes | ALWAYS_ON)
    except cst.ParserSyntaxError as error:
        return _syntax_error_report(text, path, error)
    except RecursionError:
        message = "an expression is too deeply nested for jug lint to analyse"
        return LintReport(errors=(FileError(path, message),), files=(path,))
    except Exception as error:  # a bug in a rule must not hide the other files' findings
        return LintReport(errors=(FileError(
            path, f"internal error in jug lint ({type(error).__name__}: {error}); "
                  f"please report it"),), files=(path,))
    return LintReport(findings=tuple(findings), files=(path,))


def lint_file(path: str, config: LintConfig | None = None) -> LintReport:
    """Lint one file with ``config`` (default: no configuration)."""
    config = config or LintConfig()
    try:
        with tokenize.open(path) as file:   # honours a coding cookie
            text = file.read()
    except (OSError, UnicodeDecodeError, SyntaxError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        return LintReport(errors=(FileError(path, f"cannot read: {reason}"),), files=(path,))
    return lint_source(text, path, config.enabled_codes(path))


def lint_paths(paths, select: tuple = (), ignore: tuple = ()) -> LintReport:
    """Lint files and directories (a directory means its ``*.py`` files),
    each with the configuration found above it, ``select``/``ignore``
    overriding it.  Raises ``LintConfigError`` for a malformed configuration."""
    finder = ConfigFinder()
    report = LintReport()
    for path in expand_paths(paths):
        if not os.path.exists(path):
            report += LintReport(errors=(FileError(path, "no such file or directory"),))
            continue
        config = finder.for_path(path).overridden(select, ignore)
        report += lint_file(path, config)
    return report


def expand_paths(paths) -> list:
    """Files to lint: ``jugfile.py`` by default, a directory's ``*.py`` files
    (sorted, not recursive)."""
    paths = list(paths) or ["jugfile.py"]
    expanded = []
    for path in paths:
        if os.path.isdir(path):
            expanded.extend(os.path.join(path, name) for name in sorted(os.listdir(path))
                            if name.endswith(".py") and os.path.isfile(os.path.join(path, name)))
        else:
            expanded.append(path)
    return expanded


def _findings(parsed: ParsedSource, path: str, codes: frozenset) -> list:
    rules = [rule() for rule in RULES if rule.code in codes and rule is not SyntaxErrorRule]
    findings = []
    for raw in analyse(parsed, rules):
        line, column = parsed.position(raw.node, raw.statement)
        related_line = related_column = None
        if raw.related_node is not None:
            related_line, related_column = parsed.position(raw.related_node,
                                                           raw.related_statement)
        if _suppressed(parsed, raw.code, line) or (
                related_line is not None and _suppressed(parsed, raw.code, related_line)):
            continue
        findings.append(Finding(path, line, column, raw.code, raw.message,
                                RULES_BY_CODE[raw.code].severity, related_line, related_column))
    findings.sort(key=lambda f: (f.line, f.column, f.code, f.message))
    return findings


def _suppressed(parsed: ParsedSource, code: str, line: int) -> bool:
    noqa = parsed.noqa(line)
    if noqa is False:
        return False
    return noqa is None or code in noqa


def _syntax_error_report(text: str, path: str, error: cst.ParserSyntaxError) -> LintReport:
    """Report a parse failure the way Python does (Python's own message and
    position when it agrees the file is invalid; libcst's otherwise)."""
    try:
        ast.parse(text, filename=path)
    except SyntaxError as python_error:
        message = python_error.msg
        line = python_error.lineno or 1
        column = python_error.offset or 1
    else:
        message = error.message.splitlines()[0] if error.message else "invalid syntax"
        match = _LIBCST_LOCATION.search(error.message or "")
        line, column = ((int(match.group(1)), int(match.group(2)) + 1) if match
                        else (error.raw_line, error.raw_column + 1))
    lines = text.splitlines()
    source_line = lines[line - 1] if 0 < line <= len(lines) else None
    finding = Finding(path, line, column, SyntaxErrorRule.code,
                      SyntaxErrorRule.message.format(error=message), ERROR)
    file_error = FileError(path, f"{SyntaxErrorRule.code} {finding.message}", line, column,
                           source_line, code=SyntaxErrorRule.code)
    return LintReport(findings=(finding,), errors=(file_error,), files=(path,))
