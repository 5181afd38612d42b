"""Running the tasks of a graph: one worker's loop.

Any number of workers, in any number of processes and hosts, may run
:func:`execute_graph` on the same graph and store at once: a task runs only
under its store lock, and a worker re-checks that the result is absent after
locking, so no task runs twice.  The loop keeps, per task, the number of
unfinished dependencies; finishing a task makes its dependents ready
(Kahn's algorithm), so picking the next task costs O(1) and a whole graph
O(N + E).  When nothing is ready the worker looks at the tasks other workers
hold (or lists the whole store when there are many), reclaims stale locks
(dead holder on this host, or an expired heartbeat) and backs off
exponentially from 10 ms up to a second (or ``wait_cycle_time``); it gives up
after ``wait_cycle_time * nr_wait_cycles`` seconds without progress.  Fast
tasks are claimed and saved in batches on stores where that saves round
trips (Redis).

The graph says *what* depends on what; a ``runner`` says how to compute task
``i`` (from live Task objects of a trace, or from a manifest).
"""

import collections
import dataclasses
import os
import random
import sys
import time

from jug.errors import JugError
from jug.store.base import BUSY, DONE, DamagedResult, exception_line
from jug.hooks import has_hooks, jug_hook



def _log():
    """jug's logger (``--verbose info`` shows its messages); logging is
    imported only when something is logged, to keep start-up short."""
    import logging

    return logging.getLogger("jug")


@dataclasses.dataclass(frozen=True)
class ExecuteOptions:
    """How a worker behaves (the ``jug execute`` options)."""

    wait_cycle_time: float = 12.0
    nr_wait_cycles: int = 150
    keep_going: bool = False
    keep_failed: bool = False
    aggressive_unload: bool = False
    debug: bool = False
    pdb: bool = False
    select: object = None  # callable(name) -> bool, or None for every task


class ExecutionState:
    """Mutable bookkeeping of one ``jug execute`` (across barrier stages).

    ``executed`` and ``loaded`` count tasks per name (run here / found done);
    ``failed`` holds the hashes of tasks that raised here; ``errors`` the
    (task name, hash, formatted traceback) of each."""

    def __init__(self):
        self.executed = collections.Counter()
        self.loaded = collections.Counter()
        self.failed = set()
        self.errors = []
        self.seen_loaded = set()


@dataclasses.dataclass(frozen=True)
class StageOutcome:
    """How :func:`execute_graph` ended."""

    all_finished: bool  # every (selected) task of the graph has a result
    gave_up: bool  # stopped waiting for tasks locked elsewhere or blocked by failures
    failed: bool  # some task raised in this worker


class TaskFailed(JugError):
    """A task raised and ``--keep-going`` was not given."""


class _Heartbeat:
    """Refreshes the leases of the locks a worker holds while its tasks run."""

    def __init__(self, store, period):
        self.store = store
        self.period = period
        self.keys = ()
        self._wake = None
        self._thread = None

    def hold(self, keys):
        self.keys = tuple(keys)
        if self._thread is None:
            import threading  # only once a task runs

            self._wake = threading.Event()
            self._thread = threading.Thread(target=self._loop, name="jug-heartbeat", daemon=True)
            self._thread.start()

    def release(self):
        self.keys = ()

    def _loop(self):
        while True:
            self._wake.wait(self.period)
            keys = self.keys
            if keys:
                try:
                    self.store.heartbeat(keys)
                except Exception as error:  # a missed heartbeat is retried next period
                    _log().warning("jug: could not refresh the locks of %s: %s", keys, error)


# Waiting for tasks held by other workers: poll after 10 ms, then back off
# to at most a second (or --wait-cycle-time if shorter).  With up to
# _WATCH_EACH such tasks, only they are looked at; beyond, the whole store.
_FIRST_BACKOFF = 0.01
_MAX_BACKOFF = 1.0
_WATCH_EACH = 256

# Tasks shorter than this are claimed and saved in batches on stores where a
# batch costs one round trip (Redis): up to _MAX_BATCH at a time.
_FAST_TASK = 0.005
_MAX_BATCH = 64


