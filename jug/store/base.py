"""The interface every store implements, and what the backends share.

This module owns:

* :class:`Store`, the abstract interface the rest of jug codes against, with
  the atomicity each method promises (what a reader can see while a writer
  writes);
* :class:`LockInfo`, the frozen record describing a task lock, and the rule
  deciding when a lock is stale;
* key and name validation (result keys are 40 lowercase hex digits; lock and
  blob names are ``[A-Za-z0-9_.:-]+``; ``bytes`` are accepted as ASCII);
* the result encoding shared by every backend (:func:`encode_result`,
  :func:`decode_result`): a 32-byte header carrying a format tag, the payload
  length and a CRC32, followed by the payload (``.npy`` for plain numpy
  arrays, nothing for ``None``, pickle protocol 5 otherwise, zlib level 1 for
  large pickles that compress well).

Only the standard library and :mod:`jug.errors` are imported at module level;
numpy is imported lazily, and only when a value is (or decodes to) an array.
"""

import abc
import datetime
import io
import json
import os
import pickle
import re
import struct
import sys
import time
import zlib
from dataclasses import dataclass

from jug.errors import ConfigError, CorruptResult, ResultNotSaved, StoreError

#: Seconds without a heartbeat after which a lock counts as stale (its holder
#: is presumed dead).  Workers refresh their locks well within this time.
#: ``--lease`` / ``JUG_LEASE`` change it (every worker of a store should agree).
DEFAULT_LEASE = 15 * 60.0

#: Seconds after which a lock whose record cannot be read (empty, garbage: a
#: crash between creating the lock file and writing it, or a stray file) is
#: stale.  Writing a record takes microseconds, so this is generous.
UNREADABLE_LOCK_GRACE = 10.0

#: Seconds a Redis call is retried while the server cannot be reached, before
#: the error is reported (``--redis-retry`` / ``JUG_REDIS_RETRY``).
DEFAULT_REDIS_RETRY = 60.0

_RESULT_KEY = re.compile(r"[0-9a-f]{40}")
_NAME = re.compile(r"[A-Za-z0-9_.:-]{1,200}")


def result_key(key):
    """``key`` as a 40-character lowercase hex ``str`` (``bytes`` are decoded
    as ASCII); :class:`StoreError` for anything else."""
    if type(key) is not str:
        key = _decode_key(key, "result key")
    if _RESULT_KEY.fullmatch(key) is None:
        raise StoreError(f"invalid result key {key!r}: a result key is a task hash, "
                         "40 lowercase hexadecimal digits")
    return key


def store_name(name, what="lock name"):
    """A lock or blob name: a result key or any ``[A-Za-z0-9_.:-]+`` of at
    most 200 characters other than ``.`` and ``..``."""
    if type(name) is not str:
        name = _decode_key(name, what)
    if _NAME.fullmatch(name) is None or name in (".", ".."):
        raise StoreError(f"invalid {what} {name!r}: use a task hash or a name made of "
                         "letters, digits and _ . : - (at most 200 characters)")
    return name


def _decode_key(key, what):
    if isinstance(key, (bytes, bytearray, memoryview)):
        try:
            return bytes(key).decode("ascii")
        except UnicodeDecodeError:
            raise StoreError(f"invalid {what} {bytes(key)!r}: it is not ASCII") from None
    raise StoreError(f"invalid {what} {key!r}: expected str or bytes, "
                     f"not {type(key).__name__}")


_PASSWORD = re.compile(r"(//[^/@:\s]*:)[^/\s]*@")


def hide_password(text):
    """``text`` with the password of any ``scheme://user:password@`` URL in
    it replaced by ``***`` (for every message that shows a --jugdir)."""
    return _PASSWORD.sub(r"\1***@", text)


def iso_time(epoch):
    """``epoch`` as a local ISO 8601 time with its UTC offset."""
    return datetime.datetime.fromtimestamp(epoch).astimezone().isoformat(timespec="seconds")


# ---------------------------------------------------------------------------
# Store settings


