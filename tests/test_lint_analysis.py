"""The data flow of the lint: sources, propagation, task recognition.

Each test is a small jugfile; ``findings`` returns ``[(line, code)]``.  The
header below is prepended (its 12 lines are not counted: line numbers are
those of the snippet).
"""

import textwrap

import pytest

from jug.compiler.lint import lint_source

HEADER = """\
from jug import Task, TaskGenerator, CachedFunction, mapreduce, barrier, bvalue, value
from jug.utils import identity


@TaskGenerator
def task(x, y=None):
    return x


def plain(x):
    return x
"""
OFFSET = HEADER.count("\n")


def findings(snippet, messages=False):
    report = lint_source(HEADER + textwrap.dedent(snippet), "jugfile.py")
    assert report.errors == ()
    if messages:
        return [(f.line - OFFSET, f.code, f.message) for f in report.findings]
    return [(f.line - OFFSET, f.code) for f in report.findings]


# -- sources and aliases -------------------------------------------------------

@pytest.mark.parametrize("snippet", [
    "import random\nt = task(random.random())\n",
    "from random import random as r\nt = task(r())\n",
    "import random as rnd\nt = task(rnd.choice([1, 2]))\n",
    "import numpy as np\nt = task(np.random.rand(3))\n",
    "from numpy import random as npr\nt = task(npr.normal())\n",
    "import numpy\nt = task(numpy.random.default_rng().integers(5))\n",
    "import random\nt = task(random.Random().random())\n",
    "import os\nt = task(os.urandom(8))\n",
])
def test_unseeded_random_is_caught_through_aliases(snippet):
    assert findings(snippet) == [(2, "JUG101")]


@pytest.mark.parametrize("snippet", [
    "import random\nrandom.seed(1)\nt = task(random.random())\n",
    "import numpy as np\nnp.random.seed(0)\nt = task(np.random.rand(3))\n",
    "import numpy as np\nrng = np.random.default_rng(42)\nt = task(rng.integers(5))\n",
    "import numpy as np\nrng = np.random.default_rng(seed=42)\nt = task(rng.integers(5))\n",
    "import random\ngen = random.Random(3)\nt = task(gen.random())\n",
    "import numpy as np\nbits = np.random.Generator(np.random.PCG64(5))\nt = task(bits.random())\n",
])
def test_seeded_generators_are_fine(snippet):
    assert findings(snippet) == []


def test_seeding_clears_the_unseeded_state_for_later_lines_only():
    snippet = """\
    import random
    early = task(random.random())
    random.seed(7)
    late = task(random.random())
    random.seed()
    again = task(random.random())
    """
    assert findings(snippet) == [(2, "JUG101"), (6, "JUG101")]


def test_seeding_random_does_not_seed_numpy():
    snippet = "import random\nimport numpy as np\nrandom.seed(1)\nt = task(np.random.rand())\n"
    assert findings(snippet) == [(4, "JUG101")]


def test_a_seed_from_the_clock_is_the_clock():
    snippet = "import random, time\nrandom.seed(time.time())\nt = task(random.random())\n"
    assert findings(snippet) == [(3, "JUG102")]


@pytest.mark.parametrize("snippet", [
    "import time\nt = task(time.time())\n",
    "import time\nt = task(time.perf_counter())\n",
    "from time import monotonic\nt = task(monotonic())\n",
    "import datetime\nt = task(datetime.datetime.now())\n",
    "from datetime import datetime\nt = task(datetime.utcnow())\n",
    "from datetime import date\nt = task(date.today())\n",
    "import time\nt = task(time.strftime('%Y'))\n",
])
def test_clock_sources(snippet):
    assert findings(snippet) == [(2, "JUG102")]


def test_clock_with_an_explicit_time_is_fine():
    assert findings("import time\nt = task(time.strftime('%Y', time.gmtime(0)))\n") == []


@pytest.mark.parametrize("snippet", [
    "import uuid\nt = task(uuid.uuid4())\n",
    "import uuid\nt = task(uuid.uuid1().hex)\n",
    "import os\nt = task(os.getpid())\n",
    "name = 'abc'\nt = task(id(name))\n",
    "name = 'abc'\nt = task(hash(name))\n",
    "import tempfile\nt = task(tempfile.mkdtemp())\n",
    "import tempfile\nt = task(tempfile.NamedTemporaryFile().name)\n",
    "import socket\nt = task(socket.gethostname())\n",
])
def test_process_identity_sources(snippet):
    assert findings(snippet) == [(2, "JUG105")]


