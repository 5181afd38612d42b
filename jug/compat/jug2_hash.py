"""The task hashes the original jug 2.x gives, for migration only.

jug 2.x names a result by the SHA-1 of its task, fed as follows (its
``jug/hash.py``, read and re-implemented here)::

    task      update(M, [("name", name.encode()), ("args", args), ("kwargs", kwargs)])
    update    for each (label, value): M.update(pickle(label)) then the value:
      __jug_hash__()          the bytes it returns
      exact list / tuple      repr(type) then update(enumerate(items))
      exact set / frozenset   b"set" / b"frozenset", then update(enumerate(
                              sorted(hash_one(item) for item in value)))
      exact dict              b"dict", then update(sorted((hash_one(k), v)))
      exact numpy.ndarray     b"np.ndarray", pickle(dtype), pickle(shape), then the
                              C-order bytes (object arrays: update(enumerate(items)))
      anything else           pickle(value)
    hash_one(x)   hexdigest of update(sha1(), [("hash1", x)])
    Tasklet       hexdigest of b"Tasklet" + update([("base", base), ("f", f)])

with ``pickle`` meaning ``pickle.dumps(x, protocol=4)``; every digest is the
40-character hex digest as ASCII bytes.

What this module adds is the translation of *our* objects into what the
original had in their place: our tasks are hashed by their jug 2.x hash,
our ``t[i]`` tasklets as the original's ``_getitem``, ``return_tuple`` items
as its ``partial(_get_check, i=i, n=n)``, ``map`` results as its
``block_access``, a ``TaskGenerator`` as the object the original pickled,
the functions ``mapreduce`` and ``map`` pass on as the original passed them,
``write_task_out`` with the original's arguments, and a compound task by
its outer task.  A ``__jug_hash__`` or ``CustomHash`` function of the
jugfile is called with ``jug.hash.hash_one`` standing for the original's
``hash_one`` (so ``timed_path`` and the manual's examples map too).

Hashes are computed when a task is created, from the arguments it was
created with (the original hashed later, when first asked; a task whose
arguments were changed after it was created simply finds no result).
Tasks are hashed in creation order, so a dependency's hash is always known:
no recursion over the graph.  Pickled arguments give the original's hashes
only under the same Python and numpy versions as the original ran with.
"""

import contextlib
import copyreg
import functools
import hashlib
import io
import os
import pickle
import stat
import sys

from jug.compat import as_text
from jug.compound import compound_task_execute
from jug.errors import JugError
from jug.io import NoLoad
from jug.mapreduce import _BlockAccess, _BlockAccessSlice
from jug.task import Task, Tasklet, TaskGenerator, _ItemGetter, _TupleChecked
from jug.utils import CustomHash, hash_with_mtime_size

#: the pickle protocol jug 2.7 pins for hashing
PICKLE_PROTOCOL = 4


class Jug2HashError(JugError):
    """A task whose jug 2.x hash cannot be computed (an argument the
    original could not hash, or one we cannot reproduce)."""


# Values no reducer of ours applies to: pickled by the C function directly.
_PLAIN = frozenset({int, float, str, bytes, bool, type(None), complex})


def _dumps(obj):
    if type(obj) in _PLAIN:
        return pickle.dumps(obj, PICKLE_PROTOCOL)
    buffer = io.BytesIO()
    _OriginalPickler(buffer, PICKLE_PROTOCOL).dump(obj)
    return buffer.getvalue()


class _OriginalPickler(pickle.Pickler):
    """``pickle.dumps(obj, 4)`` as the original would have written it, for
    the objects of ours that stand where the original had its own."""

    def reducer_override(self, obj):
        kind = type(obj)
        if kind is TaskGenerator:
            return copyreg.__newobj__, (TaskGenerator,), _generator_state(obj)
        if isinstance(obj, (Task, Tasklet)):
            raise Jug2HashError("a task inside an object that jug 2.x pickles (it cannot "
                                "pickle tasks): pass tasks in plain lists, tuples or dicts")
        return NotImplemented


def _generator_state(generator):
    """What the original ``TaskGenerator.__getstate__`` returned (it refused
    functions that are not reachable by their module and name)."""
    f = generator.f
    module_name = getattr(f, "__module__", None)
    name = getattr(f, "__name__", None)
    found = getattr(sys.modules.get(module_name), name, None) if name else None
    if found is not generator and found is not f:
        raise Jug2HashError(f"jug 2.x cannot pickle the TaskGenerator of {module_name}.{name}: "
                            "it is not defined at the top level of its module")
    return module_name, name