def execute_graph(graph, runner, store, options, state, heartbeat_period=60.0):
    """Run every runnable task of ``graph`` that nobody else has run.

    ``--wait-cycle-time`` bounds how long the worker sleeps between looks
    at tasks held elsewhere; it gives up after ``wait_cycle_time *
    nr_wait_cycles`` seconds without progress, as jug does.

    The runner (:class:`TraceRunner`, or ``ManifestRunner`` of
    :mod:`jug.compiler.manifest`) knows how to compute a task:
    ``run(i, debug)`` computes task ``i`` (its dependencies are finished),
    ``task(i)`` is the object hooks receive, ``unloaded_dependencies(i)``
    the dependency tasks whose results are not in memory (loaded in one batch
    first) and ``forget_dependencies(i)`` drops them again
    (``--aggressive-unload``)."""
    n = len(graph)
    hashes = graph.hashes
    indptr, indices = graph.dep_indptr, graph.dep_indices
    selected = _selection(graph, options.select)
    finished = bytearray(n)
    failed_here = bytearray(n)
    pending = [0] * n
    for i in range(n):
        pending[i] = indptr[i + 1] - indptr[i]

    ready = collections.deque()

    def mark_finished(i):
        finished[i] = 1
        for dependent in graph.dependents(i):
            pending[dependent] -= 1
            if pending[dependent] == 0 and not finished[dependent]:
                ready.appendleft(dependent)

    def unmark_finished(i):
        finished[i] = 0
        for dependent in graph.dependents(i):
            if not finished[dependent]:
                pending[dependent] += 1
        ready.appendleft(i)

    def note_loaded(i):
        if hashes[i] not in state.seen_loaded:
            state.seen_loaded.add(hashes[i])
            state.loaded[graph.name(i)] += 1

    keys = store.list_keys()
    for i in range(n):
        if hashes[i] in keys:
            note_loaded(i)
            mark_finished(i)
    for i in range(n):
        if pending[i] == 0 and not finished[i]:
            ready.append(i)
    # Start at a different place in the ready list in each worker so that
    # workers do not all contend for the same first tasks.
    if len(ready) > 1:
        ready.rotate(-random.Random(os.getpid() ^ int(time.time() * 1000)).randrange(len(ready)))

    heartbeat = _Heartbeat(store, heartbeat_period)
    blocked = set()
    budget = options.wait_cycle_time * options.nr_wait_cycles
    idle_since = None
    backoff = _FIRST_BACKOFF
    any_failed = False

    batch_size = 1
    batched_store = getattr(store, "batched", False)

    def run_batch(batch):
        """Run claimed tasks ``batch`` one after the other, then save their
        results together; whatever happens, no claimed lock is left behind."""
        nonlocal any_failed
        outputs = []
        unsaved = list(batch)
        heartbeat.hold([hashes[i] for i in batch])
        try:
            for i in batch:
                digest = hashes[i]
                try:
                    task = runner.task(i)
                    jug_hook("execute.task-pre-execute", (task,))
                    _preload(store, runner.unloaded_dependencies(i))
                    outputs.append((i, task, runner.run(i, debug=options.debug)))
                except DamagedResult as error:
                    # a dependency's result was torn or damaged: recompute it first
                    damaged = graph.index_of(error.key)
                    if damaged is None or not finished[damaged]:
                        raise
                    print(f"jug: the result of {graph.name(damaged)} ({error.where}) is "
                          f"damaged ({error.reason}); computing it again", file=sys.stderr)
                    store.remove(error.key)
                    unmark_finished(damaged)  # task i runs again once it is recomputed
                    store.unlock(digest)
                    unsaved.remove(i)
                except Exception as error:
                    any_failed = True
                    failed_here[i] = 1
                    state.failed.add(digest)
                    import traceback

                    text = "".join(traceback.format_exception(type(error), error,
                                                              error.__traceback__))
                    state.errors.append((graph.name(i), digest, text))
                    if options.keep_failed:
                        store.fail(digest, exception_line(error))  # the failed lock stays
                    else:
                        store.unlock(digest)
                    unsaved.remove(i)
                    if options.pdb:
                        _post_mortem(error)
                    message = _failure_message(graph.name(i), digest, text,
                                               bool(graph.dependents(i)))
                    if not options.keep_going:
                        raise TaskFailed(message) from error
                    print(message, file=sys.stderr)
        finally:
            heartbeat.release()
            # save what was computed, even when leaving early (an error, an exit
            # check, SIGTERM); release the locks of what was not
            try:
                if outputs:
                    store.save_and_unlock_many([(hashes[i], result) for i, _, result in outputs])
                    for i, _, _ in outputs:
                        unsaved.remove(i)
            finally:
                for i in unsaved:
                    store.unlock(hashes[i])
        for i, task, _ in outputs:
            state.executed[graph.name(i)] += 1
            mark_finished(i)
            if options.aggressive_unload:
                runner.forget_dependencies(i)
            jug_hook("execute.task-executed1", (task,))

    while True:
        progressed = False
        while ready:
            batch = []
            while ready and len(batch) < batch_size:
                i = ready.popleft()
                if finished[i] or failed_here[i] or pending[i] or not selected[i] or i in batch:
                    continue
                if hashes[i] in state.failed:
                    failed_here[i] = 1
                    continue
                batch.append(i)
            if not batch:
                continue
            claims = store.claim_many([hashes[i] for i in batch])
            claimed = []
            for i, claim in zip(batch, claims):
                if claim == BUSY:
                    blocked.add(i)
                    continue
                blocked.discard(i)
                if claim == DONE:
                    note_loaded(i)
                    mark_finished(i)
                else:
                    claimed.append(i)
                progressed = True
            if not claimed:
                if batched_store:
                    batch_size = min(batch_size * 2, _MAX_BATCH)  # answering costs little
                continue
            started = time.perf_counter()
            run_batch(claimed)
            if batched_store and not has_hooks("execute.task-executed1"):
                per_task = (time.perf_counter() - started) / len(claimed)
                if per_task < _FAST_TASK:
                    batch_size = min(batch_size * 2, _MAX_BATCH)
                else:
                    batch_size = 1

        if progressed:
            idle_since = None
            backoff = _FIRST_BACKOFF
        # Anything left that could still run (here or elsewhere)?
        if not _work_left(graph, finished, failed_here, selected, state):
            return StageOutcome(all_finished=_all_finished(finished, selected),
                                gave_up=False, failed=any_failed)
        # Learn what happened to the tasks others hold.  Every unfinished task
        # we could run waits, directly or not, on one of them (or on a
        # failure), so looking at those few suffices, except when a selection
        # leaves tasks we never try: then list the whole store.
        watched = sorted(blocked)
        if options.select is None and len(watched) <= _WATCH_EACH:
            present = store.exists_many([hashes[i] for i in watched])
            done_elsewhere = [i for i, ok in zip(watched, present) if ok]
        else:
            keys = store.list_keys()
            done_elsewhere = [i for i in range(n) if not finished[i] and hashes[i] in keys]
        for i in done_elsewhere:
            blocked.discard(i)
            note_loaded(i)
            mark_finished(i)
            progressed = True
        if len(blocked) <= _WATCH_EACH:
            locks = {hashes[i]: store.lock_info(hashes[i]) for i in blocked}
        else:
            locks = store.list_locks()
        for i in list(blocked):
            lock = locks.get(hashes[i])
            if lock is None:
                ready.append(i)  # released without a result: try it ourselves
                blocked.discard(i)
            elif lock.failed:
                failed_here[i] = 1
                blocked.discard(i)
            elif lock.is_stale() and store.break_stale_lock(hashes[i]):
                print(f"jug: reclaimed the stale lock of {graph.name(i)} (held by "
                      f"{lock.host or 'an unknown host'} pid {lock.pid})", file=sys.stderr)
                ready.append(i)
                blocked.discard(i)
        if ready or progressed:
            continue
        if not blocked:
            # nothing is running anywhere that we know of: the rest depends on failures
            return StageOutcome(all_finished=_all_finished(finished, selected), gave_up=True,
                                failed=any_failed)
        now = time.monotonic()
        if idle_since is None:
            idle_since = now
        elif now - idle_since >= budget:
            _log().info("No tasks can be run!")
            return StageOutcome(all_finished=False, gave_up=True, failed=any_failed)
        time.sleep(backoff)
        backoff = min(backoff * 1.5, options.wait_cycle_time, _MAX_BACKOFF)
        for i in list(blocked):
            ready.append(i)
        blocked.clear()


