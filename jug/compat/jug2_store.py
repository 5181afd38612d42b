"""Readers of the stores the original jug 2.x wrote.  Read only: nothing in
this module writes to, renames or deletes anything of an old store.

Where the original kept a result (its ``jug/backends``, read and
re-implemented here):

* **file store** (a directory, or ``file_keepalive:DIR``): the result of
  task ``h`` is the file ``DIR/h[:2]/h[2:]``, holding one of

  - nothing (an empty file): ``None``;
  - a ``.npy`` file (``\\x93NUMPY``...): a numpy array without Python objects;
  - a parquet file (``PAR1``...): a polars DataFrame (reading it needs polars);
  - a zlib stream of one prefix byte and a payload: ``P`` + a pickle,
    ``N`` + a ``.npy`` file (arrays saved with ``compress_numpy``), or an
    empty stream for ``None``.

  ``jug pack`` moved small results into ``DIR/packs/jugpack``: the same zlib
  encoding of one pickled dict ``{hash (bytes): value}``.  As in the
  original, a key in the pack is read from the pack.
* **Redis store** (``redis://HOST[:PORT]/``): ``result:<h>`` holds the
  base64 of the zlib encoding above (an empty string for ``None``).  The
  original ignored anything after the port, so its results are always in
  database 0, and so are they read here.
* **dict_store file** (``dict_store:FILE``): one pickled dict
  ``{b"result:<h>": pickle of the value}``.

This jug's own results start with ``JUGR`` (``jug.store.base``); where old
and new results share a directory or database, such keys are not the
original's and are never decoded here.
"""

import os
import pickle
import re
import zlib

from jug.compat import as_text
from jug.errors import StoreError

#: the first bytes of a result written by this jug (jug.store.base.MAGIC)
OURS_MAGIC = b"JUGR"
_NPY_MAGIC = b"\x93NUMPY"
_PARQUET_MAGIC = b"PAR1"
_KEY = re.compile(r"[0-9a-f]{40}")
_NAME_38 = re.compile(r"[0-9a-f]{38}")
_REDIS_URL = re.compile(r"redis://(?P<host>[A-Za-z0-9.\-]+)(:(?P<port>[0-9]+))?/?")


class OriginalStoreError(StoreError):
    """An old store cannot be opened, or one of its results cannot be read."""


class _Inflate:
    """A read-only file object over the zlib-decompressed bytes of
    ``stream`` (what pickle.load and numpy's read_array need)."""

    _BLOCK = 1 << 20

    def __init__(self, stream):
        self._stream = stream
        self._inflater = zlib.decompressobj()
        self._buffer = bytearray()
        self._eof = False

    def _fill(self, wanted):
        while len(self._buffer) < wanted and not self._eof:
            chunk = self._stream.read(self._BLOCK)
            if chunk:
                self._buffer += self._inflater.decompress(chunk)
            else:
                self._buffer += self._inflater.flush()
                self._eof = True

    def read(self, size=-1):
        if size is None or size < 0:
            self._fill(float("inf"))
            size = len(self._buffer)
        else:
            self._fill(size)
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def readinto(self, target):
        data = self.read(len(target))
        target[:len(data)] = data
        return len(data)

    def readline(self):
        start = 0
        while True:
            end = self._buffer.find(b"\n", start)
            if end >= 0:
                return self.read(end + 1)
            if self._eof:
                return self.read()
            start = len(self._buffer)
            self._fill(len(self._buffer) + self._BLOCK)


def decode_stream(stream, where):
    """The value of the original's zlib encoding read from ``stream``."""
    inflated = _Inflate(stream)
    try:
        prefix = inflated.read(1)
        if not prefix:
            return None
        if prefix == b"P":
            return pickle.load(inflated)
        if prefix == b"N":
            import numpy

            return numpy.lib.format.read_array(inflated)
    except zlib.error as error:
        raise OriginalStoreError(f"{where} is not a result of the original jug (zlib: {error})"
                                 ) from None
    except Exception as error:  # unpickling runs arbitrary code
        raise _undecodable(where, error) from error
    raise OriginalStoreError(f"{where} is not a result of the original jug (unknown prefix "
                             f"{prefix!r})")


