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
    durations   dict        name id -> seconds a task of that name takes here
                            (rises at once with a slow task, falls slowly)
    held        set[int]    tasks whose lock this worker holds (claimed, not yet
                            saved or released); their leases are refreshed
    recomputed  Counter     task i -> times its damaged or vanished result was
                            recomputed here (twice at most)
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
   claimed ones, saving each result as its task finishes;
   :meth:`~Worker.finish` makes dependents ready.
2. When ``ready`` is empty and some selected task is neither finished nor
   blocked by a failure, :meth:`~Worker.poll_held` looks at the tasks others
   hold (or lists the whole store when there are many): done elsewhere,
   released (try it here), failed, or stale (dead holder on this host, an
   unreadable lock past its grace, or an expired lease: reclaimed).
3. Still nothing to do: :meth:`~Worker.back_off` sleeps, from 10 ms up to a
   second (or ``wait_cycle_time``), and retries the blocked tasks; the worker
   gives up after ``wait_cycle_time * nr_wait_cycles`` seconds without
   progress, as jug does.  Nothing held anywhere and still tasks that cannot
   run: either they wait on failures, or on tasks not selected, or the graph
   has a cycle (a :class:`GraphError` naming it).

Batches
-------
On stores where a claim or a save costs a round trip (Redis,
``store.batched``), tasks are claimed several at a time, but only tasks whose
name has been measured here to take under :data:`_FAST_TASK`; a name not yet
measured, or slow, is claimed alone.  A batch holds at most
:data:`_BATCH_BUDGET` seconds of measured work, and when one of its tasks
overruns (:data:`_PATIENCE` times its name's time, and at least the budget),
the tasks of the batch not yet started are given back at once
(:class:`_BatchWatch`), so that no task waits behind a slow one while other
workers could run it.  Results are saved as each task finishes, from a thread
(:class:`_ResultWriter`) that sends whatever has finished meanwhile in one
round trip while the worker goes on: a worker killed at any moment loses at
most the task it was running and the results of the last round trip.
"""

import collections
import dataclasses
import os
import random
import sys
import threading
import time

from jug.errors import (CorruptResult, GraphError, JugError, ManifestError, ResultMissing,
                        ResultNotSaved)
from jug.context import current_context
from jug.store.base import BUSY, DONE, exception_line


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
        """Task ``i`` ran here and its result is saved (on stores saving in
        the background: handed to the writer, saved within a round trip)."""

    def found(self, i):
        """Task ``i`` was finished by someone else meanwhile."""

    def failed(self, i):
        """Task ``i`` raised here."""


class TaskFailed(JugError):
    """A task raised and ``--keep-going`` was not given."""


class _Heartbeat:
    """Refreshes the leases of the locks a worker holds while its tasks run
    (``keys()`` says which, from the worker's thread-safe ``held`` set)."""

    def __init__(self, store, period, keys):
        self.store = store
        self.period = period
        self.keys = keys
        self._thread = None

    def start(self):
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="jug-heartbeat", daemon=True)
            self._thread.start()

    def _loop(self):
        while True:
            time.sleep(self.period)
            keys = self.keys()
            if keys:
                try:
                    self.store.heartbeat(keys)
                except Exception as error:  # a missed heartbeat is retried next period
                    _log().warning("jug: could not refresh the locks of %s: %s", keys, error)


class _ResultWriter:
    """Saves results from a thread, for stores where a save is a round trip:
    each result is sent as soon as its task finishes, with the others that
    finished meanwhile, while the worker computes the next task.  ``saved``
    is called (in the writer's thread) with the keys of each round trip."""

    def __init__(self, store, saved):
        self.store = store
        self.saved = saved
        self._cond = threading.Condition()
        self._queue = []
        self._busy = False
        self._in_flight = 0  # results of the round trip under way
        self._error = None
        self._thread = None

    def put(self, key, encoded):
        """Queue a result; raises (before queuing it) what went wrong with
        an earlier one.  Waits while :data:`_MAX_UNSAVED` results are queued
        or on their way: a worker computing faster than its saves travel (a
        loaded machine, a slow server) must not pile up finished work that a
        crash would lose."""
        with self._cond:
            self._raise_error()
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="jug-writer", daemon=True)
                self._thread.start()
            while len(self._queue) + self._in_flight >= _MAX_UNSAVED and self._error is None:
                self._cond.wait()
            self._raise_error()
            self._queue.append((key, encoded))
            self._cond.notify_all()

    def flush(self):
        """Wait until every result put is saved; raise what went wrong."""
        with self._cond:
            while self._queue or self._busy:
                self._cond.wait()
            self._raise_error()

    def _raise_error(self):
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _loop(self):
        while True:
            with self._cond:
                while not self._queue:
                    self._cond.wait()
                items, self._queue = self._queue, []
                self._busy = True
                self._in_flight = len(items)
            try:
                self.store.save_and_unlock_many(items)
                self.saved([key for key, _ in items])
            except BaseException as error:  # handed to the worker at its next put or flush
                with self._cond:
                    self._error = error
            finally:
                with self._cond:
                    self._busy = False
                    self._in_flight = 0
                    self._cond.notify_all()


