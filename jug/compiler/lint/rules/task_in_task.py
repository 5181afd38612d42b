"""JUG201: a task function creates tasks while it runs."""

from jug.compiler.lint.model import WARNING, LintRule, Report


class TaskCreatedInTask(LintRule):
    """jug learns the task graph by loading the jugfile.  A task created
    *inside* a task function exists only while that task runs: it is not in
    the graph, ``jug status`` does not count it, no other worker runs it and
    its result is not shared.  Usually the call was meant to be a plain
    function call.

    The body of every task function is followed into the functions it
    calls (in the jugfile and in local modules), so a helper that creates a
    task is reported where it creates it.

    Create tasks at module level; call the plain function inside the task
    (``f.f(x)`` for a TaskGenerator ``f``, or keep an undecorated version);
    or, if the function really builds a sub-graph, make it a
    ``CompoundTaskGenerator`` (not flagged).
    """

    code = "JUG201"
    name = "task-created-in-task"
    severity = WARNING
    summary = "A task function creates tasks when it runs."
    message = ("task function `{function}` creates task `{task}` when it runs; create "
               "tasks at module level, or make `{function}` a CompoundTaskGenerator")

    VALID = (
        """\
from jug import TaskGenerator, CompoundTaskGenerator

@TaskGenerator
def square(x):
    return x * x

@TaskGenerator
def add(a, b):
    return a + b

@CompoundTaskGenerator
def sum_of_squares(a, b):
    return add(square(a), square(b))

total = sum_of_squares(3, 4)
""",
    )
    INVALID = (
        """\
from jug import TaskGenerator

@TaskGenerator
def square(x):
    return x * x

@TaskGenerator
def sum_of_squares(values):
    return sum(square(v) for v in values)  # <- JUG201

total = sum_of_squares([1, 2, 3])
""",
        """\
from jug import TaskGenerator

@TaskGenerator
def square(x):
    return x * x

def squares(values):
    return [square(v) for v in values]  # <- JUG201

@TaskGenerator
def sum_of_squares(values):
    return sum(squares(values))

total = sum_of_squares([1, 2, 3])
""",
    )

    def check_task_call(self, call):
        if call.enclosing_task is None:
            return ()
        return (Report(call.node, self.message.format(function=call.enclosing_task,
                                                      task=call.task_name)),)
