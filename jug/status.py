"""What ``jug status``, ``jug check`` and ``jug webstatus`` compute: the state
of every task of a graph from one listing of the store's results and one of
its locks, and the two ways it is shown (the table, and the JSON document of
``jug status --json`` and ``/api/status``, specified in ``docs/status.md``).

A lock whose holder is dead (on this host: its process is gone; elsewhere:
no heartbeat for a lease) is *stale*: its task is counted where it would be
without the lock (Ready, or Waiting if a dependency is unfinished), because a
worker will reclaim it, and listed apart with a hint.  A failed lock (kept by
``jug execute --keep-failed``) makes its task Failed, with the first line of
its error.
"""

import dataclasses
import json
import sys
import time

from jug.graph import (FAILED, FINISHED, READY, RUNNING, STATE_NAMES, WAITING, compute_states,
                       count_states_by_name)
from jug.store.base import DEFAULT_LEASE, iso_time, pid_alive, this_host

# Column order of the status table, as jug 2.7 prints it.
STATUS_COLUMNS = (("Failed", FAILED), ("Waiting", WAITING), ("Ready", READY),
                  ("Complete", FINISHED), ("Active", RUNNING))

#: The JSON document's format name and version (docs/status.md).
DOCUMENT_FORMAT = "jug-status"
DOCUMENT_VERSION = 1
#: The state names of the document, in order; ``stale`` is not a table column.
DOCUMENT_STATES = ("waiting", "ready", "running", "stale", "finished", "failed")

LOCKS_HINT = ("run `jug cleanup --locks-only` to remove stale locks (a worker also reclaims "
              "them on its own)")
FAILED_HINT = ("run `jug cleanup --failed-only` to remove failure locks, so that failed tasks "
               "run again")
#: at most this many stale or failed tasks are listed below the table
LISTED = 10


@dataclasses.dataclass(frozen=True)
class TaskLock:
    """The lock of one unfinished task, as status shows it.

    ``state`` is the table state the task is counted in (RUNNING, FAILED,
    or for a stale lock READY or WAITING); ``started`` and ``heartbeat`` are
    epoch seconds; ``stale_reason`` says why the holder is presumed dead
    ("" when it is not); ``error`` is the first line of a failure."""

    name: str
    hash: str
    stage: int
    state: int
    host: str
    pid: int
    started: float
    heartbeat: float
    stale_reason: str = ""
    error: str = ""

    def holder(self):
        if not self.host:
            return "an unknown process (its lock record is unreadable)"
        return f"pid {self.pid} on {self.host}"


