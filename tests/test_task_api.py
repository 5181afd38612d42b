"""The public task API of the manual, against an in-memory store."""

import functools
import os

import pytest

import jug
from jug import (CachedFunction, CompoundTaskGenerator, Task, TaskGenerator, Tasklet,
                 bvalue, iteratetask, return_tuple, value)
from jug.context import JugContext, using_context
from jug.task import recursive_dependencies


@pytest.fixture
def context():
    from jug.store import open_store

    ctx = JugContext(store=open_store("dict_store"))
    with using_context(ctx):
        yield ctx


def double(x):
    return 2 * x


def add(a, b):
    return a + b


def pair(x):
    return (x, x + 1)


def run_all(ctx):
    for task in ctx.tasks:
        if not task.can_load():
            task.run()


def test_task_runs_and_loads(context):
    t = Task(double, 3)
    assert t.name == f"{__name__}.double"
    assert not t.can_load()
    assert t.run() == 6
    assert t.can_load()
    t.unload()
    assert not t.is_loaded()
    assert t.value() == 6 and t.result == 6


def test_dependencies_through_lists_dicts_and_kwargs(context):
    a, b = Task(double, 1), Task(double, 2)
    c = Task(add, [a, {"k": b}], b=(a,))
    assert list(c.dependencies()) == [a, b]
    a.run()
    b.run()
    assert value({"x": [a, (b,)]}) == {"x": [2, (4,)]}


def test_hash_depends_on_name_arguments_and_keywords(context):
    assert Task(double, 1).hash() == Task(double, 1).hash()
    assert Task(double, 1).hash() != Task(double, 2).hash()
    assert Task(double, 1).hash() != Task(add, 1).hash()
    assert Task(add, a=1, b=2).hash() == Task(add, b=2, a=1).hash()
    assert Task(add, 1, 2).hash() != Task(add, 1, b=2).hash()
    assert len(Task(double, 1).hash()) == 40


def test_lambda_is_rejected(context):
    with pytest.raises(ValueError, match="lambda"):
        Task(lambda x: x, 1)


def test_partial_is_unwrapped(context):
    assert Task(functools.partial(add, 1), 2).hash() == Task(add, 1, 2).hash()


def test_task_generator(context):
    generator = TaskGenerator(double)
    t = generator(4)
    assert isinstance(t, Task) and generator.f is double
    assert t.hash() == Task(double, 4).hash()


def test_a_task_generator_that_made_tasks_still_pickles(context):
    # its first call caches hashers, which cannot be pickled: a jugfile's
    # generators are carried to the workers in the payload
    import pickle

    generator = TaskGenerator(double)
    keys = [generator(i).key for i in (4, 5000, "x")]
    copy = pickle.loads(pickle.dumps(generator))
    assert copy.f is double
    assert [copy(i).key for i in (4, 5000, "x")] == keys
    generator.f = pair  # replaced after the first call: the new function's tasks
    assert generator(5000).key == Task(pair, 5000).key and generator(5000).f is pair


def test_a_list_of_tasks_gives_each_dependency_once_in_order(context):
    # the reduce of a map made just before it needs no set of its tasks:
    # every other list of tasks still gives each of them once
    generator = TaskGenerator(double)
    leaves = [generator(i) for i in range(40)]
    assert list(Task(sum, leaves).dependencies()) == leaves
    assert list(Task(sum, leaves[::-1]).dependencies()) == leaves[::-1]
    assert list(Task(sum, leaves + leaves[:3]).dependencies()) == leaves
    later = [generator(-i) for i in range(1, 40)]
    assert list(Task(sum, (*later[:5], later[0], *later[5:])).dependencies()) == later
    assert list(Task(sum, [*leaves[1:], leaves[0]]).dependencies()) == [*leaves[1:], leaves[0]]
    last = [generator(1000 + i) for i in range(40)]  # the last created, but one twice
    assert list(Task(sum, [*last[:-1], last[0]]).dependencies()) == last[:-1]


