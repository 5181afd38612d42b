"""Hooks: user functions called at points of ``jug execute``.

Names: ``execute.task-loadable(task)``, ``execute.task-pre-execute(task)``
(lock held), ``execute.task-executed1(task)`` (after a success; may call
``sys.exit`` to stop between tasks), ``execute.finished_pre_status()`` and
``execute.finished_post_status()``.
"""

_HOOK_NAMES = (
    "execute.task-loadable",
    "execute.task-pre-execute",
    "execute.task-executed1",
    "execute.finished_pre_status",
    "execute.finished_post_status",
)

_hooks = {name: [] for name in _HOOK_NAMES}
_registered_once = set()
# Every registration in order, so that those a jugfile made while it was
# traced can be stored in its manifest and replayed by workers that never
# run the jugfile.
_log = []


def _check_name(name):
    if name not in _hooks:
        raise ValueError(f"jug.hooks: unknown hook {name!r}; known hooks: {', '.join(_HOOK_NAMES)}")


def register_hook(name, f=None):
    """Call ``f`` at hook ``name``; without ``f``, a decorator."""
    _check_name(name)
    if f is None:
        def decorator(function):
            _add(name, None, function)
            return function
        return decorator
    _add(name, None, f)
    return f


def _add(name, code, f):
    _hooks[name].append(f)
    _log.append((name, code, f))


def register_hook_once(name, code, f):
    """Register ``f`` for ``name`` unless ``(name, code)`` was registered before."""
    _check_name(name)
    if (name, code) in _registered_once:
        return
    _registered_once.add((name, code))
    _add(name, code, f)


def jug_hook(name, args=(), kwargs=None):
    """Call every function registered for ``name``; returns their results."""
    functions = _hooks[name]
    if not functions:
        return []
    return [f(*args, **(kwargs or {})) for f in functions]


def has_hooks(name):
    """Is any function registered for ``name``?"""
    return bool(_hooks[name])


def reset_all_hooks():
    for functions in _hooks.values():
        functions.clear()
    _registered_once.clear()
    _log.clear()


def registrations_since(mark):
    """The ``(name, code, function)`` registrations made after ``mark``
    (a value of :func:`registration_mark`)."""
    return list(_log[mark:])


def registration_mark():
    return len(_log)


def replay(registrations):
    """Register again what :func:`registrations_since` returned (in a worker
    that runs tasks from a manifest instead of running the jugfile)."""
    for name, code, f in registrations:
        if code is None:
            register_hook(name, f)
        else:
            register_hook_once(name, code, f)
