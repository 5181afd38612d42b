"""Values followed through functions, local modules and control flow
(issue 15): each test has examples that must be flagged and look-alikes
that must not.

``findings(snippet)`` lints the snippet after a header defining a task
``task(x, y=None)``; line numbers are those of the snippet.  ``project``
writes a jugfile with local modules into a temporary directory.
"""

import json
import os
import textwrap

import pytest
from click.testing import CliRunner

from jug.cli import main
from jug.compiler.lint import lint_paths, lint_source

HEADER = """\
from jug import Task, TaskGenerator, CachedFunction, mapreduce, value
from jug.utils import identity


@TaskGenerator
def task(x, y=None):
    return x
"""
OFFSET = HEADER.count("\n")


def findings(snippet, messages=False):
    report = lint_source(HEADER + textwrap.dedent(snippet), "jugfile.py")
    assert report.errors == ()
    if messages:
        return [(f.line - OFFSET, f.code, f.message) for f in report.findings]
    return [(f.line - OFFSET, f.code) for f in report.findings]


def project(tmp_path, jugfile, **modules):
    """Write ``jugfile.py`` and ``modules`` (name -> text; ``pkg/x`` for a
    package module) into tmp_path; returns the jugfile's path."""
    for name, text in modules.items():
        path = tmp_path / f"{name}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    path = tmp_path / "jugfile.py"
    path.write_text(textwrap.dedent(jugfile))
    return str(path)


def located(report, base):
    return [(os.path.relpath(f.path, base), f.line, f.code) for f in report.findings]


# -- return values, arguments, defaults, closures --------------------------------------

def test_a_listing_returned_by_a_helper_reaches_the_task():
    snippet = """\
    import os, glob
    def inputs(directory):
        return os.listdir(directory)
    def sample_files(d):
        return os.listdir(d)[:10]
    def sorted_inputs(directory):
        return sorted(os.listdir(directory))
    merged = task(inputs("in"))
    runs = [task(p) for p in sample_files("in")]
    fine = task(sorted_inputs("in"))
    per_file = [task(p) for p in inputs("in")]
    count = task(len(inputs("in")))
    """
    result = findings(snippet, messages=True)
    assert [(line, code) for line, code, _ in result] == [(8, "JUG103"), (9, "JUG103")]
    assert f"os.listdir() (line {3 + OFFSET}) reaches argument `x`" in result[0][2]
    assert f"os.listdir() (line {5 + OFFSET}) reaches argument `x`" in result[1][2]


def test_a_task_created_inside_a_function_gets_the_callers_argument():
    snippet = """\
    import glob
    def merge_all(files):
        return task(files)
    def merge_sorted(files):
        return task(sorted(files))
    a = merge_all(glob.glob("*.txt"))
    b = merge_sorted(glob.glob("*.txt"))
    c = merge_all(["a.txt", "b.txt"])
    """
    result = findings(snippet, messages=True)
    assert [(line, code) for line, code, _ in result] == [(3, "JUG103")]
    assert f"glob.glob() (line {6 + OFFSET}) reaches argument `x` of task `task`" \
        in result[0][2]


def test_default_arguments_are_evaluated_where_the_def_runs():
    snippet = """\
    import glob, time
    def build(files=glob.glob("*.csv"), stamp=None):
        return task(files, stamp)
    def build_sorted(files=sorted(glob.glob("*.csv"))):
        return task(files)
    def stamped(stamp=time.time()):
        return task(1, stamp)
    build()
    build(["x.csv"], stamp=3)
    build_sorted()
    stamped(0)
    """
    assert findings(snippet) == [(3, "JUG103")]


def test_closures_see_the_variable_when_called():
    snippet = """\
    import os
    def main():
        files = os.listdir("in")
        def merge():
            return task(files)
        def merge_one():
            return task(files[0])
        merge()
        files = sorted(files)
        merge_one()
    main()
    """
    assert findings(snippet) == [(5, "JUG103")]


def test_lambdas_and_nested_comprehensions_in_functions():
    snippet = """\
    import random
    def noisy(values):
        jitter = lambda v: v + random.random()
        return [[jitter(v) for v in row] for row in values]
    def clean(values):
        double = lambda v: 2 * v
        return [[double(v) for v in row] for row in values]
    a = task(noisy([[1, 2]]))
    b = task(clean([[1, 2]]))
    """
    assert findings(snippet) == [(8, "JUG101")]


