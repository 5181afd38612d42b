"""The task graph as compact arrays; this package owns its representation.

A :class:`TaskGraph` holds, per task, its hash, a name id and its stage, and
the dependencies in CSR form (``dep_indptr``/``dep_indices``: the
dependencies of task ``i`` are ``dep_indices[dep_indptr[i]:dep_indptr[i+1]]``).
Tasks are numbered in creation order, which is a topological order: a task's
dependencies always have smaller indices.  Everything else asks this module
for relations (:meth:`dependencies`, :meth:`dependents`, :func:`closure`,
:func:`compute_states`) instead of walking tasks itself.  All walks are
iterative.  Plain ``array`` storage keeps ``import jug.graph`` light; numpy
and networkx are used only by the functions that need them.  Whole-graph
passes (:func:`compute_states`, :func:`count_states_by_name`,
:func:`dependency_counts`, :func:`runnable`) run in numpy from
:data:`NUMPY_MIN_TASKS` tasks on, where the vector code pays for numpy's
import (about 60 ms); below, plain loops keep small jugfiles' start-up short.
"""

import sys
from array import array

from jug.errors import GraphError

#: From this many tasks on, whole-graph passes use numpy (measured crossover:
#: see docs/performance.md).
NUMPY_MIN_TASKS = 100_000


def _numpy(n):
    """numpy when a pass over ``n`` tasks pays for importing it, else None."""
    if n < NUMPY_MIN_TASKS and "numpy" not in sys.modules:
        return None
    import numpy

    return numpy


def as_numpy(values, numpy):
    """A zero-copy numpy view of an ``array('i')``/``array('b')``/bytes."""
    if isinstance(values, array):
        return numpy.frombuffer(values, dtype={"i": numpy.int32, "b": numpy.int8}[values.typecode])
    return numpy.frombuffer(values, dtype=numpy.uint8)


def numpy_to_array(values, typecode="i"):
    """An ``array(typecode)`` holding a numpy vector's values (one copy)."""
    import numpy

    out = array(typecode)
    values = numpy.ascontiguousarray(values, dtype={"i": "=i4", "b": "i1"}[typecode])
    out.frombytes(memoryview(values).cast("B"))  # from the buffer: no intermediate bytes
    return out


class Digests:
    """Task hashes as a read-only sequence of 40-character hex ``str`` s, kept
    as raw 20-byte digests in chunks of ``chunk_size`` tasks that are fetched
    (``load(k)`` returns chunk ``k``'s bytes) the first time one of their
    hashes is asked for.  A manifest stores its hashes so; status on a fresh
    store and a worker running a few tasks never fetch most of them."""

    __slots__ = ("_chunks", "_load", "_size", "_count", "find")

    def __init__(self, count, chunk_size, load, chunks=None, find=None):
        # find(hex digests) -> {digest: index}, or None (then every hash is read)
        self.find = find
        self._count = count
        self._size = chunk_size
        self._load = load
        self._chunks = chunks if chunks is not None else [None] * (-(-count // chunk_size) if count else 0)

    def __len__(self):
        return self._count

    def _chunk(self, k):
        raw = self._chunks[k]
        if raw is None:
            raw = self._chunks[k] = self._load(k)
        return raw

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self._count))]
        if i < 0:
            i += self._count
        if not 0 <= i < self._count:
            raise IndexError("task index out of range")
        k, r = divmod(i, self._size)
        return self._chunk(k)[20 * r:20 * r + 20].hex()

    def __iter__(self):
        for k in range(len(self._chunks)):
            text = self._chunk(k).hex()
            yield from (text[j:j + 40] for j in range(0, len(text), 40))

    def loaded_chunks(self):
        """How many chunks have been fetched."""
        return sum(chunk is not None for chunk in self._chunks)

    def raw(self):
        """Every digest, concatenated (20 bytes per task)."""
        return b"".join(self._chunk(k) for k in range(len(self._chunks)))

# Task states, as small integers so that a whole graph's states fit an array.
WAITING, READY, RUNNING, FINISHED, FAILED = range(5)
STATE_NAMES = ("Waiting", "Ready", "Running", "Finished", "Failed")