def _module_generator(f):
    """Our TaskGenerator that wraps ``f`` at the top of its module, or None."""
    found = getattr(sys.modules.get(getattr(f, "__module__", None)),
                    getattr(f, "__name__", "") or "", None)
    if type(found) is TaskGenerator and found.f is f:
        return found
    return None


class _AsPassed:
    """A function argument as the original's ``mapreduce`` or ``map`` passed
    it.  ``mapreduce`` passed a TaskGenerator itself (pickled); ``map`` and
    ``currymap`` passed its function with ``__jug_hash__`` set to
    ``hash_one(generator)``.  A plain function is itself either way."""

    __slots__ = ("f", "hashed")

    def __init__(self, f, hashed):
        self.f = f
        self.hashed = hashed


class _NoLoadOf:
    """The original ``NoLoad(task)``: ``Tasklet(task, 'NoLoad')``."""

    __slots__ = ("base",)

    def __init__(self, base):
        self.base = base


def _get_check(r, i, n):
    """The original's ``jug.task._get_check``: item ``i`` of a result that
    must have length ``n`` (what its ``return_tuple`` tasklets call).  It is
    importable as ``jug.task._get_check`` so that its pickles resolve."""
    if len(r) != n:
        raise ValueError(f"Expected a tuple of size {n} got {len(r)}")
    return r[i]


_get_check.__module__ = "jug.task"


def _original_call(task):
    """``(name, args, kwargs)`` of ``task`` as the original created it, for
    the functions of ours whose tasks differ from the original's."""
    f, name, args, kwargs = task.f, task.name, task.args, task.kwargs
    module = getattr(f, "__module__", None)
    function = getattr(f, "__name__", None)
    if module == "jug.mapreduce":
        if function == "_jug_map_reduce" and len(args) == 3:
            return name, (_AsPassed(args[0], False), _AsPassed(args[1], False), args[2]), kwargs
        if function == "_jug_reduce" and len(args) == 2:
            return name, (_AsPassed(args[0], False), args[1]), kwargs
        if function in ("_jug_map", "_jug_map_curry") and len(args) == 2:
            return name, (_AsPassed(args[0], True), args[1]), kwargs
    elif module == "jug.io" and function == "_do_write_task_out" and len(args) == 5:
        result, oname, metadata_fname, metadata_format, _ = args
        return name, (result, _NoLoadOf(result), oname, metadata_fname, metadata_format), kwargs
    elif module == "jug.io" and function == "_do_write_metadata" and len(args) == 4:
        # the original wrote metadata with _do_write_task_out and no output file
        result, metadata_fname, metadata_format, _ = args
        return ("jug.io._do_write_task_out",
                (result, _NoLoadOf(result), None, metadata_fname, metadata_format), kwargs)
    return name, args, kwargs


def _code_key(code):
    """The original's summary of a lambda's code (recursing into nested code)."""
    consts = tuple(_code_key(c) if hasattr(c, "co_code") else _stable(c) for c in code.co_consts)
    return code.co_code, consts, code.co_names


def _stable(obj):
    """frozensets become sets (which are hashed sorted), inside tuples too."""
    if type(obj) is frozenset:
        return set(obj)
    if type(obj) is tuple:
        return tuple(_stable(item) for item in obj)
    return obj


