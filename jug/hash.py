"""Task identity: the canonical, versioned byte encoding of task arguments and
the digests built from it.

This module owns the answer to "which task is this?".  A task's hash is a
SHA-1 digest of its display name and a canonical encoding of its
arguments that does not depend on the pickle protocol, ``PYTHONHASHSEED``, the
Python version or the platform.  The encoding is specified byte for byte in
``docs/hashing.md`` and pinned by literal digests in ``tests/test_hash.py``;
changing any byte it produces is a format change: bump ``ENCODING_VERSION``.

Public API: ``ENCODING_VERSION``, ``DIGEST_SIZE``, ``hash_one``, ``hash_task``,
``hash_bytes``, ``canonical_encoding``, ``encode_fallback_types``,
``HashMemo`` and ``HashingError``; the tuning constants ``CHUNK_SIZE``
(part of the format), ``PARALLEL_MIN_BYTES``, ``MAX_HASH_THREADS`` and
``MEMO_MIN_ITEMS`` (which change speed, never a digest).

The module imports only the standard library; numpy is never imported here:
numpy objects are recognised through ``sys.modules['numpy']``, which is loaded
whenever a numpy object exists.
"""

from __future__ import annotations

import _thread
import binascii
import functools
import hashlib
import operator
import os
import struct
import sys
import types

from jug.errors import JugError

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds to import; annotations are strings here
    from typing import Any, Callable

    Encoder = Callable[[Any, "HashMemo | None"], bytes]

__all__ = [
    "CHUNK_SIZE",
    "DIGEST_SIZE",
    "ENCODING_VERSION",
    "HashMemo",
    "HashingError",
    "MAX_HASH_THREADS",
    "MEMO_MIN_ITEMS",
    "PARALLEL_MIN_BYTES",
    "canonical_encoding",
    "encode_fallback_types",
    "hash_bytes",
    "hash_one",
    "hash_task",
    "task_key",
]

ENCODING_VERSION = 1
"""Version of the canonical encoding; part of every digest (see the headers)."""

DIGEST_SIZE = 20
"""Bytes in a digest (SHA-1's native size); hex form is 40 chars."""

CHUNK_SIZE = 1 << 20
"""Array data longer than this is tree-hashed in chunks of this many bytes."""

PARALLEL_MIN_BYTES = 8 << 20
"""Array data at least this long has its chunks hashed by several threads."""

MAX_HASH_THREADS = 8
"""At most this many threads hash one array's chunks."""

MEMO_MIN_ITEMS = 16
"""A container or array with at least this many elements is memoized."""

_VALUE_HEADER = b"jug hash v%d value\n" % ENCODING_VERSION
_TASK_HEADER = b"jug hash v%d task\n" % ENCODING_VERSION

# Code flags whose meaning has not changed between CPython versions
# (CO_VARARGS, CO_VARKEYWORDS, CO_GENERATOR, CO_COROUTINE,
# CO_ITERABLE_COROUTINE, CO_ASYNC_GENERATOR); the others are bookkeeping.
_STABLE_CODE_FLAGS = 0x04 | 0x08 | 0x20 | 0x80 | 0x100 | 0x200

_U64 = struct.Struct(">Q").pack
_DOUBLE = struct.Struct(">d").pack
_DATE = struct.Struct(">HBB").pack
_TIME = struct.Struct(">BBBIB").pack
_DATETIME = struct.Struct(">HBBBBBIB").pack
_TIMEDELTA = struct.Struct(">iII").pack
_CANONICAL_NAN = b"\x7f\xf8\x00\x00\x00\x00\x00\x00"
_COUNTS = [_U64(i) for i in range(8)]  # argument counts, encoded
_hexlify = binascii.hexlify
# usedforsecurity=False: a task hash is not a security boundary, and the flag
# keeps SHA-1 available when OpenSSL runs in FIPS mode.
_sha1 = hashlib.sha1


def _unflagged_sha1():
    """``hashlib.sha1`` itself where it works without the flag (passing a
    keyword costs a third of hashing a task's 60 bytes), else with it."""
    try:
        hashlib.sha1(b"")
    except ValueError:  # OpenSSL in FIPS mode
        return functools.partial(hashlib.sha1, usedforsecurity=False)
    return hashlib.sha1


_task_sha1 = _unflagged_sha1()


class HashingError(JugError):
    """A value could not be hashed (unpicklable, nested too deeply, a bad
    ``__jug_hash__``).  The message says which argument and what to do."""