def test_unpacking_keeps_each_part_apart():
    snippet = """\
    import os
    def load_split(name):
        paths = os.listdir(name)
        labels = [0, 1]
        return paths, labels
    paths, labels = load_split("train")
    t1 = task(labels)
    t2 = task(paths)
    first, *rest = [os.listdir("a"), 1, 2]
    t3 = task(rest)
    t4 = task(first)
    """
    assert findings(snippet) == [(8, "JUG103"), (11, "JUG103")]


def test_zip_enumerate_and_items_in_a_helper():
    snippet = """\
    import os
    def pairs(a, b):
        return list(zip(os.listdir(a), os.listdir(b)))
    def numbered(d):
        return [(i, name) for i, name in enumerate(os.listdir(d))]
    def sizes(d):
        return {name: len(name) for name in os.listdir(d)}
    t1 = [task(x, y) for x, y in pairs("a", "b")]
    t2 = [task(i, name) for i, name in numbered("d")]
    t3 = task(sizes("d"))
    t4 = [task(name, size) for name, size in sizes("d").items()]
    t5 = task(list(sizes("d").items()))
    t6 = [task(name) for name, _ in sorted(sizes("d").items())]
    """
    # the pairs of zip: both elements depend on both orders
    assert findings(snippet) == [(8, "JUG103"), (8, "JUG103"), (9, "JUG103"), (12, "JUG103")]


def test_join_and_fstrings_in_a_helper():
    snippet = """\
    import glob
    def manifest(pattern):
        return ",".join(glob.glob(pattern))
    def label(pattern):
        return f"inputs: {glob.glob(pattern)}"
    def sorted_label(pattern):
        return f"inputs: {sorted(glob.glob(pattern))}"
    t1 = task(manifest("*.txt"))
    t2 = task(label("*.txt"))
    t3 = task(sorted_label("*.txt"))
    """
    assert findings(snippet) == [(8, "JUG103"), (9, "JUG103")]


def test_list_methods_in_a_helper():
    snippet = """\
    import glob
    def collected(pattern):
        files = []
        for path in glob.glob(pattern):
            files.append(path)
        return files
    def collected_sorted(pattern):
        files = collected(pattern)
        files.sort()
        return files
    def first_ten(pattern):
        files = collected_sorted(pattern)
        return files[:10]
    t1 = task(collected("*.txt"))
    t2 = task(collected_sorted("*.txt"))
    t3 = task(first_ten("*.txt"))
    """
    assert findings(snippet) == [(14, "JUG103")]


def test_generators_yield_in_listing_order():
    snippet = """\
    import os
    def walk(d):
        for name in os.listdir(d):
            yield name
    def walk_sorted(d):
        for name in sorted(os.listdir(d)):
            yield name
    t1 = task(list(walk("d")))
    t2 = task(list(walk_sorted("d")))
    t3 = [task(name) for name in walk("d")]
    """
    assert findings(snippet) == [(8, "JUG103")]


def test_methods_of_a_class_in_the_jugfile():
    snippet = """\
    import os
    class Dataset:
        def __init__(self, root):
            self.root = root
            self.files = os.listdir(root)
        def inputs(self):
            return self.files
        def sorted_inputs(self):
            return sorted(self.files)
    data = Dataset("in")
    t1 = task(data.inputs())
    t2 = task(data.sorted_inputs())
    """
    assert findings(snippet) == [(11, "JUG103")]


def test_recursion_and_deep_chains_terminate():
    snippet = """\
    import os
    def walk(d, depth):
        if depth == 0:
            return os.listdir(d)
        return walk(d, depth - 1)
    t = task(walk("d", 3))
    """
    assert findings(snippet) == [(6, "JUG103")]


# -- tasks created inside functions ------------------------------------------------------

def test_tasks_created_in_main_under_the_main_guard():
    snippet = """\
    import glob
    def main():
        paths = CachedFunction(list, glob.glob("train/*/*.JPEG"))
        return [task(p) for p in paths]
    if __name__ == "__main__":
        main()
    """
    result = findings(snippet, messages=True)
    assert [(line, code) for line, code, _ in result] == [(3, "JUG103")]
    assert "reaches argument 1 of task `list`" in result[0][2]


def test_tasks_created_in_a_function_nobody_calls():
    snippet = """\
    import time
    def build(n):
        return [task(i, time.time()) for i in range(n)]
    def build_fixed(n):
        return [task(i, 0) for i in range(n)]
    """
    assert findings(snippet) == [(3, "JUG102")]