@dataclass(frozen=True)
class StoreSettings:
    """How a store behaves, beyond where it is: ``lease`` (seconds without a
    heartbeat after which a lock is stale) and ``redis_retry`` (seconds a
    Redis call is retried while the server is unreachable)."""

    lease: float = DEFAULT_LEASE
    redis_retry: float = DEFAULT_REDIS_RETRY

    @classmethod
    def from_environment(cls, environ=None, lease=None, redis_retry=None):
        """Settings from ``JUG_LEASE`` and ``JUG_REDIS_RETRY`` (seconds), the
        arguments given (not None) taking precedence; :class:`StoreError` for
        a value that is not a positive number."""
        environ = os.environ if environ is None else environ
        values = {}
        for field, given, variable, default, zero_ok in (
                ("lease", lease, "JUG_LEASE", DEFAULT_LEASE, False),
                ("redis_retry", redis_retry, "JUG_REDIS_RETRY", DEFAULT_REDIS_RETRY, True)):
            if given is not None:
                values[field] = seconds_setting(given, f"--{field.replace('_', '-')}", zero_ok)
            elif environ.get(variable, "").strip():
                values[field] = seconds_setting(environ[variable],
                                                f"the environment variable {variable}", zero_ok)
            else:
                values[field] = default
        return cls(**values)


def seconds_setting(raw, what, zero_ok=False):
    """``raw`` as a number of seconds: above 0 (or, ``zero_ok``, 0 too)."""
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = float("nan")
    if not (value >= 0 if zero_ok else value > 0) or value == float("inf"):
        bound = "0 or more" if zero_ok else "above 0"
        raise ConfigError(f"{what} must be a number of seconds ({bound}), not {raw!r}")
    return value


# ---------------------------------------------------------------------------
# Locks


def _host_name():
    """This host's name, or ``JUG_HOSTNAME`` when set (two containers or
    network namespaces sharing a kernel may share a node name too)."""
    override = os.environ.get("JUG_HOSTNAME", "").strip()
    if override:
        return override
    return os.uname().nodename if hasattr(os, "uname") else __import__("socket").gethostname()


_HOSTNAME = _host_name()


def this_host():
    """The name locks record as their holder's host."""
    return _HOSTNAME


def pid_alive(pid):
    """Is process ``pid`` of this host alive (a zombie counts as dead)?"""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            # "pid (comm) S ...": the state follows the last ')'
            return stat.read().rpartition(b")")[2].split()[0] != b"Z"
    except (OSError, IndexError):
        return True  # no /proc (not Linux): kill(pid, 0) is all we know


@dataclass(frozen=True)
class LockInfo:
    """A task lock as seen in the store.

    ``created`` and ``heartbeat`` are epoch seconds; ``heartbeat`` is when the
    holder last refreshed its lease (for a failed lock: when it was created).
    ``token`` identifies one acquisition, so that a lock can be removed only
    if it is still the one that was looked at.  ``error`` is the first line
    of the error of a failed task ("" when unknown: not failed, or failed by
    a jug that did not record it)."""

    key: str
    host: str
    pid: int
    created: float
    heartbeat: float
    failed: bool = False
    token: str = ""
    error: str = ""

    def is_stale(self, now=None, lease=DEFAULT_LEASE):
        """Is the holder presumed dead?  True when it ran on this host and its
        pid is gone, when its record cannot be read (no holder: empty or
        garbage) and it is older than :data:`UNREADABLE_LOCK_GRACE`, or when
        its heartbeat is older than ``lease`` seconds.  The pid is only
        trusted on the host that recorded it; elsewhere only the lease counts.

        A failed lock is never stale: it is kept on purpose, so that the
        failed task is not retried, until removed with
        ``remove_locks(failed_only=True)`` (``jug cleanup --failed-only``)."""
        if self.failed:
            return False
        if self.host == _HOSTNAME and self.pid > 0 and not pid_alive(self.pid):
            return True
        if now is None:
            now = time.time()
        if not self.host:
            return now - self.heartbeat > min(UNREADABLE_LOCK_GRACE, lease)
        return now - self.heartbeat > lease


def lock_record(token, created):
    """The bytes a backend stores for a lock acquired now by this process."""
    return json.dumps({"host": _HOSTNAME, "pid": os.getpid(), "created": created,
                       "token": token}).encode()


#: the longest error text a failed lock keeps
ERROR_TEXT_LIMIT = 500


def error_line(text):
    """The first non-empty line of ``text``, at most :data:`ERROR_TEXT_LIMIT`
    characters ("" for None)."""
    for line in (text or "").splitlines():
        line = line.strip()
        if line:
            if len(line) > ERROR_TEXT_LIMIT:
                line = line[:ERROR_TEXT_LIMIT - 3] + "..."
            return line
    return ""


