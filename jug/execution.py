"""Running the tasks of a graph: one worker's loop.

Any number of workers, in any number of processes and hosts, may run
:func:`execute_graph` on the same graph and store at once: a task runs only
under its store lock, and a worker re-checks that the result is absent after
locking, so no task runs twice.  Finishing a task makes its dependents ready
(Kahn's algorithm), so picking the next task costs O(1) and a whole graph
O(N + E).  The graph says *what* depends on what; a runner
(:class:`jug.runners.Runner`) says how to compute task ``i``.

State
-----
One :class:`Worker` runs one graph (one barrier stage of ``jug execute``)
and holds all of its mutable state.  Tasks are graph indices ``i``::

    finished    bytearray   1: task i has a result (found in the store or run here)
    failed      bytearray   1: task i raised here or its lock is marked failed;
                            it is not tried again and its dependents cannot run
    pending     list[int]   unfinished dependencies of task i (0: runnable)
    ready       deque       tasks to try next; entries may be stale (finished,
                            failed, unselected, waiting): skipped when taken
    blocked     set[int]    tasks whose lock another worker holds
    selected    bytes       1: task i matches --name/--pattern (all 1 without)
    batch_size  int         tasks claimed at once: 1, doubled up to _MAX_BATCH
                            on batched stores (Redis) while tasks are fast
    idle_since  float|None  monotonic time since which nothing progressed
    backoff     float       the next sleep while waiting for other workers
    any_failed  bool        some task raised in this worker
    observer    Observer    told of each task started, finished, found done
                            elsewhere or failed (progress line, --verbose info)

What lasts across stages (for the final table) is an :class:`ExecutionState`::

    executed     Counter    tasks run here, per name
    loaded       Counter    tasks found finished, per name (each hash once)
    seen_loaded  set[str]   hashes already counted in ``loaded``
    failed       set[str]   hashes of the tasks that raised here
    errors       list       (name, hash, formatted traceback) per failure

Transitions
-----------
:meth:`Worker.run` repeats:

1. :meth:`~Worker.next_batch` takes runnable tasks from ``ready``;
   :meth:`~Worker.claim` locks them in the store (BUSY: ``blocked``; DONE:
   finished elsewhere; claimed: ours) and :meth:`~Worker.run_batch` runs the
   claimed ones and saves their results together; :meth:`~Worker.finish`
   makes dependents ready.
2. When ``ready`` is empty and some selected task is neither finished nor
   blocked by a failure, :meth:`~Worker.poll_held` looks at the tasks others
   hold (or lists the whole store when there are many): done elsewhere,
   released (try it here), failed, or stale (dead holder on this host or an
   expired heartbeat: reclaimed).
3. Still nothing to do: :meth:`~Worker.back_off` sleeps, from 10 ms up to a
   second (or ``wait_cycle_time``), and retries the blocked tasks; the worker
   gives up after ``wait_cycle_time * nr_wait_cycles`` seconds without
   progress, as jug does.
"""

import collections
import dataclasses
import os
import random
import sys
import time

from jug.errors import JugError, ManifestError
from jug.context import current_context
from jug.store.base import BUSY, DONE, DamagedResult, exception_line


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
    """What one ``jug execute`` keeps across barrier stages (fields in the
    module docstring)."""

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


class Observer:
    """What a worker tells as it goes, for progress lines and ``--verbose
    info``; the methods do nothing here (subclasses override what they
    need).  ``i`` is a graph index; they are called in the worker's thread
    and must be quick."""

    def stage(self, graph, done, total):
        """A stage starts: ``done`` of the ``total`` selected tasks of
        ``graph`` are finished already."""

    def started(self, i):
        """Task ``i`` is about to run here."""

    def finished(self, i):
        """Task ``i`` ran here and its result is saved."""

    def found(self, i):
        """Task ``i`` was finished by someone else meanwhile."""

    def failed(self, i):
        """Task ``i`` raised here."""


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


def execute_graph(graph, runner, store, options, state, heartbeat_period=60.0, observer=None):
    """Run every runnable task of ``graph`` that nobody else has run; returns
    a :class:`StageOutcome`.  ``runner`` computes the tasks
    (:class:`jug.runners.Runner`); ``state`` collects counts and failures
    across calls (barrier stages); ``observer`` (an :class:`Observer`) is
    told what happens."""
    return Worker(graph, runner, store, options, state, heartbeat_period, observer).run()


