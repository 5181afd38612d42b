"""The executor (jug.execution) on literal graphs: which tasks run, in which
order relative to each other, and what happens around locks held elsewhere,
stale locks, damaged results, failures and selections.

Graphs are drawn in each test; tasks are computed by a small runner that
sums its dependencies' values (read from the store), so a wrong order or a
skipped dependency shows in the values.  Stores are real: a memory store,
and a file store where the scenario needs a dead process or damaged bytes
on disk.
"""

import hashlib
import subprocess
import sys
import threading
import types

import pytest

from jugtest import jug_env
from jug.execution import ExecuteOptions, ExecutionState, TaskFailed, execute_graph
from jug.graph import TaskGraphBuilder
from jug.runners import ManifestRunner, Runner, TraceRunner
from jug.store.file_store import FileStore
from jug.store.memory_store import MemoryStore

FAST = dict(wait_cycle_time=0.01, nr_wait_cycles=5)


def key(name):
    return hashlib.sha1(name.encode()).hexdigest()


def literal_graph(edges):
    """A graph from ``{task: [dependencies]}`` (in creation order)."""
    builder = TaskGraphBuilder()
    for name, deps in edges.items():
        builder.add(key(name), name, [key(d) for d in deps])
    return builder.build()


class SumRunner:
    """Task ``i`` is worth 1 plus the values of its dependencies, loaded from
    the store; ``fail`` names tasks that raise.  Records the order it ran
    tasks in."""

    def __init__(self, graph, store, fail=()):
        self.graph, self.store, self.fail = graph, store, set(fail)
        self.ran = []

    def task(self, i):
        return types.SimpleNamespace(name=self.graph.name(i))

    def run(self, i, debug=False):
        name = self.graph.name(i)
        inputs = [self.store.load(self.graph.hashes[d]) for d in self.graph.dependencies(i)]
        self.ran.append(name)
        if name in self.fail:
            raise ValueError(f"{name} fails")
        return 1 + sum(inputs)

    def unloaded_dependencies(self, i):
        return []

    def forget_dependencies(self, i):
        pass


def run(graph, store, runner=None, state=None, **options):
    runner = runner or SumRunner(graph, store)
    state = state if state is not None else ExecutionState()
    outcome = execute_graph(graph, runner, store, ExecuteOptions(**{**FAST, **options}), state)
    return outcome, runner, state


def values(store, names):
    return {name: store.load(key(name)) if store.exists(key(name)) else None for name in names}


def test_both_runners_follow_the_protocol():
    assert isinstance(TraceRunner(()), Runner)
    assert isinstance(ManifestRunner(None, None, {}), Runner)
    assert isinstance(SumRunner(None, None), Runner)


def test_every_task_runs_once_after_its_dependencies():
    #   a   b
    #    \ / \
    #     c   d
    #      \ /
    #       e
    graph = literal_graph({"a": [], "b": [], "c": ["a", "b"], "d": ["b"], "e": ["c", "d"]})
    store = MemoryStore()
    outcome, runner, state = run(graph, store)
    assert outcome.all_finished and not outcome.gave_up and not outcome.failed
    assert sorted(runner.ran) == ["a", "b", "c", "d", "e"]
    position = runner.ran.index
    assert position("a") < position("c") and position("b") < position("c") < position("e")
    assert position("b") < position("d") < position("e")
    assert values(store, "abcde") == {"a": 1, "b": 1, "c": 3, "d": 2, "e": 6}
    assert state.executed == {name: 1 for name in "abcde"}


def test_finished_tasks_are_loaded_not_run():
    # a -> b -> c, with a and b already in the store
    graph = literal_graph({"a": [], "b": ["a"], "c": ["b"]})
    store = MemoryStore()
    store.save(key("a"), 10)
    store.save(key("b"), 20)
    outcome, runner, state = run(graph, store)
    assert outcome.all_finished
    assert runner.ran == ["c"] and store.load(key("c")) == 21
    assert state.loaded == {"a": 1, "b": 1} and state.executed == {"c": 1}