class Jug2Hasher:
    """Computes jug 2.x hashes of our live tasks and values.

    ``task_hash(task)`` remembers each task's hash (keeping the task alive so
    that its ``id`` stays unique); ``outer_tasks`` maps the hash (ours) of
    a compound task's outer task to that task, so that the compound
    pseudo-task is hashed as its outer task, as in the original."""

    def __init__(self):
        self._tasks = {}  # id(task) -> (task, digest or the Jug2HashError)
        self.outer_tasks = {}

    # -- tasks ---------------------------------------------------------------

    def known(self, task):
        """The remembered hash of ``task`` (bytes), a Jug2HashError, or None."""
        entry = self._tasks.get(id(task))
        return None if entry is None else entry[1]

    def hash_or_error(self, task):
        """The jug 2.x hash of ``task``, or the Jug2HashError saying why
        there is none (remembered either way)."""
        return self._hash_after_dependencies(task)

    def task_hash(self, task):
        """The jug 2.x hash of ``task`` (40 hex digits, bytes); raises
        :class:`Jug2HashError`.  Dependencies not hashed yet are hashed
        first, with an explicit stack."""
        digest = self._hash_after_dependencies(task)
        if isinstance(digest, Jug2HashError):
            raise digest
        return digest

    def _hash_after_dependencies(self, task):
        entry = self._tasks.get(id(task))
        if entry is not None:
            return entry[1]
        stack = [(task, False)]
        while stack:
            current, expanded = stack.pop()
            if id(current) in self._tasks:
                continue
            pending = [dep for dep in _task_dependencies(current) if id(dep) not in self._tasks]
            if expanded or not pending:
                self._remember(current)
            else:
                stack.append((current, True))
                stack.extend((dep, False) for dep in pending)
        return self._tasks[id(task)][1]

    def _remember(self, task):
        try:
            digest = self._compute_task(task)
        except Jug2HashError as error:
            digest = error
        except Exception as error:  # the original would have failed on it too
            digest = Jug2HashError(f"{type(error).__name__}: {error}")
        self._tasks[id(task)] = (task, digest)

    def _compute_task(self, task):
        if getattr(task, "f", None) is compound_task_execute and len(task.args) == 2:
            outer = self.outer_tasks.get(as_text(task.args[1]))
            if outer is None:
                raise Jug2HashError("a compound task whose outer task was not recorded")
            return self.task_hash(outer)
        if task.f is None:
            raise Jug2HashError("a task known only by its hash (no arguments to hash)")
        name, args, kwargs = _original_call(task)
        hasher = hashlib.sha1()
        self.update(hasher, [("name", name.encode("utf-8")), ("args", args),
                             ("kwargs", kwargs)])
        return hasher.hexdigest().encode("utf-8")

    # -- values --------------------------------------------------------------

    def hash_one(self, obj):
        """The original's ``jug.hash.hash_one(obj)``."""
        hasher = hashlib.sha1()
        self.update(hasher, [("hash1", obj)])
        return hasher.hexdigest().encode("utf-8")

    def update(self, hasher, elems):
        """The original's ``hash_update(M, elems)``."""
        for label, value in elems:
            hasher.update(_dumps(label))
            self._update_value(hasher, value)
        return hasher

    def _update_value(self, hasher, value):
        if type(value) is _AsPassed:
            generator = _module_generator(value.f)
            if generator is None:
                value = value.f  # a plain function (or None) is itself
            else:
                hasher.update(self.hash_one(generator) if value.hashed else _dumps(generator))
                return
        special = self._special_digest(value)
        if special is not None:
            hasher.update(special)
            return
        kind = type(value)
        if kind is list or kind is tuple:
            hasher.update(repr(kind).encode("utf-8"))
            self.update(hasher, enumerate(value))
        elif kind is set or kind is frozenset:
            hasher.update(b"set" if kind is set else b"frozenset")
            self.update(hasher, enumerate(sorted(self.hash_one(item) for item in value)))
        elif kind is dict:
            hasher.update(b"dict")
            items = sorted(((self.hash_one(key), item) for key, item in value.items()),
                           key=lambda pair: pair[0])
            self.update(hasher, items)
        elif _is_ndarray(value):
            self._update_array(hasher, value)
        else:
            if isinstance(value, (list, tuple)) and _contains_task(value):
                raise Jug2HashError(f"tasks inside a {kind.__name__} (jug 2.x refuses "
                                    "subclasses of list and tuple holding tasks)")
            hasher.update(_dumps(value))

    def _update_array(self, hasher, array):
        import numpy

        hasher.update(b"np.ndarray")
        hasher.update(_dumps(array.dtype))
        hasher.update(_dumps(array.shape))
        if array.dtype.hasobject:
            self.update(hasher, enumerate(array.ravel().tolist()))
        else:
            hasher.update(numpy.ascontiguousarray(array).data)

    def _special_digest(self, value):
        """The bytes the original fed for ``value`` when it (or what stood
        in its place) had a ``__jug_hash__``; None to hash it structurally."""
        kind = type(value)
        if isinstance(value, Task):
            return self.task_hash(value)
        if isinstance(value, Tasklet):
            return self._tasklet_hash(value)
        if kind is _NoLoadOf:
            return self._tasklet_digest(value.base, "NoLoad")
        if kind is _BlockAccess:
            return self.hash_one({"type": "map-access", "len": value.length,
                                  "blocks": value.blocks, "block_size": value.block_size})
        if kind is _BlockAccessSlice:
            return self.hash_one({"type": "map-access-slice", "base": value.base,
                                  "start": value.start, "stop": value.stop,
                                  "stride": value.stride})
        if kind is _ItemGetter:
            return self.hash_one(("jug.task._getitem", value.index))
        if kind is TaskGenerator or isinstance(value, type):
            return None  # the original pickled these (it has no TaskGenerator.__jug_hash__)
        if isinstance(value, CustomHash):
            if value.hash_function is hash_with_mtime_size:
                return self._timed_path(value.obj)
            return self._call_user_hash(value.hash_function, value.obj)
        jug_hash = getattr(value, "__jug_hash__", None)
        if jug_hash is not None:
            return self._call_user_hash(jug_hash)
        return None

    def _timed_path(self, path):
        """The original ``timed_path``: it rebuilt ``os.stat_result`` from the
        stat tuple, so its mtime is whole seconds (an int)."""
        status = os.stat(path)
        return self.hash_one((path, status[stat.ST_MTIME], status.st_size))

    def _tasklet_hash(self, tasklet):
        operation = tasklet.f
        if isinstance(tasklet, NoLoad):
            operation = "NoLoad"
        elif type(operation) is _ItemGetter:
            base = tasklet.base
            checked = base.f if isinstance(base, Task) else None
            if type(checked) is _TupleChecked and type(operation.index) is int:
                operation = functools.partial(_get_check, i=operation.index, n=checked.n)
        elif getattr(operation, "__name__", "") == "<lambda>":
            operation = self._lambda_key(operation)
        return self._tasklet_digest(tasklet.base, operation)

    def _tasklet_digest(self, base, operation):
        hasher = hashlib.sha1()
        hasher.update(b"Tasklet")
        self.update(hasher, [("base", base), ("f", operation)])
        return hasher.hexdigest().encode("utf-8")

    def _lambda_key(self, f):
        """The original's hash key of a lambda: its code and what it captured."""
        closure = []
        for cell in f.__closure__ or ():
            try:
                closure.append(self._hashable_or_type(cell.cell_contents))
            except ValueError:  # an empty cell
                closure.append(None)
        defaults = tuple(self._hashable_or_type(d) for d in f.__defaults__ or ())
        kwdefaults = {k: self._hashable_or_type(v) for k, v in (f.__kwdefaults__ or {}).items()}
        return "<lambda>", _code_key(f.__code__), tuple(closure), defaults, kwdefaults

    def _hashable_or_type(self, obj):
        try:
            self.hash_one(obj)
        except Exception:
            return "unhashable", type(obj).__module__, type(obj).__qualname__
        return _stable(obj)

    def _call_user_hash(self, function, *args):
        """``function(*args)`` (a ``__jug_hash__`` or a CustomHash function)
        with ``jug.hash.hash_one`` and ``hash_update`` meaning the original's."""
        with _original_hash_one(function, self.hash_one, self.update):
            digest = function(*args)
        if isinstance(digest, str):
            digest = digest.encode("utf-8")
        if not isinstance(digest, (bytes, bytearray, memoryview)):
            raise Jug2HashError(f"a __jug_hash__ returned {type(digest).__name__}, not bytes")
        return bytes(digest)


