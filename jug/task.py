"""Tasks: lazy function calls whose results live in a store.

``Task(f, *args, **kwargs)`` records a call; calling a :class:`TaskGenerator`
does the same with nicer syntax.  A task's identity is the canonical hash of
its name and arguments (``jug.hash``); arguments may contain other tasks (in
lists, tuples, dicts, or through ``__jug_dependencies__``), which become its
dependencies.  :class:`Tasklet` is a light view on a task's result (``t[0]``)
that is recomputed rather than stored.

The task is hashed when it is created: its dependencies were created before
it, so their hashes are already known and no recursion over the graph is ever
needed (a 100,000-task chain is fine).
"""

import functools
import itertools
import operator
import sys

from gc import freeze as _gc_freeze

from jug.context import JugContext, _current, current_context
from jug.errors import JugError

__all__ = [
    "Task",
    "Tasklet",
    "TaskGenerator",
    "iteratetask",
    "recursive_dependencies",
    "return_tuple",
    "topological_sort",
    "value",
    "describe",
]

_UNLOADED = object()
_get_context = _current.get
_getframe = sys._getframe
_new_object = object.__new__

# Containers this long have their dependency scan memoized by identity: the
# same big list passed to many tasks is walked once per trace.
_MEMO_MIN_LEN = 32


def task_name(f):
    """``module.name`` of a task function, as jug prints it."""
    return f"{getattr(f, '__module__', None) or '__main__'}.{f.__name__}"


class TaskletMixin:
    """What Task and Tasklet share: indexing gives a Tasklet, and iteration is
    refused (a task's length is unknown until it runs)."""

    __slots__ = ()

    def __getitem__(self, index):
        return Tasklet(self, _ItemGetter(index))

    def __iter__(self):
        raise NotImplementedError(
            "a Task cannot be iterated before it has run: use "
            "jug.iteratetask(task, n) to unpack n results, or bvalue(task) to "
            "wait for its value"
        )

    def __jug_value__(self):
        return self.value()

    def __jug_dependencies__(self):
        return [self]