class _BatchWatch:
    """Gives back the tasks of a claimed batch that have not started when
    the running one takes longer than its patience, so that other workers
    can take them.  One thread per worker, started with the first batch."""

    def __init__(self, store):
        self.store = store
        self._cond = threading.Condition()
        self._waiting = {}  # key -> None, in batch order
        self._given_back = []
        self._deadline = None
        self._unlocking = False
        self._thread = None

    def begin(self, keys):
        with self._cond:
            self._waiting = dict.fromkeys(keys)
            self._given_back = []
            self._deadline = None
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="jug-batch", daemon=True)
                self._thread.start()

    def take(self, key, patience):
        """Start task ``key`` of the batch: False if it was given back."""
        with self._cond:
            if key not in self._waiting:
                return False
            del self._waiting[key]
            self._deadline = time.monotonic() + patience if self._waiting else None
            self._cond.notify_all()
            return True

    def end(self):
        """The batch is over: the keys given back (their locks released)."""
        with self._cond:
            self._waiting = {}
            self._deadline = None
            while self._unlocking:
                self._cond.wait()
            return self._given_back

    def _loop(self):
        with self._cond:
            while True:
                if self._deadline is None:
                    self._cond.wait()
                    continue
                remaining = self._deadline - time.monotonic()
                if remaining > 0:
                    self._cond.wait(remaining)
                    continue
                keys = list(self._waiting)
                self._waiting = {}
                self._deadline = None
                self._given_back.extend(keys)
                self._unlocking = True
                self._cond.release()
                try:
                    for key in keys:
                        self.store.unlock(key)
                except Exception as error:  # the lock then expires with its lease
                    _log().warning("jug: could not give back the locks of %s: %s", keys, error)
                finally:
                    self._cond.acquire()
                    self._unlocking = False
                    self._cond.notify_all()


# Waiting for tasks held by other workers: poll after 10 ms, then back off
# to at most a second (or --wait-cycle-time if shorter).  With up to
# _WATCH_EACH such tasks, only they are looked at; beyond, the whole store.
_FIRST_BACKOFF = 0.01
_MAX_BACKOFF = 1.0
_WATCH_EACH = 256

# Batches on stores where a round trip costs (Redis): only names measured
# faster than _FAST_TASK, at most _MAX_BATCH tasks and _BATCH_BUDGET seconds of
# measured work; a task running _PATIENCE times longer than measured (and
# longer than the budget) makes the rest of its batch go back.
_FAST_TASK = 0.005
_MAX_BATCH = 64
#: results a worker may have finished and not yet saved (queued for the
#: writer or on their way); what a kill -9 can lose, besides the task running
_MAX_UNSAVED = 32
_BATCH_BUDGET = 0.05
_PATIENCE = 10.0
# How a name's measured time follows its tasks: at once upwards, slowly down.
_DECAY = 0.7

