"""JUG104: the iteration order of a set reaches a task."""

from jug.compiler.lint.model import ERROR, UNORDERED, LintRule
from jug.compiler.lint.values import NUMERIC

_SETS = ("builtins.set", "builtins.frozenset")


class SetIterationOrder(LintRule):
    """A set of strings is iterated in an order that depends on
    ``PYTHONHASHSEED``, which is different in every process.  Passing the set
    itself to a task is fine (its hash does not depend on order), but
    anything that *fixes* its order does not: ``list(s)``, ``tuple(s)``,
    ``','.join(s)``, ``*s``, a comprehension over it collected into one
    argument, ``mapreduce.map`` over it.  The same holds for a dict built by
    iterating a directory listing or a set.

    Iterate over ``sorted(s)`` instead (``jug lint --fix`` does, when the
    elements are strings, numbers or paths).  A set of numbers is not flagged:
    numbers hash to themselves, so their order is the same in every process.
    """

    code = "JUG104"
    name = "set-iteration-order"
    severity = ERROR
    summary = "The iteration order of a set reaches a task argument."
    message = ("{source} ({where}) reaches {argument} of task `{task}`; iterate over "
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
        """\
from jug import TaskGenerator

@TaskGenerator
def run(plates):
    return plates

# numbers: the same order in every process
plates = {3, 1, 2}
done = run(list(plates) + [p * 10 for p in set(range(5))])
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
        """\
from jug import TaskGenerator

@TaskGenerator
def run(sample):
    return sample

def samples(table):
    return {row.split(",")[0] for row in table}

for i, name in enumerate(samples(["a,1", "b,2"])):
    run((i, name))  # <- JUG104
""",
    )

    def display_source(self, display):
        if display.element_type in NUMERIC:
            return None   # numbers hash to themselves: the same order in every process
        if display.node.__class__.__name__ == "SetComp":
            what = "a set comprehension"
        else:
            what = f"the set {display.text}" if len(display.text) <= 40 else "a set"
        return display.taint(self, UNORDERED, f"iteration order of {what}")

    def source(self, call):
        name = call.matches(_SETS)
        if name is not None:
            positional = call.positional()
            if positional and positional[0].element_type in NUMERIC:
                return None
            short = name.split(".")[1]
            return call.taint(self, UNORDERED, f"iteration order of {short}()")
        return None
