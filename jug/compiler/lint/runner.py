"""Lint files: read, compile, analyse, apply ``# noqa`` and the configuration,
merge what was found at the same place.

``lint_paths`` is what ``jug lint`` calls; ``lint_source`` lints a string (the
rule examples and most tests use it).  A file that cannot be read or
compiled, or on which the analysis fails, becomes a :class:`FileError` in the
report and the other files are still linted.

Findings can be in another file than the one linted: a task created inside a
helper of a local module is reported there.  Each finding obeys the ``#
noqa`` comments and the configuration of its own file.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Callable

from jug.compiler.lint.analysis import RawFinding, analyse
from jug.compiler.lint.config import ConfigFinder, LintConfig
from jug.compiler.lint.model import ERROR, FileError, Finding, Related
from jug.compiler.lint.rules import ALWAYS_ON, RULES, RULES_BY_CODE, SyntaxErrorRule
from jug.compiler.lint.source import PYTHON, ParsedFile, PythonSyntaxError, SourceCache


@dataclasses.dataclass(frozen=True)
class LintReport:
    """The outcome of one lint run.  ``fixes`` are the places (FixSite) where
    wrapping an expression in sorted() removes a reported finding."""

    findings: tuple = ()
    errors: tuple = ()
    files: tuple = ()
    fixes: tuple = ()

    @property
    def exit_code(self) -> int:
        """0 clean, 1 findings, 2 a file could not be checked."""
        if self.errors:
            return 2
        return 1 if self.findings else 0

    def __add__(self, other: "LintReport") -> "LintReport":
        return LintReport(self.findings + other.findings, self.errors + other.errors,
                          self.files + other.files, self.fixes + other.fixes)


Enabled = Callable[[str], frozenset]


def lint_source(text: str, path: str = "<string>", codes=None,
                cache: SourceCache | None = None) -> LintReport:
    """Lint ``text`` as if it were the file ``path``, reporting the rules
    whose codes are in ``codes`` (default: all)."""
    codes = frozenset(rule.code for rule in RULES) if codes is None else frozenset(codes)
    codes = codes | ALWAYS_ON
    cache = cache or SourceCache()
    return _finish(*_collect(text, path, cache), lambda _: codes, cache, (path,))


def lint_file(path: str, config: LintConfig | None = None) -> LintReport:
    """Lint one file with ``config`` (default: no configuration)."""
    config = config or LintConfig()
    return _lint_roots([path], lambda _: config)


def lint_paths(paths, select: tuple = (), ignore: tuple = (),
               texts: dict | None = None) -> LintReport:
    """Lint files and directories (a directory means its ``*.py`` files),
    each finding with the configuration found above its file,
    ``select``/``ignore`` overriding it; ``texts`` (absolute path -> text)
    replace files' contents.  Raises ``LintConfigError`` for a malformed
    configuration."""
    finder = ConfigFinder()
    return _lint_roots(expand_paths(paths),
                       lambda path: finder.for_path(path).overridden(select, ignore), texts)


@dataclasses.dataclass(frozen=True)
class FixOutcome:
    """What ``jug lint --fix`` did (or ``--diff`` would do): the files it
    changes, and the report of the fixed code."""

    fixes: tuple          # FileFix
    report: LintReport    # of the code after the fixes


def fix_paths(paths, select: tuple = (), ignore: tuple = (), write: bool = False) -> FixOutcome:
    """Fix what can be fixed safely (fixes.py) in the files ``paths`` lint
    and the local modules they import; write the files if ``write``."""
    from jug.compiler.lint.fixes import MAX_ROUNDS, FileFix, plan
    from jug.compiler.lint.source import read_source

    texts: dict = {}
    counts: dict = {}
    report = lint_paths(paths, select, ignore)
    for _ in range(MAX_ROUNDS):
        changed = plan(report, texts)
        if not changed:
            break
        for path, (text, count) in changed.items():
            texts[path] = text
            counts[path] = counts.get(path, 0) + count
        report = lint_paths(paths, select, ignore, texts)
    fixes = []
    for path in sorted(texts):
        before, encoding = read_source(path)
        if texts[path] == before:
            continue
        fixes.append(FileFix(os.path.relpath(path) if not os.path.relpath(path).startswith(
            os.pardir) else path, before, texts[path], counts[path]))
        if write:
            _write(path, texts[path], encoding)
    return FixOutcome(tuple(fixes), report)


def _write(path: str, text: str, encoding: str):
    """Replace ``path`` atomically, keeping its permissions."""
    import tempfile

    directory = os.path.dirname(os.path.abspath(path))
    mode = os.stat(path).st_mode
    handle, temporary = tempfile.mkstemp(prefix=".jug-lint-", suffix=".py", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding=encoding, newline="") as file:
            file.write(text)
        os.chmod(temporary, mode & 0o7777)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def _lint_roots(paths, config_for, texts: dict | None = None) -> LintReport:
    cache = SourceCache(texts)
    raws, errors, files = [], [], []
    configs: dict = {}

    def enabled(path: str) -> frozenset:
        key = os.path.abspath(path)
        if key not in configs:
            configs[key] = config_for(path).enabled_codes(path)
        return configs[key]

    for path in paths:
        files.append(path)
        if not os.path.exists(path):
            errors.append(FileError(path, "no such file or directory"))
            continue
        enabled(path)   # a malformed configuration fails before any output
        try:
            text = cache.text(path)
        except (OSError, UnicodeDecodeError, SyntaxError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            errors.append(FileError(path, f"cannot read: {reason}"))
            continue
        found, problems = _collect(text, path, cache)
        raws.extend(found)
        errors.extend(problems)
    return _finish(raws, errors, enabled, cache, tuple(files))


def _collect(text: str, path: str, cache: SourceCache) -> tuple:
    """``(raw findings, file errors)`` of one root file."""
    try:
        parsed = ParsedFile(text, path)
    except PythonSyntaxError as error:
        return [], [_syntax_error(path, error)]
    except RecursionError:
        return [], [FileError(path, "an expression is too deeply nested for jug lint to "
                                    "analyse")]
    except ValueError as error:   # e.g. source code containing NUL bytes
        return [], [FileError(path, f"cannot compile: {error}")]
    rules = [rule() for rule in RULES if rule is not SyntaxErrorRule]
    try:
        raws, problems, uses_jug = analyse(parsed, rules, cache)
    except RecursionError:
        return [], [FileError(path, "an expression is too deeply nested for jug lint to "
                                    "analyse")]
    except Exception as error:  # a bug in a rule must not hide the other files' findings
        return [], [FileError(path, f"internal error in jug lint ({type(error).__name__}: "
                                    f"{error}); please report it")]
    if not uses_jug:
        raws = [raw for raw in raws if not RULES_BY_CODE[raw.code].jugfiles_only]
    errors = []
    for problem in problems:
        if isinstance(problem.error, PythonSyntaxError):
            errors.append(_syntax_error(problem.path, problem.error))
        else:
            reason = getattr(problem.error, "strerror", None) or str(problem.error)
            errors.append(FileError(problem.path, f"cannot read: {reason} (imported from "
                                                  f"{problem.imported_from}:{problem.line})"))
    return raws, errors


def _syntax_error(path: str, error: PythonSyntaxError) -> FileError:
    message = SyntaxErrorRule.message.format(python=PYTHON, error=error.message)
    return FileError(path, f"{SyntaxErrorRule.code} {message}", error.line, error.column,
                     error.source_line, code=SyntaxErrorRule.code)


def _finish(raws, errors, enabled: Enabled, cache: SourceCache, files) -> LintReport:
    errors = _unique(errors)
    findings = [Finding(error.path, error.line, error.column, SyntaxErrorRule.code,
                        error.message[len(SyntaxErrorRule.code) + 1:], ERROR)
                for error in errors if error.code == SyntaxErrorRule.code]
    groups: dict = {}
    for raw in raws:
        if raw.code not in enabled(raw.path):
            continue
        raw = _unsuppressed(raw, cache)
        if raw is None:
            continue
        groups.setdefault((raw.path, raw.line, raw.column, raw.code), []).append(raw)
    fixes = []
    for key in sorted(groups):
        finding, sites = _merged(groups[key])
        findings.append(finding)
        fixes.extend(sites)
    order = {os.path.abspath(path): index for index, path in enumerate(files)}
    findings.sort(key=lambda f: (order.get(os.path.abspath(f.path), len(order)), f.path, f.line,
                                 f.column, f.code, f.message))
    return LintReport(tuple(findings), tuple(errors), files, tuple(dict.fromkeys(fixes)))


def _unique(items) -> list:
    return list(dict.fromkeys(items))


def _unsuppressed(raw: RawFinding, cache: SourceCache) -> RawFinding | None:
    if _suppressed(cache, raw.path, raw.code, raw.line):
        return None
    if not raw.taints:
        return raw
    taints = tuple(taint for taint in raw.taints
                   if not _suppressed(cache, taint.path, raw.code, taint.line))
    if not taints:
        return None
    return raw if taints == raw.taints else dataclasses.replace(raw, taints=taints)


def _suppressed(cache: SourceCache, path: str, code: str, line: int) -> bool:
    try:
        parsed = cache.parse(path)
    except Exception:
        return False
    noqa = parsed.noqa(line)
    if noqa is False:
        return False
    return noqa is None or code in noqa


def _merged(raws: list) -> tuple:
    """One finding of the raw findings at one place, and its fixes."""
    first = raws[0]
    rule = RULES_BY_CODE[first.code]
    if first.message is not None:
        return Finding(first.path, first.line, first.column, first.code, first.message,
                       rule.severity), ()
    taints = sorted({taint for raw in raws for taint in raw.taints},
                    key=lambda t: (t.path != first.path, t.path, t.line, t.column,
                                   t.description, t.kind, t.note))
    places = []
    for taint in taints:
        place = (taint.description, taint.path, taint.line, taint.column)
        if place not in [p[0] for p in places]:
            places.append((place, taint))
    lead = places[0][1]
    where = _where(lead, first.path)
    others = [f"{taint.description} at {_where(taint, first.path, note=False)}"
              for _, taint in places[1:]]
    if others:
        where += "; also " + ", ".join(others)
    message = rule.flow_message(lead.description, where, first.argument, first.task)
    related = tuple(Related(taint.path, taint.line, taint.column,
                            f"{taint.description}: the nondeterministic value comes from here")
                    for _, taint in places)
    suggestion = next((taint.suggestion for taint in taints if taint.suggestion), None)
    fixes = tuple(taint.fix for taint in taints if taint.fix is not None)
    return Finding(first.path, first.line, first.column, first.code, message, rule.severity,
                   related, suggestion), fixes


def _where(taint, finding_path: str, note: bool = True) -> str:
    where = _place(taint.path, taint.line, finding_path)
    if note and taint.note:
        where += "; " + taint.note.format(
            place=_place(taint.note_path or taint.path, taint.note_line, finding_path))
    return where


def _place(path: str, line: int, finding_path: str) -> str:
    """``line 3`` in the finding's file, ``helpers.py:3`` in another."""
    if os.path.abspath(path) == os.path.abspath(finding_path):
        return f"line {line}"
    base = os.path.dirname(os.path.abspath(finding_path))
    return f"{os.path.relpath(os.path.abspath(path), base)}:{line}"


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