# A damaged or vanished result is recomputed at most this often per worker;
# then the task that needs it fails (its class may not load here, say).
_RECOMPUTE_LIMIT = 2


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
        self.ready = ReadyQueue()
        self.blocked = set()
        self.selected = _selection(graph, options.select)
        self.durations = {}
        self.held = set()
        self._held_mutex = threading.Lock()
        self.recomputed = collections.Counter()
        self.batched_store = getattr(store, "batched", False)
        self.idle_since = None
        self.backoff = _FIRST_BACKOFF
        self.budget = options.wait_cycle_time * options.nr_wait_cycles
        self.any_failed = False
        # refresh well within the lease, however short it was set
        period = min(heartbeat_period, max(0.05, getattr(store, "lease", 900.0) / 4))
        self.heartbeat = _Heartbeat(store, period, self.held_keys)
        self.writer = _ResultWriter(store, self.saved) if self.batched_store else None
        self.watch = _BatchWatch(store) if self.batched_store else None
        self.hooks = current_context().hooks
        self.observer = observer or Observer()

    # -- the loop -------------------------------------------------------------

    def run(self):
        """Run until nothing is left that this worker could run."""
        try:
            outcome = self._loop()
        except BaseException:
            self.drain(quietly=True)
            self.release_all_held()
            raise
        self.drain()
        return outcome

    def _loop(self):
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
                # nothing is running anywhere that we know of: the rest depends on
                # failures, on tasks not selected, or on a cycle
                self.check_for_cycle()
                return self.outcome(gave_up=True)
            if not self.back_off():
                _log().info("No tasks can be run!")
                return StageOutcome(all_finished=False, gave_up=True, failed=self.any_failed)

    def drain(self, quietly=False):
        """Wait for the results being saved in the background."""
        if self.writer is None:
            return
        try:
            self.writer.flush()
        except Exception as error:
            if not quietly:
                raise
            print(f"jug: {error}", file=sys.stderr)

    def start(self):
        """Mark what the store already holds finished and fill ``ready``."""
        from jug.graph import dependency_counts, runnable_mask

        keys = self.store.list_keys()
        # whole-graph passes (numpy for a large graph); the hashes of the
        # listed keys are looked up in the manifest's hash index (a few of its
        # buckets), so a worker reads the hashes of the tasks it runs only
        found = self.graph.indices_of(keys) if keys else {}
        self.finished = finished = bytearray(len(self.graph))
        for i in found.values():
            finished[i] = 1
        self.pending = dependency_counts(self.graph, finished, any_finished=bool(found))
        for digest, i in sorted(found.items(), key=lambda item: item[1]):
            self.note_loaded(i, digest)
        # Start at a different place in each worker so that workers do not all
        # contend for the same first tasks; the runnable tasks are found as
        # they are taken (a mask), not listed (a million of them at start).
        start = random.Random(os.getpid() ^ int(time.time() * 1000)).randrange(max(1, len(finished)))
        self.ready = ReadyQueue(runnable_mask(self.pending, finished), start)
        selected = self.selected
        done = (len(found) if self.options.select is None
                else sum(1 for i in found.values() if selected[i]))
        self.observer.stage(self.graph, done, selected.count(1))

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
            if claimed:
                self.run_batch(claimed)
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
        """Task ``i``'s result is gone (damaged, removed): run it again first."""
        self.finished[i] = 0
        for dependent in self.graph.dependents(i):
            if not self.finished[dependent]:
                self.pending[dependent] += 1
        self.ready.appendleft(i)

    def note_loaded(self, i, digest=None):
        """Count task ``i`` as found finished (once per hash and execute)."""
        digest = digest or self.hashes[i]
        if digest not in self.totals.seen_loaded:
            self.totals.seen_loaded.add(digest)
            self.totals.loaded[self.graph.name(i)] += 1

    def estimate(self, i):
        """Seconds a task of ``i``'s name has taken here (None: not measured)."""
        return self.durations.get(self.graph.name_ids[i])

    def measure(self, i, seconds):
        name_id = self.graph.name_ids[i]
        before = self.durations.get(name_id)
        if before is None or seconds > before:
            self.durations[name_id] = seconds
        else:
            self.durations[name_id] = _DECAY * before + (1 - _DECAY) * seconds

    def batchable(self, i):
        """May ``i`` be claimed with others?  Only on batched stores, for a
        name measured fast, and when no hook must run between tasks."""
        estimate = self.estimate(i)
        return (self.batched_store and estimate is not None and estimate < _FAST_TASK
                and not self.hooks.has("execute.task-executed1"))

    def next_batch(self):
        """Runnable tasks taken from ``ready``: one, or on batched stores
        several tasks of names measured fast, up to :data:`_MAX_BATCH` and
        :data:`_BATCH_BUDGET` seconds of measured work."""
        ready, finished, failed, pending = self.ready, self.finished, self.failed, self.pending
        selected, failed_before = self.selected, self.totals.failed
        batch = []
        chosen = set()
        planned = 0.0
        while ready and len(batch) < _MAX_BATCH:
            i = ready.popleft()
            if finished[i] or failed[i] or pending[i] or not selected[i] or i in chosen:
                continue
            if self.hashes[i] in failed_before:
                failed[i] = 1
                continue
            fast = self.batchable(i)
            if batch and not fast:
                ready.appendleft(i)  # a slow or new name goes alone, next
                break
            batch.append(i)
            chosen.add(i)
            if not fast:
                break
            planned += self.estimate(i)
            if planned >= _BATCH_BUDGET:
                break
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
        if claimed:
            self.hold(claimed)
        return claimed, progressed

    # -- held locks -------------------------------------------------------------

    def hold(self, tasks):
        with self._held_mutex:
            self.held.update(tasks)
        self.heartbeat.start()

    def held_keys(self):
        """The hashes of the locks this worker holds (any thread)."""
        with self._held_mutex:
            return [self.hashes[i] for i in self.held]

    def saved(self, keys):
        """The results (and locks) of ``keys`` are in the store (any thread)."""
        keys = set(keys)
        hashes = self.hashes  # of the held tasks only: a large graph's hashes are read in chunks
        with self._held_mutex:
            self.held.difference_update([i for i in self.held if hashes[i] in keys])

    def release(self, i):
        """Give back the lock of claimed task ``i`` without a result."""
        with self._held_mutex:
            self.held.discard(i)
        self.store.unlock(self.hashes[i])

    def release_all_held(self):
        """Give back every lock still held while an exception leaves the
        worker: a SIGTERM or Ctrl-C can arrive between a claim and the
        ``try`` of the task that releases it."""
        with self._held_mutex:
            left = list(self.held)
        for i in left:
            self.release_quietly(i)

    def release_quietly(self, i):
        """:meth:`release` while another exception is on its way out."""
        try:
            self.release(i)
        except Exception as error:  # the lock goes stale when this process ends
            print(f"jug: could not release the lock of {self.graph.name(i)}: {error}",
                  file=sys.stderr)

    # -- running ----------------------------------------------------------------

    def run_batch(self, batch):
        """Run claimed tasks ``batch`` one after the other, saving each
        result as its task finishes; whatever happens, no claimed lock is
        left behind (the tasks not started go back to ``ready``)."""
        hashes = self.hashes
        watch = self.watch if len(batch) > 1 else None
        if watch is not None:
            watch.begin([hashes[i] for i in batch])
        unstarted = collections.deque(batch)
        try:
            while unstarted:
                i = unstarted[0]
                if watch is not None and not watch.take(hashes[i], self.patience(i)):
                    break  # given back while the previous task ran long
                unstarted.popleft()
                self.run_task(i)
        finally:
            given_back = set(watch.end()) if watch is not None else set()
            for i in unstarted:
                if hashes[i] in given_back:
                    with self._held_mutex:
                        self.held.discard(i)
                else:
                    self.release(i)
            self.ready.extendleft(reversed(unstarted))

    def patience(self, i):
        """How long task ``i`` may run before the rest of its batch goes back."""
        return max(_PATIENCE * (self.estimate(i) or 0.0), _BATCH_BUDGET)

    def run_task(self, i):
        """Run claimed task ``i`` and save its result (or record its failure);
        leaving early (an exit check, SIGTERM, Ctrl-C) releases its lock."""
        runner, options = self.runner, self.options
        started = time.perf_counter()
        try:
            task = runner.task(i)
            self.hooks.call("execute.task-pre-execute", (task,))
            _preload(self.store, runner.unloaded_dependencies(i))
            self.observer.started(i)
            result = runner.run(i, debug=options.debug)
        except (CorruptResult, ResultMissing) as error:
            if not self.recompute_damaged(i, error):
                self.fail(i, self.unusable_input(i, error))
            return
        except ManifestError:
            self.release_quietly(i)
            raise  # a damaged payload chunk: not the task's failure
        except Exception as error:
            self.fail(i, error)
            return
        except BaseException:
            self.release_quietly(i)
            raise
        self.measure(i, time.perf_counter() - started)
        try:
            self.save(i, result)
        except ResultNotSaved as error:
            self.fail(i, error, traceback=False)
            return
        except BaseException:
            self.release_quietly(i)  # not queued, or saved but still locked
            raise
        self.totals.executed[self.graph.name(i)] += 1
        self.finish(i)
        self.observer.finished(i)
        if options.aggressive_unload:
            runner.forget_dependencies(i)
        self.hooks.call("execute.task-executed1", (task,))

    def save(self, i, result):
        """Store task ``i``'s result and release its lock (in the background
        on batched stores, the value encoded here first)."""
        digest = self.hashes[i]
        if self.writer is not None:
            self.writer.put(digest, self.store.encode(digest, result))
        else:
            self.store.save_and_unlock(digest, result)
            with self._held_mutex:
                self.held.discard(i)

    def fail(self, i, error, traceback=True):
        """Task ``i`` failed with ``error``: record and report it."""
        text = self.record_failure(i, error, traceback)
        self.report_failure(i, error, text)

    def recompute_damaged(self, i, error):
        """A result claimed task ``i`` needs is damaged or gone (``error``, a
        CorruptResult or ResultMissing naming it): if it is one this worker
        took for finished, remove it, release ``i`` and compute it again
        first; True then.  False when it is not such a result, or was
        recomputed too often already."""
        key = getattr(error, "key", None)
        damaged = self.graph.index_of(key) if key else None
        if damaged is None or not self.finished[damaged]:
            return False
        if self.recomputed[damaged] >= _RECOMPUTE_LIMIT:
            return False
        self.recomputed[damaged] += 1
        name = self.graph.name(damaged)
        if isinstance(error, CorruptResult):
            detail = f" ({error.reason})" if error.reason else ""
            print(f"jug: the result of {name} ({error.where or key}) is damaged{detail}; "
                  "computing it again", file=sys.stderr)
            self.store.remove(key)
        else:
            print(f"jug: the result of {name} ({key[:8]}) is gone (invalidated or removed "
                  "while this worker ran); computing it again", file=sys.stderr)
        self.unfinish(damaged)  # task i runs again once it is recomputed
        self.release(i)
        return True

    def unusable_input(self, i, error):
        """What to report when task ``i`` reads a result it cannot have:
        one it was not created with (its arguments changed afterwards,
        maybe making a cycle), or one damaged again after recomputing."""
        from jug.graph import closure, cycle_text

        key = getattr(error, "key", None)
        other = self.graph.index_of(key) if key else None
        if other is None or self.finished[other] or other in self.graph.dependencies(i):
            return error
        name, other_name = self.graph.name(i), self.graph.name(other)
        message = (f"task {name} reads the result of {other_name}, which is not one of the "
                   "tasks it was created with: its arguments were changed after it was "
                   "created")
        if i in closure(self.graph, [other], downstream=False):
            path = _dependency_path(self.graph, other, i)
            message += (f"; with that change the tasks form a cycle: "
                        f"{cycle_text(self.graph, [i] + path)}")
        return GraphError(message + ". Create each task once its arguments are final.")

    def record_failure(self, i, error, traceback=True):
        """Claimed task ``i`` raised: count it and release its lock (or keep
        it, marked failed, with ``--keep-failed``); returns the traceback
        (or, without ``traceback``, the error's one-line message)."""
        digest = self.hashes[i]
        self.any_failed = True
        self.failed[i] = 1
        self.totals.failed.add(digest)
        if traceback and not isinstance(error, GraphError):
            text = task_traceback(error)
        else:
            text = str(error)
        self.totals.errors.append((self.graph.name(i), digest, text))
        self.observer.failed(i)
        with self._held_mutex:
            self.held.discard(i)
        if self.options.keep_failed:
            self.store.fail(digest, exception_line(error))  # the failed lock stays
        else:
            self.store.unlock(digest)
        return text

    def report_failure(self, i, error, text):
        """Say that task ``i`` failed; stop (TaskFailed) unless ``--keep-going``."""
        if self.options.pdb and not isinstance(error, JugError):
            _post_mortem(error)
        message = _failure_message(self.graph.name(i), self.hashes[i], text,
                                   bool(self.graph.dependents(i)),
                                   one_line=isinstance(error, JugError))
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
            found = self.graph.indices_of(self.store.list_keys())
            done_elsewhere = sorted(i for i in found.values() if not self.finished[i])
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
                holder = (f"{lock.host} pid {lock.pid}" if lock.host
                          else "an unknown holder (the lock record was unreadable)")
                print(f"jug: reclaimed the stale lock of {self.graph.name(i)} (held by "
                      f"{holder})", file=sys.stderr)
                self.store.remove_dead_tempfiles()  # what the dead worker was writing
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

    def check_for_cycle(self):
        """Raise :class:`GraphError` naming the cycle if the unfinished tasks
        wait on each other (a hand-edited manifest can make one)."""
        from jug.graph import cycle_text, find_cycle

        waiting = [i for i in range(len(self.hashes)) if not self.finished[i] and self.pending[i]]
        if not waiting:
            return
        cycle = find_cycle(self.graph, waiting)
        if cycle is not None:
            raise GraphError(f"the tasks form a dependency cycle, so none of them can run: "
                             f"{cycle_text(self.graph, cycle)} (each needs the next); the "
                             "manifest was changed by hand? run `jug compile` to trace the "
                             "jugfile again")

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