def exception_line(error):
    """What a failed lock records of exception ``error``: ``Type: first
    line of its message``."""
    message = error_line(str(error))
    kind = type(error).__name__
    return error_line(f"{kind}: {message}" if message else kind)


def failed_lock_record(data, error):
    """The bytes of a held lock's record ``data`` with the failure's
    ``error`` line added: readers that do not know the field ignore it."""
    record = json.loads(data)
    record["error"] = error_line(error)  # TypeError if the record is not an object
    return json.dumps(record).encode()


def parse_lock_record(name, data, heartbeat, failed):
    """A :class:`LockInfo` from stored lock bytes; unreadable bytes (a write
    torn by a crash) give a lock of unknown holder dated ``heartbeat``."""
    try:
        record = json.loads(data)
        return LockInfo(name, str(record["host"]), int(record["pid"]),
                        float(record["created"]),
                        float(record["created"]) if failed else heartbeat,
                        failed, str(record["token"]), str(record.get("error") or ""))
    except (ValueError, TypeError, KeyError, AttributeError):
        return LockInfo(name, "", 0, heartbeat, heartbeat, failed, "")


# ---------------------------------------------------------------------------
# Result encoding

#: magic, format version, encoding tag, reserved, saved at (epoch), payload
#: length, CRC32 of the payload then of the header's first 24 bytes, padding
#: (so that array data lands 16-byte aligned after the 64-aligned npy header).
HEADER = struct.Struct("<4sBBHdQI4x")
_CRC_COVERS = 24
MAGIC = b"JUGR"
FORMAT_VERSION = 1
ENC_NONE = ord("N")
ENC_NPY = ord("A")
ENC_PICKLE = ord("P")
ENC_ZPICKLE = ord("Z")

#: Pickles at least this large are zlib-compressed (level 1) when a 64 KiB
#: sample shrinks to half or less; incompressible data costs only the sample.
COMPRESS_ABOVE = 256 * 1024
_SAMPLE = 64 * 1024


def plain_ndarray(value):
    """Is ``value`` exactly a numpy ndarray without Python objects inside?"""
    numpy = sys.modules.get("numpy")
    return (numpy is not None and type(value) is numpy.ndarray
            and not value.dtype.hasobject)


class PayloadWriter:
    """A write-only file object keeping the length and CRC32 of what passes
    through it to ``emit``: ``np.lib.format.write_array`` writes into it."""

    def __init__(self, emit):
        self.emit = emit
        self.length = 0
        self.crc = 0

    def write(self, data):
        self.crc = zlib.crc32(data, self.crc)
        self.length += len(data)
        self.emit(data)
        return len(data)


def write_npy(array, writer):
    import numpy

    numpy.lib.format.write_array(writer, array, allow_pickle=False)


def pickle_payload(value, key=None):
    """(encoding tag, bytes) of a non-array value; :class:`ResultNotSaved`
    when it cannot be pickled."""
    try:
        data = pickle.dumps(value, protocol=5)
    except Exception as error:  # a __reduce__ may raise anything
        task = f"the result of task {key}" if key else "a result"
        message = error_line(str(error)) or type(error).__name__
        raise ResultNotSaved(f"could not store {task}: a {type(value).__name__} cannot be "
                             f"pickled ({message}); return data (numbers, arrays, lists, dicts, "
                             "instances of importable classes), not functions, files or "
                             "locks") from error
    if len(data) >= COMPRESS_ABOVE and len(zlib.compress(data[:_SAMPLE], 1)) * 2 <= _SAMPLE:
        return ENC_ZPICKLE, zlib.compress(data, 1)
    return ENC_PICKLE, data


#: a blob of parts (:meth:`Store.put_blob_parts`): magic, ``u32 count``,
#: ``count + 1`` ``u64`` offsets of the parts after the table, the parts
PARTS_MAGIC = b"JUGPARTS"
_PARTS_PREFIX = struct.Struct("<8sI")


def parts_table(parts):
    """The head of a blob of ``parts`` (see :data:`PARTS_MAGIC`)."""
    offsets, position = [0], 0
    for part in parts:
        position += len(part)
        offsets.append(position)
    return _PARTS_PREFIX.pack(PARTS_MAGIC, len(parts)) + struct.pack(f"<{len(offsets)}Q", *offsets)


def pack_parts(parts):
    """The bytes of a blob of ``parts`` (:data:`PARTS_MAGIC`)."""
    return b"".join([parts_table(parts), *parts])