class Task(TaskletMixin):
    """A lazy call of ``f(*args, **kwargs)`` whose result is kept in the store.

    Attributes: ``name`` (``module.function``), ``f``, ``args``, ``kwargs``,
    and, read-only, what jug's tracer, compiler and executor read of a task:

    * ``key``: the hash as a ``str``, the task's key in the store and graph;
    * ``stage``: how many barriers the trace had passed when it created the
      task;
    * ``line``: the jugfile line that created it (0 when unknown);
    * ``needs_value``: whether the arguments hold tasks (or other objects)
      that :func:`value` must replace before the function is called.

    With :meth:`dependencies` and :meth:`set_result` (keep a result computed
    or loaded elsewhere) that is all they use.
    Plain attributes rather than properties: the tracer reads them once per
    task and dependency, a hundred thousand times for a large jugfile.
    They are slots (a ``__dict__`` is still made when some other attribute
    is set): a million tasks are alive during a trace, and a slotted task
    takes 128 bytes where one with a dictionary takes 280.  Neither a
    ``__weakref__`` slot (nothing takes weak references to tasks) nor one
    for the result, which few tasks of a trace ever hold (it is in the
    ``__dict__`` once set): each would make a task 144 bytes, 16 MB more
    at a million tasks.
    """

    __slots__ = ("f", "args", "kwargs", "_name", "_context", "stage",
                 "_dependencies", "needs_value", "key", "line", "__dict__")
    _result = _UNLOADED  # until a result is set or loaded

    def __init__(self, f, *args, **kwargs):
        if isinstance(f, TaskGenerator):
            f = f.f
        if isinstance(f, functools.partial):
            args = f.args + args
            kwargs = {**(f.keywords or {}), **kwargs}
            f = f.func
        if getattr(f, "__name__", None) == "<lambda>":
            raise ValueError(
                "jug.Task: a lambda cannot be a task function (its name is not "
                "stable); define the function with `def` at module level"
            )
        self._init_named(f, task_name(f), args, kwargs)

    def _init_named(self, f, name, args, kwargs, heads=None):
        # ``heads`` (jug.hash.task_heads(name)) allows the short way to the
        # key when all arguments are plain values or tasks.  The line is the
        # caller's caller's (the jugfile calling a TaskGenerator or Task())
        # when that is the jugfile, else the innermost jugfile frame's.
        self.f = f
        self.args = args
        self.kwargs = kwargs or _NO_KWARGS
        self._name = name
        context = _get_context() or current_context()
        self._context = context
        self.stage = context.stage
        if kwargs:
            deps = None
        elif len(args) == 1 and type(args[0]) in _LEAF_TYPES:
            deps = _NO_DEPENDENCIES  # f(i): _simple_dependencies, inlined
        else:
            deps = _simple_dependencies(args)
        key = None
        if deps is None:
            self._dependencies, self.needs_value = scan_dependencies(
                (args, kwargs) if kwargs else args, context.dependency_memo, context.tasks)
        else:
            self._dependencies, self.needs_value = deps, bool(deps)
            if heads is not None and len(args) < len(heads):
                key = _hashing.plain_task_key(heads[len(args)], args)
        self.key = self._compute_key(context) if key is None else key
        path = context.source_path
        if path is None:
            self.line = 0
        else:
            frame = _getframe(2)
            self.line = (frame.f_lineno if frame.f_code.co_filename == path
                         else jugfile_line(path))
        context.register(self)

    @classmethod
    def _stub(cls, key, name, store):
        """A task known only by its hash ``key`` (``str``) and name
        (executing from a manifest): it can load its value, nothing more.
        ``store`` may be shared by many stubs through a :func:`stub_context`."""
        task = object.__new__(cls)
        task.f = None
        task.args = ()
        task.kwargs = _NO_KWARGS
        task.stage = 0
        task._dependencies = ()
        task.needs_value = False
        task.line = 0
        task._name = name
        task.key = key
        task._context = store if isinstance(store, _StoreHolder) else _StoreHolder(store)
        return task

    # -- identity -----------------------------------------------------------

    @property
    def name(self):
        return self._name

    @name.setter
    def name(self, name):
        self._name = name
        self.key = self._compute_key(self._context)

    def hash(self):
        """The task's identity: 40 hexadecimal digits, as bytes (as in jug);
        :attr:`key` is the same as ``str`` (only the ``str`` is kept)."""
        return self.key.encode("ascii")

    def _compute_key(self, context):
        task_key = _hashing.task_key if _hashing else _import_hashing().task_key
        return task_key(self._name, self.args, self.kwargs, context.hash_memo)

    def __jug_hash__(self):
        return self.key.encode("ascii")

    def _set_hash(self, digest):
        """Set the hash (a new name; CompoundTask: the pseudo-task stands for
        its outer task)."""
        self.key = digest.decode("ascii")

    # -- dependencies ---------------------------------------------------------

    def dependencies(self):
        """The tasks this one needs, each once, in argument order."""
        return iter(self._dependencies)

    # -- store ---------------------------------------------------------------

    @property
    def store(self):
        store = self._context.store
        if store is None:
            store = current_context().require_store()
        return store

    def can_load(self, store=None):
        """Is the result in the store?"""
        return (store or self.store).exists(self.key)

    def can_run(self):
        """Are the results of all its dependencies available?"""
        return all(dep.is_loaded() or dep.can_load() for dep in self._dependencies)

    def is_loaded(self):
        """Is the result in memory?"""
        return self._result is not _UNLOADED

    def load(self):
        """Load the result from the store (always, even if it is in memory)."""
        from jug.errors import ResultMissing

        try:
            self._result = self.store.load(self.key)
        except ResultMissing as error:
            raise ResultMissing(
                f"the result of task {self._name} (hash {self.key}) is not "
                f"available yet: run `jug execute` first ({error})", key=self.key
            ) from None
        return self._result

    def unload(self):
        """Drop the result from memory (to save memory; it stays stored)."""
        self._result = _UNLOADED

    def set_result(self, result):
        """Keep ``result`` in memory as this task's value (computed or loaded
        by the executor); nothing is saved."""
        self._result = result

    def unload_recursive(self):
        """Unload this task and every task it depends on."""
        for task in [self, *recursive_dependencies(self)]:
            task.unload()

    def value(self):
        """The result, loaded from the store if it is not in memory."""
        if self._result is _UNLOADED:
            self.load()
        return self._result

    result = property(value, doc="The task's result (loaded from the store if needed).")

    def invalidate(self):
        """Remove this task's stored result (not recursive)."""
        self.unload()
        return self.store.remove(self.key)

    # -- running -------------------------------------------------------------

    def compute(self):
        """Call the function on the values of the arguments; nothing is saved."""
        if self.needs_value:
            return self.f(*value(self.args), **value(self.kwargs))
        return self.f(*self.args, **self.kwargs)

    def run(self, force=None, save=True, debug_mode=False):
        """Compute the result, save it (unless ``save`` is false) and keep it
        in memory.  ``debug_mode`` checks the task did not change its own
        arguments."""
        if not self.can_run():
            raise JugError(
                f"task {self._name} cannot run: some of its dependencies have no result yet"
            )
        if debug_mode:
            result = compute_checked(self._name, self.args, self.kwargs, self.compute)
        else:
            result = self.compute()
        if save:
            self.store.save(self.key, result)
        self._result = result
        return result

    # -- locks ---------------------------------------------------------------

    def lock(self):
        """Try to lock the task for this process; True if it got the lock.
        Only a successful ``lock()`` says nobody else runs the task."""
        return self.store.lock(self.key)

    def unlock(self):
        """Release the lock."""
        self.store.unlock(self.key)

    def is_locked(self):
        """Does the task look locked (the answer may be out of date at once)?"""
        return self.store.is_locked(self.key)

    def fail(self):
        """Mark the (locked) task as failed."""
        return self.store.fail(self.key)

    def is_failed(self):
        """Is the task marked as failed?"""
        return self.store.is_failed(self.key)

    def __str__(self):
        return f"Task: {self._name}()"

    def __repr__(self):
        return f"Task({self._name}, args={self.args!r}, kwargs={self.kwargs!r})"