def test_tasklets_index_slice_and_chain(context):
    base = Task(pair, 10)
    first = base[0]
    assert isinstance(first, Tasklet)
    consumer = Task(double, first)
    assert list(consumer.dependencies()) == [base]
    run_all(context)
    assert value(first) == 10
    assert value(base[1:]) == (11,)
    assert value(Tasklet(base, lambda v: v[1] * 100)) == 1100
    assert value(base[0:2][1]) == 11
    assert consumer.value() == 20
    assert first.hash() != base[1].hash()
    assert first.hash() == base[0].hash()


def test_indexing_by_a_task(context):
    values = Task(pair, 5)
    index = Task(double, 0)
    item = values[index]
    assert set(item.dependencies()) == {values, index}
    run_all(context)
    assert value(item) == 5


def test_iteration_is_refused_with_a_hint(context):
    with pytest.raises(NotImplementedError, match="iteratetask"):
        a, b = Task(pair, 1)


def test_iteratetask_and_return_tuple(context):
    a, b = iteratetask(Task(pair, 1), 2)
    run_all(context)
    assert (value(a), value(b)) == (1, 2)

    @return_tuple(2)
    @TaskGenerator
    def two(x):
        return (x, -x)

    p, q = two(3)
    run_all(context)
    assert (value(p), value(q)) == (3, -3)

    @return_tuple(3)
    @TaskGenerator
    def wrong(x):
        return (x,)

    wrong(1)
    with pytest.raises(ValueError, match="Expected a tuple of size 3 got 1"):
        run_all(context)


def test_recursive_dependencies_of_a_long_chain_is_iterative(context):
    t = Task(double, 0)
    first = t
    for _ in range(100_000):
        t = Task(double, t)
    deps = list(recursive_dependencies(t))
    assert len(deps) == 100_000 and deps[-1] is first
    assert list(recursive_dependencies(t, max_level=2))[:2] == deps[:2]
    assert len(list(recursive_dependencies(t, max_level=2))) == 2
    assert list(recursive_dependencies(t, max_level=0)) == []


def test_recursive_dependencies_visits_diamonds_once(context):
    root = Task(double, 1)
    left, right = Task(double, root), Task(add, root, 1)
    top = Task(add, left, right)
    assert list(recursive_dependencies(top)) == [left, root, right]


def test_task_lock_fail_invalidate(context):
    t = Task(double, 2)
    assert t.lock() and t.is_locked() and not t.lock()
    assert t.fail() and t.is_failed()
    t.unlock()
    assert not t.is_locked()
    t.run()
    assert t.invalidate() and not t.can_load()


def test_cached_function_runs_once(context, tmp_path):
    marker = tmp_path / "ran"

    def expensive(x):
        with open(marker, "a") as handle:
            handle.write("x")
        return x * 10

    assert CachedFunction(expensive, 4) == 40
    assert CachedFunction(expensive, 4) == 40
    assert marker.read_text() == "x"


def test_compound_task_builds_subgraph_then_stands_alone(context):
    @CompoundTaskGenerator
    def buildup(numbers):
        return Task(sum_all, [Task(double, n) for n in numbers])

    outer = buildup([1, 2, 3])
    assert outer.name == "jug.compound.compound_task_execute"
    run_all(context)
    assert value(outer) == 12
    again = buildup([1, 2, 3])
    assert again.name.endswith("buildup") and again.hash() == outer.hash()
    assert value(again) == 12


def sum_all(values):
    return sum(values)


def test_bvalue_outside_a_trace_needs_results(context):
    from jug.barrier import BarrierError

    t = Task(double, 21)
    with pytest.raises(BarrierError):
        bvalue(t)
    t.run()
    assert bvalue(t) == 42 and bvalue([t, {"a": t}]) == [42, {"a": 42}]


def test_value_leaves_other_objects_alone(context):
    assert value(3) == 3
    assert value({1, 2}) == {1, 2}


def test_is_jug_running_is_false_in_plain_python(context):
    assert not jug.is_jug_running()


