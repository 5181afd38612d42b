"""JUG001: the file does not parse."""

from jug.compiler.lint.model import ERROR, LintRule


class SyntaxErrorRule(LintRule):
    """The file is not valid Python, so nothing else in it could be checked.
    It is reported with its line and a caret, like Python reports it, and
    ``jug lint`` exits with status 2; the other files are still linted.  This
    code cannot be ignored or suppressed with ``# noqa``."""

    code = "JUG001"
    name = "syntax-error"
    severity = ERROR
    summary = "The file cannot be parsed."
    message = "cannot parse: {error}"

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
    )