def test_a_busy_lock_is_waited_for_then_given_up_on():
    #   a   b (locked by another worker)
    #   |   |
    #   c   d
    graph = literal_graph({"a": [], "b": [], "c": ["a"], "d": ["b"]})
    store = MemoryStore()
    assert store.lock(key("b"))  # held by "another worker" that never finishes
    outcome, runner, _ = run(graph, store)
    assert outcome.gave_up and not outcome.all_finished
    assert sorted(runner.ran) == ["a", "c"]
    assert store.is_locked(key("b")) and not store.exists(key("d"))


def test_a_task_finished_by_another_worker_is_loaded_and_its_dependents_run():
    # a (another worker holds it, then saves it) -> b
    graph = literal_graph({"a": [], "b": ["a"]})
    store = MemoryStore()
    assert store.lock(key("a"))

    def other_worker():
        store.save(key("a"), 41)
        store.unlock(key("a"))

    finisher = threading.Timer(0.2, other_worker)
    finisher.start()
    try:
        outcome, runner, state = run(graph, store, wait_cycle_time=0.05, nr_wait_cycles=100)
    finally:
        finisher.join()
    assert outcome.all_finished
    assert runner.ran == ["b"] and store.load(key("b")) == 42
    assert state.loaded == {"a": 1}


def test_a_released_lock_is_taken_over():
    # a (another worker gives it up without a result) -> b
    graph = literal_graph({"a": [], "b": ["a"]})
    store = MemoryStore()
    assert store.lock(key("a"))
    releaser = threading.Timer(0.2, store.unlock, (key("a"),))
    releaser.start()
    try:
        outcome, runner, _ = run(graph, store, wait_cycle_time=0.05, nr_wait_cycles=100)
    finally:
        releaser.join()
    assert outcome.all_finished and runner.ran == ["a", "b"]


def _lock_in_a_process_that_dies(jugdir, digest):
    script = ("import os, sys; from jug.store.file_store import FileStore; "
              "assert FileStore(sys.argv[1]).lock(sys.argv[2]); os._exit(0)")
    subprocess.run([sys.executable, "-c", script, str(jugdir), digest], env=jug_env(),
                   check=True, timeout=60)


def test_a_stale_lock_is_reclaimed(tmp_path, capfd):
    # a (locked by a process that died) -> b
    graph = literal_graph({"a": [], "b": ["a"]})
    store = FileStore(tmp_path / "jugdata")
    _lock_in_a_process_that_dies(tmp_path / "jugdata", key("a"))
    assert store.is_locked(key("a")) and store.lock_info(key("a")).is_stale()
    outcome, runner, _ = run(graph, store)
    assert outcome.all_finished and runner.ran == ["a", "b"]
    assert "reclaimed the stale lock of a" in capfd.readouterr().err
    assert not store.is_locked(key("a"))


def test_a_damaged_result_is_recomputed(tmp_path, capfd):
    # a -> b; a's result file is damaged before b runs
    graph = literal_graph({"a": [], "b": ["a"]})
    store = FileStore(tmp_path / "jugdata")
    outcome, runner, _ = run(graph, store, select=lambda name: name == "a")
    assert outcome.all_finished and runner.ran == ["a"]
    path = tmp_path / "jugdata" / key("a")[:2] / key("a")[2:]
    path.write_bytes(path.read_bytes()[:-1] + b"X")
    outcome, runner, state = run(graph, store)
    assert outcome.all_finished and runner.ran == ["a", "b"]
    assert "damaged" in capfd.readouterr().err
    assert state.executed == {"a": 1, "b": 1} and store.load(key("b")) == 2


def test_a_failure_stops_the_worker_and_releases_the_lock():
    graph = literal_graph({"a": [], "b": ["a"]})
    store = MemoryStore()
    with pytest.raises(TaskFailed) as raised:
        run(graph, store, runner=SumRunner(graph, store, fail={"a"}))
    assert "task a" in str(raised.value) and "ValueError: a fails" in str(raised.value)
    assert not store.is_locked(key("a")) and not store.exists(key("b"))