class Worker:
    """The state of one worker on one graph (the layout is in the module
    docstring) and its transitions."""

    def __init__(self, graph, runner, store, options, totals, heartbeat_period=60.0,
                 observer=None):
        self.graph = graph
        self.runner = runner
        self.store = store
        self.options = options
        self.totals = totals
        self.hashes = graph.hashes
        n = len(graph)
        self.finished = bytearray(n)
        self.failed = bytearray(n)
        self.pending = None  # unfinished dependencies per task (start() counts them)
        self.ready = collections.deque()
        self.blocked = set()
        self.selected = _selection(graph, options.select)
        self.batch_size = 1
        self.batched_store = getattr(store, "batched", False)
        self.idle_since = None
        self.backoff = _FIRST_BACKOFF
        self.budget = options.wait_cycle_time * options.nr_wait_cycles
        self.any_failed = False
        self.heartbeat = _Heartbeat(store, heartbeat_period)
        self.hooks = current_context().hooks
        self.observer = observer or Observer()

    # -- the loop -------------------------------------------------------------

    def run(self):
        """Run until nothing is left that this worker could run."""
        self.start()
        while True:
            if self.run_ready():
                self.idle_since = None
                self.backoff = _FIRST_BACKOFF
            if not self.work_left():
                return self.outcome(gave_up=False)
            progressed = self.poll_held()
            if self.ready or progressed:
                continue
            if not self.blocked:
                # nothing is running anywhere that we know of: the rest depends on failures
                return self.outcome(gave_up=True)
            if not self.back_off():
                _log().info("No tasks can be run!")
                return StageOutcome(all_finished=False, gave_up=True, failed=self.any_failed)

    def start(self):
        """Mark what the store already holds finished and fill ``ready``."""
        from jug.graph import dependency_counts, finished_mask, runnable

        keys = self.store.list_keys()
        # whole-graph passes (numpy for a large graph); no hash is read when
        # the store holds no result
        self.finished = finished = finished_mask(self.graph, keys)
        self.pending = dependency_counts(self.graph, finished)
        if keys:
            for i in _set_indices(finished):
                self.note_loaded(i)
        ready = self.ready
        ready.extend(runnable(self.pending, finished))
        selected = self.selected
        done = (finished.count(1) if self.options.select is None
                else sum(1 for i in _set_indices(finished) if selected[i]))
        self.observer.stage(self.graph, done, selected.count(1))
        # Start at a different place in the ready list in each worker so that
        # workers do not all contend for the same first tasks.
        if len(ready) > 1:
            ready.rotate(-random.Random(os.getpid() ^ int(time.time() * 1000)).randrange(len(ready)))

    def run_ready(self):
        """Claim and run batches until ``ready`` is empty; True if anything
        was claimed or found finished."""
        progressed = False
        ready = self.ready
        while ready:
            batch = self.next_batch()
            if not batch:
                continue
            claimed, found = self.claim(batch)
            progressed = progressed or found
            if not claimed:
                if self.batched_store:
                    self.batch_size = min(self.batch_size * 2, _MAX_BATCH)  # answering costs little
                continue
            started = time.perf_counter()
            self.run_batch(claimed)
            if self.batched_store and not self.hooks.has("execute.task-executed1"):
                per_task = (time.perf_counter() - started) / len(claimed)
                if per_task < _FAST_TASK:
                    self.batch_size = min(self.batch_size * 2, _MAX_BATCH)
                else:
                    self.batch_size = 1
        return progressed

    # -- transitions ----------------------------------------------------------

    def finish(self, i):
        """Task ``i`` has a result: its dependents may become ready."""
        self.finished[i] = 1
        pending, finished, ready = self.pending, self.finished, self.ready
        for dependent in self.graph.dependents(i):
            pending[dependent] -= 1
            if pending[dependent] == 0 and not finished[dependent]:
                ready.appendleft(dependent)

    def unfinish(self, i):
        """Task ``i``'s result is gone (damaged): run it again first."""
        self.finished[i] = 0
        for dependent in self.graph.dependents(i):
            if not self.finished[dependent]:
                self.pending[dependent] += 1
        self.ready.appendleft(i)

    def note_loaded(self, i):
        """Count task ``i`` as found finished (once per hash and execute)."""
        digest = self.hashes[i]
        if digest not in self.totals.seen_loaded:
            self.totals.seen_loaded.add(digest)
            self.totals.loaded[self.graph.name(i)] += 1

    def next_batch(self):
        """Up to ``batch_size`` runnable tasks taken from ``ready``."""
        ready, finished, failed, pending = self.ready, self.finished, self.failed, self.pending
        selected, failed_before = self.selected, self.totals.failed
        batch = []
        while ready and len(batch) < self.batch_size:
            i = ready.popleft()
            if finished[i] or failed[i] or pending[i] or not selected[i] or i in batch:
                continue
            if self.hashes[i] in failed_before:
                failed[i] = 1
                continue
            batch.append(i)
        return batch

    def claim(self, batch):
        """Lock ``batch`` in the store: ``(claimed tasks, progressed)``.
        Tasks held elsewhere become ``blocked``; tasks found done, finished."""
        claims = self.store.claim_many([self.hashes[i] for i in batch])
        claimed = []
        progressed = False
        for i, claim in zip(batch, claims):
            if claim == BUSY:
                self.blocked.add(i)
                continue
            self.blocked.discard(i)
            if claim == DONE:
                self.note_loaded(i)
                self.finish(i)
                self.observer.found(i)
            else:
                claimed.append(i)
            progressed = True
        return claimed, progressed

    def run_batch(self, batch):
        """Run claimed tasks ``batch`` one after the other, then save their
        results together; whatever happens, no claimed lock is left behind."""
        hashes, runner, store = self.hashes, self.runner, self.store
        outputs = []
        unsaved = list(batch)
        self.heartbeat.hold([hashes[i] for i in batch])
        try:
            for i in batch:
                try:
                    task = runner.task(i)
                    self.hooks.call("execute.task-pre-execute", (task,))
                    _preload(store, runner.unloaded_dependencies(i))
                    self.observer.started(i)
                    outputs.append((i, task, runner.run(i, debug=self.options.debug)))
                except DamagedResult as error:
                    self.recompute_damaged(i, error)
                    unsaved.remove(i)
                except ManifestError:
                    raise  # a damaged payload chunk: not the task's failure
                except Exception as error:
                    text = self.record_failure(i, error)
                    unsaved.remove(i)
                    self.report_failure(i, error, text)
        finally:
            self.heartbeat.release()
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
            self.totals.executed[self.graph.name(i)] += 1
            self.finish(i)
            self.observer.finished(i)
            if self.options.aggressive_unload:
                runner.forget_dependencies(i)
            self.hooks.call("execute.task-executed1", (task,))

    def recompute_damaged(self, i, error):
        """A dependency of claimed task ``i`` has a torn or damaged result:
        remove it, release ``i`` and compute the dependency again first."""
        damaged = self.graph.index_of(error.key)
        if damaged is None or not self.finished[damaged]:
            raise error
        print(f"jug: the result of {self.graph.name(damaged)} ({error.where}) is "
              f"damaged ({error.reason}); computing it again", file=sys.stderr)
        self.store.remove(error.key)
        self.unfinish(damaged)  # task i runs again once it is recomputed
        self.store.unlock(self.hashes[i])

    def record_failure(self, i, error):
        """Claimed task ``i`` raised: count it and release its lock (or keep
        it, marked failed, with ``--keep-failed``); returns the traceback."""
        digest = self.hashes[i]
        self.any_failed = True
        self.failed[i] = 1
        self.totals.failed.add(digest)
        text = task_traceback(error)
        self.totals.errors.append((self.graph.name(i), digest, text))
        self.observer.failed(i)
        if self.options.keep_failed:
            self.store.fail(digest, exception_line(error))  # the failed lock stays
        else:
            self.store.unlock(digest)
        return text

    def report_failure(self, i, error, text):
        """Say that task ``i`` raised; stop (TaskFailed) unless ``--keep-going``."""
        if self.options.pdb:
            _post_mortem(error)
        message = _failure_message(self.graph.name(i), self.hashes[i], text,
                                   bool(self.graph.dependents(i)))
        if not self.options.keep_going:
            raise TaskFailed(message) from error
        print(message, file=sys.stderr)

    def poll_held(self):
        """Learn what happened to the tasks others hold; True if some were
        found finished.

        Every unfinished task we could run waits, directly or not, on one of
        them (or on a failure), so looking at those few suffices, except when
        a selection leaves tasks we never try: then list the whole store."""
        hashes, blocked = self.hashes, self.blocked
        watched = sorted(blocked)
        if self.options.select is None and len(watched) <= _WATCH_EACH:
            present = self.store.exists_many([hashes[i] for i in watched])
            done_elsewhere = [i for i, ok in zip(watched, present) if ok]
        else:
            keys = self.store.list_keys()
            done_elsewhere = [i for i in range(len(hashes))
                              if not self.finished[i] and hashes[i] in keys]
        for i in done_elsewhere:
            blocked.discard(i)
            self.note_loaded(i)
            self.finish(i)
            self.observer.found(i)
        if len(blocked) <= _WATCH_EACH:
            locks = {hashes[i]: self.store.lock_info(hashes[i]) for i in blocked}
        else:
            locks = self.store.list_locks()
        for i in list(blocked):
            lock = locks.get(hashes[i])
            if lock is None:
                self.ready.append(i)  # released without a result: try it ourselves
                blocked.discard(i)
            elif lock.failed:
                self.failed[i] = 1
                blocked.discard(i)
            elif lock.is_stale(lease=self.store.lease) and self.store.break_stale_lock(hashes[i]):
                print(f"jug: reclaimed the stale lock of {self.graph.name(i)} (held by "
                      f"{lock.host or 'an unknown host'} pid {lock.pid})", file=sys.stderr)
                self.ready.append(i)
                blocked.discard(i)
        return bool(done_elsewhere)

    def back_off(self):
        """Sleep before looking at the blocked tasks again; False once the
        worker has waited ``wait_cycle_time * nr_wait_cycles`` seconds
        without progress."""
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
        elif now - self.idle_since >= self.budget:
            return False
        time.sleep(self.backoff)
        self.backoff = min(self.backoff * 1.5, self.options.wait_cycle_time, _MAX_BACKOFF)
        self.ready.extend(self.blocked)
        self.blocked.clear()
        return True

    # -- questions ------------------------------------------------------------

    def work_left(self):
        """Is there a selected, unfinished task not blocked by a failure?"""
        n = len(self.hashes)
        finished, failed, selected = self.finished, self.failed, self.selected
        blocked_by_failure = bytearray(n)
        indptr, indices = self.graph.dep_indptr, self.graph.dep_indices
        for i in range(n):
            if failed[i]:
                blocked_by_failure[i] = 1
                continue
            for k in range(indptr[i], indptr[i + 1]):
                if blocked_by_failure[indices[k]]:
                    blocked_by_failure[i] = 1
                    break
        return any(selected[i] and not finished[i] and not blocked_by_failure[i]
                   for i in range(n))

    def outcome(self, gave_up):
        finished, selected = self.finished, self.selected
        all_finished = all(finished[i] for i in range(len(finished)) if selected[i])
        return StageOutcome(all_finished=all_finished, gave_up=gave_up, failed=self.any_failed)


