"""JUG202: a lambda is the function of a task."""

from jug.compiler.lint.model import WARNING, LintRule, Report


class LambdaTaskFunction(LintRule):
    """A task is identified by its function's *name* and its arguments.  Every
    lambda is called ``<lambda>``, so tasks of two different lambdas with the
    same arguments are the same task to jug (one's result is loaded for the
    other), and editing a lambda does not change its tasks' identity.  The
    manual also says lambdas cannot be used with ``CachedFunction``.

    Define the function with ``def`` and give it a name.
    """

    code = "JUG202"
    name = "lambda-task-function"
    severity = WARNING
    summary = "A lambda is used as a task function."
    message = ("a lambda is the function of {creator}; every lambda is named <lambda>, so "
               "tasks of different lambdas get the same identity: define it with def")

    VALID = (
        """\
from jug import TaskGenerator, mapreduce

def square(x):
    return x * x

squares = mapreduce.map(square, range(10))
# lambdas inside a task function are fine
@TaskGenerator
def largest(values):
    return max(values, key=lambda v: abs(v))
""",
    )
    INVALID = (
        """\
from jug import Task

result = Task(lambda x: x * x, 4)  # <- JUG202
""",
        """\
from jug import TaskGenerator

square = TaskGenerator(lambda x: x * x)  # <- JUG202
results = [square(i) for i in range(3)]
""",
        """\
from jug import mapreduce

squares = mapreduce.map(lambda x: x * x, range(10))  # <- JUG202
""",
    )

    def check_task_call(self, call):
        if call.enclosing_task is not None or not call.function_is_lambda:
            return ()
        return (Report(call.function_node if call.function_node is not None else call.node,
                       self.message.format(creator=call.creator)),)