@dataclasses.dataclass(frozen=True)
class StatusReport:
    """Counts per state and per task name, the locks behind them, and what
    is not known yet."""

    counts: tuple  # per state (WAITING..FAILED): {task name: count}
    total: int
    pending_stage: str | None  # set when more tasks appear after a barrier
    running: tuple = ()  # TaskLock, oldest first
    stale: tuple = ()  # TaskLock
    failed: tuple = ()  # TaskLock
    stage_counts: tuple = ()  # per known stage: counts per state (WAITING..FAILED)
    stopped_at: str | None = None  # where tracing stopped ("barrier() at jugfile.py:12")
    store: str = ""  # the store's describe(): never a password
    lease: float = DEFAULT_LEASE
    generated: float = 0.0  # epoch seconds
    #: the state of every task (stale locks ignored): array('b'), for drawings
    states: object = dataclasses.field(default=None, repr=False, compare=False)

    def count(self, state):
        return sum(self.counts[state].values())

    @property
    def all_finished(self):
        return self.count(FINISHED) == self.total and self.pending_stage is None

    def groups(self):
        return [(title, self.counts[state]) for title, state in STATUS_COLUMNS]

    def short_line(self):
        if self.all_finished:
            return f"All tasks complete ({self.total} tasks)."
        waiting = self.count(WAITING) + self.count(READY)
        active = self.count(RUNNING)
        line = (f"{waiting} tasks waiting to be run, {self.count(FAILED)} failed, "
                f"{self.count(FINISHED)} complete, "
                + (f"({active} active)." if active else "(none active)."))
        return line

    def notes(self):
        """One line each about stale locks, failures and the pending stage."""
        notes = []
        if self.stale:
            where = ("Ready" if all(lock.state == READY for lock in self.stale)
                     else "Ready or Waiting")
            if len(self.stale) == 1:
                head = f"1 task has a stale lock (its worker is dead) and counts as {where}"
            else:
                head = (f"{len(self.stale)} tasks have stale locks (their workers are dead) "
                        f"and count as {where}")
            notes.append(f"{head}: {LOCKS_HINT}.")
        if self.failed:
            notes.append(f"{_tasks(len(self.failed))} failed: {FAILED_HINT}.")
        if self.pending_stage:
            notes.append(f"{self.pending_stage}.")
        return notes

    def detail_lines(self):
        """The stale and failed tasks, listed below the table."""
        lines = []
        for title, locks, describe in (
                ("Stale locks:", self.stale, lambda lock: f"{lock.holder()}: {lock.stale_reason}"),
                ("Failed tasks:", self.failed, lambda lock: lock.error or "(no error recorded)")):
            if not locks:
                continue
            lines.append(title)
            for lock in locks[:LISTED]:
                lines.append(f"  {lock.name} {lock.hash[:8]}  {describe(lock)}")
            if len(locks) > LISTED:
                lines.append(f"  ... and {len(locks) - LISTED} more (jug status --json lists "
                             "them all)")
        return lines

    def document(self, jugfile):
        """The JSON document of ``jug status --json`` (docs/status.md)."""
        stale_by_name, stale_by_stage = {}, {}
        for lock in self.stale:
            stale_by_name.setdefault(lock.name, []).append(lock.state)
            stale_by_stage.setdefault(lock.stage, []).append(lock.state)
        names = sorted({name for counts in self.counts for name in counts})
        rows = [dict(name=name, **_document_counts([self.counts[s].get(name, 0)
                                                    for s in range(len(STATE_NAMES))],
                                                   stale_by_name.get(name, ())))
                for name in names]
        totals = _document_counts([self.count(s) for s in range(len(STATE_NAMES))],
                                  [lock.state for lock in self.stale])
        stages = [dict(stage=stage, **_document_counts(counts, stale_by_stage.get(stage, ())))
                  for stage, counts in enumerate(self.stage_counts)]
        now = self.generated
        return {
            "format": DOCUMENT_FORMAT,
            "version": DOCUMENT_VERSION,
            "jugfile": jugfile,
            "store": self.store,
            "generated_at": iso_time(now),
            "host": this_host(),
            "lease_seconds": self.lease,
            "all_finished": self.all_finished,
            "totals": totals,
            "names": rows,
            "stages": {"known": len(self.stage_counts), "more_pending": self.pending_stage is not None,
                       "stopped_at": self.stopped_at if self.pending_stage else None,
                       "per_stage": stages},
            "running": [dict(_lock_fields(lock), heartbeat_at=iso_time(lock.heartbeat),
                             running_seconds=round(max(0.0, now - lock.started), 1))
                        for lock in self.running],
            "stale_locks": [dict(_lock_fields(lock), heartbeat_at=iso_time(lock.heartbeat),
                                 reason=lock.stale_reason) for lock in self.stale],
            "failed": [dict(_lock_fields(lock), error=lock.error or None) for lock in self.failed],
            "notes": self.notes(),
        }


def _tasks(count):
    return f"{count} task" + ("" if count == 1 else "s")


def _document_counts(table_counts, stale_states):
    """The document's counts (``stale`` apart) from the table's counts per
    state (WAITING..FAILED) and the table states of the stale tasks."""
    counts = list(table_counts)
    for state in stale_states:
        counts[state] -= 1
    return {"tasks": sum(table_counts), "waiting": counts[WAITING], "ready": counts[READY],
            "running": counts[RUNNING], "stale": len(stale_states),
            "finished": counts[FINISHED], "failed": counts[FAILED]}


def _lock_fields(lock):
    return {"name": lock.name, "hash": lock.hash, "stage": lock.stage, "host": lock.host,
            "pid": lock.pid, "started_at": iso_time(lock.started)}


def duration_text(seconds):
    """``40 s``, ``12 min``, ``3 h 05 min``, ``2 d 4 h``."""
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 120:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def stale_reason(lock, now, lease):
    """Why the holder of stale ``lock`` (a LockInfo) is presumed dead."""
    if lock.host == this_host() and lock.pid > 0 and not pid_alive(lock.pid):
        return "the process is gone"
    return (f"no heartbeat for {duration_text(now - lock.heartbeat)} "
            f"(the lease is {duration_text(lease)})")


