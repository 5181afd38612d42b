"""JUG001: the file does not parse."""

from jug.compiler.lint.model import ERROR, LintRule


class SyntaxErrorRule(LintRule):
    """The file is not valid Python for the interpreter that runs ``jug
    lint``, so nothing else in it could be checked.  The file is compiled
    the way Python compiles it (not only parsed), so what Python rejects is
    rejected here, with Python's own message: a repeated keyword argument, a
    Python 3.12 f-string (``f"{", ".join(xs)}"``) on Python 3.11, ``return``
    outside a function.  It is reported with its line and a caret, and ``jug
    lint`` exits with status 2; the other files are still linted.  A local
    module the jugfile imports that does not compile is reported the same way,
    in that module.  This code cannot be ignored or suppressed with
    ``# noqa``."""

    code = "JUG001"
    name = "syntax-error"
    severity = ERROR
    summary = "The file cannot be compiled by the running Python."
    message = "Python {python} cannot compile this file: {error}"

    VALID = (
        """\
from jug import TaskGenerator

@TaskGenerator
def double(x):
    return 2 * x

result = double(21)
""",
    )
    INVALID = (
        """\
from jug import TaskGenerator

@TaskGenerator
def double(x):
    return 2 * x

result = double(21))  # <- JUG001
""",
        """\
from jug import TaskGenerator

@TaskGenerator
def plot(data, color="k"):
    return data, color

figure = plot([1, 2], color="r", color="b")  # <- JUG001
""",
    )
