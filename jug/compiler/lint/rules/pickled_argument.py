"""JUG203: a task argument falls back to pickling in the canonical hash."""

from jug.compiler.lint.model import PICKLED, WARNING, LintRule

# Imported classes whose instances the canonical hash encodes natively.
_NATIVE_PREFIXES = ("builtins.", "pathlib.", "datetime.", "numpy.", "jug.")
_NATIVE_CLASSES = frozenset({"collections.OrderedDict", "collections.defaultdict",
                             "collections.Counter"})


class PickledArgument(LintRule):
    """A task's identity is a canonical encoding of its arguments that knows
    ``None``, bools, numbers, strings, bytes, lists, tuples, dicts, sets,
    ranges, slices, paths, datetimes, numpy arrays and scalars, functions and
    classes (by name), tasks, and objects with a ``__jug_hash__`` method.
    Anything else -- an instance of a class defined in the jugfile, a
    scikit-learn estimator, a pandas DataFrame -- is hashed by pickling it,
    and pickles change with the Python version, the library version and the
    pickle protocol: the task may silently get a new identity (and be
    recomputed) after an upgrade.

    Pass plain data (the estimator's parameters rather than the estimator,
    a dict rather than an object) and build the object inside the task, or
    give your class a ``__jug_hash__`` method.
    """

    code = "JUG203"
    name = "pickled-argument"
    severity = WARNING
    summary = "A task argument is hashed by pickling."
    message = ("{source} (line {line}) reaches {argument} of task `{task}` and is hashed by "
               "pickling, which changes between Python and library versions; pass plain data "
               "or give the class a __jug_hash__ method")

    VALID = (
        """\
from jug import TaskGenerator

class Params:
    def __init__(self, c):
        self.c = c

    def __jug_hash__(self):
        return str(self.c).encode()

@TaskGenerator
def train(params, data):
    return params.c * sum(data)

model = train(Params(c=1.0), [1, 2, 3])
""",
        """\
from pathlib import Path
import numpy as np
from jug import TaskGenerator

@TaskGenerator
def train(path, weights, options):
    return path, weights.sum(), options

model = train(Path("data.csv"), np.ones(3), {"c": 1.0, "kernel": "rbf"})
""",
    )
    INVALID = (
        """\
from sklearn.svm import SVC
from jug import TaskGenerator

@TaskGenerator
def train(model, data):
    return model.fit(data)

estimator = SVC(C=1.0)
fitted = train(estimator, "data.csv")  # <- JUG203
""",
        """\
from dataclasses import dataclass
from jug import TaskGenerator

@dataclass
class Params:
    c: float

@TaskGenerator
def train(params):
    return params.c

models = [train(p) for p in [Params(0.1), Params(1.0)]]  # <- JUG203
""",
    )

    def source(self, call):
        for name in call.qualified_names:
            if call.jugfile_classes.get(name) is False:
                return call.taint(self, PICKLED,
                                  f"an instance of `{name}` (a class defined in the jugfile)")
        for name in call.imported_names:
            last = name.rsplit(".", 1)[-1]
            if ("." in name and last[:1].isupper() and name not in _NATIVE_CLASSES
                    and not name.startswith(_NATIVE_PREFIXES)):
                return call.taint(self, PICKLED, f"a `{name}` object")
        return None