def unpack_parts(read, indices):
    """``{i: bytes}`` of parts ``indices`` of a blob of parts that
    ``read(offset, length)`` reads (it may return fewer bytes at the end),
    or None when it is not one or has fewer parts."""
    head = read(0, _PARTS_PREFIX.size)
    if len(head) != _PARTS_PREFIX.size:
        return None
    magic, count = _PARTS_PREFIX.unpack(head)
    indices = sorted(set(indices))
    if magic != PARTS_MAGIC or (indices and not 0 <= indices[0] <= indices[-1] < count):
        return None
    table = read(_PARTS_PREFIX.size, 8 * (count + 1))
    if len(table) != 8 * (count + 1):
        return None
    offsets = struct.unpack(f"<{count + 1}Q", table)
    base = _PARTS_PREFIX.size + len(table)
    found = {}
    for i in indices:
        length = offsets[i + 1] - offsets[i]
        data = read(base + offsets[i], length) if length > 0 else b""
        if len(data) != max(length, 0):
            return None
        found[i] = bytes(data)
    return found


def pack_header(encoding, saved_at, length, payload_crc):
    prefix = HEADER.pack(MAGIC, FORMAT_VERSION, encoding, 0, saved_at, length, 0)[:_CRC_COVERS]
    return HEADER.pack(MAGIC, FORMAT_VERSION, encoding, 0, saved_at, length,
                       zlib.crc32(prefix, payload_crc))


@dataclass(frozen=True)
class Encoded:
    """A result already encoded (:meth:`Store.encode`): every store's
    ``save`` takes it in place of the value and stores these bytes."""

    data: bytes


def encode_result(value, saved_at=None, key=None):
    """``value`` encoded as one ``bytes``: header then payload (``key`` is
    for error messages); an :class:`Encoded` value is already encoded."""
    if type(value) is Encoded:
        return value.data
    if saved_at is None:
        saved_at = time.time()
    if value is None:
        return pack_header(ENC_NONE, saved_at, 0, 0)
    if plain_ndarray(value):
        chunks = []
        writer = PayloadWriter(chunks.append)
        write_npy(value, writer)
        return b"".join([pack_header(ENC_NPY, saved_at, writer.length, writer.crc), *chunks])
    encoding, payload = pickle_payload(value, key)
    return pack_header(encoding, saved_at, len(payload), zlib.crc32(payload)) + payload


def saved_at(header, key, where):
    """When the result whose first bytes are ``header`` was saved (epoch)."""
    return _check_header(header, key, where)[1]


def _check_header(buffer, key, where):
    if len(buffer) < HEADER.size:
        raise DamagedResult(key, where, f"{len(buffer)} bytes, shorter than the "
                                        f"{HEADER.size}-byte header: a write cut short by a crash?")
    magic, version, encoding, _, saved, length, crc = HEADER.unpack_from(buffer)
    if magic != MAGIC:
        raise corrupt(key, where, f"it does not start with {MAGIC!r}: not written by this "
                                  "version of jug")
    if version != FORMAT_VERSION:
        raise corrupt(key, where, f"result format version {version}, this jug reads "
                                  f"version {FORMAT_VERSION}")
    return encoding, saved, length, crc


def decode_result(buffer, key, where):
    """The value encoded in ``buffer`` (bytes, bytearray or memoryview).

    A ``bytearray`` is decoded in place (arrays share its memory); arrays
    decoded from immutable bytes are copied so that they are writable.
    :class:`CorruptResult` when the length or checksum is wrong or the
    payload cannot be decoded."""
    view = memoryview(buffer)
    encoding, _, length, crc = _check_header(view, key, where)
    if length != len(view) - HEADER.size:
        raise DamagedResult(key, where, f"{len(view) - HEADER.size} bytes of payload where the "
                                        f"header says {length}: a write cut short by a crash?")
    payload = view[HEADER.size:]
    if zlib.crc32(view[:_CRC_COVERS], zlib.crc32(payload)) != crc:
        raise DamagedResult(key, where, "checksum mismatch: the data was damaged after it "
                                        "was written")
    try:
        if encoding == ENC_NONE:
            return None
        if encoding == ENC_PICKLE:
            return pickle.loads(payload)
        if encoding == ENC_ZPICKLE:
            return pickle.loads(zlib.decompress(payload))
        if encoding == ENC_NPY:
            return _read_npy(payload, copy=not isinstance(buffer, bytearray))
    except Exception as error:  # unpickling runs arbitrary code: anything may be raised
        raise corrupt(key, where, f"it could not be decoded ({type(error).__name__}: {error}); "
                                  "if a module or class is missing here, the result was "
                                  "written by code this process cannot import") from error
    raise corrupt(key, where, f"unknown encoding tag {encoding!r}")