# The keyword arguments of every task created without any: one shared dict
# rather than a million empty ones (treat task.kwargs as read-only).
_NO_KWARGS = {}


def stub_context(store):
    """What stubs created with :meth:`Task._stub` share to reach ``store``."""
    return _StoreHolder(store)


def compute_checked(name, args, kwargs, compute):
    """``compute()``, failing when it created a task (tasks are created by
    the jugfile, not by other tasks) or changed ``args`` or ``kwargs`` (its
    hash would no longer describe what it computed): the ``--debug``
    checks, with the original's messages."""
    from jug.hash import hash_task

    before = hash_task(name, args, kwargs)
    tasks = current_context().tasks
    created = len(tasks)
    result = compute()
    if len(tasks) != created:
        raise RuntimeError("Creating tasks while executing another task is not supported.\n"
                           f"Error detected while running task `{name}`")
    if hash_task(name, args, kwargs) != before:
        raise RuntimeError(f"jug: Hash value of task (name: {name}) changed unexpectedly: the "
                           "task modified its arguments; copy them inside the task instead")
    return result


class _StoreHolder:
    """Stands in for a context where only the store matters."""

    __slots__ = ("store",)

    def __init__(self, store):
        self.store = store


def _simple_dependencies(args):
    """The dependencies of positional ``args`` that are plain values or
    tasks (the common case), without the general scan; None otherwise."""
    deps = None
    for arg in args:
        kind = type(arg)
        if kind is Task:
            if deps is None:
                deps = [arg]
            elif arg not in deps:
                deps.append(arg)
        elif kind not in _LEAF_TYPES:
            return None
    return _NO_DEPENDENCIES if deps is None else deps


