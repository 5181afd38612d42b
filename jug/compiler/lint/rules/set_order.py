"""JUG104: the iteration order of a set reaches a task."""

import libcst as cst

from jug.compiler.lint.model import ERROR, UNORDERED, LintRule, Taint

_SETS = ("builtins.set", "builtins.frozenset")


class SetIterationOrder(LintRule):
    """A set of strings is iterated in an order that depends on
    ``PYTHONHASHSEED``, which is different in every process.  Passing the set
    itself to a task is fine (its hash does not depend on order), but
    anything that *fixes* its order does not: ``list(s)``, ``tuple(s)``,
    ``','.join(s)``, ``*s``, a comprehension over it collected into one
    argument, ``mapreduce.map`` over it.  The same holds for a dict built by
    iterating a directory listing or a set.

    Iterate over ``sorted(s)`` instead.  A set of integer literals is not
    flagged (small integers hash to themselves).
    """

    code = "JUG104"
    name = "set-iteration-order"
    severity = ERROR
    summary = "The iteration order of a set reaches a task argument."
    message = ("{source} (line {line}) reaches {argument} of task `{task}`; iterate over "
               "sorted(...) instead (passing the set itself is fine)")

    VALID = (
        """\
from jug import TaskGenerator

@TaskGenerator
def count(names, vocabulary):
    return sum(name in vocabulary for name in names)

vocabulary = {"apple", "pear", "plum"}
# the set itself: its hash does not depend on order
n = count(["apple", "fig"], vocabulary)
# sorted: a fixed order
m = count(sorted(vocabulary), vocabulary)
""",
    )
    INVALID = (
        """\
from jug import TaskGenerator

@TaskGenerator
def run(samples):
    return len(samples)

samples = {"liver", "brain", "heart"}
result = run(list(samples))  # <- JUG104
""",
        """\
from jug import TaskGenerator

@TaskGenerator
def label(name):
    return name.upper()

names = set(open("names.txt").read().split())
header = label(",".join(names))  # <- JUG104
""",
    )

    def display_source(self, node, statement):
        if isinstance(node, cst.Set) and all(
                isinstance(element.value, cst.Integer) for element in node.elements):
            return None
        if isinstance(node, cst.SetComp):
            what = "a set comprehension"
        else:
            text = cst.Module([]).code_for_node(node)
            what = f"the set {text}" if len(text) <= 40 and "\n" not in text else "a set"
        return Taint(self.code, UNORDERED, f"iteration order of {what}", id(node), statement,
                     node)

    def source(self, call):
        name = call.matches(_SETS)
        if name is not None:
            short = name.split(".")[1]
            return call.taint(self, UNORDERED, f"iteration order of {short}()")
        return None
