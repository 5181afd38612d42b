"""What ``jug status`` and ``jug check`` compute: the state of every task of
a graph from one listing of the store's results and one of its locks."""

import dataclasses

from jug.graph import FAILED, FINISHED, READY, RUNNING, WAITING, compute_states, count_states_by_name

# Column order of the status table, as jug 2.7 prints it.
STATUS_COLUMNS = (("Failed", FAILED), ("Waiting", WAITING), ("Ready", READY),
                  ("Complete", FINISHED), ("Active", RUNNING))


@dataclasses.dataclass(frozen=True)
class StatusReport:
    """Counts per state and per task name, plus what is not known yet."""

    counts: tuple  # per state (WAITING..FAILED): {task name: count}
    total: int
    pending_stage: str | None  # set when more tasks appear after a barrier

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


def status_report(graph, store, pending_stage=None, keys=None):
    """The :class:`StatusReport` of ``graph`` against ``store`` (``keys``: a
    listing of the store's results the caller already made)."""
    if keys is None:
        keys = store.list_keys()
    locks = store.list_locks()
    states = compute_states(graph, keys, locks)
    return StatusReport(counts=tuple(count_states_by_name(graph, states)), total=len(graph),
                        pending_stage=pending_stage)


def all_finished(graph, keys):
    """``jug check``: does every task of ``graph`` have its result?"""
    return all(digest in keys for digest in graph.hashes)
