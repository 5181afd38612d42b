"""``barrier()`` and ``bvalue()``: points where the jugfile needs results.

Tracing stops at a barrier whose preceding tasks are not all finished (and at
a ``bvalue`` whose tasks are not), by raising :class:`BarrierError`; the
tracer catches it and records where it stopped.  Every question asked of the
store is recorded in the context with its answer, so a manifest built from
this trace knows to re-trace once the answer changes.
"""

from jug.context import current_context
from jug.errors import JugError
from jug.task import Task, Tasklet, jugfile_line, scan_dependencies, value


class BarrierError(JugError):
    """Raised inside a trace to stop it at an unmet barrier."""


def barrier():
    """Stop here unless every task created so far has its result."""
    context = current_context()
    _wait_for(context, "barrier", [task.key for task in context.tasks])


def bvalue(obj):
    """``value(obj)`` if every task it needs is finished; otherwise stop the
    jugfile here, like :func:`barrier` but waiting only for those tasks."""
    from jug.io import NoLoad

    if isinstance(obj, NoLoad):
        return obj
    deps, _ = scan_dependencies(obj, None)
    if isinstance(obj, (Task, Tasklet)) and not deps:
        deps = [obj]
    if deps:
        _wait_for(current_context(), "bvalue", [task.key for task in deps])
    return value(obj)


def _wait_for(context, kind, hashes):
    """Record the question "are these tasks finished?" and stop the trace
    (BarrierError) unless they all are; a passed point starts a new stage."""
    missing = _missing(context.require_store(), hashes)
    context.record_question(kind, hashes, not missing)
    if missing:
        line = jugfile_line(context.source_path)
        context.stopped_at = f"{kind}()" + (f" at line {line}" if line else "")
        raise BarrierError(f"{kind}: {len(missing)} tasks are not finished yet")
    context.stage += 1


def _missing(store, hashes):
    if not hashes:
        return []
    present = store.exists_many(hashes)
    return [h for h, ok in zip(hashes, present) if not ok]