def _preload(store, tasks):
    """Load the results of ``tasks`` in one batch (one round trip on Redis,
    instead of one per dependency when the task reads them)."""
    if len(tasks) > 1:
        for task, result in zip(tasks, store.load_many([t.key for t in tasks])):
            task.set_result(result)


def _set_indices(mask):
    """The indices of the non-zero bytes of ``mask``, in order."""
    i = mask.find(1)
    while i != -1:
        yield i
        i = mask.find(1, i + 1)


def _selection(graph, select):
    n = len(graph)
    if select is None:
        return b"\x01" * n
    matches = [select(name) for name in graph.names]
    return bytes(1 if matches[graph.name_ids[i]] else 0 for i in range(n))


def _failure_message(name, digest, text, has_dependents):
    message = f"jug: task {name} (hash {digest}) raised an exception:\n{text.rstrip()}"
    if has_dependents:
        message += "\njug: other tasks depend on this one; they will not run until it succeeds."
    return message


_JUG_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def user_traceback(tb):
    """``tb`` from its first frame outside jug: the task function's (jug's
    own frames above it say nothing about the task)."""
    first = tb
    while first is not None and first.tb_frame.f_code.co_filename.startswith(_JUG_DIR):
        first = first.tb_next
    return first if first is not None else tb


def task_traceback(error):
    """The traceback of a task's exception, from the task function on: the
    jugfile's real path, line and source, as Python prints them."""
    import traceback

    tb = user_traceback(error.__traceback__)
    return "".join(traceback.TracebackException(type(error), error, tb).format())


def post_mortem(tb):
    """Open the debugger (IPython's when installed, else pdb) at the frame
    where ``tb`` ends.  Leaving it with ``q``, ``c`` or the end of the input
    returns here."""
    import bdb

    try:
        from IPython.core.debugger import Pdb as debugger_class
    except ImportError:
        from pdb import Pdb as debugger_class
    debugger = debugger_class()
    debugger.reset()
    try:
        debugger.interaction(None, tb)
    except bdb.BdbQuit:
        pass
    finally:
        sys.settrace(None)


def _post_mortem(error):
    post_mortem(user_traceback(error.__traceback__))