def _read_npy(payload, copy):
    import numpy

    fmt = numpy.lib.format
    head = io.BytesIO(bytes(payload[:fmt.MAGIC_LEN + 4]))
    version = fmt.read_magic(head)
    if version == (1, 0):
        header_end = fmt.MAGIC_LEN + 2 + struct.unpack_from("<H", payload, fmt.MAGIC_LEN)[0]
        read_header = fmt.read_array_header_1_0
    elif version == (2, 0):
        header_end = fmt.MAGIC_LEN + 4 + struct.unpack_from("<I", payload, fmt.MAGIC_LEN)[0]
        read_header = fmt.read_array_header_2_0
    else:  # 3.0 (utf-8 field names): rare enough to afford numpy's reader and a copy
        return fmt.read_array(io.BytesIO(bytes(payload)), allow_pickle=False)
    head = io.BytesIO(bytes(payload[:header_end]))
    fmt.read_magic(head)
    shape, fortran_order, dtype = read_header(head, max_header_size=header_end + 1)
    count = 1
    for extent in shape:
        count *= extent
    if count == 0 or dtype.itemsize == 0:
        return numpy.zeros(shape, dtype=dtype, order="F" if fortran_order else "C")
    array = numpy.frombuffer(payload, dtype=dtype, count=count, offset=header_end)
    array = array.reshape(shape, order="F" if fortran_order else "C")
    return array.copy(order="K") if copy else array


_INVALIDATE = ("run `jug invalidate` on that task (or delete it from the store) so that it "
               "is recomputed")


def corrupt(key, where, reason):
    return CorruptResult(_corrupt_message(key, where, reason), key, where, reason)


def _corrupt_message(key, where, reason):
    return (f"the stored result of task {key} ({where}) cannot be loaded ({reason}); "
            f"{_INVALIDATE}")


class DamagedResult(CorruptResult):
    """A result whose bytes are not what was written (too short, wrong length
    or checksum): a torn write or later damage, never a valid value, as
    opposed to a result that is intact but cannot be decoded here.  It is
    left in place; ``key``, ``where`` and ``reason`` say which, where, why."""

    def __init__(self, key, where, reason):
        super().__init__(_corrupt_message(key, where, reason), key, where, reason)


# ---------------------------------------------------------------------------
# The interface


# What Store.claim answers.
CLAIMED, DONE, BUSY = "claimed", "done", "busy"