class HashMemo:
    """Memoized encodings for one trace, and what had to be pickled.

    An argument object given to many tasks (one big list passed to 2,000
    tasks) is encoded once: containers and arrays with at least
    ``MEMO_MIN_ITEMS`` elements are remembered by ``id``.  The memo keeps a
    reference to each such object so that its id cannot be reused while the
    memo lives.  Consequently an object must not be mutated after it was
    passed to a task (as in jug): later tasks would get the stale digest.

    ``fallbacks`` maps ``module.qualname`` of each type that had no canonical
    encoding and was pickled instead to how many values of it were pickled
    (values inside a memoized container are counted once).
    """

    __slots__ = ("_entries", "fallbacks", "reused")

    def __init__(self) -> None:
        self._entries: dict[int, tuple[bytes, object]] = {}
        self.fallbacks: dict[str, int] = {}
        #: ids of memoized objects that were encoded more than once (shared
        #: by several tasks): the payload stores each of them once
        self.reused: set[int] = set()

    def __len__(self) -> int:
        """Number of memoized objects."""
        return len(self._entries)

    def _encoding(self, obj: object, tag: bytes,
                  body_digest: Callable[[Any, HashMemo], bytes]) -> bytes:
        entry = self._entries.get(id(obj))
        if entry is None:
            entry = (tag + body_digest(obj, self), obj)
            self._entries[id(obj)] = entry
        else:
            self.reused.add(id(obj))
        return entry[0]

    def shared_objects(self) -> dict[int, object]:
        """``{id: object}`` of the memoized objects encoded more than once."""
        entries = self._entries
        return {key: entries[key][1] for key in self.reused if key in entries}


# --------------------------------------------------------------------------
# Public functions


def hash_one(obj: object, memo: HashMemo | None = None) -> bytes:
    """The digest of one value, as 40 lowercase hex ASCII bytes."""
    try:
        encoding = _encode(obj, memo)
    except RecursionError:
        raise _too_deep("the value") from None
    return _hexlify(_digest(_VALUE_HEADER + encoding))


def hash_task(name: str, args: tuple, kwargs: dict, memo: HashMemo | None = None) -> bytes:
    """The digest of the task ``name(*args, **kwargs)``, as 40 hex ASCII bytes.

    Keyword order does not matter; ``f(1)`` and ``f(a=1)`` differ; defaults
    are not filled in.  Pass one ``memo`` per trace.
    """
    if type(name) is not str:
        raise HashingError(f"a task name must be a str, not {type(name).__name__} ({name!r})")
    get = _ENCODERS.get
    parts = [_TASK_HEADER, _encode_str(name, None), _U64(len(args))]
    append = parts.append
    where: int | str = 0
    try:
        for arg in args:
            append((get(type(arg)) or _encoder_for(type(arg)))(arg, memo))
            where += 1
        append(_U64(len(kwargs)))
        if kwargs:
            keywords = list(kwargs)
            for where in keywords:
                if type(where) is not str:
                    raise HashingError(f"keyword names must be str, not {type(where).__name__}")
            keywords.sort()
            for where in keywords:
                value = kwargs[where]
                append(_encode_str(where, None))
                append((get(type(value)) or _encoder_for(type(value)))(value, memo))
    except RecursionError:
        raise _too_deep(_describe_argument(name, where)) from None
    except HashingError as err:
        raise HashingError(f"cannot hash {_describe_argument(name, where)}: {err}") from err
    return _hexlify(_digest(b"".join(parts)))


_TASK_PREFIXES: dict[str, bytes] = {}  # task name -> header + its encoding


def task_key(name: str, args: tuple, kwargs: dict, memo: HashMemo | None = None) -> str:
    """``hash_task(...)`` as a ``str``: a task's key in the store.

    The common case (a few positional arguments) takes a shorter path, with
    the header and name encoded once per name; the digest is the same."""
    prefix = _TASK_PREFIXES.get(name)
    if prefix is None:
        if type(name) is not str:
            return hash_task(name, args, kwargs, memo).decode("ascii")
        prefix = _TASK_PREFIXES[name] = _TASK_HEADER + _encode_str(name, None)
    if kwargs or len(args) >= len(_COUNTS):
        return hash_task(name, args, kwargs, memo).decode("ascii")
    get = _ENCODERS.get
    parts = [prefix, _COUNTS[len(args)]]
    append = parts.append
    try:
        for arg in args:
            append((get(type(arg)) or _encoder_for(type(arg)))(arg, memo))
    except (RecursionError, HashingError):  # hash_task says which argument
        return hash_task(name, args, kwargs, memo).decode("ascii")
    append(_COUNTS[0])
    return _task_sha1(b"".join(parts)).hexdigest()