def status_report(graph, store, pending_stage=None, keys=None, *, stopped_at=None, now=None,
                  fresh=None):
    """The :class:`StatusReport` of ``graph`` against ``store`` (``keys``: a
    listing of the store's results the caller already made; one listing of
    the locks is made here).  ``fresh`` (a manifest's
    :func:`jug.compiler.manifest.fresh_counts`) gives the table while none of
    the graph's tasks is finished or locked: then no column is decoded."""
    if keys is None:
        keys = store.list_keys()
    locks = store.list_locks()
    now = time.time() if now is None else now
    lease = getattr(store, "lease", DEFAULT_LEASE)
    task_locks = {}  # index -> (hash, LockInfo), unfinished tasks only
    if locks:
        found = graph.indices_of(locks)
        for digest, info in locks.items():
            i = found.get(digest)
            if i is not None and digest not in keys:
                task_locks[i] = (digest, info)
    if fresh is not None and not task_locks and not (keys and graph.indices_of(keys)):
        return _fresh_report(graph, fresh, pending_stage, stopped_at, store, lease, now)
    stale_indices = {i for i, (_, info) in task_locks.items() if info.is_stale(now, lease)}
    live = {digest: info for i, (digest, info) in task_locks.items() if i not in stale_indices}
    states = compute_states(graph, keys, live)
    running, stale, failed = [], [], []
    for i, (digest, info) in sorted(task_locks.items()):
        lock = TaskLock(name=graph.name(i), hash=digest, stage=graph.stages[i],
                        state=states[i], host=info.host, pid=info.pid, started=info.created,
                        heartbeat=info.heartbeat, error=info.error if info.failed else "")
        if i in stale_indices:
            stale.append(dataclasses.replace(lock, stale_reason=stale_reason(info, now, lease)))
        elif info.failed:
            failed.append(lock)
        else:
            running.append(lock)
    running.sort(key=lambda lock: lock.started)
    counts = tuple(count_states_by_name(graph, states))
    return StatusReport(counts=counts, total=len(graph),
                        pending_stage=pending_stage, running=tuple(running), stale=tuple(stale),
                        failed=tuple(failed), stage_counts=_counts_by_stage(graph, states, counts),
                        stopped_at=stopped_at, store=store.describe(), lease=lease,
                        generated=now, states=states)


def _fresh_report(graph, fresh, pending_stage, stopped_at, store, lease, now):
    """The report of a graph none of whose tasks ran, from the counts the
    compile made (``states`` is left None: :func:`task_states` makes them)."""
    names = graph.names
    counts = [dict.fromkeys(names, 0) for _ in STATE_NAMES]
    for name, (total, ready) in zip(names, fresh["names"]):
        counts[READY][name] += ready
        counts[WAITING][name] += total - ready
    stages = [(total - ready, ready, 0, 0, 0) for total, ready in fresh["stages"]]
    if len(stages) <= 1:
        stages = (tuple(sum(per_name.values()) for per_name in counts),) if len(graph) else ()
    return StatusReport(counts=tuple(counts), total=len(graph), pending_stage=pending_stage,
                        stage_counts=tuple(stages), stopped_at=stopped_at,
                        store=store.describe(), lease=lease, generated=now)


def task_states(report, graph):
    """The state of every task of ``report`` (an ``array('b')``), computed
    when the report was made from the compile's counts."""
    if report.states is not None:
        return report.states
    return compute_states(graph, set())


def _counts_by_stage(graph, states, counts):
    """Per known stage, the number of tasks in each state (WAITING..FAILED);
    ``counts`` are those per name (the only stage's, without barriers)."""
    import collections

    stage_count = graph.stage_count()
    if stage_count <= 1:
        return (tuple(sum(per_name.values()) for per_name in counts),) if len(graph) else ()
    pairs = collections.Counter(zip(graph.stages, states))
    return tuple(tuple(pairs[stage, s] for s in range(len(STATE_NAMES)))
                 for stage in range(stage_count))


def print_report(report, options, out, as_json=False):
    """Print ``report`` as ``jug status`` does: the table, the number of
    stages, the stale and failed tasks and the notes (``--short``: the one
    line, the notes on stale and failed tasks on stderr); or, ``as_json``,
    the document."""
    from jug.io import print_task_summary_table

    if as_json:
        json.dump(report.document(options.jugfile), out, indent=2)
        out.write("\n")
        return
    if options.short:
        # one line, as jug 2 prints it (scripts read it); the notes about
        # stale and failed tasks go to stderr, the pending stage's stays
        print(report.short_line(), file=out, flush=True)
        notes = report.notes()
        for note in notes[:-1] if report.pending_stage else notes:
            print(f"Note: {note}", file=sys.stderr)
        if report.pending_stage:
            print(f"Note: {notes[-1]}", file=out)
        return
    print_task_summary_table(options, report.groups(), file=out)
    if len(report.stage_counts) > 1:
        print(f"{len(report.stage_counts)} barrier stages known.", file=out)
    for line in report.detail_lines():
        print(line, file=out)
    for note in report.notes():
        print(f"Note: {note}", file=out)


def all_finished(graph, keys):
    """``jug check``: does every task of ``graph`` have its result?"""
    return all(digest in keys for digest in graph.hashes)