def test_hash_of_a_number_is_fine():
    assert findings("t = task(hash(3))\n") == []


# -- propagation ---------------------------------------------------------------

def test_flow_through_variables_and_reassignment():
    snippet = """\
    import random
    a = random.random()
    b = a * 2
    c = b
    t1 = task(c)
    c = 3
    t2 = task(c)
    """
    assert findings(snippet) == [(5, "JUG101")]


def test_flow_through_containers():
    snippet = """\
    import time
    now = time.time()
    t1 = task([1, now])
    t2 = task({"when": now})
    t3 = task((now,))
    t4 = task({now})
    t5 = task(f"run-{now}")
    config = {"a": [1, 2, {"b": now}]}
    t6 = task(config["a"])
    """
    assert [line for line, _ in findings(snippet)] == [3, 4, 5, 6, 7, 9]


def test_flow_through_comprehensions():
    snippet = """\
    import random
    values = [random.random() for _ in range(3)]
    t1 = [task(v) for v in values]
    t2 = task({k: v for k, v in zip("abc", values)})
    t3 = task(sorted(v for v in values if v > 0))
    """
    assert findings(snippet) == [(3, "JUG101"), (4, "JUG101"), (5, "JUG101")]


def test_flow_through_keyword_arguments_names_the_parameter():
    snippet = """\
    import time
    t = task(1, y=time.time())
    """
    [(line, code, message)] = findings(snippet, messages=True)
    assert (line, code) == (2, "JUG102")
    assert "argument `y` of task `task`" in message


def test_flow_through_star_arguments():
    snippet = """\
    import time
    args = [time.time()]
    kwargs = {"y": time.time()}
    t1 = task(*args)
    t2 = task(1, **kwargs)
    """
    assert findings(snippet) == [(4, "JUG102"), (5, "JUG102")]


def test_flow_through_walrus_and_with():
    snippet = """\
    import time, tempfile
    t1 = task((now := time.time()))
    t2 = task(now)
    with tempfile.TemporaryDirectory() as scratch:
        t3 = task(scratch)
    """
    assert findings(snippet) == [(2, "JUG102"), (3, "JUG102"), (5, "JUG105")]


def test_if_else_keeps_the_facts_of_both_branches():
    snippet = """\
    import time
    if len("x") > 3:
        seed = time.time()
    else:
        seed = 1
    t = task(seed)
    """
    assert findings(snippet) == [(6, "JUG102")]


def test_an_if_without_else_may_not_run():
    snippet = """\
    import time
    seed = time.time()
    if len("x") > 3:
        seed = 1
    t = task(seed)
    """
    assert findings(snippet) == [(5, "JUG102")]


def test_while_try_and_with_blocks_are_walked():
    snippet = """\
    import time
    while False:
        t1 = task(time.time())
    try:
        t2 = task(time.time())
    except ValueError:
        t3 = task(time.time())
    finally:
        t4 = task(time.time())
    """
    assert [line for line, _ in findings(snippet)] == [3, 5, 7, 9]


def test_a_task_result_is_deterministic():
    snippet = """\
    import random
    first = task(random.random())
    second = task(first)
    third = task(value(first))
    """
    assert findings(snippet) == [(2, "JUG101")]


def test_values_that_never_reach_a_task_are_fine():
    snippet = """\
    import random, time
    started = time.time()
    print(random.random(), time.time() - started)
    t = task(42)
    """
    assert findings(snippet) == []


# -- order -----------------------------------------------------------------------

def test_sorted_clears_order_but_not_value():
    snippet = """\
    import glob, random
    files = sorted(glob.glob("*.txt"))
    t1 = task(files)
    numbers = sorted([random.random(), 1])
    t2 = task(numbers)
    """
    assert findings(snippet) == [(5, "JUG101")]


def test_one_task_per_file_is_fine_but_the_list_of_tasks_is_ordered():
    snippet = """\
    from glob import glob
    per_file = [task(f) for f in glob("*.txt")]
    total = task(per_file)
    ok = task(sorted(glob("*.txt")))
    """
    assert findings(snippet) == [(3, "JUG103")]


def test_enumerate_index_depends_on_order_the_item_does_not():
    snippet = """\
    import os
    for i, name in enumerate(os.listdir(".")):
        task(name)
        task(i)
    """
    assert findings(snippet) == [(4, "JUG103")]