class TaskGraph:
    """Hashes, names, stages and dependencies of every task.

    ``hashes`` is a sequence of 40-character hex strings (a list, or a
    :class:`Digests` fetched on demand); ``names`` the table of
    distinct task names; ``name_ids``, ``stages``, ``dep_indptr`` and
    ``dep_indices`` are ``array('i')``.  The dependents, in the same CSR
    form (``rev_indptr``/``rev_indices``), and the index of each hash may be
    given when already known (a manifest stores them; a builder has the
    index); otherwise they are computed on first use.  Treat instances as
    immutable."""

    __slots__ = ("hashes", "names", "name_ids", "stages", "dep_indptr", "dep_indices",
                 "_index", "_rev", "_load")

    def __init__(self, hashes, names, name_ids, stages, dep_indptr, dep_indices,
                 rev_indptr=None, rev_indices=None, index=None, load=None):
        self.hashes = hashes
        self.names = names
        self._index = index
        self._load = load
        for attribute, value in (("name_ids", name_ids), ("stages", stages),
                                 ("dep_indptr", dep_indptr), ("dep_indices", dep_indices)):
            if value is not None or load is None:
                setattr(self, attribute, value)
        if rev_indptr is not None:
            self._rev = (rev_indptr, rev_indices)
        elif load is None:
            self._rev = None

    def __getattr__(self, attribute):
        """A column given as None with a ``load`` function is decoded on
        first use, by ``load(attribute)`` (``"_rev"``: the dependents' CSR
        pair): a worker decodes the dependencies and little else."""
        if attribute in _LAZY_COLUMNS:
            load = object.__getattribute__(self, "_load")
            if load is not None:
                value = load(attribute)
                setattr(self, attribute, value)
                return value
        raise AttributeError(attribute)

    def __len__(self):
        return len(self.hashes)

    def dependency_count_column(self):
        """Per task, how many dependencies it has (``array('i')``; from a
        manifest, without decoding the dependency columns)."""
        try:
            indptr = object.__getattribute__(self, "dep_indptr")
        except AttributeError:  # not decoded: a manifest's graph (see __getattr__)
            return object.__getattribute__(self, "_load")("dep_counts")
        numpy = _numpy(len(self.hashes))
        if numpy is not None:
            return numpy_to_array(numpy.diff(as_numpy(indptr, numpy)))
        return array("i", [indptr[i + 1] - indptr[i] for i in range(len(self.hashes))])

    @property
    def edge_count(self):
        return len(self.dep_indices)

    def name(self, i):
        return self.names[self.name_ids[i]]

    def index_of(self, digest):
        """Task index of a hex hash (``str``), or None."""
        find = getattr(self.hashes, "find", None)
        if self._index is None and find is not None:
            found = find((digest,))  # one bucket of the hash index, kept
            if found is not None:
                return found.get(digest)
        return self.index_map().get(digest)

    def indices_of(self, digests):
        """``{hex hash: task index}`` for those of ``digests`` that are
        tasks of this graph.  With a manifest's hash index, only the index
        buckets of those hashes are read (not every hash), unless reading
        them all costs less."""
        find = getattr(self.hashes, "find", None)
        if self._index is None and find is not None and digests:
            found = find(digests)
            if found is not None:
                return found
        index = self._index
        if index is None:  # one pass over the hashes, without building the whole map
            if not isinstance(digests, (set, frozenset, dict)):
                digests = set(digests)
            return {digest: i for i, digest in enumerate(self.hashes) if digest in digests}
        return {digest: index[digest] for digest in digests if digest in index}

    def index_map(self):
        """``{hex hash: task index}``, built on first use (it reads every hash)."""
        if self._index is None:
            self._index = {h: i for i, h in enumerate(self.hashes)}
        return self._index

    def forget_index(self):
        """Drop the ``{hash: index}`` dict (built again on first use): at a
        million tasks it holds about 60 MB."""
        self._index = None

    def dependencies(self, i):
        return self.dep_indices[self.dep_indptr[i]:self.dep_indptr[i + 1]]

    def dependents(self, i):
        indptr, indices = self._reverse()
        return indices[indptr[i]:indptr[i + 1]]

    @property
    def rev_indptr(self):
        """Dependents in CSR form, with :attr:`rev_indices`."""
        return self._reverse()[0]

    @property
    def rev_indices(self):
        return self._reverse()[1]

    def _reverse(self):
        """Dependents in CSR form, built once (a counting sort, O(N + E))."""
        if self._rev is None and _numpy(len(self.hashes)) is not None:
            self._rev = _reverse_numpy(self.dep_indptr, self.dep_indices, _numpy(len(self.hashes)))
        if self._rev is None:
            n = len(self.hashes)
            counts = [0] * (n + 1)
            for dep in self.dep_indices:
                counts[dep + 1] += 1
            for i in range(n):
                counts[i + 1] += counts[i]
            indptr = array("i", counts)
            fill = list(counts[:-1])
            indices = array("i", bytes(4 * len(self.dep_indices)))
            indptr_src, indices_src = self.dep_indptr, self.dep_indices
            for task in range(n):
                for k in range(indptr_src[task], indptr_src[task + 1]):
                    dep = indices_src[k]
                    indices[fill[dep]] = task
                    fill[dep] += 1
            self._rev = (indptr, indices)
        return self._rev

    def stage_count(self):
        stages = self.stages
        if not len(stages):
            return 0
        numpy = _numpy(len(stages))
        if numpy is not None and isinstance(stages, array):
            return int(as_numpy(stages, numpy).max()) + 1
        return max(stages) + 1

    def to_networkx(self, nodes=None):
        """A ``networkx.DiGraph`` view for analysis and export: nodes are task
        indices with attributes ``name``, ``hash`` and ``stage``; edges go from
        dependency to dependent.  ``nodes`` (indices) keeps only those tasks
        and the edges between them."""
        import networkx

        if nodes is None:
            nodes = range(len(self.hashes))
            kept = None
        else:
            nodes = list(nodes)
            kept = set(nodes)
        names, name_ids, hashes, stages = self.names, self.name_ids, self.hashes, self.stages
        indptr, indices = self.dep_indptr, self.dep_indices
        graph = networkx.DiGraph()
        graph.add_nodes_from((i, {"name": names[name_ids[i]], "hash": hashes[i],
                                  "stage": stages[i]}) for i in nodes)
        graph.add_edges_from((indices[k], i) for i in nodes
                             for k in range(indptr[i], indptr[i + 1])
                             if kept is None or indices[k] in kept)
        return graph


