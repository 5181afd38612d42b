"""JUG103: the order of a directory listing reaches a task."""

from jug.compiler.lint.model import ERROR, ORDER, LintRule

_LISTINGS = frozenset({
    "glob.glob", "glob.iglob", "os.listdir", "os.scandir", "os.walk", "os.fwalk",
    "pathlib.Path.glob", "pathlib.Path.rglob", "pathlib.Path.iterdir",
    "pathlib.PosixPath.glob", "pathlib.PosixPath.rglob", "pathlib.PosixPath.iterdir",
})
_PATH_METHODS = frozenset({"glob", "rglob", "iterdir"})


class DirectoryListingOrder(LintRule):
    """``glob``, ``os.listdir``, ``os.scandir`` and ``Path.glob``/``rglob``/
    ``iterdir`` return files in the order the file system keeps them, which
    differs between machines, file systems and even runs.  When that *order*
    reaches a task -- the list itself as an argument, an index from
    ``enumerate``, a string joined from it, the chunks ``mapreduce.map`` cuts
    it into, a list of tasks built in that order -- the task's identity
    changes and jug recomputes it.

    Wrap the listing in ``sorted(...)``, or use ``jug.utils.cached_glob``,
    which sorts.  One task per file (``[process(f) for f in glob('*.txt')]``)
    is fine: each task gets one file name, and the order does not matter.
    """

    code = "JUG103"
    name = "unsorted-directory-listing"
    severity = ERROR
    summary = "The order of a directory listing reaches a task argument."
    message = ("{source} (line {line}) reaches {argument} of task `{task}`; wrap the "
               "listing in sorted(...) or use jug.utils.cached_glob")

    VALID = (
        """\
from glob import glob
from jug import TaskGenerator

@TaskGenerator
def count_lines(path):
    return sum(1 for _ in open(path))

@TaskGenerator
def total(counts):
    return sum(counts)

# one task per file: the listing order does not reach any task
counts = [count_lines(path) for path in glob("*.txt")]
# sorted: the order is the same on every machine
everything = total([count_lines(path) for path in sorted(glob("*.txt"))])
""",
        """\
from jug import mapreduce
from jug.utils import cached_glob

def word_count(path):
    return len(open(path).read().split())

counts = mapreduce.map(word_count, cached_glob("*.txt"), map_step=4)
""",
    )
    INVALID = (
        """\
import os
from jug import TaskGenerator

@TaskGenerator
def merge(paths):
    return [open(path).read() for path in paths]

merged = merge(os.listdir("data"))  # <- JUG103
""",
        """\
from pathlib import Path
from jug import TaskGenerator

@TaskGenerator
def process(index, path):
    return index, path.read_text()

for i, path in enumerate(Path("data").glob("*.csv")):
    process(i, path)  # <- JUG103
""",
        """\
import glob
import jug.mapreduce

def word_count(path):
    return len(open(path).read().split())

files = glob.glob("*.txt")
counts = jug.mapreduce.map(word_count, files, map_step=4)  # <- JUG103
""",
    )

    def source(self, call):
        name = call.matches(_LISTINGS)
        if name is not None:
            return call.taint(self, ORDER, f"directory listing order of {name}()")
        if call.method in _PATH_METHODS and not any(
                qualified.startswith("glob.") for qualified in call.qualified_names):
            callee = call.node.func
            receiver = callee.value.__class__.__name__
            shown = f"{callee.value.value}.{call.method}" if receiver == "Name" else call.method
            return call.taint(self, ORDER, f"directory listing order of {shown}()")
        return None