def test_an_interruption_between_a_claim_and_its_task_releases_the_lock(monkeypatch):
    """SIGTERM (``jug execute -j``'s stop) or Ctrl-C raised right after the
    worker claimed a batch, before the task's own ``try`` began: the worker
    leaves no lock behind."""
    from jug.execution import Worker

    def interrupted(self, batch):
        raise KeyboardInterrupt

    monkeypatch.setattr(Worker, "run_batch", interrupted)
    graph = literal_graph({"a": [], "b": []})
    store = MemoryStore()
    with pytest.raises(KeyboardInterrupt):
        run(graph, store)
    assert not any(store.is_locked(key(name)) for name in "ab")


def test_keep_going_runs_what_does_not_depend_on_the_failure(capfd):
    #   a (raises)   c
    #   |            |
    #   b            d
    graph = literal_graph({"a": [], "b": ["a"], "c": [], "d": ["c"]})
    store = MemoryStore()
    runner = SumRunner(graph, store, fail={"a"})
    outcome, runner, state = run(graph, store, runner=runner, keep_going=True)
    assert outcome.failed and not outcome.all_finished and not outcome.gave_up
    assert sorted(runner.ran) == ["a", "c", "d"]
    assert [name for name, _, _ in state.errors] == ["a"]
    assert "other tasks depend on this one" in capfd.readouterr().err
    assert not store.is_locked(key("a"))


def test_keep_failed_keeps_the_lock_so_the_next_worker_skips_the_task():
    graph = literal_graph({"a": [], "b": ["a"], "c": []})
    store = MemoryStore()
    run(graph, store, runner=SumRunner(graph, store, fail={"a"}), keep_going=True,
        keep_failed=True)
    assert store.is_failed(key("a"))
    outcome, runner, _ = run(graph, store)  # a second worker, same store
    # it gives up at once: what is left depends on the failure
    assert runner.ran == [] and not outcome.all_finished and outcome.gave_up
    assert store.is_failed(key("a"))


def test_selection_runs_only_the_selected_tasks():
    #   a   c
    #   |   |
    #   b   d
    graph = literal_graph({"a": [], "b": ["a"], "c": [], "d": ["c"]})
    store = MemoryStore()
    outcome, runner, _ = run(graph, store, select=lambda name: name in ("a", "b"))
    assert outcome.all_finished and sorted(runner.ran) == ["a", "b"]
    assert values(store, "abcd") == {"a": 1, "b": 2, "c": None, "d": None}


def test_a_selected_task_whose_dependency_is_not_selected_does_not_run():
    graph = literal_graph({"a": [], "b": ["a"]})
    store = MemoryStore()
    outcome, runner, _ = run(graph, store, select=lambda name: name == "b")
    assert runner.ran == [] and not outcome.all_finished and outcome.gave_up


def test_a_task_that_failed_in_an_earlier_stage_is_not_retried():
    graph = literal_graph({"a": [], "b": []})
    store = MemoryStore()
    state = ExecutionState()  # one `jug execute`, two barrier stages
    run(graph, store, runner=SumRunner(graph, store, fail={"a"}), state=state, keep_going=True)
    outcome, runner, _ = run(graph, store, state=state, keep_going=True)
    assert runner.ran == [] and not outcome.all_finished
    assert not store.exists(key("a")) and not store.is_locked(key("a"))


def test_the_ready_queue_gives_the_runnable_tasks_as_a_rotated_deque_would():
    import collections

    from jug.execution import ReadyQueue

    mask = bytes([0, 1, 1, 0, 1, 0, 0, 1])
    for start in range(len(mask) + 1):
        queue, model = ReadyQueue(mask, start), collections.deque(
            [i for i in range(start, len(mask)) if mask[i]] + [i for i in range(start) if mask[i]])
        queue.append(10)
        model.append(10)
        queue.appendleft(11)
        model.appendleft(11)
        queue.extendleft([13, 12])
        model.extendleft([13, 12])
        taken = []
        assert len(queue) == len(model)
        while queue:
            taken.append(queue.popleft())
            if len(taken) == 2:
                queue.extend([20, 21])
                model.extend([20, 21])
        assert taken == list(model) and len(queue) == 0 and not queue
    with pytest.raises(IndexError):
        ReadyQueue().popleft()