def _reverse_numpy(dep_indptr, dep_indices, numpy):
    """Dependents in CSR form: a stable sort of the edges by dependency."""
    indptr = as_numpy(dep_indptr, numpy)
    indices = as_numpy(dep_indices, numpy)
    n = len(indptr) - 1
    owners = numpy.repeat(numpy.arange(n, dtype=numpy.int32), numpy.diff(indptr))
    order = numpy.argsort(indices, kind="stable")
    counts = numpy.bincount(indices, minlength=n)
    rev_indptr = numpy.zeros(n + 1, dtype=numpy.int64)
    numpy.cumsum(counts, out=rev_indptr[1:])
    return numpy_to_array(rev_indptr), numpy_to_array(owners[order])


_LAZY_COLUMNS = frozenset(("name_ids", "stages", "dep_indptr", "dep_indices", "_rev"))


class TaskGraphBuilder:
    """Collects tasks (in creation order) and produces a :class:`TaskGraph`.

    Tasks with the same hash are the same task: the first one is kept."""

    def __init__(self):
        self.hashes = []
        self.names = []
        self._name_ids = {}
        self.name_ids = array("i")
        self.stages = array("i")
        self.dep_indptr = array("i", [0])
        self.dep_indices = array("i")
        self.index = {}

    def add(self, digest, name, dependency_hashes, stage=0):
        """Add one task whose dependencies are given by hash; returns its
        index (the existing one for a duplicate)."""
        existing = self.index.get(digest)
        if existing is not None:
            return existing
        deps = []
        for dep in dependency_hashes:
            dep_index = self.index.get(dep)
            if dep_index is None:
                raise GraphError(
                    f"task {name} depends on a task (hash {dep}) that was never created "
                    "in this jugfile; a common cause is changing a task's argument after "
                    "creating the task"
                )
            deps.append(dep_index)
        return self.add_indexed(digest, name, deps, stage)

    def add_indexed(self, digest, name, dependency_indices, stage=0):
        """Add one task whose dependencies are given by index; returns its
        index (the existing one for a duplicate)."""
        existing = self.index.get(digest)
        if existing is not None:
            return existing
        index = len(self.hashes)
        self.index[digest] = index
        self.hashes.append(digest)
        name_id = self._name_ids.get(name)
        if name_id is None:
            name_id = self._name_ids[name] = len(self.names)
            self.names.append(name)
        self.name_ids.append(name_id)
        self.stages.append(stage)
        if len(dependency_indices) > 1:
            dependency_indices = sorted(set(dependency_indices))
        self.dep_indices.extend(dependency_indices)
        self.dep_indptr.append(len(self.dep_indices))
        return index

    def build(self):
        return TaskGraph(self.hashes, self.names, self.name_ids, self.stages,
                         self.dep_indptr, self.dep_indices, index=self.index)


