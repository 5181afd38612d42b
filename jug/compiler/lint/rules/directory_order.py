"""JUG103: the order of a directory listing reaches a task."""

from jug.compiler.lint.model import ERROR, ORDER, LintRule

# Listings that sorted(...) fixes, and those that return an iterator (a fix
# must not break a `next(...)` on them).
_SORTABLE = frozenset({"glob.glob", "os.listdir"})
_ITERATORS = frozenset({"glob.iglob", "pathlib.Path.glob", "pathlib.Path.rglob",
                        "pathlib.Path.iterdir", "pathlib.PosixPath.glob",
                        "pathlib.PosixPath.rglob", "pathlib.PosixPath.iterdir"})
# Listings of DirEntry objects or walk tuples: no automatic fix.
_UNFIXABLE = frozenset({"os.scandir", "os.walk", "os.fwalk"})
_LISTINGS = _SORTABLE | _ITERATORS | _UNFIXABLE
_PATH_METHODS = frozenset({"glob", "rglob", "iterdir"})


class DirectoryListingOrder(LintRule):
    """``glob``, ``os.listdir``, ``os.scandir`` and ``Path.glob``/``rglob``/
    ``iterdir`` return files in the order the file system keeps them, which
    differs between machines, file systems and even runs.  When that *order*
    reaches a task -- the list itself as an argument, an index from
    ``enumerate``, a slice such as ``listdir(d)[:10]`` (which files it keeps
    depends on the order), a string joined from it, the chunks
    ``mapreduce.map`` cuts it into, a list of tasks built in that order -- the
    task's identity changes and jug recomputes it.  The listing may come from
    a helper function, in the jugfile or in a local module: the finding then
    names both places.

    ``sorted(files, key=...)`` is a stable sort: files whose keys are equal
    (the same size, the same modification time, the same prefix) keep the
    listing's order, so a key that can tie does not help.  Keys that cannot
    tie are the name itself: ``str``, ``os.fspath``, ``os.path.basename``,
    ``p.name``, or a tuple that ends with one of them.

    Wrap the listing in ``sorted(...)`` (``jug lint --fix`` does), or use
    ``jug.utils.cached_glob``, which sorts.  One task per file
    (``[process(f) for f in glob('*.txt')]``) is fine: each task gets one file
    name, and the order does not matter.
    """

    code = "JUG103"
    name = "unsorted-directory-listing"
    severity = ERROR
    summary = "The order of a directory listing reaches a task argument."
    message = ("{source} ({where}) reaches {argument} of task `{task}`; wrap the "
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
        """\
import os
from jug import TaskGenerator

@TaskGenerator
def merge(paths):
    return paths

def inputs(directory):
    # a key that cannot tie: ties are broken by the name itself
    return sorted(os.listdir(directory), key=lambda name: (len(name), name))

merged = merge(inputs("data"))
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
        """\
import os
from jug import TaskGenerator

@TaskGenerator
def process(path):
    return path

def sample_files(directory):
    return os.listdir(directory)[:10]        # which ten depends on the order

def main():
    return [process(p) for p in sample_files("in")]  # <- JUG103

if __name__ == "__main__":
    main()
""",
        """\
import glob, os
from jug import TaskGenerator

@TaskGenerator
def merge(paths):
    return paths

# equal sizes keep the listing's order
by_size = sorted(glob.glob("*.csv"), key=os.path.getsize)
merged = merge(by_size)  # <- JUG103
""",
    )

    def source(self, call):
        name = call.matches(_LISTINGS)
        if name is not None:
            fix = "iterator" if name in _ITERATORS else name not in _UNFIXABLE
            return call.taint(self, ORDER, f"directory listing order of {name}()", fix=fix)
        if call.method in _PATH_METHODS and not any(
                qualified.startswith("glob.") for qualified in call.qualified_names):
            shown = call.callee_text if len(call.callee_text) <= 30 else call.method
            return call.taint(self, ORDER, f"directory listing order of {shown}()",
                              fix="iterator")
        return None
