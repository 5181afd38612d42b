"""The task graph grouped by task name: what ``jug graph`` draws by default.

One group per (barrier stage, task name): its task count and, when states
are known, how many of its tasks are waiting, ready, running, finished and
failed.  One grouped edge per pair of groups joined by at least one task
dependency, carrying how many task-level edges it stands for.

Everything here is one pass over the tasks and one over the CSR dependency
arrays, O(N + E), and never builds a per-task graph object.
"""

import dataclasses
import itertools
import operator
from collections import Counter

from jug.graph import FAILED, FINISHED, READY, RUNNING, STATE_NAMES, WAITING


@dataclasses.dataclass(frozen=True)
class TaskGroup:
    """The tasks of one name created in one barrier stage."""

    name: str
    stage: int
    size: int
    counts: tuple | None  # tasks per state (WAITING..FAILED); None without status

    @property
    def state(self):
        """The state the group is drawn in (see :func:`summary_state`)."""
        return None if self.counts is None else summary_state(self.counts)


@dataclasses.dataclass(frozen=True)
class GroupedGraph:
    """Groups in order of first appearance (so in creation order), and edges
    ``(from group, to group, task-level edge count)`` from dependency to
    dependent, in order of first appearance too."""

    groups: tuple
    edges: tuple
    task_count: int  # tasks grouped (the selection, or every task)
    stage_count: int  # barrier stages the manifest knows
    stopped_at: str | None  # where tracing stopped: more tasks come after it

    @property
    def has_status(self):
        return bool(self.groups) and self.groups[0].counts is not None

    def state_totals(self):
        """Tasks per state over every group (all zeros without status)."""
        totals = [0] * len(STATE_NAMES)
        for group in self.groups:
            for state, count in enumerate(group.counts or ()):
                totals[state] += count
        return tuple(totals)


def summary_state(counts):
    """One state for a group of tasks: FAILED if any failed, else RUNNING if
    any runs, else FINISHED if all are, else READY if any can start, else
    WAITING."""
    if counts[FAILED]:
        return FAILED
    if counts[RUNNING]:
        return RUNNING
    if counts[FINISHED] == sum(counts):
        return FINISHED
    if counts[READY]:
        return READY
    return WAITING


def group_by_name(graph, states=None, selected=None, stopped_at=None):
    """The :class:`GroupedGraph` of ``graph``.

    ``states``: per-task states from :func:`jug.graph.compute_states`, or
    None to draw the structure only.  ``selected``: a per-task sequence of
    truthy/falsy flags keeping only some tasks (edges to a task left out are
    dropped), or None for every task.

    One pass over the tasks and one over the CSR dependency arrays, each
    written as a chain of iterators (``map``, ``zip``, ``Counter``) so the
    per-element work runs in C: 100,000 tasks group in a few tens of
    milliseconds."""
    name_ids, stages, names = graph.name_ids, graph.stages, graph.names
    # group key of every task: stage * name_count + name id (all stages are 0
    # without barriers)
    name_count = len(names)
    if graph.stage_count() > 1:
        keys = [stage * name_count + name_id for stage, name_id in zip(stages, name_ids)]
    else:
        keys = name_ids
    if selected is not None:
        keys = [key if keep else _LEFT_OUT for key, keep in zip(keys, selected)]
    first_seen = dict.fromkeys(keys)  # keeps the order of first appearance
    first_seen.pop(_LEFT_OUT, None)
    group_of_key = {key: group for group, key in enumerate(first_seen)}
    group_of_key[_LEFT_OUT] = _LEFT_OUT
    group_of = list(map(group_of_key.__getitem__, keys))
    sizes = Counter(group_of)
    per_state = Counter(zip(group_of, states)) if states is not None else None

    # edges: the group of each dependency (tails) against the group of the
    # task it belongs to (heads, repeated once per dependency)
    indptr, indices = graph.dep_indptr, graph.dep_indices
    degrees = map(operator.sub, itertools.islice(indptr, 1, None), indptr)
    heads = itertools.chain.from_iterable(map(itertools.repeat, group_of, degrees))
    tails = map(group_of.__getitem__, indices)
    edge_counts = Counter(zip(tails, heads))

    groups = []
    for group, key in enumerate(first_seen):
        stage, name_id = divmod(key, name_count)
        counts = None
        if per_state is not None:
            counts = tuple(per_state[group, state] for state in range(len(STATE_NAMES)))
        groups.append(TaskGroup(name=names[name_id], stage=stage, size=sizes[group],
                                counts=counts))
    edges = tuple((tail, head, count) for (tail, head), count in edge_counts.items()
                  if tail >= 0 and head >= 0)
    return GroupedGraph(groups=tuple(groups), edges=edges,
                        task_count=len(group_of) - sizes[_LEFT_OUT],
                        stage_count=graph.stage_count(), stopped_at=stopped_at)


_LEFT_OUT = -1  # group "key" of a task outside the selection