def task_heads(name: str) -> tuple[bytes, ...]:
    """What :func:`plain_task_key` starts the encoding of a task named
    ``name`` with, by number of positional arguments (0 to 7)."""
    prefix = _TASK_HEADER + _encode_str(name, None)
    return tuple(prefix + count for count in _COUNTS)


def plain_task_key(head: bytes, args: tuple) -> str | None:
    """``task_key(name, args, {})`` when every argument is an int, a float,
    a str, None, a bool, bytes or has ``__jug_hash__`` (a task), ``head``
    being ``task_heads(name)[len(args)]``; None for any other argument (the
    caller takes :func:`task_key`).  The common case of a large jugfile
    (``[f(i) for i in range(n)]``), encoded without any dispatch or memo:
    the digest is the same."""
    if len(args) == 1 and type(args[0]) is int:  # the commonest: f(i)
        arg = args[0]
        if -256 <= arg < 1024:
            return _task_sha1(head + _SMALL_INTS[arg + 256] + _ZERO_COUNT).hexdigest()
        length = (arg.bit_length() + 8) >> 3
        if length < 9:
            return _task_sha1(head + _INT_HEADS[length] + arg.to_bytes(length, "big", signed=True)
                              + _ZERO_COUNT).hexdigest()
    parts = [head]
    append = parts.append
    for arg in args:
        kind = type(arg)
        if kind is int:
            if -256 <= arg < 1024:
                append(_SMALL_INTS[arg + 256])
            else:
                length = (arg.bit_length() + 8) >> 3
                append(_INT_HEADS[length] + arg.to_bytes(length, "big", signed=True)
                       if length < 9 else _encode_int_slow(arg))
        else:
            encoder = _ENCODERS.get(kind) or _encoder_for(kind)
            if encoder is _encode_jug_hash:
                value = arg.__jug_hash__()
                if type(value) is not bytes or len(value) != 40:
                    return None
                append(_J40 + value)
            elif encoder in _PLAIN_ENCODERS:
                append(encoder(arg, None))
            else:
                return None
    append(_COUNTS[0])
    return _task_sha1(b"".join(parts)).hexdigest()


def hash_bytes(data: bytes | bytearray | memoryview) -> bytes:
    """The plain SHA-1 digest of ``data`` (no header), as 40 hex bytes."""
    return _hexlify(_digest(data))


def canonical_encoding(obj: object, memo: HashMemo | None = None) -> bytes:
    """The canonical encoding of ``obj`` (``enc(obj)`` in docs/hashing.md)."""
    try:
        return _encode(obj, memo)
    except RecursionError:
        raise _too_deep("the value") from None


def encode_fallback_types(obj: object) -> set[str]:
    """Qualified names of the types inside ``obj`` that are hashed by pickle."""
    memo = HashMemo()
    canonical_encoding(obj, memo)
    return set(memo.fallbacks)


def _describe_argument(name: str, where: int | str) -> str:
    if isinstance(where, int):
        return f"positional argument {where} of task {name!r}"
    return f"keyword argument {where!r} of task {name!r}"


def _too_deep(what: str) -> HashingError:
    return HashingError(
        f"{what} is nested too deeply to hash (deeper than about "
        f"{sys.getrecursionlimit() // 3} levels) or contains itself; flatten it, "
        "or wrap it in an object with a __jug_hash__ method")


# --------------------------------------------------------------------------
# Dispatch: exact type -> encoder.  Types not in the table are resolved once
# by _encoder_for and cached here.


def _encode(obj: object, memo: HashMemo | None) -> bytes:
    return (_ENCODERS.get(type(obj)) or _encoder_for(type(obj)))(obj, memo)


def _digest(data: bytes) -> bytes:
    return _sha1(data, usedforsecurity=False).digest()


def _encode_none(obj: None, memo: HashMemo | None) -> bytes:
    return b"N"


def _encode_bool(obj: bool, memo: HashMemo | None) -> bytes:
    return b"T" if obj else b"F"


def _encode_int_slow(value: int) -> bytes:
    length = (value.bit_length() + 8) >> 3
    return b"i" + _U64(length) + value.to_bytes(length, "big", signed=True)