def closure(graph, seeds, downstream=True):
    """Indices reachable from ``seeds`` (included) following dependents
    (``downstream``) or dependencies; sorted."""
    step = graph.dependents if downstream else graph.dependencies
    seen = set(seeds)
    stack = list(seeds)
    while stack:
        node = stack.pop()
        for nxt in step(node):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return sorted(seen)


def select_tasks(graph, matcher, *, downstream):
    """The tasks whose name ``matcher`` accepts, with everything they depend
    on (or, ``downstream``, everything that depends on them): sorted
    indices, empty when no name matches.  ``matcher`` is called once per
    distinct name."""
    matching = {name_id for name_id, name in enumerate(graph.names) if matcher(name)}
    if not matching:
        return []
    name_ids = graph.name_ids
    seeds = [i for i in range(len(graph)) if name_ids[i] in matching]
    return closure(graph, seeds, downstream=downstream)


def find_cycle(graph, among=None):
    """A dependency cycle as a list of indices ``[a, b, ..., a]`` (each
    depends on the next), or None.  ``among``: only these tasks (a
    sequence of indices; default all).  Iterative depth-first search.

    Graphs made by a trace have none (a task's dependencies are created
    before it); a hand-edited manifest may."""
    n = len(graph)
    allowed = None if among is None else set(among)
    colour = bytearray(n)  # 0 new, 1 on the current path, 2 done
    starts = range(n) if among is None else sorted(allowed)
    for root in starts:
        if colour[root]:
            continue
        path = [root]
        positions = [0]
        colour[root] = 1
        while path:
            node = path[-1]
            deps = graph.dependencies(node)
            if positions[-1] < len(deps):
                dep = deps[positions[-1]]
                positions[-1] += 1
                if allowed is not None and dep not in allowed:
                    continue
                if colour[dep] == 1:
                    return path[path.index(dep):] + [dep]
                if colour[dep] == 0:
                    colour[dep] = 1
                    path.append(dep)
                    positions.append(0)
            else:
                colour[node] = 2
                path.pop()
                positions.pop()
    return None


def cycle_text(graph, cycle):
    """``jugfile.a -> jugfile.b -> jugfile.a`` (each needs the next), with
    short hashes when names repeat."""
    names = [graph.name(i) for i in cycle]
    if len(set(names[:-1])) < len(names) - 1:
        names = [f"{graph.name(i)} ({graph.hashes[i][:8]})" for i in cycle]
    return " -> ".join(names)


def toposort(graph):
    """A topological order (dependencies first): creation order already is one."""
    return range(len(graph))


def finished_mask(graph, finished_keys):
    """``bytearray``: 1 for each task whose hash is in ``finished_keys``
    (reads no hash when the set is empty)."""
    mask = bytearray(len(graph))
    if finished_keys:
        for i in graph.indices_of(finished_keys).values():
            mask[i] = 1
    return mask


def compute_states(graph, finished_keys, locks=None):
    """The state of every task, as an ``array('b')`` of WAITING/READY/RUNNING/
    FINISHED/FAILED.

    ``finished_keys`` is the set of hex hashes with a stored result (one store
    listing); ``locks`` maps hex hash to a lock record with a ``failed``
    attribute (one lock listing).  A task is finished if its result exists;
    otherwise failed or running if locked; otherwise ready when every
    dependency is finished, waiting if not."""
    n = len(graph)
    finished = finished_mask(graph, finished_keys)
    numpy = _numpy(n)
    if numpy is not None:
        states = _states_numpy(graph, finished, numpy)
    else:
        states = _states_python(graph, finished)
    if locks:
        for digest, lock in locks.items():
            i = graph.index_of(digest)
            if i is not None and not finished[i]:
                states[i] = FAILED if lock.failed else RUNNING
    return states