class ReadyQueue:
    """The worker's ``ready`` tasks: a deque in front of the tasks runnable
    at start, which are given by a mask (``runnable``: one byte per task)
    and taken from index ``start`` on, wrapping around, as they are asked
    for; tasks appended later come after them.  Like a deque of every
    runnable task rotated to ``start``, without listing them (a million
    Python ints at start for a large fan-out)."""

    __slots__ = ("head", "tail", "mask", "position", "wrapped", "start", "left")

    def __init__(self, runnable=b"", start=0):
        self.head = collections.deque()
        self.tail = collections.deque()
        self.mask = runnable
        self.left = runnable.count(1)
        self.start = self.position = min(start, len(runnable))
        self.wrapped = False

    def __len__(self):
        return len(self.head) + self.left + len(self.tail)

    def __bool__(self):
        return bool(self.head or self.left or self.tail)

    def _next_runnable(self):
        mask = self.mask
        if not self.wrapped:
            i = mask.find(1, self.position)
            if i != -1:
                self.position = i + 1
                return i
            self.wrapped, self.position = True, 0
        i = mask.find(1, self.position, self.start)
        self.position = i + 1
        return i

    def popleft(self):
        if self.head:
            return self.head.popleft()
        if self.left:
            self.left -= 1
            return self._next_runnable()
        return self.tail.popleft()

    def appendleft(self, i):
        self.head.appendleft(i)

    def extendleft(self, items):
        self.head.extendleft(items)

    def append(self, i):
        self.tail.append(i)

    def extend(self, items):
        self.tail.extend(items)


def _preload(store, tasks):
    """Load the results of ``tasks`` in one batch (one round trip on Redis,
    instead of one per dependency when the task reads them)."""
    if len(tasks) > 1:
        for task, result in zip(tasks, store.load_many([t.key for t in tasks])):
            task.set_result(result)


def _dependency_path(graph, start, goal):
    """Indices from ``start`` to ``goal`` following dependencies (each
    depends on the next), breadth first; ``goal`` must be reachable."""
    previous = {start: None}
    queue = collections.deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            break
        for dep in graph.dependencies(node):
            if dep not in previous:
                previous[dep] = node
                queue.append(dep)
    path = [goal]
    while previous[path[-1]] is not None:
        path.append(previous[path[-1]])
    return path[::-1]


def _selection(graph, select):
    n = len(graph)
    if select is None:
        return b"\x01" * n
    matches = [select(name) for name in graph.names]
    return bytes(1 if matches[graph.name_ids[i]] else 0 for i in range(n))


def _failure_message(name, digest, text, has_dependents, one_line=False):
    if one_line:
        message = f"jug: task {name} (hash {digest}) failed: {text.strip()}"
    else:
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