# Precomputed encodings of the ints most arguments are made of.
_SMALL_INTS = [_encode_int_slow(i) for i in range(-256, 1024)]


# b"i" and the length of an int's bytes, for lengths 0 to 8
_INT_HEADS = [b"i" + _U64(length) for length in range(9)]
_ZERO_COUNT = _U64(0)


def _encode_int(value: int, memo: HashMemo | None) -> bytes:
    if -256 <= value < 1024:
        return _SMALL_INTS[value + 256]
    return _encode_int_slow(value)


def _encode_float(value: float, memo: HashMemo | None) -> bytes:
    if value != value:
        return b"f" + _CANONICAL_NAN
    return b"f" + _DOUBLE(value)


def _encode_complex(value: complex, memo: HashMemo | None) -> bytes:
    real, imag = value.real, value.imag
    return (b"c" + (_CANONICAL_NAN if real != real else _DOUBLE(real))
            + (_CANONICAL_NAN if imag != imag else _DOUBLE(imag)))


def _encode_str(value: str, memo: HashMemo | None) -> bytes:
    data = value.encode("utf-8", "surrogatepass")
    return b"s" + _U64(len(data)) + data


def _encode_bytes(value: bytes, memo: HashMemo | None) -> bytes:
    return b"b" + _U64(len(value)) + value


def _encode_bytearray(value: bytearray, memo: HashMemo | None) -> bytes:
    return b"B" + _U64(len(value)) + value


#: a long sequence's items are encoded and hashed this many at a time
_SEQUENCE_BATCH = 4096


def _sequence_digest(items: list | tuple, memo: HashMemo | None) -> bytes:
    if len(items) >= MEMO_MIN_ITEMS:
        digest = _task_sequence_digest(items)
        if digest is not None:
            return digest
    get = _ENCODERS.get
    if len(items) <= _SEQUENCE_BATCH:
        parts = [(get(type(item)) or _encoder_for(type(item)))(item, memo) for item in items]
        return _counted_digest(len(items), parts)
    # the same bytes, fed to the hasher a batch at a time: the encodings of a
    # million tasks' hashes would hold 140 MB at once
    hasher = _sha1(_U64(len(items)), usedforsecurity=False)
    for start in range(0, len(items), _SEQUENCE_BATCH):
        hasher.update(b"".join([(get(type(item)) or _encoder_for(type(item)))(item, memo)
                                for item in items[start:start + _SEQUENCE_BATCH]]))
    return hasher.digest()


_J40_TEXT = "J" + "\0" * 7 + "("  # _J40 as a str
_KEY = operator.attrgetter("key")


def _task_sequence_digest(items: list | tuple) -> bytes | None:
    """:func:`_sequence_digest` of a sequence made only of (exact) tasks,
    the reduce of a map, without a call per task: each item is encoded as
    ``_encode_jug_hash`` does (``J``, 40, its key's 40 ASCII digits), the
    keys joined a batch at a time.  None when ``items`` holds anything
    else (or a key that is not 40 characters long)."""
    tasks = sys.modules.get("jug.task")
    if tasks is None or type(items[0]) is not tasks.Task:
        return None
    only_tasks = {tasks.Task}
    hasher = _sha1(_U64(len(items)), usedforsecurity=False)
    for start in range(0, len(items), _TASK_BATCH):
        batch = items[start:start + _TASK_BATCH]
        if set(map(type, batch)) != only_tasks:
            return None
        keys = list(map(_KEY, batch))
        if set(map(len, keys)) != _ONLY_40:
            return None
        hasher.update((_J40_TEXT + _J40_TEXT.join(keys)).encode("ascii"))
    return hasher.digest()


_TASK_BATCH = 1 << 16  # tasks encoded at once by _task_sequence_digest: 3 MB
_ONLY_40 = {40}


def _counted_digest(count: int, parts: list[bytes]) -> bytes:
    hasher = _sha1(_U64(count), usedforsecurity=False)
    hasher.update(b"".join(parts))
    return hasher.digest()


def _set_digest(items: set | frozenset, memo: HashMemo | None) -> bytes:
    get = _ENCODERS.get
    parts = [(get(type(item)) or _encoder_for(type(item)))(item, memo) for item in items]
    parts.sort()
    return _counted_digest(len(items), parts)


def _item_encodings(mapping: dict, memo: HashMemo | None) -> list[bytes]:
    get = _ENCODERS.get
    return [(get(type(key)) or _encoder_for(type(key)))(key, memo)
            + (get(type(value)) or _encoder_for(type(value)))(value, memo)
            for key, value in mapping.items()]