def decode_bytes(data, where):
    """The value of the original's zlib encoding ``data`` (b"" is None)."""
    import io

    if not data:
        return None
    return decode_stream(io.BytesIO(data), where)


def _undecodable(where, error):
    return OriginalStoreError(
        f"{where} could not be decoded ({type(error).__name__}: {error}); if a module or "
        "class is missing, run jug migrate where the jugfile's modules can be imported")


def load_file(path):
    """The value of one result file of the original's file store."""
    with open(path, "rb") as handle:
        head = handle.read(6)
        handle.seek(0)
        if not head:
            return None
        if head.startswith(OURS_MAGIC):
            raise OriginalStoreError(f"{path} was written by this jug, not by the original")
        if head == _NPY_MAGIC:
            import numpy

            try:
                return numpy.lib.format.read_array(handle)
            except Exception as error:
                raise _undecodable(path, error) from error
        if head.startswith(_PARQUET_MAGIC):
            try:
                import polars
            except ImportError:
                raise OriginalStoreError(f"{path} is a polars DataFrame (parquet): install "
                                         "polars to import it") from None
            return polars.read_parquet(handle)
        return decode_stream(handle, path)


def is_original_head(head):
    """Could a result starting with ``head`` (its first bytes, possibly none)
    have been written by the original's file store?"""
    if not head:
        return True  # None
    if head.startswith(OURS_MAGIC):
        return False
    if head.startswith(_NPY_MAGIC[:len(head)]) or head.startswith(_PARQUET_MAGIC[:len(head)]):
        return True
    return head[0] == 0x78  # a zlib stream (deflate, 32K window)


class OriginalStore:
    """The read-only interface of an old store: keys are 40-hex ``str``."""

    kind = "store"

    def describe(self):
        raise NotImplementedError

    def list_keys(self):
        """Every key with a result (ours among them where both share a place)."""
        raise NotImplementedError

    def exists(self, key):
        raise NotImplementedError

    def load(self, key):
        """The value of ``key``; :class:`OriginalStoreError`."""
        raise NotImplementedError

    def is_original(self, key):
        """Is ``key``'s result in the original's format (not one of ours)?"""
        raise NotImplementedError

    def retry(self):
        """Forget what could not be decoded, to try again (the jugfile's
        module, which pickled results may refer to, is complete now)."""

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


class OriginalFileStore(OriginalStore):
    """The original's file store at ``path`` (and its pack file)."""

    kind = "file store"

    def __init__(self, path):
        self.path = os.path.abspath(path.rstrip("/") or "/")
        self._pack = None
        #: why the pack file could not be decoded (its results then look missing)
        self.pack_error = None

    def describe(self):
        return self.path

    def _result_path(self, key):
        return os.path.join(self.path, key[:2], key[2:])

    @property
    def pack(self):
        """``{key: value}`` of ``packs/jugpack``, decoded when first needed
        (not before: its pickles may refer to the jugfile's classes, so the
        jugfile's module must exist first).  ``{}`` when it cannot be
        decoded, with the reason in ``pack_error``."""
        if self._pack is None:
            packfile = os.path.join(self.path, "packs", "jugpack")
            packed = {}
            if os.path.exists(packfile):
                try:
                    with open(packfile, "rb") as handle:
                        packed = decode_stream(handle, packfile) or {}
                except OriginalStoreError as error:
                    self.pack_error = str(error)
            self._pack = {as_text(key): value for key, value in packed.items()}
        return self._pack

    def retry(self):
        if self.pack_error is not None:
            self._pack = self.pack_error = None

    def list_keys(self):
        keys = set(self.pack)
        try:
            entries = os.scandir(self.path)
        except FileNotFoundError:
            return keys
        with entries:
            for entry in entries:
                if len(entry.name) != 2 or not entry.is_dir():
                    continue
                keys.update(entry.name + name for name in os.listdir(entry.path)
                            if _NAME_38.fullmatch(name) and _KEY.fullmatch(entry.name + name))
        return keys

    def exists(self, key):
        return key in self.pack or os.path.exists(self._result_path(key))

    def load(self, key):
        if key in self.pack:
            return self.pack[key]
        path = self._result_path(key)
        try:
            return load_file(path)
        except FileNotFoundError:
            raise OriginalStoreError(f"no result {key} in {self.path}") from None

    def is_original(self, key):
        if key in self.pack:
            return True
        try:
            with open(self._result_path(key), "rb") as handle:
                return is_original_head(handle.read(4))
        except FileNotFoundError:
            return False


