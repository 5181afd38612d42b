"""One parsed jugfile and the libcst metadata the lint reads from it.

``ParsedSource`` owns the facts the rules need, all from libcst:

* the concrete syntax tree (``libcst.parse_module``);
* qualified names, from ``ScopeProvider`` (``Scope.get_qualified_names_for``,
  which is what ``QualifiedNameProvider`` computes, asked only for the nodes
  the analysis looks at);
* positions, from ``PositionProvider``;
* ``# noqa`` comments (from ``tokenize``).

The lint needs the module-scope statements, the signatures and decorators of
functions, and the bodies of the functions that may create tasks -- not the
rest of the function bodies, which are most of a jugfile.  Parsing all of it
with libcst made a 2,000-line jugfile take over a second, so libcst parses a
*skeleton* of the file: the body of a top-level function or class becomes
``pass`` followed by as many empty lines as it had, unless it mentions a name
imported from jug or a possible task generator.  Lines and columns do not
change, so every position libcst reports is a position in the real file.
The skeleton is cut with Python's ``ast`` (2,000 lines in a few
milliseconds); a file ``ast`` rejects is parsed whole, so that libcst
reports the syntax error.

Positions are computed only when something is reported, one top-level
statement at a time: ``PositionProvider`` on a module holding just that
statement, shifted by the lines before it.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize

import libcst as cst
from libcst.metadata import (MetadataWrapper, PositionProvider, QualifiedNameSource,
                             ScopeProvider)

_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*))?",
                   re.IGNORECASE)


class ParsedSource:
    """A jugfile's text, its tree and metadata.  Raises
    ``libcst.ParserSyntaxError`` when the text does not parse."""

    def __init__(self, text: str):
        self.text = text
        skeleton, self.classes_with_jug_hash, self.star_imports = _skeleton(text)
        self.module = cst.parse_module(skeleton)
        self.statements = list(self.module.body)
        self._scopes = MetadataWrapper(self.module, unsafe_skip_copy=True).resolve(
            ScopeProvider)
        self._name_cache: dict = {}
        self._line_offsets: list[int] | None = None
        self._positions: dict[int, dict] = {}
        self._noqa: dict[int, frozenset | None] | None = None

    # -- qualified names -------------------------------------------------

    def qualified_names(self, node) -> frozenset:
        """The names ``node`` (a Name or Attribute) may refer to, e.g.
        ``"random.random"``, ``"builtins.sorted"`` or ``"train"`` for a name
        defined in the jugfile."""
        return self._names(node)[0]

    def imported_names(self, node) -> frozenset:
        """The subset of :meth:`qualified_names` that come from imports."""
        return self._names(node)[1]

    def _names(self, node) -> tuple:
        cached = self._name_cache.get(node)
        if cached is not None:
            return cached
        scope = self._scopes.get(node)
        names = imported = frozenset()
        if scope is not None:
            try:
                qualified = scope.get_qualified_names_for(node)
            except (KeyError, ValueError):
                qualified = ()
            names = frozenset(q.name for q in qualified)
            imported = frozenset(q.name for q in qualified
                                 if q.source is QualifiedNameSource.IMPORT)
            if not names and self.star_imports and isinstance(node, cst.Name):
                # `from random import *`: the name may come from any of them
                names = imported = frozenset(f"{module}.{node.value}"
                                             for module in self.star_imports)
        self._name_cache[node] = (names, imported)
        return names, imported

    # -- positions -------------------------------------------------------

    def position(self, node, statement: int) -> tuple[int, int]:
        """1-based ``(line, column)`` of ``node``, which lies in top-level
        statement number ``statement``."""
        positions = self._positions.get(statement)
        if positions is None:
            positions = self._statement_positions(statement)
            self._positions[statement] = positions
        code_range = positions.get(node)
        if code_range is None:
            return (self._offsets()[statement] + 1, 1)
        offset = self._offsets()[statement]
        return (code_range.start.line + offset, code_range.start.column + 1)

    def _statement_positions(self, statement: int):
        submodule = self.module.with_changes(body=[self.statements[statement]], header=[],
                                             footer=[], has_trailing_newline=True)
        return MetadataWrapper(submodule, unsafe_skip_copy=True).resolve(PositionProvider)

    def _offsets(self) -> list[int]:
        """Lines before each top-level statement (its leading comments included)."""
        if self._line_offsets is None:
            offsets, line = [], len(self.module.header)
            for statement in self.statements:
                offsets.append(line)
                line += self.module.code_for_node(statement).count("\n")
            self._line_offsets = offsets
        return self._line_offsets

    # -- noqa ------------------------------------------------------------

    def noqa(self, line: int) -> frozenset | None | bool:
        """``False`` if the line has no ``# noqa``, ``None`` for a bare
        ``# noqa`` (everything suppressed), else the set of suppressed codes."""
        if self._noqa is None:
            self._noqa = _noqa_comments(self.text)
        return self._noqa.get(line, False)