@contextlib.contextmanager
def _original_hash_one(function, original_hash_one, original_update):
    """Make ``jug.hash.hash_one`` and ``jug.hash.hash_update`` (looked up
    when the function runs, or bound in its module's globals under any name)
    be ``original_hash_one`` and ``original_update`` while the block runs
    (``new_hash_object`` is SHA-1 in both)."""
    import jug.hash

    pairs = ((jug.hash.hash_one, original_hash_one), (jug.hash.hash_update, original_update))
    namespaces = [jug.hash.__dict__]
    function_globals = getattr(getattr(function, "__func__", function), "__globals__", None)
    if isinstance(function_globals, dict) and function_globals is not jug.hash.__dict__:
        namespaces.append(function_globals)
    replaced = []
    for namespace in namespaces:
        for name, bound in list(namespace.items()):
            for ours, original in pairs:
                if bound is ours:
                    namespace[name] = original
                    replaced.append((namespace, name, bound))
    try:
        yield
    finally:
        for namespace, name, bound in replaced:
            namespace[name] = bound


def _task_dependencies(task):
    return getattr(task, "_dependencies", None) or ()


def _is_ndarray(value):
    numpy = sys.modules.get("numpy")
    return numpy is not None and type(value) is numpy.ndarray


def _contains_task(obj):
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, (Task, Tasklet)):
            return True
        dependencies = getattr(item, "__jug_dependencies__", None)
        if dependencies is not None and not isinstance(item, type):
            stack.extend(dependencies())
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return False


def hash_one(obj):
    """The original's ``jug.hash.hash_one(obj)`` for a value (tasks in it are
    hashed as jug 2.x would)."""
    return Jug2Hasher().hash_one(obj)