def test_mapreduce_family(context):
    from jug import mapreduce

    result = mapreduce.mapreduce(add, double, list(range(20)), map_step=3, reduce_step=2)
    mapped = mapreduce.map(double, list(range(10)), map_step=4)
    curried = mapreduce.currymap(add, [(i, i) for i in range(7)], map_step=3)
    reduced = mapreduce.reduce(add, list(range(9)))
    empty = mapreduce.map(double, [], map_step=4)
    run_all(context)
    assert value(result) == sum(2 * i for i in range(20))
    assert value(mapped) == [2 * i for i in range(10)]
    assert value(mapped[-1]) == 18 and value(mapped[2:9:3]) == [4, 10, 16]
    assert value(curried) == [2 * i for i in range(7)]
    assert value(reduced) == sum(range(9))
    assert value(empty) == []
    assert [t.hash() for t in mapreduce.map(double, [1, 2], map_step=1)] == \
        [Task(double, 1).hash(), Task(double, 2).hash()]


def test_identity_custom_hash_and_timed_path(context, tmp_path):
    from jug.utils import CustomHash, identity, timed_path

    big = list(range(1000))
    token = identity(big)
    assert token.name == "identity"
    calls = []

    def my_hash(obj):
        calls.append(obj)
        return b"fixed"

    wrapped = CustomHash(7, my_hash)
    t = Task(add, wrapped, token[0])
    assert calls == [7]
    run_all(context)
    assert t.value() == 7
    path = tmp_path / "input.txt"
    path.write_text("a")
    first = Task(double, timed_path(str(path))).hash()
    os.utime(path, (1, 1))
    assert Task(double, timed_path(str(path))).hash() != first


def test_no_load_passes_the_wrapper(context):
    from jug.io import NoLoad

    inner = Task(double, 5)
    outer = Task(type_name, NoLoad(inner))
    assert list(outer.dependencies()) == [inner]
    run_all(context)
    assert outer.value() == "NoLoad"


def type_name(x):
    return type(x).__name__


def test_is_jug_running_inside_jug_but_not_after_init(tmp_path, monkeypatch):
    from jugtest import run_jug, write

    write(tmp_path / "jugfile.py", """
        import jug
        with open("running.txt", "w") as out:
            out.write(str(jug.is_jug_running()))
    """)
    run_jug("status", "jugfile.py", cwd=tmp_path, check=0)
    assert (tmp_path / "running.txt").read_text() == "True"
    monkeypatch.chdir(tmp_path)
    jug.init("jugfile.py", "dict_store")
    assert (tmp_path / "running.txt").read_text() == "False"


def test_run_in_debug_mode_catches_a_task_modifying_its_argument(context):
    def sneaky(values):
        values.append(1)
        return len(values)

    with pytest.raises(RuntimeError, match="changed unexpectedly"):
        Task(sneaky, [1, 2]).run(debug_mode=True)
    assert Task(sneaky, [1, 2]).run() == 3


def test_key_is_the_hash_as_str(context):
    t = Task(double, 3)
    assert isinstance(t.hash(), bytes) and t.key == t.hash().decode("ascii")
    old = t.key
    t.name = "renamed.double"
    assert t.key != old and t.key == t.hash().decode("ascii")
    stub = Task._stub(t.key, t.name, context.store)
    assert stub.hash() == t.hash() and stub.key == t.key


def test_describe_names_arguments_and_metadata(context):
    from jug.task import describe

    a = Task(double, 1)
    t = Task(add, [a, {"k": a[0]}], b=(3, "x"))
    a.run()
    meta = context.store.metadata(a.key)
    assert meta["computed"]
    not_run = {"computed": False, "completed": None}
    described_a = {"name": f"{__name__}.double", "args": [1], "meta": meta}
    assert describe(t) == {
        "name": f"{__name__}.add",
        "args": [[described_a, {"k": {"name": "tasklet", "operation": "[0]",
                                      "base": described_a}}]],
        "kwargs": {"b": [3, "x"]},
        "meta": not_run,
    }


def test_describe_of_a_3000_task_chain_is_iterative(context):
    from jug.task import describe

    t = Task(double, 0)
    for _ in range(3000):
        t = Task(double, t)
    description = describe(t)
    depth = 0
    while description["args"] != [0]:
        assert description["name"] == f"{__name__}.double" and not description["meta"]["computed"]
        (description,) = description["args"]
        depth += 1
    assert depth == 3000