def test_join_index_and_loop_accumulation_fix_the_order():
    snippet = """\
    import os
    from pathlib import Path
    t1 = task(" ".join(os.listdir(".")))
    t2 = task(os.listdir(".")[0])
    found = []
    for p in Path(".").rglob("*.py"):
        found.append(p)
    t3 = task(found)
    count = task(len(os.listdir(".")))
    """
    assert findings(snippet) == [(3, "JUG103"), (4, "JUG103"), (8, "JUG103")]


def test_sort_in_place_clears_the_order():
    snippet = """\
    from glob import glob
    files = glob("*.txt")
    files.sort()
    t = task(files)
    """
    assert findings(snippet) == []


def test_cached_glob_and_cached_function_results_are_fine():
    snippet = """\
    from glob import glob
    from jug.utils import cached_glob
    t1 = task(cached_glob("*.txt"))
    files = CachedFunction(glob, "*.txt")
    t2 = task(files)
    """
    assert findings(snippet) == []


def test_a_set_may_be_passed_but_not_iterated():
    snippet = """\
    names = {"b", "a"}
    t1 = task(names)
    t2 = task(frozenset(names))
    t3 = task(list(names))
    t4 = task(",".join(names))
    t5 = task([n.upper() for n in names])
    t6 = task(sorted(names))
    per_name = [task(n) for n in names]
    t7 = task(tuple({n for n in "abc"}))
    t8 = task(list({1, 2, 3}))
    """
    assert findings(snippet) == [(4, "JUG104"), (5, "JUG104"), (6, "JUG104"), (9, "JUG104")]


def test_a_dict_built_in_listing_order_may_be_passed_but_not_listed():
    snippet = """\
    import os
    sizes = {name: len(name) for name in os.listdir(".")}
    t1 = task(sizes)
    t2 = task(list(sizes.values()))
    """
    assert findings(snippet) == [(4, "JUG103")]


def test_random_shuffle_of_a_list_makes_its_order_random():
    snippet = """\
    import random
    order = [1, 2, 3]
    random.shuffle(order)
    t1 = task(order)
    t2 = task(sorted(order))
    """
    assert findings(snippet) == [(4, "JUG101")]


# -- task creation --------------------------------------------------------------

def test_task_forms_are_recognised():
    snippet = """\
    import time
    import jug
    import jug.mapreduce
    from jug import mapreduce as mr
    from jug.mapreduce import currymap
    now = time.time()
    wrapped = TaskGenerator(plain)
    t1 = Task(plain, now)
    t2 = wrapped(now)
    t3 = TaskGenerator(plain)(now)
    t4 = CachedFunction(plain, now)
    t5 = jug.mapreduce.map(plain, [now])
    t6 = mr.mapreduce(max, plain, [now])
    t7 = currymap(plain, [(now,)])
    t8 = identity(now)
    t9 = jug.Task(plain, now)
    not_a_task = plain(now)
    """
    lines = [line for line, code in findings(snippet)]
    assert lines == list(range(8, 17))


def test_mapreduce_map_chunks_its_sequence_so_order_matters():
    snippet = """\
    from glob import glob
    from jug import mapreduce
    names = {"a", "b"}
    m1 = mapreduce.map(plain, glob("*.txt"), map_step=4)
    m2 = mapreduce.map(plain, sorted(glob("*.txt")), map_step=4)
    m3 = mapreduce.map(plain, names)
    m4 = mapreduce.mapreduce(max, plain, inputs=glob("*.txt"))
    """
    result = findings(snippet, messages=True)
    assert [(line, code) for line, code, _ in result] == [
        (4, "JUG103"), (6, "JUG104"), (7, "JUG103")]
    assert "argument `sequence` (mapreduce.map) of task `plain`" in result[0][2]
    assert "argument `inputs` (mapreduce.mapreduce) of task `plain`" in result[2][2]


def test_task_generator_rebinding_is_followed_in_order():
    snippet = """\
    import time
    def step(x):
        return x
    before = step(time.time())
    step = TaskGenerator(step)
    after = step(time.time())
    """
    result = findings(snippet, messages=True)
    assert [(line, code) for line, code, _ in result] == [(6, "JUG102")]
    assert "argument `x` of task `step`" in result[0][2]