def _dict_digest(mapping: dict, memo: HashMemo | None) -> bytes:
    parts = _item_encodings(mapping, memo)
    # Encodings are prefix-free, so sorting key+value concatenations sorts by
    # key encoding, then by value encoding.
    parts.sort()
    return _counted_digest(len(mapping), parts)


def _ordered_items_digest(mapping: dict, memo: HashMemo | None) -> bytes:
    return _counted_digest(len(mapping), _item_encodings(mapping, memo))


def _defaultdict_digest(mapping: Any, memo: HashMemo | None) -> bytes:
    return _digest(_encode(mapping.default_factory, memo) + _dict_digest(mapping, memo))


def _container_encoder(tag: bytes,
                       body_digest: Callable[[Any, HashMemo | None], bytes]) -> Encoder:
    def encode(obj: Any, memo: HashMemo | None) -> bytes:
        if memo is None or len(obj) < MEMO_MIN_ITEMS:
            return tag + body_digest(obj, memo)
        return memo._encoding(obj, tag, body_digest)
    encode.__name__ = f"encode_{tag.decode()}"
    return encode


def _encode_range(value: range, memo: HashMemo | None) -> bytes:
    return (b"r" + _encode_int(value.start, None) + _encode_int(value.stop, None)
            + _encode_int(value.step, None))


def _encode_slice(value: slice, memo: HashMemo | None) -> bytes:
    return (b"x" + _encode(value.start, memo) + _encode(value.stop, memo)
            + _encode(value.step, memo))


def _encode_ellipsis(value: object, memo: HashMemo | None) -> bytes:
    return b"."


def _encode_reference(module: object, qualname: str) -> bytes:
    module_name = module if isinstance(module, str) else ""
    return b"R" + _encode_str(module_name, None) + _encode_str(qualname, None)


def _encode_class(cls: type, memo: HashMemo | None) -> bytes:
    return _encode_reference(cls.__module__, cls.__qualname__)


def _encode_builtin(func: types.BuiltinFunctionType, memo: HashMemo | None) -> bytes:
    owner = func.__self__
    if owner is None or isinstance(owner, types.ModuleType):
        module = func.__module__ or getattr(owner, "__name__", "")
        return _encode_reference(module, func.__qualname__)
    if isinstance(owner, type):  # a classmethod such as dict.fromkeys
        return _encode_reference(owner.__module__, func.__qualname__)
    return _encode_pickled(func, memo)  # a bound builtin method: [].append


def _encode_method_descriptor(descriptor: Any, memo: HashMemo | None) -> bytes:
    return _encode_reference(descriptor.__objclass__.__module__, descriptor.__qualname__)


def _encode_method(method: types.MethodType, memo: HashMemo | None) -> bytes:
    return b"M" + _encode(method.__func__, memo) + _encode(method.__self__, memo)


def _encode_partial(value: functools.partial, memo: HashMemo | None) -> bytes:
    return (b"P" + _encode(value.func, memo) + _encode(value.args, memo)
            + _encode(value.keywords, memo))


def _encode_function(func: types.FunctionType, memo: HashMemo | None) -> bytes:
    qualname = func.__qualname__
    if "<" not in qualname:  # importable by name: neither <lambda> nor <locals>
        return _encode_reference(func.__module__, qualname)
    return _encode_function_by_code(func, memo)


class _EmptyCell:
    """Stands for a closure cell that has no value yet."""


_EMPTY_CELL = _EmptyCell()
# Per thread: ids of the functions being encoded by code, outermost first.
_functions_in_progress: dict[int, list[int]] = {}


def _encode_function_by_code(func: types.FunctionType, memo: HashMemo | None) -> bytes:
    # A nested function that calls itself holds itself in its closure: encode
    # that back edge by its distance on the stack instead of looping forever.
    thread = _thread.get_ident()
    in_progress = _functions_in_progress.setdefault(thread, [])
    if id(func) in in_progress:
        return b"^" + _U64(len(in_progress) - in_progress.index(id(func)))
    in_progress.append(id(func))
    try:
        cells = []
        for cell in func.__closure__ or ():
            try:
                cells.append(cell.cell_contents)
            except ValueError:  # the cell is empty
                cells.append(_EMPTY_CELL)
        return (b"C" + _encode_str(func.__module__ or "", None)
                + _encode_str(func.__qualname__, None) + _encode_code(func.__code__, memo)
                + _encode(func.__defaults__, memo)
                + _encode(func.__kwdefaults__, memo) + _encode(tuple(cells), memo))
    finally:
        in_progress.pop()
        if not in_progress:
            del _functions_in_progress[thread]