def _preload(store, tasks):
    """Load the results of ``tasks`` in one batch (one round trip on Redis,
    instead of one per dependency when the task reads them)."""
    if len(tasks) > 1:
        for task, result in zip(tasks, store.load_many([t.hash() for t in tasks])):
            task._result = result


def _selection(graph, select):
    n = len(graph)
    if select is None:
        return b"\x01" * n
    matches = [select(name) for name in graph.names]
    return bytes(1 if matches[graph.name_ids[i]] else 0 for i in range(n))


def _work_left(graph, finished, failed_here, selected, state):
    """Is there a selected, unfinished task not blocked by a failure?"""
    n = len(graph)
    blocked_by_failure = bytearray(n)
    indptr, indices = graph.dep_indptr, graph.dep_indices
    for i in range(n):
        if failed_here[i]:
            blocked_by_failure[i] = 1
            continue
        for k in range(indptr[i], indptr[i + 1]):
            if blocked_by_failure[indices[k]]:
                blocked_by_failure[i] = 1
                break
    return any(selected[i] and not finished[i] and not blocked_by_failure[i] for i in range(n))


def _all_finished(finished, selected):
    return all(finished[i] for i in range(len(finished)) if selected[i])


def _failure_message(name, digest, text, has_dependents):
    message = f"jug: task {name} (hash {digest}) raised an exception:\n{text.rstrip()}"
    if has_dependents:
        message += "\njug: other tasks depend on this one; they will not run until it succeeds."
    return message


def _post_mortem(error):
    try:
        from IPython.core.debugger import Pdb as debugger_class
    except ImportError:
        from pdb import Pdb as debugger_class
    debugger_class().interaction(None, error.__traceback__)


class TraceRunner:
    """Computes tasks from the live Task objects of a trace."""

    def __init__(self, tasks):
        self.tasks = tasks

    def task(self, i):
        return self.tasks[i]

    def run(self, i, debug=False):
        from jug.task import compute_checked

        task = self.tasks[i]
        if debug:
            result = compute_checked(task.name, task.args, task.kwargs, task.compute)
        else:
            result = task.compute()
        task._result = result
        return result

    def forget_dependencies(self, i):
        for dep in self.tasks[i]._dependencies:
            dep.unload()

    def unloaded_dependencies(self, i):
        return [dep for dep in self.tasks[i]._dependencies if not dep.is_loaded()]