class Store(abc.ABC):
    """Where results, task locks and manifest blobs live.

    Keys are task hashes: 40 lowercase hex digits, as ``str`` or ASCII
    ``bytes``.  Lock names may also be any ``[A-Za-z0-9_.:-]+`` (e.g. the
    ``retrace`` lock), and blob names follow the same rule.

    Atomicity, what a reader sees while a writer writes:

    * ``save``: nothing, then the whole value.  A value is never seen half
      written; a result torn by a machine crash is detected on ``load``
      (:class:`CorruptResult`), never decoded.
    * ``lock``: an atomic try-acquire.  Of any number of processes on any
      number of hosts calling ``lock(k)`` at once, exactly one gets True.
    * ``fail``, ``unlock``, ``heartbeat``: act only on a lock this store
      object acquired and still holds (checked atomically on Redis);
      ``heartbeat`` leaves failed locks alone.
    * ``break_stale_lock`` / ``remove_locks``: remove a lock only if it is
      still the acquisition that was looked at, so that two reclaimers do not
      both remove (and then both believe they own) a lock.
    * ``put_blob``: atomic and durable; readers see the old or the new bytes.
    * ``list_keys`` / ``list_locks``: a snapshot made while others write:
      each key is either listed or not, never half there.

    A process holding a lock for a long task must call ``heartbeat`` well
    within ``lease`` seconds, or its lock becomes stale (on Redis it expires).
    """

    #: what --jugdir said (may hold a password: show :meth:`describe`)
    url = ""
    #: seconds without a heartbeat after which a lock is stale
    lease = DEFAULT_LEASE

    def describe(self):
        """Where the data is, for messages: a path or a Redis address."""
        return self.url

    def __repr__(self):
        return f"{type(self).__name__}({self.describe()!r})"

    # -- results ------------------------------------------------------------

    @abc.abstractmethod
    def save(self, key, value):
        """Store ``value`` (or an :class:`Encoded` one) as the result of
        ``key``, replacing any previous one atomically.
        :class:`ResultNotSaved` when this value cannot be stored (it cannot
        be pickled, the disk is full): the previous result, if any, is left
        as it was and nothing half written remains."""

    def encode(self, key, value):
        """``value`` encoded for :meth:`save` (to encode in one thread and
        save in another); :class:`ResultNotSaved` if it cannot be pickled."""
        return Encoded(encode_result(value, key=result_key(key)))

    @abc.abstractmethod
    def load(self, key):
        """The result of ``key``; :class:`ResultMissing` or
        :class:`CorruptResult`."""

    @abc.abstractmethod
    def exists(self, key):
        """Is there a result for ``key``?"""

    def exists_many(self, keys):
        """``[exists(k) for k in keys]``, in as few round trips as possible."""
        return [self.exists(key) for key in keys]

    @abc.abstractmethod
    def list_keys(self):
        """The set of every key with a result (``str``), in one scan."""

    @abc.abstractmethod
    def remove(self, key):
        """Delete the result of ``key``; did it exist?"""

    def remove_many(self, keys):
        """Delete the results of ``keys``; the set of those that existed."""
        removed = set()
        for key in keys:
            if self.remove(key):
                removed.add(result_key(key))
        return removed

    @abc.abstractmethod
    def metadata(self, key):
        """``{'computed': bool, 'completed': ISO time or None}``."""

    # -- locks --------------------------------------------------------------

    @abc.abstractmethod
    def lock(self, key):
        """Try to take the lock ``key``: True if this call took it, False if
        it is held (or failed)."""

    def claim(self, key):
        """Take task ``key`` to run it: :data:`CLAIMED` (its lock is now ours
        and it has no result), :data:`DONE` (it has a result; no lock is
        kept) or :data:`BUSY` (someone else holds its lock).  Stores with
        round trips (Redis) do it in one."""
        if not self.lock(key):
            return BUSY
        if self.exists(key):
            self.unlock(key)
            return DONE
        return CLAIMED

    def save_and_unlock(self, key, value):
        """``save(key, value)`` then ``unlock(key)`` (one round trip on Redis)."""
        self.save(key, value)
        self.unlock(key)

    #: True when claim_many/save_and_unlock_many cost one round trip for
    #: many keys (the executor then batches fast tasks)
    batched = False

    def claim_many(self, keys):
        """``[claim(k) for k in keys]``, in one round trip where possible."""
        return [self.claim(key) for key in keys]

    def load_many(self, keys):
        """``[load(k) for k in keys]``, in one round trip where possible."""
        return [self.load(key) for key in keys]

    def save_and_unlock_many(self, items):
        """``save_and_unlock(key, value)`` for each ``(key, value)``."""
        for key, value in items:
            self.save_and_unlock(key, value)

    @abc.abstractmethod
    def unlock(self, key):
        """Release a lock this store took (failed or not); did it release one?"""

    @abc.abstractmethod
    def is_locked(self, key):
        """Is ``key`` locked (by anyone; failed locks count)?"""

    @abc.abstractmethod
    def fail(self, key, error=None):
        """Mark a lock this store holds as failed; is it failed now?  It stays
        locked, so no one runs the task again, and never goes stale, until
        this store unlocks it or ``remove_locks`` removes it.  ``error``: why
        (its first line is kept in the lock, :attr:`LockInfo.error`, for
        ``jug status``)."""

    @abc.abstractmethod
    def is_failed(self, key):
        """Is ``key`` locked and marked failed?"""

    @abc.abstractmethod
    def lock_info(self, key):
        """The :class:`LockInfo` of lock ``key``, or None when unlocked."""

    @abc.abstractmethod
    def list_locks(self):
        """``{name: LockInfo}`` for every lock, in one scan."""

    @abc.abstractmethod
    def heartbeat(self, keys):
        """Refresh the leases of the locks among ``keys`` this store holds.
        Returns the set of those it no longer holds (broken by someone who
        judged them stale); locks it never held are ignored."""

    @abc.abstractmethod
    def _remove_lock_if_unchanged(self, info):
        """Remove the lock ``info.key`` if it is still the acquisition
        ``info`` describes (same token, same failed state, same heartbeat)."""

    def break_stale_lock(self, key, now=None):
        """Remove lock ``key`` if it is stale (see :meth:`LockInfo.is_stale`).
        True for exactly one of several concurrent callers; the caller then
        competes for the lock with :meth:`lock` like everyone else."""
        info = self.lock_info(key)
        if info is None or not info.is_stale(now, self.lease):
            return False
        return self._remove_lock_if_unchanged(info)

    def remove_locks(self, failed_only=False, stale_only=False):
        """Remove locks and return how many: all of them, or with
        ``failed_only`` the failed ones, with ``stale_only`` the stale ones,
        with both the failed and the stale ones."""
        now = time.time()
        removed = 0
        for info in self.list_locks().values():
            if failed_only or stale_only:
                wanted = ((failed_only and info.failed)
                          or (stale_only and info.is_stale(now, self.lease)))
                if not wanted:
                    continue
            if self._remove_lock_if_unchanged(info):
                removed += 1
        return removed

    # -- blobs (the manifest) -------------------------------------------------

    @abc.abstractmethod
    def put_blob(self, name, data, durable=True):
        """Store ``data`` (bytes) under ``name``, atomically and (unless not
        ``durable``: a cache whose loss or damage its reader notices, like
        the manifest's hash index) durably."""

    @abc.abstractmethod
    def get_blob(self, name):
        """The bytes stored under ``name``, or None."""

    def stage_blob(self, name, data):
        """Write durable blob ``name`` to become visible (and durable) with
        the others staged when :meth:`commit_blobs` is given what this
        returned: a store whose durable writes cost a disk flush each
        flushes a batch of blobs at once.  Here: :meth:`put_blob` at once."""
        self.put_blob(name, data)

    def commit_blobs(self, staged):
        """Make the blobs ``staged`` (what :meth:`stage_blob` returned, in
        order) visible and durable; on return, every one of them is."""

    def put_blob_parts(self, name, parts, durable=True):
        """Store the byte strings ``parts`` as one blob ``name`` (atomically,
        as :meth:`put_blob`) whose parts :meth:`get_blob_parts` reads one
        by one: a reader of a few parts does not read the others.  Here,
        one blob in the :func:`pack_parts` layout (read whole)."""
        self.put_blob(name, pack_parts(parts), durable=durable)

    def get_blob_parts(self, name, indices):
        """``{i: bytes}`` of the parts ``indices`` of blob ``name``
        (:meth:`put_blob_parts`), or None when it is missing, is not made
        of parts, or has fewer (the caller checks each part's content)."""
        data = self.get_blob(name)
        if data is None:
            return None
        return unpack_parts(lambda offset, length: data[offset:offset + length], indices)

    @abc.abstractmethod
    def remove_blob(self, name):
        """Delete blob ``name``; did it exist?"""

    @abc.abstractmethod
    def blob_info(self, name):
        """``(size, version)`` of blob ``name``, or None: a cheap freshness
        check.  ``version`` is an int that changes whenever the blob is
        rewritten (a modification time in ns, or a counter)."""

    # -- maintenance (jug cleanup) ---------------------------------------------

    def list_blobs(self, prefix=""):
        """The names of the blobs starting with ``prefix``, or None when this
        store cannot list them (``jug cleanup`` then cannot know the other
        manifests, and keeps what they may refer to)."""
        return None

    def result_sizes(self, keys):
        """``{key: (size in bytes, ours)}`` for the keys of ``keys`` that have
        a result; ``ours`` is False for a result not in this jug's format
        (one the original jug 2.x wrote into a shared directory or
        database)."""
        return {}

    def stale_temp_files(self, older_than):
        """``[(name, size)]`` of the temporary files that crashed saves left
        (not written for ``older_than`` seconds); stores without temporary
        files have none."""
        return []

    def remove_temp_file(self, name):
        """Delete temporary file ``name`` (from :meth:`stale_temp_files`)."""

    def remove_dead_tempfiles(self):
        """Remove what crashed writers left half written (the file store's
        temporary files); returns how many.  Nothing, on stores whose
        writes are atomic on the server."""
        return 0

    # -- lifetime -------------------------------------------------------------

    def close(self):
        """Release connections and flush what must be flushed."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
