"""The jug entry points for scripts: ``init``, ``set_jugdir``,
``is_jug_running``, and ``CachedFunction``."""

from jug.context import current_context
from jug.task import Task


def set_jugdir(jugdir):
    """Use the store named by ``jugdir`` (a directory, ``redis://...`` or
    ``dict_store[:FILE]``; a store object is used as is) for the tasks of this
    program; returns the store, with the original jug's methods as well
    (``load``, ``can_load``, ``dump``, ``list``...: jug.backends.base)."""
    from jug.backends.base import original_view, our_store
    from jug.store import open_store

    if isinstance(jugdir, (str, type(None))):
        store = open_store(jugdir or "jugdata")
    else:
        store = our_store(jugdir)
    current_context().store = store
    return original_view(store)


def init(jugfile=None, jugdir=None, on_error="exit", store=None):
    """Run ``jugfile`` (default ``jugfile.py``) against ``jugdir`` so that its
    tasks and their results are available to this program.

    Afterwards ``import jugfile_module`` gives the traced module and
    ``value(jugfile_module.something)`` loads results.  Returns
    ``(store, namespace)``, as the original jug does: the store (with the
    original's methods as well, see :func:`set_jugdir`) and the jugfile's
    namespace (``__jug__hasbarrier__`` is set in it when the jugfile stopped
    at a barrier).  ``sys.argv`` is left alone: the jugfile sees this
    program's arguments.  ``on_error='exit'`` prints the error and exits 1;
    ``'propagate'`` raises it."""
    import sys

    from jug.backends.base import original_view, our_store
    from jug.compiler.trace import trace_jugfile
    from jug.errors import JugError

    jugfile = jugfile or "jugfile.py"
    store = our_store(set_jugdir(jugdir) if store is None else store)
    argv = sys.argv
    try:
        trace = trace_jugfile(jugfile, store, argv=list(argv), persistent=True, running=False)
    except JugError as error:
        if on_error != "exit":
            raise
        print(str(error), file=sys.stderr)
        sys.exit(1)
    finally:
        sys.argv = argv  # the same list object, unchanged
    namespace = trace.module.__dict__
    if trace.stopped_at:
        namespace["__jug__hasbarrier__"] = True
    return original_view(store), namespace


def is_jug_running():
    """True while jug runs a jugfile (``jug execute``, ``jug status``...)."""
    return current_context().running


def CachedFunction(f, *args, **kwargs):
    """``f(*args, **kwargs)`` computed once and kept in the store: the first
    trace runs it (and saves it), later ones load it."""
    context = current_context()
    task = Task(f, *args, **kwargs)
    done = task.can_load()
    context.record_question("cached", [task.key], True)
    if done:
        return task.value()
    if not task.can_run():
        raise ValueError(f"CachedFunction {task.name}: its dependencies have no result yet")
    return task.run()