def _states_python(graph, finished):
    # a task is ready when none of its dependencies is unfinished: count the
    # unfinished dependencies per task in one pass over the CSR arrays
    n = len(finished)
    indptr, indices = graph.dep_indptr, graph.dep_indices
    unfinished = [0] * n
    if len(indices):
        blocked = [1 - finished[d] for d in indices]
        for i in range(n):
            start, end = indptr[i], indptr[i + 1]
            if start != end and not finished[i]:
                unfinished[i] = sum(blocked[start:end])
    return array("b", [FINISHED if finished[i] else (READY if not unfinished[i] else WAITING)
                       for i in range(n)])


def _unfinished_dependencies(graph, finished, numpy):
    """Per task, how many of its dependencies are unfinished (numpy int64)."""
    indptr = as_numpy(graph.dep_indptr, numpy)
    blocked = 1 - as_numpy(finished, numpy)[as_numpy(graph.dep_indices, numpy)].astype(numpy.int64)
    running = numpy.zeros(len(blocked) + 1, dtype=numpy.int64)
    numpy.cumsum(blocked, out=running[1:])
    return running[indptr[1:]] - running[indptr[:-1]]


def _states_numpy(graph, finished, numpy):
    done = as_numpy(finished, numpy).astype(bool)
    unfinished = _unfinished_dependencies(graph, finished, numpy)
    states = numpy.where(done, FINISHED, numpy.where(unfinished == 0, READY, WAITING))
    return numpy_to_array(states, "b")


def dependency_counts(graph, finished, any_finished=True):
    """Per task, its unfinished dependencies (``finished``: a bytearray
    mask), as a list or ``array('i')``: the executor's starting point.
    Without ``any_finished`` (nothing finished), the dependency counts
    the manifest stores, undecoded."""
    n = len(graph)
    if not any_finished:
        return graph.dependency_count_column()
    numpy = _numpy(n)
    if numpy is not None:
        return numpy_to_array(_unfinished_dependencies(graph, finished, numpy))
    indptr, indices = graph.dep_indptr, graph.dep_indices
    if not any(finished):
        return [indptr[i + 1] - indptr[i] for i in range(n)]
    return [sum(1 for k in range(indptr[i], indptr[i + 1]) if not finished[indices[k]])
            for i in range(n)]


def runnable_mask(pending, finished):
    """``bytes``, 1 for each unfinished task with no unfinished dependency."""
    n = len(finished)
    numpy = _numpy(n)
    if numpy is not None:
        mask = (as_numpy(pending, numpy) == 0) & (as_numpy(finished, numpy) == 0)
        return mask.view(numpy.uint8).tobytes()
    return bytes(1 if pending[i] == 0 and not finished[i] else 0 for i in range(n))


def runnable(pending, finished):
    """The indices of unfinished tasks with no unfinished dependency, in order."""
    n = len(finished)
    numpy = _numpy(n)
    if numpy is not None:
        mask = (as_numpy(pending, numpy) == 0) & (as_numpy(finished, numpy) == 0)
        return numpy.flatnonzero(mask).tolist()
    return [i for i in range(n) if pending[i] == 0 and not finished[i]]


def count_states_by_name(graph, states):
    """``{state: {task name: count}}`` for the status table (every name
    appears in every state, with 0 where there is none)."""
    names = graph.names
    counts = [dict.fromkeys(names, 0) for _ in STATE_NAMES]
    numpy = _numpy(len(states))
    if numpy is not None:
        width = len(STATE_NAMES)
        pairs = numpy.bincount(as_numpy(graph.name_ids, numpy).astype(numpy.int64) * width
                               + as_numpy(states, numpy), minlength=len(names) * width)
        for flat in numpy.flatnonzero(pairs).tolist():
            name_id, state = divmod(flat, width)
            counts[state][names[name_id]] = int(pairs[flat])
        return counts
    import collections

    pairs = collections.Counter(zip(graph.name_ids, states))
    for (name_id, state), count in pairs.items():
        counts[state][names[name_id]] = count
    return counts