def test_a_function_called_twice_is_reported_once_per_place_with_both_sources(tmp_path):
    path = project(tmp_path, """\
        import glob, os
        from jug import TaskGenerator
        @TaskGenerator
        def merge(files):
            return files
        def merge_all(files):
            return merge(files)
        a = merge_all(glob.glob("*.txt"))
        b = merge_all(os.listdir("in"))
        """)
    [finding] = lint_paths([path]).findings
    assert (finding.line, finding.code) == (7, "JUG103")
    assert finding.message.startswith(
        "directory listing order of glob.glob() (line 8; also directory listing order of "
        "os.listdir() at line 9) reaches argument `files` of task `merge`")
    assert [(r.line, r.column) for r in finding.related] == [(8, 15), (9, 15)]


# -- local modules ---------------------------------------------------------------------------

def test_a_helper_in_a_local_module_names_both_places(tmp_path):
    path = project(tmp_path, """\
        from jug import TaskGenerator
        from helpers import jittered, sorted_inputs
        import helpers

        @TaskGenerator
        def fit(x):
            return x

        params = [fit(x) for x in jittered([1.0, 2.0])]
        files = fit(helpers.inputs("in"))
        ok = fit(sorted_inputs("in"))
        """, helpers="""\
        import os
        import random

        def jittered(base):
            return [b + random.gauss(0, 1) for b in base]

        def inputs(directory):
            return os.listdir(directory)

        def sorted_inputs(directory):
            return sorted(inputs(directory))
        """)
    report = lint_paths([path])
    assert located(report, tmp_path) == [("jugfile.py", 9, "JUG101"), ("jugfile.py", 10, "JUG103")]
    jittered, listed = report.findings
    assert "random.gauss() without random.seed() (helpers.py:5) reaches argument `x` of task " \
           "`fit`" in jittered.message
    assert [(os.path.basename(r.path), r.line) for r in listed.related] == [("helpers.py", 8)]


def test_seeding_at_the_top_of_a_local_module_counts(tmp_path):
    path = project(tmp_path, """\
        import random
        import config
        from jug import TaskGenerator

        @TaskGenerator
        def fit(x):
            return x

        model = fit(random.random())
        """, config="""\
        import random
        random.seed(1234)
        """)
    assert lint_paths([path]).findings == ()


def test_a_task_created_in_a_local_module_is_reported_there(tmp_path):
    path = project(tmp_path, """\
        import glob
        from pipeline.steps import merge_all
        merged = merge_all(glob.glob("*.txt"))
        """, **{"pipeline/__init__": "", "pipeline/steps": """\
        from jug import TaskGenerator
        from .tasks import merge

        def merge_all(files):
            return merge(files)
        """, "pipeline/tasks": """\
        from jug import TaskGenerator

        @TaskGenerator
        def merge(files):
            return files
        """})
    report = lint_paths([path])
    assert located(report, tmp_path) == [(os.path.join("pipeline", "steps.py"), 5, "JUG103")]
    [finding] = report.findings
    assert "glob.glob() (../jugfile.py:3) reaches argument `files` of task `merge`" \
        in finding.message


def test_sarif_related_locations_point_into_the_other_file(tmp_path, monkeypatch):
    project(tmp_path, """\
        from jug import TaskGenerator
        from helpers import inputs

        @TaskGenerator
        def merge(files):
            return files

        merged = merge(inputs("in"))
        """, helpers="""\
        import os

        def inputs(directory):
            return os.listdir(directory)
        """)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["lint", "jugfile.py", "--output-format", "sarif"])
    assert result.exit_code == 1, result.output
    [sarif_result] = json.loads(result.stdout)["runs"][0]["results"]
    assert sarif_result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "jugfile.py"
    [related] = sarif_result["relatedLocations"]
    assert related["physicalLocation"] == {
        "artifactLocation": {"uri": "helpers.py", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 4, "startColumn": 12}}


def test_installed_packages_are_not_followed_and_jug_is_never_local(tmp_path):
    path = project(tmp_path, """\
        import os
        import numpy
        from jug import TaskGenerator

        @TaskGenerator
        def merge(files):
            return files

        merged = merge(numpy.asarray(os.listdir("in")))
        """, jug="raise SystemExit('the lint must not read this as jug')\n")
    assert located(lint_paths([path]), tmp_path) == [("jugfile.py", 9, "JUG103")]


