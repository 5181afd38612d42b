"""Utilities that make jug reuse results on purpose: use with care.

``NoHash(obj)`` passes ``obj`` to a task without it taking part in the
task's identity (the original jug's ``jug.unsafe.NoHash``): the task is not
re-run when ``obj`` changes, e.g. the number of CPUs in
``jug_execute(['make', '-j', NoHash('4')])``.
"""

from jug.task import value

__all__ = ["NoHash"]


class NoHash:
    """``obj``, left out of the hash of any task it is passed to (its value
    is ``value(obj)``; tasks inside it are still dependencies)."""

    def __init__(self, obj):
        self.obj = obj

    def __jug_value__(self):
        return value(self.obj)

    def __jug_hash__(self):
        return b"nohash"

    def __jug_dependencies__(self):
        return [self.obj]