def jugfile_line(path, skip=1):
    """The line of ``path`` (the jugfile's code filename) running now: that
    of its innermost frame on the stack, looking from ``skip`` frames above
    the caller outwards; 0 when the jugfile is not on the stack."""
    frame = sys._getframe(skip + 1)
    while frame is not None:
        if frame.f_code.co_filename == path:
            return frame.f_lineno
        frame = frame.f_back
    return 0


class _ItemGetter:
    """``t[index]`` as a Tasklet operation; the index may itself be a task."""

    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index

    def __call__(self, base_value):
        return base_value[value(self.index)]

    def __jug_hash__(self):
        from jug.hash import hash_one

        return hash_one(("jug.task._getitem", self.index))

    def __jug_dependencies__(self):
        return [self.index]

    def __repr__(self):
        return f"[{self.index!r}]"


class Tasklet(TaskletMixin):
    """``f(value(base))`` computed on demand and never stored.

    Created by ``task[i]`` (and slicing); ``Tasklet(task, f)`` makes one
    explicitly, ``f`` may be a lambda."""

    def __init__(self, base, f):
        self.base = base
        self.f = f
        self._hash = None

    def value(self):
        return self.f(value(self.base))

    def can_load(self):
        return self.base.can_load() and all(
            dep.can_load() for dep in _operation_dependencies(self.f)
        )

    def is_loaded(self):
        return self.base.is_loaded()

    def dependencies(self):
        return iter([self.base, *_operation_dependencies(self.f)])

    def __jug_dependencies__(self):
        return [self.base, *_operation_dependencies(self.f)]

    def unload(self):
        self.base.unload()

    def unload_recursive(self):
        self.base.unload_recursive()

    def hash(self):
        if self._hash is None:
            from jug.hash import hash_one

            self._hash = hash_one(("Tasklet", self.base, self.f))
        return self._hash

    def __jug_hash__(self):
        return self.hash()

    @property
    def name(self):
        return "tasklet"

    def __repr__(self):
        return f"Tasklet({self.base!r}, {self.f!r})"


def _operation_dependencies(f):
    """Tasks a Tasklet operation needs besides its base (``r[z]`` needs ``z``)."""
    if isinstance(f, _ItemGetter):
        deps, _ = scan_dependencies(f.index, None)
        return deps
    return []


_NO_DEPENDENCIES = ()
_hashing = None  # jug.hash, imported when the first task is hashed
# jug.hash's, set by the first TaskGenerator call
_task_sha1 = _SMALL_INTS = None
_ZERO_COUNT = b"\0" * 8  # jug.hash's encoding of "no keyword arguments"


def _import_hashing():
    global _hashing
    import jug.hash

    _hashing = jug.hash
    return _hashing

# Values that can hold no task: skipped at once by the dependency scan.
_LEAF_TYPES = frozenset({int, float, str, bytes, bool, type(None), complex})


