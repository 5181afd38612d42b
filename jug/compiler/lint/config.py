"""``[tool.jug.lint]`` in pyproject.toml: which rules run on which files.

::

    [tool.jug.lint]
    select = ["JUG1", "JUG201"]        # codes, prefixes, rule names or "ALL" (default)
    ignore = ["JUG203"]
    per-file-ignores = { "scratch_*.py" = ["ALL"], "legacy/*" = ["JUG101"] }

The configuration of a file is the nearest ``pyproject.toml`` with a
``[tool.jug.lint]`` table, found by walking up from the file's directory.
``per-file-ignores`` patterns are matched (``fnmatch``) against the file's path
relative to that pyproject.toml's directory, and against its name.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import os
import tomllib

from jug.compiler.lint.rules import ALWAYS_ON, RULES, rule_for
from jug.errors import JugError

_KEYS = ("select", "ignore", "per-file-ignores")


class LintConfigError(JugError):
    """``[tool.jug.lint]`` (or ``--select``/``--ignore``) is malformed."""

    exit_code = 2


@dataclasses.dataclass(frozen=True)
class LintConfig:
    """Rule selection for the files under one pyproject.toml (or the
    defaults, when there is none: every rule on every file)."""

    select: tuple = ("ALL",)
    ignore: tuple = ()
    per_file_ignores: tuple = ()   # ((pattern, (selector, ...)), ...)
    root: str | None = None
    source: str | None = None

    def enabled_codes(self, path: str) -> frozenset:
        """The codes that run on ``path``."""
        codes = _expand(self.select, self.source, "select") - _expand(
            self.ignore, self.source, "ignore")
        relative = os.path.basename(path)
        if self.root is not None:
            relative = os.path.relpath(os.path.abspath(path), self.root).replace(os.sep, "/")
        name = os.path.basename(path)
        for pattern, selectors in self.per_file_ignores:
            if fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(name, pattern):
                codes -= _expand(selectors, self.source, "per-file-ignores")
        return codes | ALWAYS_ON

    def overridden(self, select: tuple | None = None, ignore: tuple | None = None):
        """This configuration with ``--select`` (replaces) and ``--ignore``
        (adds) from the command line."""
        changes = {}
        if select:
            _expand(select, "--select", "")
            changes["select"] = tuple(select)
        if ignore:
            _expand(ignore, "--ignore", "")
            changes["ignore"] = self.ignore + tuple(ignore)
        return dataclasses.replace(self, **changes) if changes else self


def parse_codes(text: str | None) -> tuple:
    """``"JUG101, JUG2"`` -> ``("JUG101", "JUG2")``."""
    if not text:
        return ()
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _expand(selectors, where, key) -> frozenset:
    codes = set()
    for selector in selectors:
        if not isinstance(selector, str):
            raise LintConfigError(f"{where}: {key}: expected rule codes as strings, "
                                  f"got {selector!r}")
        matched = _match(selector)
        if not matched:
            known = ", ".join(rule.code for rule in RULES)
            what = f"{where}: {key}" if key else where
            raise LintConfigError(f"{what}: unknown rule code {selector!r} (known: {known}, "
                                  f"a prefix such as 'JUG1', or 'ALL')")
        codes |= matched
    return frozenset(codes)


def _match(selector: str) -> frozenset:
    selector = selector.strip()
    if selector.upper() == "ALL":
        return frozenset(rule.code for rule in RULES)
    rule = rule_for(selector)
    if rule is not None:
        return frozenset({rule.code})
    prefix = selector.upper()
    if len(prefix) >= 3:
        return frozenset(rule.code for rule in RULES if rule.code.startswith(prefix))
    return frozenset()


class ConfigFinder:
    """Finds (and caches) the configuration of each linted file."""

    def __init__(self):
        self._by_directory: dict[str, LintConfig] = {}

    def for_path(self, path: str) -> LintConfig:
        directory = os.path.abspath(path if os.path.isdir(path) else os.path.dirname(path) or ".")
        visited = []
        config = None
        while True:
            if directory in self._by_directory:
                config = self._by_directory[directory]
                break
            visited.append(directory)
            candidate = os.path.join(directory, "pyproject.toml")
            if os.path.isfile(candidate):
                config = load_pyproject(candidate)
                if config is not None:
                    break
            parent = os.path.dirname(directory)
            if parent == directory:
                config = LintConfig()
                break
            directory = parent
        for seen in visited:
            self._by_directory[seen] = config
        return config


def load_pyproject(path: str) -> LintConfig | None:
    """The ``[tool.jug.lint]`` table of ``path``, or None when it has none."""
    try:
        with open(path, "rb") as file:
            data = tomllib.load(file)
    except tomllib.TOMLDecodeError as error:
        raise LintConfigError(f"{path}: invalid TOML: {error}") from error
    except OSError as error:
        raise LintConfigError(f"{path}: cannot read: {error.strerror}") from error
    table = data.get("tool", {}).get("jug", {}).get("lint")
    if table is None:
        return None
    where = f"{path}: [tool.jug.lint]"
    if not isinstance(table, dict):
        raise LintConfigError(f"{where} must be a table")
    unknown = sorted(set(table) - set(_KEYS))
    if unknown:
        raise LintConfigError(f"{where}: unknown key(s) {', '.join(unknown)} "
                              f"(known: {', '.join(_KEYS)})")
    select = _list(table.get("select", ["ALL"]), where, "select")
    ignore = _list(table.get("ignore", []), where, "ignore")
    per_file = table.get("per-file-ignores", {})
    if not isinstance(per_file, dict):
        raise LintConfigError(f"{where}: per-file-ignores must be a table of "
                              f"pattern = [codes]")
    per_file_ignores = tuple((pattern, _list(codes, where, f"per-file-ignores.{pattern}"))
                             for pattern, codes in per_file.items())
    config = LintConfig(select=select, ignore=ignore, per_file_ignores=per_file_ignores,
                        root=os.path.dirname(os.path.abspath(path)), source=where)
    for _, codes in per_file_ignores:
        _expand(codes, where, "per-file-ignores")
    _expand(select, where, "select")
    _expand(ignore, where, "ignore")
    return config


def _list(value, where, key) -> tuple:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise LintConfigError(f"{where}: {key} must be a list of rule codes")
    return tuple(value)