def test_tasks_created_inside_a_task_function_are_a_warning():
    snippet = """\
    from jug import CompoundTaskGenerator
    @TaskGenerator
    def outer(x):
        inner = task(x)
        return Task(plain, inner)

    @CompoundTaskGenerator
    def compound(x):
        return task(x)

    def helper(x):
        return task(x)

    def shadowed(task):
        return task(1)
    shadowed = TaskGenerator(shadowed)
    """
    assert findings(snippet) == [(4, "JUG201"), (5, "JUG201")]


def test_lambda_task_functions_are_a_warning():
    snippet = """\
    square = lambda v: v * v
    t1 = Task(square, 3)
    t2 = TaskGenerator(lambda v: v)(3)
    t3 = mapreduce.mapreduce(lambda a, b: a + b, plain, [1, 2])
    t4 = Task(plain, key=lambda v: v)
    """
    assert findings(snippet) == [(2, "JUG202"), (3, "JUG202"), (4, "JUG202")]


def test_pickled_arguments_are_a_warning():
    snippet = """\
    import pathlib, datetime, collections
    import numpy as np
    import pandas as pd

    class Local:
        pass

    class Hashable:
        def __jug_hash__(self):
            return b"x"

    frame = pd.DataFrame({"a": [1]})
    t1 = task(frame)
    t2 = task([Local()])
    t3 = task(Hashable())
    t4 = task(pathlib.Path("x"), datetime.date(2024, 1, 1))
    t5 = task(np.zeros(3), collections.OrderedDict(a=1))
    t6 = task(frame.shape)
    """
    assert findings(snippet) == [(13, "JUG203"), (14, "JUG203")]


def test_the_lint_never_runs_the_jugfile(tmp_path):
    marker = tmp_path / "ran"
    source = f"open({str(marker)!r}, 'w').write('x')\nraise SystemExit(3)\n"
    assert lint_source(source).findings == ()
    assert not marker.exists()


# -- positions --------------------------------------------------------------------

def test_columns_count_characters_not_bytes():
    """ast gives UTF-8 byte offsets; findings give 1-based character columns."""
    source = ("import time\nfrom jug import TaskGenerator\n\n@TaskGenerator\ndef f(a, b):\n"
              "    return a\n\nx = f('\u00e9t\u00e9 \u2603', time.time())\n")
    [finding] = lint_source(source).findings
    assert (finding.line, finding.column) == (8, 16)
    assert source.splitlines()[7][finding.column - 1:].startswith("time.time()")


def test_star_imports_are_resolved_by_name():
    source = ("from jug import *\nfrom random import *\n\n@TaskGenerator\ndef f(x):\n"
              "    return x\n\ny = f(random())\n")
    assert [(f.line, f.code) for f in lint_source(source).findings] == [(8, "JUG101")]


def test_shuffle_through_an_alias_and_an_unseeded_generator():
    snippet = """\
    from random import shuffle as mix
    import numpy as np
    a = [1, 2]
    mix(a)
    b = [1, 2]
    np.random.default_rng().shuffle(b)
    rng = np.random.default_rng()
    c = [1, 2]
    rng.shuffle(c)
    t = task(a, b)
    u = task(c)
    """
    assert findings(snippet) == [(10, "JUG101"), (10, "JUG101"), (11, "JUG101")]


def test_a_dict_built_in_listing_order_can_be_indexed_by_key():
    snippet = """\
    import os
    sizes = {name: len(name) for name in os.listdir(".")}
    t1 = task(sizes["a.txt"])
    t2 = task(sizes.pop("a.txt"))
    t3 = task({"a", "b"}.pop())
    """
    assert findings(snippet) == [(5, "JUG104")]


def test_bodies_starting_with_a_decorated_definition_are_skipped_cleanly():
    source = textwrap.dedent("""\
        import time
        from jug import TaskGenerator

        class Loader:
            @classmethod
            def make(cls):
                return cls()

        def helper():
            @staticmethod
            def inner():
                return 1
            return inner

        @TaskGenerator
        def f(x): return x

        t = f(time.time())
        """)
    report = lint_source(source)
    assert report.errors == ()
    assert [(f.line, f.code) for f in report.findings] == [(18, "JUG102")]


def test_a_too_deeply_nested_expression_is_reported_not_raised():
    source = "x = " + " + ".join(["1"] * 5000) + "\n"
    report = lint_source(source, "deep.py")
    assert report.findings == ()
    assert [e.message for e in report.errors] == [
        "an expression is too deeply nested for jug lint to analyse"]
    assert report.exit_code == 2