def scan_dependencies(obj, memo, created=None):
    """The base tasks reachable in ``obj`` (each once, in order) and whether
    ``obj`` holds anything ``value()`` must replace.

    Walks lists, tuples and dicts (subclasses too, as jug does) and anything
    with ``__jug_dependencies__``, with an explicit stack.  ``memo`` maps
    ``id(container)`` to the answer for long containers already walked, so a
    big list passed to many tasks is walked once.  ``created`` is the list
    of the tasks created so far (each once, in order), if known."""
    kind = type(obj)
    if ((kind is list or kind is tuple) and obj and type(obj[0]) is Task
            and set(map(type, obj)) == _ONLY_TASK):
        # a list made only of tasks (the reduce of a map): each once, in order
        return _each_once(obj, created), True
    found = {}
    needs_value = False
    stack = [obj]
    while stack:
        item = stack.pop()
        if type(item) in _LEAF_TYPES:
            continue
        if isinstance(item, Task):
            found.setdefault(id(item), item)
            needs_value = True
        elif isinstance(item, (list, tuple, dict)):
            if memo is not None and item is not obj and len(item) >= _MEMO_MIN_LEN:
                entry = memo.get(id(item))
                if entry is None:
                    entry = (item, *scan_dependencies(item, memo, created))
                    memo[id(item)] = entry
                if not found and not stack and entry[1]:
                    # the last thing left is this container: its answer, as is
                    # (the arguments of the reduce of a million tasks)
                    return entry[1], True
                found.update(zip(map(id, entry[1]), entry[1]))
                needs_value = needs_value or entry[2]
                continue
            values = item.values() if isinstance(item, dict) else item
            # reversed, so that popping visits the arguments in order
            stack.extend(reversed(list(values)))
        elif not isinstance(item, type):
            dependencies = getattr(item, "__jug_dependencies__", None)
            if dependencies is not None:
                needs_value = True
                stack.extend(reversed(list(dependencies())))
            elif hasattr(item, "__jug_value__"):
                needs_value = True
    return list(found.values()), needs_value


_ONLY_TASK = {Task}


def _each_once(tasks, created):
    """The distinct ``tasks`` (only Task objects), in order.  When they are
    the last tasks ``created``, in order (the map just before its reduce),
    they are distinct, and no set of them is needed."""
    start = len(created) - len(tasks) if created else -1
    if (start >= 0 and created[start] is tasks[0]
            and all(map(operator.is_, tasks, itertools.islice(created, start, None)))):
        return list(tasks)
    return list(dict.fromkeys(tasks))  # a plain Task hashes by identity


def value(obj):
    """Replace tasks by their results, recursively through exact lists,
    tuples and dicts; objects with ``__jug_value__`` give that instead."""
    kind = type(obj)
    if kind is list:
        return [value(item) for item in obj]
    if kind is tuple:
        return tuple(value(item) for item in obj)
    if kind is dict:
        return {key: value(item) for key, item in obj.items()}
    if isinstance(obj, (Task, Tasklet)):
        return obj.__jug_value__()
    jug_value = getattr(obj, "__jug_value__", None)
    if jug_value is not None and not isinstance(obj, type):
        return jug_value()
    return obj


def recursive_dependencies(task, max_level=-1):
    """Every task ``task`` depends on, directly or not, each once (depth
    first).  ``max_level`` limits the depth; negative or None means no limit.
    Iterative: a chain of any length works."""
    if max_level is None:
        max_level = -1
    seen = set()
    stack = [(dep, 1) for dep in reversed(list(task.dependencies()))]
    while stack:
        dep, level = stack.pop()
        if max_level >= 0 and level > max_level:
            continue
        if id(dep) in seen:
            continue
        seen.add(id(dep))
        yield dep
        stack.extend((child, level + 1) for child in reversed(list(dep.dependencies())))


def topological_sort(tasks):
    """Sort ``tasks`` in place so that every task comes after its
    dependencies (a stable order otherwise)."""
    position = {id(t): i for i, t in enumerate(tasks)}
    ordered = []
    visited = set()
    for root in list(tasks):
        if id(root) in visited:
            continue
        stack = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                ordered.append(node)
                continue
            if id(node) in visited:
                continue
            visited.add(id(node))
            stack.append((node, True))
            for dep in reversed(list(node.dependencies())):
                if id(dep) in position and id(dep) not in visited:
                    stack.append((dep, False))
    tasks[:] = ordered