def _encode_code(code: types.CodeType, memo: HashMemo | None) -> bytes:
    fields = (code.co_argcount, code.co_posonlyargcount, code.co_kwonlyargcount,
              code.co_flags & _STABLE_CODE_FLAGS, code.co_code, code.co_consts,
              code.co_names, code.co_varnames, code.co_freevars, code.co_cellvars)
    return b"K" + _encode(fields, memo)


def _encode_jug_hash(obj: Any, memo: HashMemo | None) -> bytes:
    value = obj.__jug_hash__()
    if type(value) is bytes:  # the usual case: a task's 40 hex digits
        return (_J40 if len(value) == 40 else b"J" + _U64(len(value))) + value
    if type(value) is str:
        value = value.encode("utf-8")
    elif not isinstance(value, (bytes, bytearray)):
        raise HashingError(
            f"{type(obj).__qualname__}.__jug_hash__() returned {type(value).__name__}; "
            "it must return bytes or str")
    return b"J" + _U64(len(value)) + bytes(value)


def _encode_enum(member: Any, memo: HashMemo | None) -> bytes:
    return b"n" + _encode_class(type(member), memo) + _encode_str(member.name, memo)


def _encode_path(path: Any, memo: HashMemo | None) -> bytes:
    pathlib = sys.modules["pathlib"]
    kind = b"c" if isinstance(path, pathlib.Path) else b"p"
    return b"p" + kind + _encode_str(path.as_posix(), None)


def _encode_date(value: Any, memo: HashMemo | None) -> bytes:
    return b"D" + _DATE(value.year, value.month, value.day)


def _encode_time(value: Any, memo: HashMemo | None) -> bytes:
    return (b"H" + _TIME(value.hour, value.minute, value.second, value.microsecond, value.fold)
            + _encode(value.tzinfo, memo))


def _encode_datetime(value: Any, memo: HashMemo | None) -> bytes:
    return (b"W" + _DATETIME(value.year, value.month, value.day, value.hour, value.minute,
                             value.second, value.microsecond, value.fold)
            + _encode(value.tzinfo, memo))


def _encode_timedelta(value: Any, memo: HashMemo | None) -> bytes:
    return b"I" + _TIMEDELTA(value.days, value.seconds, value.microseconds)


def _encode_timezone(value: Any, memo: HashMemo | None) -> bytes:
    return (b"z" + _encode_timedelta(value.utcoffset(None), memo)
            + _encode_str(value.tzname(None), memo))


def _encode_pickled(obj: object, memo: HashMemo | None) -> bytes:
    import pickle

    cls = type(obj)
    type_name = f"{cls.__module__}.{cls.__qualname__}"
    try:
        data = pickle.dumps(obj, protocol=4)
    except (pickle.PicklingError, TypeError, AttributeError) as err:
        raise HashingError(
            f"a {type_name} has no canonical encoding and cannot be pickled ({err}); "
            "give its class a __jug_hash__ method returning bytes, or wrap the value "
            "in jug.utils.CustomHash") from err
    if memo is not None:
        memo.fallbacks[type_name] = memo.fallbacks.get(type_name, 0) + 1
    return b"X" + _U64(len(data)) + data


# --------------------------------------------------------------------------
# numpy


def _numpy_encoder(cls: type) -> Encoder | None:
    np = sys.modules.get("numpy")
    if np is None:
        return None
    if cls is np.ndarray:
        return _encode_ndarray
    if issubclass(cls, np.generic):
        return _encode_numpy_scalar
    if issubclass(cls, np.dtype):
        return _encode_numpy_dtype
    if cls is np.ufunc:
        return _encode_ufunc
    return None


def _dtype_descriptor(dtype: Any) -> object:
    """A plain-Python description of a little-endian dtype, to be encoded."""
    if dtype.fields is not None:
        fields = tuple((name, _dtype_descriptor(dtype.fields[name][0]), dtype.fields[name][1])
                       for name in dtype.names)
        return ("struct", dtype.itemsize, fields)
    if dtype.subdtype is not None:
        base, shape = dtype.subdtype
        return ("subarray", _dtype_descriptor(base), shape)
    return dtype.str


