"""Map/reduce over many small computations, grouped into fewer tasks.

``map(f, seq, map_step=4)`` runs ``f`` on ``map_step`` elements per task;
``mapreduce(reducer, mapper, inputs)`` adds a tree of reductions (so the
reducer must be associative; input order is kept); ``currymap`` calls
``f(*args)``.  Task names are ``jug.mapreduce._jug_map`` and friends, as in
jug.
"""

import builtins
import functools

from jug.task import Task, TaskGenerator, Tasklet, value

__all__ = ["mapreduce", "map", "reduce", "currymap"]


def _get_function(f):
    """The plain function of a TaskGenerator (hashed by its name)."""
    if isinstance(f, TaskGenerator):
        return f.f
    return f


def _jug_map_reduce(reducer, mapper, inputs):
    mapped = builtins.map(mapper, inputs) if mapper is not None else iter(inputs)
    return functools.reduce(reducer, mapped)


def _jug_reduce(reducer, inputs):
    return functools.reduce(reducer, inputs)


def _jug_map(mapper, inputs):
    return [mapper(item) for item in inputs]


def _jug_map_curry(mapper, inputs):
    return [mapper(*args) for args in inputs]


def _break_up(seq, step):
    """Chunks of ``step`` consecutive elements (numpy arrays stay arrays)."""
    return [seq[start:start + step] for start in range(0, len(seq), step)]


def mapreduce(reducer, mapper, inputs, map_step=4, reduce_step=8):
    """``reduce(reducer, map(mapper, inputs))`` as a tree of tasks; returns
    the task of the final result (the value of ``[]`` for empty inputs)."""
    from jug.utils import identity

    reducer = _get_function(reducer)
    mapper = _get_function(mapper)
    if len(inputs) == 0:
        return identity([])
    level = [Task(_jug_map_reduce, reducer, mapper, chunk) for chunk in _break_up(inputs, map_step)]
    while len(level) > 1:
        level = [Task(_jug_reduce, reducer, group) for group in _break_up(level, reduce_step)]
    return level[0]


def reduce(reducer, inputs, reduce_step=8):
    """``functools.reduce(reducer, inputs)`` as a tree of tasks."""
    return mapreduce(reducer, None, inputs, reduce_step=reduce_step)


class _BlockAccess:
    """The result of :func:`map`: a list-like view over the per-chunk tasks.
    ``len``, indexing (negative too) and slicing work; pass it to a task and
    it becomes the list of results."""

    def __init__(self, blocks, block_size, length):
        self.blocks = blocks
        self.block_size = block_size
        self.length = length

    def __len__(self):
        return self.length

    def _normalise(self, index):
        if index < 0:
            index += self.length
        if not 0 <= index < self.length:
            raise IndexError("jug.mapreduce.map: index out of range")
        return index

    def __getitem__(self, index):
        if isinstance(index, slice):
            return _BlockAccessSlice(self, *index.indices(self.length))
        index = self._normalise(index)
        return self.blocks[index // self.block_size][index % self.block_size]

    def __iter__(self):
        return (self[i] for i in range(self.length))

    def __jug_hash__(self):
        from jug.hash import hash_one

        return hash_one({"type": "map-access", "len": self.length, "blocks": self.blocks,
                         "block_size": self.block_size})

    def __jug_value__(self):
        return [item for block in value(self.blocks) for item in block]

    def __jug_dependencies__(self):
        return list(self.blocks)


class _BlockAccessSlice:
    """A slice of a :func:`map` result; depends only on the covering blocks."""

    def __init__(self, base, start, stop, stride):
        self.base = base
        self.start = start
        self.stop = stop
        self.stride = stride

    def _indices(self):
        return range(self.start, self.stop, self.stride)

    def __len__(self):
        return len(self._indices())

    def __getitem__(self, index):
        if isinstance(index, slice):
            inner = self._indices()[index]
            return _BlockAccessSlice(self.base, inner.start, inner.stop, inner.step)
        return self.base[self._indices()[index]]

    def __iter__(self):
        return (self.base[i] for i in self._indices())

    def __jug_hash__(self):
        from jug.hash import hash_one

        return hash_one({"type": "map-access-slice", "base": self.base, "start": self.start,
                         "stop": self.stop, "stride": self.stride})

    def __jug_value__(self):
        return [value(self.base[i]) for i in self._indices()]

    def __jug_dependencies__(self):
        size = self.base.block_size
        wanted = sorted({i // size for i in self._indices()})
        return [self.base.blocks[b] for b in wanted]


def map(mapper, sequence, map_step=4):
    """``[mapper(x) for x in sequence]`` with ``map_step`` calls per task."""
    mapper = _get_function(mapper)
    if map_step == 1:
        return [Task(mapper, item) for item in sequence]
    blocks = [Task(_jug_map, mapper, chunk) for chunk in _break_up(sequence, map_step)]
    return _BlockAccess(blocks, map_step, len(sequence))


def currymap(mapper, sequence, map_step=4):
    """``[mapper(*args) for args in sequence]`` with ``map_step`` calls per
    task; returns a list of Tasklets."""
    mapper = _get_function(mapper)
    if map_step == 1:
        return [Task(mapper, *args) for args in sequence]
    result = []
    for chunk in _break_up(sequence, map_step):
        block = Task(_jug_map_curry, mapper, chunk)
        result.extend(block[i] for i in range(len(chunk)))
    return result


__all__ += ["Tasklet"]

# The original jug's names for what ``map`` returns (scripts test isinstance).
block_access = _BlockAccess
block_access_slice = _BlockAccessSlice