class TaskGenerator:
    """Decorator: calling the decorated function creates a :class:`Task`.

    ``@TaskGenerator def f(x): ...`` then ``f(2)`` is ``Task(f, 2)``.  The
    plain function is available as ``.f``."""

    _jug_is_task_generator = True
    # the caches of the first call, also for a generator unpickled from a
    # payload that was written before they existed
    _heads = _fast = None

    def __init__(self, f):
        self.f = f
        functools.update_wrapper(self, f)
        # a plain function (the usual case) needs no unwrapping per call
        plain = (not isinstance(f, (TaskGenerator, functools.partial))
                 and getattr(f, "__name__", None) not in (None, "<lambda>"))
        self._plain = f if plain else None
        self._task_name = task_name(f) if plain else None
        self._heads = None  # jug.hash.task_heads(self._task_name), on the first call
        self._fast = None  # what __call__ needs for f(i), on the first call

    def __call__(self, *args, **kwargs):
        fast = self._fast
        if fast is None or kwargs or len(args) != 1 or type(args[0]) is not int:
            return self._call(args, kwargs)
        # f(i), the commonest call of a large jugfile: Task._init_named,
        # plain_task_key and JugContext.register inlined (a million tasks
        # are a million calls of each; the digest is the same)
        f, name, head, int_heads = fast
        if f is not self.f:  # .f was replaced after the first call
            self._fast = None
            return self._call(args, kwargs)
        task = _new_object(Task)
        task.f = f
        task.args = args
        task.kwargs = _NO_KWARGS
        task._name = name
        context = _get_context() or current_context()
        task._context = context
        task.stage = context.stage
        task._dependencies = _NO_DEPENDENCIES
        task.needs_value = False
        arg = args[0]
        if -256 <= arg < 1024:
            task.key = _task_sha1(head + _SMALL_INTS[arg + 256] + _ZERO_COUNT).hexdigest()
        else:
            length = (arg.bit_length() + 8) >> 3
            if length < 9:
                # the hasher fed with the head and the int's tag and length,
                # copied (quicker than a new one), fed the int and "no
                # keywords": (arg << 64) has 8 zero bytes after arg's own
                # (unsigned for a positive int: the length leaves the sign
                # bit 0, and no keyword is quicker)
                hasher = int_heads[length].copy()
                hasher.update((arg << 64).to_bytes(length + 8, "big") if arg > 0 else
                              (arg << 64).to_bytes(length + 8, "big", signed=True))
                task.key = hasher.hexdigest()
            else:
                task.key = task._compute_key(context)
        path = context.source_path
        if path is None:
            task.line = 0
        else:
            frame = _getframe(1)
            task.line = (frame.f_lineno if frame.f_code.co_filename == path
                         else jugfile_line(path))
        if type(context) is JugContext:
            tasks = context.tasks
            tasks.append(task)
            if not len(tasks) & context.freeze_mask:
                _gc_freeze()
        else:
            context.register(task)
        return task

    def __getstate__(self):
        # without the caches of the first call: its hashers cannot be
        # pickled, and a worker makes its own
        return {**self.__dict__, "_heads": None, "_fast": None}

    def _call(self, args, kwargs):
        """``__call__`` but for ``f(i)`` with an int ``i`` once prepared."""
        f = self.f
        if f is not self._plain:
            return Task(f, *args, **kwargs)
        heads = self._heads or self._prepare()
        task = _new_object(Task)
        task._init_named(f, self._task_name, args, kwargs, heads)
        return task

    def _prepare(self):
        """The encodings a task's key starts with, by number of arguments,
        made on the first call (jug.hash is imported then); from then on
        :meth:`__call__` takes its short way for ``f(i)``."""
        global _task_sha1, _SMALL_INTS
        hashing = _hashing or _import_hashing()
        _task_sha1, _SMALL_INTS = hashing._task_sha1, hashing._SMALL_INTS
        heads = self._heads = hashing.task_heads(self._task_name)
        int_heads = tuple(_task_sha1(heads[1] + head) for head in hashing._INT_HEADS)
        self._fast = (self._plain, self._task_name, heads[1], int_heads)
        return heads

    def __jug_hash__(self):
        from jug.hash import hash_one

        return hash_one(("TaskGenerator", task_name(self.f)))

    def __repr__(self):
        return f"TaskGenerator({task_name(self.f)})"