def test_a_local_module_python_cannot_compile_is_reported_in_that_module(tmp_path):
    path = project(tmp_path, """\
        from jug import TaskGenerator
        import helpers
        """, helpers="def f(a, b):\n    return a\n\nx = f(a=1, a=2)\n")
    report = lint_paths([path])
    assert report.exit_code == 2
    [finding] = report.findings
    assert (os.path.basename(finding.path), finding.line, finding.code) == (
        "helpers.py", 4, "JUG001")
    assert "keyword argument repeated: a" in finding.message


# -- control flow: conditional seeding ------------------------------------------------------

@pytest.mark.parametrize("seeding", [
    "if len(sys.argv) > 1:\n    random.seed(int(sys.argv[1]))\n",
    "for _ in range(len(sys.argv)):\n    random.seed(1)\n",
    "try:\n    random.seed(int(sys.argv[1]))\nexcept IndexError:\n    pass\n",
    "def setup():\n    if len(sys.argv) < 2:\n        return\n    random.seed(int(sys.argv[1]))\n"
    "setup()\n",
    "def setup():\n    random.seed(1)\nif len(sys.argv) > 2:\n    setup()\n",
    "while len(sys.argv) > 3:\n    random.seed(2)\n    break\n",
])
def test_a_seed_on_only_some_paths_does_not_count(seeding):
    snippet = "import random, sys\n" + seeding + "lr = task(random.uniform(1e-4, 1e-2))\n"
    assert findings(snippet) == [(snippet.count("\n"), "JUG101")]


@pytest.mark.parametrize("seeding", [
    "random.seed(0)\n",
    "if len(sys.argv) > 1:\n    random.seed(int(sys.argv[1]))\nelse:\n    random.seed(0)\n",
    "def setup(seed=0):\n    random.seed(seed)\nsetup()\n",
    "def setup():\n    if len(sys.argv) < 2:\n        random.seed(0)\n        return\n"
    "    random.seed(int(sys.argv[1]))\nsetup()\n",
    "try:\n    random.seed(int(sys.argv[1]))\nexcept IndexError:\n    random.seed(0)\n",
    "with open(__file__) as f:\n    random.seed(len(f.read()))\n",
    "if True:\n    random.seed(1)\n",
])
def test_a_seed_on_every_path_counts(seeding):
    snippet = "import random, sys\n" + seeding + "lr = task(random.uniform(1e-4, 1e-2))\n"
    assert findings(snippet) == []


def test_a_seed_inside_main_covers_the_draws_after_it():
    snippet = """\
    import numpy as np
    def main(seed=42):
        np.random.seed(seed)
        return [task(np.random.rand()) for _ in range(3)]
    def unseeded():
        return [task(np.random.rand()) for _ in range(3)]
    main()
    """
    assert findings(snippet) == [(6, "JUG101")]


def test_a_generator_made_by_a_helper_is_seeded_by_its_argument():
    snippet = """\
    import numpy as np
    def make_rng(seed=None):
        return np.random.default_rng(seed)
    a = task(make_rng(7).normal())
    b = task(make_rng().normal())
    c = task(make_rng(seed=None).normal())
    """
    assert findings(snippet) == [(5, "JUG101"), (6, "JUG101")]


# -- sort keys that can tie ---------------------------------------------------------------

@pytest.mark.parametrize("expression", [
    "sorted(glob.glob('*.csv'), key=os.path.getsize)",
    "sorted(glob.glob('*.csv'), key=len)",
    "sorted(glob.glob('*.csv'), key=lambda p: p.split('_')[0])",
    "sorted(glob.glob('*.csv'), key=str.lower)",
    "sorted(Path('d').glob('*'), key=lambda p: p.stat().st_mtime)",
    "sorted(glob.glob('*.csv'), key=by_size)",
])
def test_a_sort_key_that_can_tie_keeps_the_listing_order(expression):
    snippet = ("import glob, os\nfrom pathlib import Path\ndef by_size(p):\n"
               "    return os.path.getsize(p)\n" f"t = task({expression})\n")
    [(line, code, message)] = findings(snippet, messages=True)
    assert (line, code) == (5, "JUG103")
    assert f"a sort key that can tie (line {5 + OFFSET}) keeps this order for equal keys" \
        in message


