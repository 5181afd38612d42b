"""Hooks: user functions called at points of ``jug execute``.

Names: ``execute.task-loadable(task)``, ``execute.task-pre-execute(task)``
(lock held), ``execute.task-executed1(task)`` (after a success; may call
``sys.exit`` to stop between tasks), ``execute.finished_pre_status()`` and
``execute.finished_post_status()``.

The registrations live in a :class:`HookRegistry` owned by the active
:class:`jug.context.JugContext` (``context.hooks``); the functions of this
module act on that one.  A trace's context shares the registry of the
context that started it, so the hooks a jugfile registers apply to the
``jug execute`` that traced it.
"""

from jug.context import current_context

_HOOK_NAMES = (
    "execute.task-loadable",
    "execute.task-pre-execute",
    "execute.task-executed1",
    "execute.finished_pre_status",
    "execute.finished_post_status",
)


def _check_name(name):
    if name not in _HOOK_NAMES:
        raise ValueError(f"jug.hooks: unknown hook {name!r}; known hooks: {', '.join(_HOOK_NAMES)}")


class HookRegistry:
    """The functions registered for each hook, in order, and every
    registration in order (so that those a jugfile made while it was traced
    can be stored in its manifest and replayed by workers that never run the
    jugfile)."""

    def __init__(self):
        self._functions = {name: [] for name in _HOOK_NAMES}
        self._registered_once = set()
        self._log = []

    def register(self, name, f, code=None):
        """Call ``f`` at hook ``name``; with a ``code``, only once per
        ``(name, code)``."""
        _check_name(name)
        if code is not None:
            if (name, code) in self._registered_once:
                return
            self._registered_once.add((name, code))
        self._functions[name].append(f)
        self._log.append((name, code, f))

    def call(self, name, args=(), kwargs=None):
        """Call every function registered for ``name``; returns their results."""
        functions = self._functions[name]
        if not functions:
            return []
        return [f(*args, **(kwargs or {})) for f in functions]

    def has(self, name):
        return bool(self._functions[name])

    def reset(self):
        for functions in self._functions.values():
            functions.clear()
        self._registered_once.clear()
        self._log.clear()

    def mark(self):
        """A position in the registrations, for :meth:`since`."""
        return len(self._log)

    def since(self, mark):
        """The ``(name, code, function)`` registrations made after ``mark``."""
        return list(self._log[mark:])

    def replay(self, registrations):
        """Register again what :meth:`since` returned."""
        for name, code, f in registrations:
            self.register(name, f, code)


def register_hook(name, f=None):
    """Call ``f`` at hook ``name``; without ``f``, a decorator."""
    _check_name(name)
    if f is None:
        def decorator(function):
            current_context().hooks.register(name, function)
            return function
        return decorator
    current_context().hooks.register(name, f)
    return f


def register_hook_once(name, code, f):
    """Register ``f`` for ``name`` unless ``(name, code)`` was registered before."""
    current_context().hooks.register(name, f, code)


def jug_hook(name, args=(), kwargs=None):
    """Call every function registered for ``name``; returns their results."""
    return current_context().hooks.call(name, args, kwargs)


def has_hooks(name):
    """Is any function registered for ``name``?"""
    return current_context().hooks.has(name)


def reset_all_hooks():
    current_context().hooks.reset()


def registrations_since(mark):
    """The ``(name, code, function)`` registrations made after ``mark``
    (a value of :func:`registration_mark`)."""
    return current_context().hooks.since(mark)


def registration_mark():
    return current_context().hooks.mark()


def replay(registrations):
    """Register again what :func:`registrations_since` returned (in a worker
    that runs tasks from a manifest instead of running the jugfile)."""
    current_context().hooks.replay(registrations)