def _skeleton(text: str) -> tuple:
    """``(skeleton text, names of classes defining __jug_hash__, modules
    imported with *)``: ``text`` with the bodies of top-level functions and
    classes that cannot create tasks blanked out, line numbers preserved."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return text, frozenset(), ()
    lines = io.StringIO(text, newline="").readlines()   # \n, \r\n, \r: as ast counts lines
    mentions = _task_names_pattern(tree)
    jug_hash = set()
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if isinstance(node, ast.ClassDef) and any(
                isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
                and item.name == "__jug_hash__" for item in node.body):
            jug_hash.add(node.name)
        start = node.body[0]
        decorators = getattr(start, "decorator_list", None) or []
        first, last = min([start.lineno] + [d.lineno for d in decorators]), node.end_lineno
        line = lines[first - 1]
        indent = line[:len(line) - len(line.lstrip())]
        column = decorators[0].col_offset - 1 if decorators else start.col_offset   # '@'
        if first == node.lineno or column != len(indent.encode("utf-8")):
            continue   # the body starts on the header's line: keep it as it is
        if not isinstance(node, ast.ClassDef) and mentions is not None and mentions.search(
                "".join(lines[first - 1:last])):
            continue
        lines[first - 1] = indent + "pass" + _line_end(line)
        for index in range(first, last):
            lines[index] = _line_end(lines[index])
    star_imports = tuple(node.module for node in tree.body
                         if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
                         and any(alias.name == "*" for alias in node.names))
    return "".join(lines), frozenset(jug_hash), star_imports


def _line_end(line: str) -> str:
    return line[len(line.rstrip("\r\n")):]


def _task_names_pattern(tree: ast.Module):
    """A regex matching the names a function body would use to create a task:
    names imported from jug, decorated functions, names bound to the result
    of a call that mentions jug.  None when the file does not import jug."""
    jug_names = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and _is_jug(node.module):
            for alias in node.names:
                if alias.name == "*":
                    jug_names.update({"Task", "TaskGenerator", "CachedFunction", "CompoundTask",
                                      "mapreduce", "identity", "jug_execute"})
                else:
                    jug_names.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if _is_jug(alias.name):
                    jug_names.add(alias.asname or alias.name.split(".")[0])
    if not jug_names:
        return None
    names = set(jug_names)
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.decorator_list:
            names.add(node.name)
        elif isinstance(node, ast.Assign) and any(
                isinstance(inner, ast.Name) and inner.id in jug_names
                for inner in ast.walk(node.value)):
            names.update(target.id for target in node.targets if isinstance(target, ast.Name))
    return _word_pattern(names)


def _is_jug(module: str) -> bool:
    return module == "jug" or module.startswith("jug.")


def _word_pattern(words) -> re.Pattern:
    return re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, words))) + r")\b")


def _noqa_comments(text: str) -> dict:
    comments = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                comments[token.start[0]] = token.string
    except (tokenize.TokenError, SyntaxError):
        # libcst accepted the file, so this is a corner of tokenize: read
        # comments line by line instead (a '#' inside a string may then count).
        for number, line in enumerate(text.splitlines(), 1):
            if "#" in line:
                comments[number] = line[line.index("#"):]
    result = {}
    for line, comment in comments.items():
        match = _NOQA.search(comment)
        if match is None:
            continue
        codes = match.group("codes")
        result[line] = (None if codes is None else
                        frozenset(code.strip().upper() for code in codes.split(",")))
    return result