@pytest.mark.parametrize("expression", [
    "sorted(glob.glob('*.csv'))",
    "sorted(glob.glob('*.csv'), key=str)",
    "sorted(glob.glob('*.csv'), key=os.path.basename)",
    "sorted(glob.glob('*.csv'), key=lambda p: (os.path.getsize(p), p))",
    "sorted(Path('d').glob('*'), key=lambda p: p.name)",
    "sorted(Path('d').glob('*'), key=lambda p: (p.stat().st_size, str(p)))",
    "sorted(glob.glob('*.csv'), key=by_name, reverse=True)",
    "sorted(sorted(glob.glob('*.csv')), key=os.path.getsize)",
    "sorted({'a': 1, 'b': 2}.items(), key=lambda kv: kv[0])",
])
def test_a_sort_key_that_cannot_tie_clears_the_order(expression):
    snippet = ("import glob, os\nfrom pathlib import Path\ndef by_name(p):\n"
               "    return os.path.basename(p)\n" f"t = task({expression})\n")
    assert findings(snippet) == []


def test_in_place_sort_min_and_max_with_a_key_that_can_tie():
    snippet = """\
    import glob, os
    files = glob.glob("*.csv")
    files.sort(key=os.path.getmtime)
    t1 = task(files)
    newest = max(glob.glob("*.csv"), key=os.path.getmtime)
    t2 = task(newest)
    first = min(glob.glob("*.csv"))
    t3 = task(first)
    others = glob.glob("*.csv")
    others.sort(key=lambda p: (os.path.getmtime(p), p))
    t4 = task(others)
    """
    assert findings(snippet) == [(4, "JUG103"), (6, "JUG103")]


# -- types that matter -----------------------------------------------------------------------

@pytest.mark.parametrize("expression", [
    "hash(3)", "hash(plate)", "hash(len(names))", "hash((plate, 2.5, True))", "hash(None)",
    "[hash(p) for p in range(4)]", "bucket(plate)", "hash(int(names[0]))", "hash(-plate * 2)",
])
def test_hash_of_numbers_and_tuples_of_numbers_is_deterministic(expression):
    snippet = ("plate = 3\nnames = ['a', 'b']\ndef bucket(p):\n    return hash(p) % 8\n"
               f"t = task({expression})\n")
    assert findings(snippet) == []


@pytest.mark.parametrize("expression, description", [
    ("hash('a')", "hash() of a string or bytes"),
    ("hash(b'a')", "hash() of a string or bytes"),
    ("hash(names[0])", "hash() of a string or bytes"),
    ("hash((plate, 'a'))", "hash() of a string or bytes"),
    ("hash(os.listdir('.')[0])", "hash() of a string or bytes"),
    ("bucket('plate-3')", "hash() of a string or bytes"),
    ("hash(Path('x'))", "hash() of a string or bytes"),
    ("hash(object())", "hash() of a value not known to be a number"),
])
def test_hash_of_strings_bytes_and_objects_is_salted(expression, description):
    snippet = ("import os\nfrom pathlib import Path\nplate = 3\nnames = ['a', 'b']\n"
               "def bucket(p):\n    return hash(p) % 8\n" f"t = task({expression})\n")
    [(line, code, message)] = [found for found in findings(snippet, messages=True)
                               if found[1] == "JUG105"]
    assert line == 7
    assert message.startswith(description)


def test_hash_of_an_unknown_parameter_is_flagged_and_of_a_known_int_is_not():
    snippet = """\
    def slots(plates):
        return [task(p, hash(p) % 8) for p in plates]
    a = slots(range(96))
    b = slots([1, 2, 3])
    def uncalled(plate):
        return task(plate, hash(plate))
    """
    assert findings(snippet) == [(6, "JUG105")]


def test_pandas_readers_are_hashed_by_pickling():
    snippet = """\
    import pandas as pd
    def load(path):
        return pd.read_csv(path).dropna()
    frame = pd.read_csv("a.csv")
    t1 = task(frame)
    t2 = task(load("b.csv"))
    t3 = task(frame["score"])
    t4 = task(frame["score"].tolist())
    t5 = task(len(frame), frame.shape)
    t6 = task(pd.concat([frame, frame]))
    t7 = task(frame.to_dict())
    """
    result = findings(snippet, messages=True)
    assert [(line, code) for line, code, _ in result] == [
        (5, "JUG203"), (6, "JUG203"), (7, "JUG203"), (10, "JUG203")]
    assert result[0][2].startswith(f"the result of pandas.read_csv() (line {4 + OFFSET}) "
                                   "reaches argument")


def test_a_local_class_instance_is_pickled_but_an_enum_or_jug_hash_class_is_not():
    snippet = """\
    import enum
    from dataclasses import dataclass
    class Color(enum.Enum):
        RED = 1
    @dataclass
    class Params:
        c: float
    class Hashed:
        def __jug_hash__(self):
            return b"h"
    class Child(Hashed):
        pass
    t1 = task(Color.RED)
    t2 = task(Params(1.0))
    t3 = task(Hashed(), Child())
    t4 = task(Params(1.0).c)
    """
    assert findings(snippet) == [(14, "JUG203")]