def iteratetask(base, n):
    """``a, b = iteratetask(t, 2)``: the n Tasklets ``t[0] .. t[n-1]``."""
    return tuple(base[i] for i in range(n))


def return_tuple(n):
    """Decorator above ``@TaskGenerator``: the call returns ``n`` Tasklets
    and the result is checked to have length ``n`` when the task runs."""

    def decorator(generator):
        if not isinstance(generator, TaskGenerator):
            generator = TaskGenerator(generator)
        checked = _TupleChecked(generator.f, n)
        functools.update_wrapper(checked, generator.f)

        @functools.wraps(generator.f)
        def call(*args, **kwargs):
            return iteratetask(Task(checked, *args, **kwargs), n)

        return call

    return decorator


class _TupleChecked:
    """A task function that must return a sequence of length ``n``."""

    def __init__(self, f, n):
        self.f = f
        self.n = n

    def __call__(self, *args, **kwargs):
        result = self.f(*args, **kwargs)
        if len(result) != self.n:
            raise ValueError(f"Expected a tuple of size {self.n} got {len(result)}")
        return result


def describe(task, metadata=None):
    """A nested dict describing ``task``: name, arguments and metadata, the
    tasks among the arguments described the same way.

    Iterative (a chain of any length works); a task reached twice is
    described once and its description shared.  ``metadata(task)`` gives a
    task's ``meta`` entry (default: its store's ``metadata``)."""
    described = {}  # id(task) -> its description
    unfilled = []  # (container, slot, object to describe into it)

    def shell(obj):
        """``obj``'s description with its parts still to fill (pushed on
        ``unfilled``)."""
        if isinstance(obj, Task):
            entry = described.get(id(obj))
            if entry is None:
                # as the original: args and kwargs only when there are some
                entry = described[id(obj)] = {"name": obj.name}
                if obj.args:
                    entry["args"] = [None] * len(obj.args)
                    unfilled.extend((entry["args"], i, arg) for i, arg in enumerate(obj.args))
                if obj.kwargs:
                    entry["kwargs"] = dict.fromkeys(obj.kwargs)
                    unfilled.extend((entry["kwargs"], k, arg) for k, arg in obj.kwargs.items())
                meta = obj.store.metadata(obj.key) if metadata is None else metadata(obj)
                if meta is not None:
                    entry["meta"] = meta
            return entry
        if isinstance(obj, Tasklet):
            entry = {"name": "tasklet", "operation": repr(obj.f), "base": None}
            unfilled.append((entry, "base", obj.base))
            return entry
        if type(obj) in (list, tuple):
            items = [None] * len(obj)
            unfilled.extend((items, i, item) for i, item in enumerate(obj))
            return items
        if type(obj) is dict:
            items = dict.fromkeys(obj)
            unfilled.extend((items, k, item) for k, item in obj.items())
            return items
        return obj

    description = shell(task)
    while unfilled:
        container, slot, obj = unfilled.pop()
        container[slot] = shell(obj)
    return description


def __getattr__(name):
    """The original jug's ``jug.task.alltasks`` (every task created in the
    active context, in creation order, as a list), its ``_get_check`` (so
    that its pickles resolve) and ``CachedFunction``, which it defined here."""
    if name == "alltasks":
        return current_context().tasks
    if name == "_get_check":
        from jug.compat.jug2_hash import _get_check

        return _get_check
    if name == "CachedFunction":  # the original defined it here
        from jug.api import CachedFunction

        return CachedFunction
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
