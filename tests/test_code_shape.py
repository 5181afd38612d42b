"""The shape of the code: no function in jug/ is longer than MAX_LINES
without a ``# long: <why>`` comment inside it saying why it stays whole."""

import ast
import pathlib
import textwrap

from jugtest import REPO

MAX_LINES = 80
JUG = pathlib.Path(REPO) / "jug"


def long_functions(source, limit=MAX_LINES):
    """``(name, first line, length)`` of every function (nested ones too)
    longer than ``limit`` lines, from ``def`` to its last line, that has no
    ``# long:`` comment."""
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1
            body = lines[node.lineno - 1:node.end_lineno]
            if length > limit and not any(line.strip().startswith("# long:") for line in body):
                found.append((node.name, node.lineno, length))
    return found


def test_no_function_is_long_without_saying_why():
    too_long = [f"{path.relative_to(REPO)}:{line} {name} ({length} lines)"
                for path in sorted(JUG.rglob("*.py"))
                for name, line, length in long_functions(path.read_text())]
    assert not too_long, (f"functions over {MAX_LINES} lines: split them, or say why they stay "
                          "whole in a `# long: ...` comment inside them:\n" + "\n".join(too_long))


def test_the_check_counts_nested_functions_and_honours_the_comment():
    source = textwrap.dedent("""
        def short():
            return 1

        def outer():
            def inner():
                a = 1
                b = 2
                return a + b
            return inner

        def excused():
            # long: one table, read top to bottom
            a = 1
            b = 2
            return a + b
    """)
    assert long_functions(source, limit=3) == [("outer", 5, 6), ("inner", 6, 4)]