def _little_endian_dtype(dtype: Any) -> Any:
    """``dtype`` with every field little-endian, or None for new-style dtypes
    that have no byte order to normalise (their bytes are not canonical)."""
    try:
        return dtype.newbyteorder("<")
    except TypeError:
        return None


def _shape_bytes(shape: tuple) -> bytes:
    return _U64(len(shape)) + b"".join(_U64(n) for n in shape)


def _raw_data_parts(array: Any) -> list:
    """The data section of a little-endian, non-object array (C order)."""
    np = sys.modules["numpy"]
    array = np.ascontiguousarray(array)
    nbytes = array.nbytes
    if nbytes == 0:
        return [b"w" + _U64(0)]
    data = memoryview(array.reshape(-1).view(np.uint8))
    if nbytes <= CHUNK_SIZE:
        return [b"w" + _U64(nbytes), data]
    return [b"k" + _U64(nbytes) + _U64(CHUNK_SIZE), b"".join(_chunk_digests(data))]


def _element_array_digest(array: Any, memo: HashMemo | None) -> bytes:
    """Object and variable-width string arrays: the elements, one by one."""
    items = array.ravel(order="C").tolist() if array.ndim else [array.item()]
    head = (_encode_str(array.dtype.str, None) + _shape_bytes(array.shape)
            + b"o" + _U64(len(items)))
    hasher = _sha1(head, usedforsecurity=False)
    get = _ENCODERS.get
    hasher.update(b"".join([(get(type(item)) or _encoder_for(type(item)))(item, memo)
                            for item in items]))
    return hasher.digest()


def _raw_array_digest(array: Any, memo: HashMemo | None) -> bytes:
    little = _little_endian_dtype(array.dtype)
    if little != array.dtype:
        array = array.astype(little)
    hasher = _sha1(_encode(_dtype_descriptor(little), None) + _shape_bytes(array.shape),
                   usedforsecurity=False)
    for part in _raw_data_parts(array):
        hasher.update(part)
    return hasher.digest()


def _encode_ndarray(array: Any, memo: HashMemo | None) -> bytes:
    dtype = array.dtype
    if dtype.hasobject:
        if dtype.kind not in "OT":  # structured with object fields: pointers
            return _encode_pickled(array, memo)
        body_digest = _element_array_digest
    elif _little_endian_dtype(dtype) is None:
        return _encode_pickled(array, memo)
    else:
        body_digest = _raw_array_digest
    if memo is None or array.size < MEMO_MIN_ITEMS:
        return b"A" + body_digest(array, memo)
    return memo._encoding(array, b"A", body_digest)


def _encode_numpy_scalar(scalar: Any, memo: HashMemo | None) -> bytes:
    array = sys.modules["numpy"].asarray(scalar)
    little = _little_endian_dtype(array.dtype)
    if little is None or little.hasobject:
        return _encode_pickled(scalar, memo)
    if little != array.dtype:
        array = array.astype(little)
    return b"g" + _encode(_dtype_descriptor(little), None) + b"".join(_raw_data_parts(array))


def _encode_numpy_dtype(dtype: Any, memo: HashMemo | None) -> bytes:
    little = _little_endian_dtype(dtype)
    if little is None:
        return b"y" + _encode(dtype.str, None)
    return b"y" + _encode(_dtype_descriptor(little), None)


def _encode_ufunc(ufunc: Any, memo: HashMemo | None) -> bytes:
    module = getattr(ufunc, "__module__", None)
    if not isinstance(module, str):
        return _encode_pickled(ufunc, memo)
    return _encode_reference(module, ufunc.__name__)


def _hash_thread_count() -> int:
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_HASH_THREADS))