def test_a_dataclass_field_keeps_the_value_it_was_given():
    snippet = """\
    import time
    from dataclasses import dataclass
    @dataclass
    class Run:
        stamp: float
        n: int
    run = Run(time.time(), 3)
    t1 = task(run.stamp, run.n)
    """
    assert ("JUG102" in {code for _, code in findings(snippet)})


# -- syntax as the running Python sees it ------------------------------------------------

@pytest.mark.parametrize("source, line, message", [
    ("def f(a, b):\n    return a\n\nx = f(a=1, a=2)\n", 4, "keyword argument repeated: a"),
    ("names = ['a']\nlabel = f\"{', '.join(names)}\"\nx = f\"{\", \".join(names)}\"\n", 3,
     None),
    ("return 3\n", 1, "'return' outside function"),
    ("def f():\n    nonlocal x\n", 2, "no binding for nonlocal 'x' found"),
])
def test_what_python_cannot_compile_is_a_syntax_error(source, line, message):
    import sys

    if message is None and sys.version_info >= (3, 12):
        pytest.skip("Python 3.12 accepts nested quotes in f-strings")
    report = lint_source(source, "broken.py")
    assert report.exit_code == 2
    [finding] = report.findings
    assert (finding.line, finding.code) == (line, "JUG001")
    assert finding.message.startswith(f"Python {sys.version_info.major}."
                                      f"{sys.version_info.minor} cannot compile this file: ")
    if message is not None:
        assert finding.message.endswith(message)
    [error] = report.errors
    assert error.caret_display().startswith(f"broken.py:{line}:")


# -- process configuration (JUG204) -------------------------------------------------------

def test_configuration_calls_at_import_time_are_warnings(tmp_path):
    path = project(tmp_path, """\
        import logging
        import matplotlib.pyplot as plt
        import pandas as pd
        import plotting
        from jug import TaskGenerator

        logging.basicConfig(level=logging.INFO)
        pd.options.display.max_rows = 20
        log = logging.getLogger(__name__)

        @TaskGenerator
        def draw(values):
            plt.switch_backend("Agg")    # inside a task: fine
            return values

        def main():
            plt.rcParams.update({"font.size": 8})

        def never_called():
            import locale
            locale.setlocale(locale.LC_ALL, "C")

        main()
        figure = draw([1, 2])
        """, plotting="""\
        import matplotlib
        matplotlib.use("Agg")
        """)
    report = lint_paths([path])
    assert located(report, tmp_path) == [
        ("jugfile.py", 7, "JUG204"), ("jugfile.py", 8, "JUG204"), ("jugfile.py", 17, "JUG204"),
        ("plotting.py", 2, "JUG204")]
    assert report.findings[0].message == (
        "top-level call to logging.basicConfig() configures the process; workers run the "
        "jugfile's top level before tasks (slower start); move it into the tasks that need "
        "it, see docs/manifest.md")
    assert "assignment to pandas.options.display.max_rows" in report.findings[1].message


def test_configuration_calls_in_a_file_that_does_not_use_jug_are_not_reported():
    source = "import logging\nlogging.basicConfig(level=logging.INFO)\n"
    assert lint_source(source, "script.py").findings == ()


def test_the_configuration_list_is_documented_in_the_rule():
    from jug.compiler.lint.rules.process_configuration import (
        PROCESS_CONFIGURATION_ATTRIBUTES, PROCESS_CONFIGURATION_CALLS, ProcessConfiguration)

    doc = ProcessConfiguration.__doc__
    for name in PROCESS_CONFIGURATION_CALLS + PROCESS_CONFIGURATION_ATTRIBUTES:
        assert f"``{name}``" in doc
    assert len(set(PROCESS_CONFIGURATION_CALLS)) == len(PROCESS_CONFIGURATION_CALLS)


def test_loops_that_end_only_at_a_break_or_never():
    snippet = """\
    import random, time
    def forever():
        while True:
            time.sleep(1)
    def until_found(items):
        while True:
            random.seed(1)
            break
        return task(random.random())
    def retry():
        for attempt in range(3):
            if attempt:
                continue
            random.seed(attempt)
        return task(random.random())
    forever()
    retry()              # a seed skipped by `continue` does not count
    until_found([])      # seeds on its only way out
    after = task(random.random())
    """
    assert findings(snippet) == [(15, "JUG101")]
