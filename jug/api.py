"""The jug entry points for scripts: ``init``, ``set_jugdir``,
``is_jug_running``, and ``CachedFunction``."""

from jug.context import current_context
from jug.task import Task


def set_jugdir(jugdir):
    """Use the store named by ``jugdir`` (a directory, ``redis://...`` or
    ``dict_store[:FILE]``; a store object is used as is) for the tasks of this
    program; returns the store."""
    from jug.store import open_store

    store = open_store(jugdir or "jugdata") if isinstance(jugdir, (str, type(None))) else jugdir
    current_context().store = store
    return store


def init(jugfile=None, jugdir=None, on_error="exit", store=None):
    """Run ``jugfile`` (default ``jugfile.py``) against ``jugdir`` so that its
    tasks and their results are available to this program.

    Afterwards ``import jugfile_module`` gives the traced module and
    ``value(jugfile_module.something)`` loads results.  Returns
    ``(store, namespace)``.  ``on_error='exit'`` prints the error and exits 1;
    ``'propagate'`` raises it."""
    import sys

    from jug.compiler.trace import trace_jugfile
    from jug.errors import JugError

    jugfile = jugfile or "jugfile.py"
    if store is None:
        store = set_jugdir(jugdir)
    try:
        trace = trace_jugfile(jugfile, store, argv=[jugfile], persistent=True, running=False)
    except JugError as error:
        if on_error != "exit":
            raise
        print(str(error), file=sys.stderr)
        sys.exit(1)
    return store, trace.module.__dict__


def is_jug_running():
    """True while jug runs a jugfile (``jug execute``, ``jug status``...)."""
    return current_context().running


def CachedFunction(f, *args, **kwargs):
    """``f(*args, **kwargs)`` computed once and kept in the store: the first
    trace runs it (and saves it), later ones load it."""
    context = current_context()
    task = Task(f, *args, **kwargs)
    done = task.can_load()
    context.record_question("cached", [task.hash()], True)
    if done:
        return task.value()
    if not task.can_run():
        raise ValueError(f"CachedFunction {task.name}: its dependencies have no result yet")
    return task.run()