class OriginalRedisStore(OriginalStore):
    """The original's Redis store named by ``url`` (database 0, as it used)."""

    kind = "Redis store"

    def __init__(self, url):
        import redis

        match = _REDIS_URL.match(url)
        params = {}
        if match:
            params["host"] = match.group("host")
            if match.group("port"):
                params["port"] = int(match.group("port"))
        self._where = f"redis://{params.get('host', 'localhost')}:{params.get('port', 6379)}/0"
        self._client = redis.Redis(socket_connect_timeout=2.0, **params)
        try:
            self._client.ping()
        except redis.RedisError as error:
            raise OriginalStoreError(f"cannot reach the original's Redis store {self._where} "
                                     f"({error}): is the server running?") from None

    def describe(self):
        return self._where

    def list_keys(self):
        return {key[7:].decode("ascii") for key in self._client.scan_iter(match=b"result:*",
                                                                          count=1000)
                if _KEY.fullmatch(key[7:].decode("ascii", "replace"))}

    def exists(self, key):
        return bool(self._client.exists(f"result:{key}"))

    def load(self, key):
        import base64
        import binascii

        data = self._client.get(f"result:{key}")
        where = f"result:{key} in {self._where}"
        if data is None:
            raise OriginalStoreError(f"no result {where}")
        if data.startswith(OURS_MAGIC):
            raise OriginalStoreError(f"{where} was written by this jug, not by the original")
        try:
            raw = base64.b64decode(data, validate=True) if data else b""
        except binascii.Error:
            raise OriginalStoreError(f"{where} is not a result of the original jug (not "
                                     "base64)") from None
        return decode_bytes(raw, where)

    def is_original(self, key):
        pipe = self._client.pipeline(transaction=False)
        pipe.exists(f"result:{key}")
        pipe.getrange(f"result:{key}", 0, 3)
        exists, head = pipe.execute()
        return bool(exists) and not head.startswith(OURS_MAGIC)

    def close(self):
        self._client.close()


class OriginalDictStoreFile(OriginalStore):
    """A file the original's ``dict_store:FILE`` saved when it closed."""

    kind = "dict_store file"

    def __init__(self, path):
        self.path = os.path.abspath(path)
        try:
            with open(self.path, "rb") as handle:
                data = pickle.load(handle)
        except FileNotFoundError:
            raise OriginalStoreError(f"no dict_store file {self.path}") from None
        except Exception as error:
            raise OriginalStoreError(f"{self.path} is not a dict_store file of the original "
                                     f"jug ({type(error).__name__}: {error})") from None
        self._results = {}
        for name, value in data.items():
            name = as_text(name)
            if name.startswith("result:"):
                self._results[name[7:]] = value

    def describe(self):
        return self.path

    def list_keys(self):
        return set(self._results)

    def exists(self, key):
        return key in self._results

    def load(self, key):
        try:
            return pickle.loads(self._results[key])
        except KeyError:
            raise OriginalStoreError(f"no result {key} in {self.path}") from None
        except Exception as error:
            raise _undecodable(f"result {key} of {self.path}", error) from error

    def is_original(self, key):
        return key in self._results


def open_original_store(location):
    """The old store ``location`` names, read as the original's
    ``jug.backends.select`` read a ``--jugdir``."""
    location = os.fspath(location)
    if location.startswith("redis:"):
        return OriginalRedisStore(location)
    if location == "dict_store":
        raise OriginalStoreError("an in-memory dict_store keeps nothing once its process "
                                 "ends: there are no results to migrate")
    if location.startswith("dict_store:"):
        return OriginalDictStoreFile(location[len("dict_store:"):])
    if location.startswith("file_keepalive:"):
        location = location[len("file_keepalive:"):]
    if not os.path.isdir(location):
        raise OriginalStoreError(f"no jugdir {location}: give the directory (or redis://HOST:PORT/) "
                                 "the original jug wrote its results to with --from")
    return OriginalFileStore(location)
