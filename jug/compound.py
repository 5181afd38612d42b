"""Compound tasks: a function that builds a subgraph, kept as one result.

While the jugfile is traced, ``CompoundTask(f, *args)`` asks the store
whether ``Task(f, *args)`` already has a result.  If so, that single task
stands for the whole computation.  Otherwise ``f`` runs *now* and builds its
subgraph; a pseudo-task, ``jug.compound.compound_task_execute``, waits for the
subgraph and saves its value under the outer task's hash.
"""

import functools

from jug.context import current_context
from jug.task import Task, value


def compound_task_execute(inner, outer_hash):
    """Body of the pseudo-task: the value of the subgraph's result."""
    return value(inner)


def CompoundTask(f, *args, **kwargs):
    """Build ``f(*args, **kwargs)``'s subgraph unless its result is stored."""
    context = current_context()
    outer = Task(f, *args, **kwargs)
    done = outer.can_load()
    context.record_question("compound", [outer.key], done)
    if done:
        return outer
    context.unregister(outer)
    inner = f(*args, **kwargs)
    pseudo = Task(compound_task_execute, inner, outer.hash())
    pseudo._set_hash(outer.hash())
    return pseudo


def CompoundTaskGenerator(f):
    """Decorator form of :func:`CompoundTask`."""

    @functools.wraps(f)
    def generator(*args, **kwargs):
        return CompoundTask(f, *args, **kwargs)

    generator.f = f
    return generator
