"""``jug lint --fix`` and ``--diff``: the safe fixes, as libcst codemods.

A finding can be fixed automatically when the fact it reports has a
:class:`~jug.compiler.lint.model.FixSite`: an expression that, wrapped in
``sorted(...)``, no longer has that fact.  That is a directory listing
(``os.listdir(d)`` -> ``sorted(os.listdir(d))``; not ``os.walk`` or
``os.scandir``, whose items do not sort by name) or the place where a set of
strings, numbers or paths is iterated (``for name in names`` -> ``for name
in sorted(names)``; ``list(names)`` -> ``sorted(names)``).  An unseeded
generator is not fixed: the seed is the user's choice, so the finding carries
a suggestion instead.

The rewrite is a libcst transformer, so formatting and comments are kept
byte for byte outside the wrapped expressions.  A listing that returns an
iterator (``glob.iglob``, ``Path.glob``) is not wrapped where ``next()`` is
called on it, since a list is not an iterator.  Fixing is idempotent: the
fixed code no longer has the fact, so a second run finds nothing to fix.
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import os

import warnings

with warnings.catch_warnings():
    # libcst.metadata imports a pyre module that uses a deprecated TypedDict
    warnings.simplefilter("ignore", DeprecationWarning)
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

from jug.compiler.lint.model import FixSite

MAX_ROUNDS = 3


@dataclasses.dataclass(frozen=True)
class FileFix:
    """The text of one file before and after its fixes."""

    path: str
    before: str
    after: str
    count: int

    def diff(self) -> str:
        """A unified diff (``--- a/path`` / ``+++ b/path``), as ruff and git show."""
        name = self.path.replace(os.sep, "/")
        return "".join(difflib.unified_diff(self.before.splitlines(keepends=True),
                                            self.after.splitlines(keepends=True),
                                            fromfile=f"a/{name}", tofile=f"b/{name}"))


def fixed_text(text: str, sites) -> tuple[str, int]:
    """``text`` with every expression at ``sites`` (FixSites of this file)
    wrapped in sorted(); and how many were wrapped."""
    tree = ast.parse(text)
    spans = {(site.line, site.column, site.end_line, site.end_column)
             for site in sites if not (site.iterator and _used_with_next(tree, site, text))}
    if not spans:
        return text, 0
    wrapper = MetadataWrapper(cst.parse_module(text))
    transformer = _WrapInSorted(spans, _binds_name(tree, "list") or _binds_name(tree, "sorted"))
    # sorted() itself must be the builtin: a file that rebinds it is not fixed
    if _binds_name(tree, "sorted"):
        return text, 0
    result = wrapper.visit(transformer)
    return result.code, transformer.count


def plan(report, texts: dict) -> dict:
    """``{path: (new text, fixes)}`` for the fixes of ``report``; ``texts``
    maps absolute paths to current texts (read on demand)."""
    by_path: dict = {}
    for site in report.fixes:
        by_path.setdefault(os.path.abspath(site.path), []).append(site)
    changed = {}
    for path, sites in sorted(by_path.items()):
        text = texts.get(path)
        if text is None:
            from jug.compiler.lint.source import read_text

            text = read_text(path)
        new, count = fixed_text(text, sites)
        if count:
            changed[path] = (new, count)
    return changed


class _WrapInSorted(cst.CSTTransformer):
    """Wrap the expressions at ``spans`` (positions as in FixSite: 1-based
    lines, 0-based columns) in ``sorted(...)``; ``list(x)`` whose ``x`` was
    just wrapped becomes ``sorted(x)`` (unless the file rebinds ``list``)."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, spans: set, list_is_shadowed: bool):
        super().__init__()
        self.spans = spans
        self.list_is_shadowed = list_is_shadowed
        self.count = 0
        self.done: set = set()

    def _span(self, node):
        position = self.get_metadata(PositionProvider, node, None)
        if position is None:
            return None
        return (position.start.line, position.start.column, position.end.line,
                position.end.column)

    def on_leave(self, original, updated):
        updated = super().on_leave(original, updated)
        if not isinstance(original, cst.BaseExpression) or \
                not isinstance(updated, cst.BaseExpression):
            return updated
        span = self._span(original)
        if span is None or span not in self.spans or span in self.done:
            if isinstance(updated, cst.Call):
                return self._list_to_sorted(original, updated)
            return updated
        self.done.add(span)
        self.count += 1
        inner = updated.with_changes(lpar=[], rpar=[]) if updated.lpar else updated
        return cst.Call(func=cst.Name("sorted"), args=[cst.Arg(inner)],
                        lpar=updated.lpar, rpar=updated.rpar)

    def _list_to_sorted(self, original, updated):
        # list(sorted(x)) -> sorted(x): sorted() already returns a new list
        if (self.list_is_shadowed or not isinstance(updated.func, cst.Name)
                or updated.func.value != "list" or len(updated.args) != 1):
            return updated
        arg = updated.args[0]
        if arg.keyword is not None or arg.star or \
                self._span(original.args[0].value) not in self.done:
            return updated
        if not (isinstance(arg.value, cst.Call) and isinstance(arg.value.func, cst.Name)
                and arg.value.func.value == "sorted" and not arg.value.lpar):
            return updated
        return arg.value.with_changes(lpar=updated.lpar, rpar=updated.rpar)


def _binds_name(tree, name: str) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Store):
            return True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                and node.name == name:
            return True
        if isinstance(node, ast.alias) and (node.asname or node.name) == name:
            return True
        if isinstance(node, ast.arg) and node.arg == name:
            return True
    return False


def _used_with_next(tree, site: FixSite, text: str) -> bool:
    """Whether the iterator at ``site`` is passed to next(), directly or
    through the name it is assigned to."""
    positions = _Positions(text)
    target_names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id == "next" and node.args:
            if positions.span(node.args[0]) == (site.line, site.column, site.end_line,
                                                site.end_column):
                return True
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None and \
                positions.span(node.value) == (site.line, site.column, site.end_line,
                                               site.end_column):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            target_names.update(t.id for t in targets if isinstance(t, ast.Name))
    if not target_names:
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id == "next" and node.args \
                and isinstance(node.args[0], ast.Name) and node.args[0].id in target_names:
            return True
    return False


class _Positions:
    def __init__(self, text: str):
        self.lines = text.splitlines(keepends=True)
        self.ascii = text.isascii()

    def column(self, line: int, offset: int) -> int:
        if self.ascii:
            return offset
        return len(self.lines[line - 1].encode("utf-8")[:offset].decode("utf-8", "replace"))

    def span(self, node):
        return (node.lineno, self.column(node.lineno, node.col_offset), node.end_lineno,
                self.column(node.end_lineno, node.end_col_offset))
