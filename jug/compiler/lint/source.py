"""The files the lint reads: parsed as the running Python parses them.

:class:`ParsedFile` holds one file's text and its ``ast`` tree.  It is
parsed with ``ast`` *and compiled* (``compile`` of the tree), so a file is
accepted exactly when the interpreter that runs the jugfile accepts it: a
repeated keyword argument or a Python 3.12 f-string on Python 3.11 is a
syntax error here too, with Python's own message, line and column.

The analysis works on ``ast`` rather than on libcst's tree: parsing,
resolving scopes and qualified names with libcst took more than a second on
a 2,000-line jugfile, before following any function, and its parser is not
the interpreter's.  libcst is used where a concrete tree is needed: to
rewrite files (``--fix``, see fixes.py), keeping formatting and comments.

:class:`SourceCache` finds and parses the user's *local modules*: a module
imported by the jugfile whose file lies in the jugfile's directory (or in a
directory the jugfile adds to ``sys.path`` with a literal string), or in a
package there.  Those are followed by the analysis; everything else is an
installed package, known by its qualified names only.
"""

from __future__ import annotations

import ast
import io
import os
import re
import sys
import tokenize

_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*))?",
                   re.IGNORECASE)

PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


class PythonSyntaxError(Exception):
    """The file does not compile; ``line`` and ``column`` are 1-based."""

    def __init__(self, message: str, line: int, column: int, source_line: str | None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.source_line = source_line


class ParsedFile:
    """One file: ``path``, ``text``, ``tree`` (an ``ast.Module``).  Raises
    :class:`PythonSyntaxError` when Python cannot compile it."""

    def __init__(self, text: str, path: str = "<string>"):
        self.text = text
        self.path = path
        self.lines = text.splitlines(keepends=True)
        try:
            self.tree = ast.parse(text, filename=path)
            compile(self.tree, path, "exec", dont_inherit=True)
        except SyntaxError as error:
            raise self._syntax_error(error) from None
        self._noqa: dict | None = None
        self._ascii = text.isascii()
        self._encoded: list | None = None

    def _syntax_error(self, error: SyntaxError) -> PythonSyntaxError:
        line = error.lineno or 1
        source_line = self.lines[line - 1] if 0 < line <= len(self.lines) else error.text
        column = error.offset or 1
        return PythonSyntaxError(error.msg, line, column, source_line)

    # -- positions ---------------------------------------------------------

    def column(self, line: int, byte_offset: int) -> int:
        """The 0-based character column of ``byte_offset`` (what ``ast``
        gives: a UTF-8 offset) on 1-based ``line``."""
        if self._ascii or not 0 < line <= len(self.lines):
            return byte_offset
        return len(self.lines[line - 1].encode("utf-8")[:byte_offset].decode("utf-8", "replace"))

    def position(self, node) -> tuple[int, int]:
        """1-based ``(line, column)`` of an ``ast`` node."""
        return node.lineno, self.column(node.lineno, node.col_offset) + 1

    def span(self, node) -> tuple[int, int, int, int]:
        """``(line, column, end line, end column)``: lines 1-based, columns
        0-based characters, end exclusive."""
        return (node.lineno, self.column(node.lineno, node.col_offset), node.end_lineno,
                self.column(node.end_lineno, node.end_col_offset))

    def segment(self, node, limit: int = 60) -> str:
        """The source text of ``node``, on one line, cut at ``limit``."""
        if self._encoded is None:
            self._encoded = [line.encode("utf-8") for line in self.lines]
        first, last = node.lineno - 1, node.end_lineno - 1
        if not 0 <= first <= last < len(self._encoded):
            text = ast.unparse(node)
        elif first == last:
            text = self._encoded[first][node.col_offset:node.end_col_offset].decode(
                "utf-8", "replace")
        else:
            parts = [self._encoded[first][node.col_offset:]] + self._encoded[first + 1:last] + \
                [self._encoded[last][:node.end_col_offset]]
            text = b"".join(parts).decode("utf-8", "replace")
        text = " ".join(text.split())
        return text if len(text) <= limit else text[:limit - 3] + "..."

    # -- noqa --------------------------------------------------------------

    def noqa(self, line: int) -> frozenset | None | bool:
        """``False`` if the line has no ``# noqa``, ``None`` for a bare
        ``# noqa`` (everything suppressed), else the set of suppressed codes."""
        if self._noqa is None:
            self._noqa = _noqa_comments(self.text)
        return self._noqa.get(line, False)


def read_text(path: str) -> str:
    """The text of a Python file, honouring a coding cookie; line endings
    are kept as they are (a fix must not change them)."""
    return read_source(path)[0]


def read_source(path: str) -> tuple[str, str]:
    """``(text, encoding)`` of a Python file."""
    with open(path, "rb") as file:
        encoding, _ = tokenize.detect_encoding(file.readline)
    with open(path, encoding=encoding, newline="") as file:
        return file.read(), encoding


class SourceCache:
    """Parsed files by path, and where local modules are.  One cache serves a
    whole ``jug lint`` run, so a helper module imported by several jugfiles
    is read and parsed once."""

    def __init__(self, texts: dict | None = None):
        self._files: dict[str, ParsedFile | PythonSyntaxError | OSError] = {}
        self.texts = dict(texts or {})   # absolute path -> text to use instead of the file

    def text(self, path: str) -> str:
        """The text of ``path`` (as given to the cache, or read)."""
        key = os.path.abspath(path)
        if key not in self.texts:
            self.texts[key] = read_text(path)
        return self.texts[key]

    def add(self, parsed: ParsedFile):
        self._files[os.path.abspath(parsed.path)] = parsed

    def parse(self, path: str) -> ParsedFile:
        """The parsed file at ``path``; raises PythonSyntaxError, OSError or
        UnicodeDecodeError."""
        key = os.path.abspath(path)
        cached = self._files.get(key)
        if cached is None:
            try:
                cached = ParsedFile(self.text(path), path)
            except (PythonSyntaxError, OSError, UnicodeDecodeError, SyntaxError) as error:
                cached = error
            self._files[key] = cached
        if isinstance(cached, Exception):
            raise cached
        return cached

    def find_module(self, name: str, search: list[str]) -> str | None:
        """The file of local module ``name`` (dotted) in one of the
        directories ``search``: ``a/b.py`` or ``a/b/__init__.py``."""
        if name == "jug" or name.startswith("jug."):
            return None   # jug's own API, even next to a checkout of jug
        parts = name.split(".")
        for directory in search:
            base = os.path.join(directory, *parts)
            for candidate in (base + ".py", os.path.join(base, "__init__.py")):
                if os.path.isfile(candidate):
                    return os.path.normpath(candidate)
        return None


def _noqa_comments(text: str) -> dict:
    comments = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                comments[token.start[0]] = token.string
    except (tokenize.TokenError, SyntaxError):
        # Python compiled the file, so this is a corner of tokenize: read
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
