"""The one piece of ambient state: the jug context of the running program.

A jugfile creates tasks with plain calls (``is_prime(n)``), so the tasks it
creates must find *something* to register with.  That something is a
:class:`JugContext`, held in a single context variable.  The tracer sets it
while it runs a jugfile; ``jug.init`` sets it for the rest of the program so
that ``jug.value(jugfile.results)`` works afterwards; tests make their own.

Nothing else in the code base reads ambient state: everything below the
context (graph building, hashing, execution) receives what it needs as
arguments.
"""

import contextlib
import contextvars

from jug.errors import JugError

_current = contextvars.ContextVar("jug_context", default=None)


class JugContext:
    """Where tasks created now go, and which store answers their questions.

    Mutable by design (it accumulates the trace); documented fields:

    * ``store``: the :class:`jug.store.base.Store` results live in (or None
      until one is chosen).
    * ``tasks``: every Task created in this context, in creation order
      (a creation order is a topological order: a task's dependencies exist
      before it does).
    * ``store_questions``: every question the trace asked the store, as
      ``(kind, hex hashes, answer)``; a manifest is stale when an answer changes.
    * ``hash_memo``: shared by all hashing in this context, so an argument
      object passed to many tasks is encoded once.
    * ``stage``: how many barriers (or bvalues) the trace has passed; each
      task records the stage it was created in.
    * ``stopped_at``: set to a description when tracing stopped at an unmet
      barrier or ``bvalue``.
    * ``source_path``: the jugfile's code filename while tracing, so each task
      can record the line that created it.
    * ``running``: True under ``jug`` (``is_jug_running``).
    * ``hooks``: the :class:`jug.hooks.HookRegistry` that ``jug.hooks``
      registers into and ``jug execute`` calls; a trace's context is given
      the registry of the context that started it.
    """

    def __init__(self, store=None, running=False, hooks=None):
        self.store = store
        self.tasks = []
        self.store_questions = []
        self.stopped_at = None
        self.stage = 0
        self.source_path = None
        self.running = running
        self.dependency_memo = {}
        self._hash_memo = None
        self._hooks = hooks
        #: set by the tracer through :attr:`freeze_every`: the garbage
        #: collector is frozen when ``len(tasks) & freeze_mask`` is 0 (-1:
        #: never, as a list that was appended to is not empty)
        self.freeze_mask = -1

    @property
    def hash_memo(self):
        if self._hash_memo is None:
            from jug.hash import HashMemo

            self._hash_memo = HashMemo()
        return self._hash_memo

    @property
    def hooks(self):
        if self._hooks is None:
            from jug.hooks import HookRegistry

            self._hooks = HookRegistry()
        return self._hooks

    @property
    def freeze_every(self):
        """Every this many tasks (a power of two; 0: never), what the cyclic
        garbage collector tracks is frozen (see jug.compiler.trace.frozen_gc)."""
        return self.freeze_mask + 1

    @freeze_every.setter
    def freeze_every(self, every):
        if every & (every - 1):
            raise ValueError(f"freeze_every must be a power of two or 0, not {every}")
        self.freeze_mask = every - 1

    def register(self, task):
        # TaskGenerator.__call__ inlines this for a JugContext (not a subclass)
        tasks = self.tasks
        tasks.append(task)
        if not len(tasks) & self.freeze_mask:
            import gc

            gc.freeze()

    def unregister(self, task):
        """Forget ``task`` (CompoundTask replaces its outer task by a subgraph)."""
        for index in range(len(self.tasks) - 1, -1, -1):
            if self.tasks[index] is task:
                del self.tasks[index]
                return

    def record_question(self, kind, hashes, answer):
        self.store_questions.append((kind, tuple(hashes), answer))

    def require_store(self):
        if self.store is None:
            from jug.store import open_store

            self.store = open_store("jugdata")
        return self.store


def current_context():
    """The active context, created (with no store yet) on first use."""
    context = _current.get()
    if context is None:
        context = JugContext()
        _current.set(context)
    return context


def set_context(context):
    """Make ``context`` the active one for the rest of this thread's run;
    returns the token to restore the previous one."""
    return _current.set(context)


@contextlib.contextmanager
def using_context(context):
    """Run a block with ``context`` active, restoring the previous one after."""
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


def active_store():
    """The store of the active context; a clear error when there is none."""
    context = current_context()
    if context.store is None:
        raise JugError(
            "no jug store is set: call jug.init(jugfile, jugdir) or "
            "jug.set_jugdir(jugdir) before asking for results"
        )
    return context.store
