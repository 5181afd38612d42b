"""JUG203: a task argument falls back to pickling in the canonical hash."""

import os

from jug.compiler.lint.model import PICKLED, WARNING, LintRule

# Imported classes whose instances the canonical hash encodes natively.
_NATIVE_PREFIXES = ("builtins.", "pathlib.", "datetime.", "numpy.", "jug.")
_NATIVE_CLASSES = frozenset({"collections.OrderedDict", "collections.defaultdict",
                             "collections.Counter"})

#: Functions (not classes) whose results the canonical hash does not know:
#: readers and constructors of data frames, arrays of other libraries, images,
#: unpickled objects.
PICKLED_RESULTS = tuple(f"pandas.{name}" for name in (
    "read_csv", "read_table", "read_fwf", "read_excel", "read_json", "read_parquet",
    "read_feather", "read_orc", "read_hdf", "read_pickle", "read_sql", "read_sql_query",
    "read_sql_table", "read_stata", "read_sas", "read_spss", "read_xml", "read_html",
    "read_clipboard", "concat", "merge", "merge_asof", "get_dummies", "pivot_table",
    "crosstab", "cut", "qcut", "to_datetime", "to_timedelta", "date_range",
    "json_normalize")) + tuple(f"polars.{name}" for name in (
        "read_csv", "read_parquet", "read_json", "read_ipc", "read_excel", "scan_csv",
        "scan_parquet", "concat")) + (
    "xarray.open_dataset", "xarray.open_mfdataset", "xarray.open_dataarray",
    "xarray.load_dataset", "xarray.concat", "anndata.read_h5ad", "scanpy.read",
    "scanpy.read_h5ad", "scanpy.read_10x_mtx", "PIL.Image.open", "imageio.imread",
    "pickle.load", "pickle.loads", "joblib.load", "torch.load", "torch.tensor",
    "tensorflow.constant", "networkx.read_edgelist", "networkx.read_graphml",
    "scipy.sparse.csr_matrix", "scipy.sparse.load_npz")


class PickledArgument(LintRule):
    """A task's identity is a canonical encoding of its arguments that knows
    ``None``, bools, numbers, strings, bytes, lists, tuples, dicts, sets,
    ranges, slices, paths, datetimes, numpy arrays and scalars, functions and
    classes (by name), tasks, and objects with a ``__jug_hash__`` method.
    Anything else -- an instance of a class defined in the jugfile or a
    local module, a scikit-learn estimator, a pandas DataFrame (also one read
    by ``pandas.read_csv`` and the other readers, see ``PICKLED_RESULTS`` in
    the rule's module), an image, an unpickled object -- is hashed by
    pickling it,
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
    message = ("{source} ({where}) reaches {argument} of task `{task}` and is hashed by "
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
        """\
import pandas as pd
from jug import TaskGenerator

@TaskGenerator
def threshold(values, cut):
    return [v for v in values if v > cut]

frame = pd.read_csv("measurements.csv")
# plain data taken out of the frame: a list and a float
kept = threshold(frame["score"].to_list(), float(frame["score"].quantile(0.9)))
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
        """\
import pandas as pd
from jug import TaskGenerator

@TaskGenerator
def summarise(table):
    return table.describe()

def load(path):
    return pd.read_csv(path).dropna()

summary = summarise(load("measurements.csv"))  # <- JUG203
""",
    )

    def source(self, call):
        cls = call.local_class
        if cls is not None:
            if cls.has_jug_hash or cls.is_enum:
                return None
            return call.taint(self, PICKLED, f"an instance of `{cls.name}` (a class defined "
                                             f"in {os.path.basename(cls.path)})")
        name = call.matches(PICKLED_RESULTS)
        if name is not None:
            return call.taint(self, PICKLED, f"the result of {name}()")
        for name in call.qualified_names:
            last = name.rsplit(".", 1)[-1]
            if ("." in name and last[:1].isupper() and name not in _NATIVE_CLASSES
                    and not name.startswith(_NATIVE_PREFIXES)):
                return call.taint(self, PICKLED, f"a `{name}` object")
        return None