def _chunk_digests(data: memoryview) -> list[bytes]:
    """Digests of the CHUNK_SIZE slices of ``data``; several threads hash
    when it is big (hashlib releases the GIL while hashing)."""
    offsets = range(0, len(data), CHUNK_SIZE)
    threads = _hash_thread_count() if len(data) >= PARALLEL_MIN_BYTES else 1
    if threads == 1:
        return [_digest(data[start:start + CHUNK_SIZE]) for start in offsets]

    import threading

    digests: list[bytes] = [b""] * len(offsets)
    per_thread = -(-len(offsets) // threads)

    def hash_range(first: int) -> None:
        for index in range(first, min(first + per_thread, len(offsets))):
            start = offsets[index]
            digests[index] = _digest(data[start:start + CHUNK_SIZE])

    workers = [threading.Thread(target=hash_range, args=(first,), daemon=True)
               for first in range(per_thread, len(offsets), per_thread)]
    for worker in workers:
        worker.start()
    hash_range(0)
    for worker in workers:
        worker.join()
    return digests


# --------------------------------------------------------------------------
# The dispatch table and the resolver for types not in it.

_J40 = b"J" + _U64(40)

_ENCODERS: dict[type, Encoder] = {
    type(None): _encode_none,
    bool: _encode_bool,
    int: _encode_int,
    float: _encode_float,
    complex: _encode_complex,
    str: _encode_str,
    bytes: _encode_bytes,
    bytearray: _encode_bytearray,
    list: _container_encoder(b"l", _sequence_digest),
    tuple: _container_encoder(b"t", _sequence_digest),
    dict: _container_encoder(b"d", _dict_digest),
    set: _container_encoder(b"e", _set_digest),
    frozenset: _container_encoder(b"E", _set_digest),
    range: _encode_range,
    slice: _encode_slice,
    type(Ellipsis): _encode_ellipsis,
    type: _encode_class,
    types.FunctionType: _encode_function,
    types.BuiltinFunctionType: _encode_builtin,
    types.MethodDescriptorType: _encode_method_descriptor,
    types.WrapperDescriptorType: _encode_method_descriptor,
    types.ClassMethodDescriptorType: _encode_method_descriptor,
    types.MethodType: _encode_method,
    types.CodeType: _encode_code,
    functools.partial: _encode_partial,
    _EmptyCell: lambda cell, memo: b"_",
}

# Encoders of values that hold nothing else (no memo, no fallback to pickle).
_PLAIN_ENCODERS = frozenset({_encode_none, _encode_bool, _encode_float, _encode_str,
                             _encode_bytes})

# Standard-library types encoded canonically but only looked up once their
# module is loaded (an instance cannot exist before), keeping this import light.
_LAZY_ENCODERS: tuple[tuple[str, str, Encoder], ...] = (
    ("pathlib", "PurePosixPath", _encode_path),
    ("pathlib", "PureWindowsPath", _encode_path),
    ("pathlib", "PosixPath", _encode_path),
    ("pathlib", "WindowsPath", _encode_path),
    ("datetime", "date", _encode_date),
    ("datetime", "time", _encode_time),
    ("datetime", "datetime", _encode_datetime),
    ("datetime", "timedelta", _encode_timedelta),
    ("datetime", "timezone", _encode_timezone),
    ("collections", "OrderedDict", _container_encoder(b"O", _ordered_items_digest)),
    ("collections", "defaultdict", _container_encoder(b"G", _defaultdict_digest)),
    ("collections", "Counter", _container_encoder(b"U", _dict_digest)),
)


def _encoder_for(cls: type) -> Encoder:
    encoder = _resolve_encoder(cls)
    _ENCODERS[cls] = encoder
    return encoder


def _resolve_encoder(cls: type) -> Encoder:
    if hasattr(cls, "__jug_hash__"):
        return _encode_jug_hash
    module = getattr(cls, "__module__", None)
    if isinstance(module, str) and (module == "numpy" or module.startswith("numpy.")):
        encoder = _numpy_encoder(cls)
        if encoder is not None:
            return encoder
    for module_name, type_name, encoder in _LAZY_ENCODERS:
        loaded = sys.modules.get(module_name)
        if loaded is not None and getattr(loaded, type_name, None) is cls:
            return encoder
    if issubclass(cls, type):  # a class whose metaclass is not type
        return _encode_class
    enum = sys.modules.get("enum")
    if enum is not None and issubclass(cls, enum.Enum):
        return _encode_enum
    return _encode_pickled


# -- the original jug's names ---------------------------------------------------


def new_hash_object():
    """A new SHA-1 hash object: the original jug's
    ``jug.hash.new_hash_object``, for ``__jug_hash__`` methods written for it."""
    return hashlib.sha1(usedforsecurity=False)


def hash_update(M, elems):  # noqa: N803 - the original's signature
    """Update the hash object ``M`` with the ``(name, value)`` pairs of
    ``elems``, each by its canonical encoding (docs/hashing.md); returns
    ``M``.  The original jug's ``jug.hash.hash_update``, for
    ``__jug_hash__`` methods written for it: the digests differ from jug
    2's, as every task hash does."""
    for name, value in elems:
        M.update(canonical_encoding(name))
        M.update(canonical_encoding(value))
    return M
