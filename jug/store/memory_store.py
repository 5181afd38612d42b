"""The in-memory store (``--jugdir dict_store`` or ``dict_store:FILE``).

This module owns the in-memory store and its save file.  Results are kept
encoded (as the other stores keep them), so a value saved and then mutated by
the caller is not changed in the store, and what cannot be stored elsewhere
cannot be stored here either.  It serves one process: locks only exclude
other users of the same object.

With a FILE, the store starts from FILE's contents when it exists and writes
results, blobs and failed locks back to it on ``close()`` or at interpreter
exit: atomically (a temporary file renamed over FILE) and durably.  Locks
that are merely held are not saved: their holder is this process.
"""

import atexit
import os
import pickle
import threading
import time

from jug.errors import ResultMissing, StoreError
from jug.store.base import (DEFAULT_LEASE, MAGIC, LockInfo, Store, decode_result, encode_result,
                            error_line, iso_time, result_key, saved_at, store_name, this_host)
from jug.store.file_store import fsync_dir

_FILE_FORMAT = "jug dict_store"
_FILE_VERSION = 1


def open_memory_store(jugdir, settings=None):
    """The store for ``dict_store`` or ``dict_store:FILE``."""
    _, _, path = jugdir.partition(":")
    return MemoryStore(path or None, lease=DEFAULT_LEASE if settings is None else settings.lease)


class MemoryStore(Store):
    """Results, locks and blobs in dicts of this process, optionally saved to
    ``path`` on close."""

    def __init__(self, path=None, lease=DEFAULT_LEASE):
        self.url = "dict_store" if path is None else f"dict_store:{os.fspath(path)}"
        self.path = None if path is None else os.path.abspath(os.fspath(path))
        self.lease = lease
        self._results = {}   # key -> encoded result
        self._locks = {}     # name -> LockInfo
        self._blobs = {}     # name -> (bytes, version)
        self._blob_version = 0
        self._tokens = 0
        self._token_prefix = f"{os.urandom(6).hex()}-"
        self._acquired = set()  # names locked through this object and not let go
        # a heartbeat thread may refresh while the main thread locks and unlocks
        self._mutex = threading.Lock()
        if self.path is not None:
            self._read_file()
            atexit.register(self.close)

    def describe(self):
        return "memory" if self.path is None else f"memory, saved to {self.path}"

    # -- the save file --------------------------------------------------------

    def _read_file(self):
        try:
            with open(self.path, "rb") as file:
                state = pickle.load(file)
        except FileNotFoundError:
            return
        except (OSError, pickle.UnpicklingError, EOFError, ValueError) as error:
            raise StoreError(f"could not read the dict_store file {self.path} ({error}): "
                             "delete it to start empty") from error
        if not isinstance(state, dict) or state.get("format") != _FILE_FORMAT:
            raise StoreError(f"{self.path} is not a jug dict_store file: choose another "
                             "file name after dict_store:")
        if state.get("version") != _FILE_VERSION:
            raise StoreError(f"{self.path} is a dict_store file of version "
                             f"{state.get('version')}, this jug reads version {_FILE_VERSION}: "
                             "delete it to start empty")
        self._results = dict(state["results"])
        self._blobs = dict(state["blobs"])
        self._blob_version = state["blob_version"]
        errors = state.get("failed_errors", {})  # absent from files of older versions
        self._locks = {name: LockInfo(*fields, error=errors.get(name, ""))
                       for name, fields in state["failed_locks"].items()}

    def _write_file(self):
        state = {
            "format": _FILE_FORMAT,
            "version": _FILE_VERSION,
            "results": self._results,
            "blobs": self._blobs,
            "blob_version": self._blob_version,
            "failed_locks": {name: (info.key, info.host, info.pid, info.created,
                                    info.heartbeat, info.failed, info.token)
                             for name, info in self._locks.items() if info.failed},
            # beside the 7-field tuples, which older versions read as they are
            "failed_errors": {name: info.error for name, info in self._locks.items()
                              if info.failed and info.error},
        }
        directory = os.path.dirname(self.path)
        temp = f"{self.path}.{os.urandom(6).hex()}.tmp"
        try:
            os.makedirs(directory, exist_ok=True)
            with open(temp, "xb") as file:
                pickle.dump(state, file, protocol=5)
                file.flush()
                os.fsync(file.fileno())
            os.rename(temp, self.path)
            fsync_dir(directory)
        except OSError as error:
            if os.path.exists(temp):
                os.unlink(temp)
            raise StoreError(f"could not save the dict_store to {self.path} "
                             f"({error.strerror or error}): check that its directory is "
                             "writable") from error

    def close(self):
        if self.path is not None:
            atexit.unregister(self.close)
            self._write_file()

    # -- results ----------------------------------------------------------------

    def save(self, key, value):
        key = result_key(key)
        self._results[key] = encode_result(value, key=key)

    def load(self, key):
        key = result_key(key)
        data = self._results.get(key)
        if data is None:
            raise ResultMissing(f"no result for task {key} in the {self.describe()} store; "
                                "`jug execute` computes it", key=key)
        return decode_result(data, key, f"{self.describe()} store")

    def exists(self, key):
        return result_key(key) in self._results

    def list_keys(self):
        return set(self._results)

    def remove(self, key):
        return self._results.pop(result_key(key), None) is not None

    def metadata(self, key):
        key = result_key(key)
        data = self._results.get(key)
        if data is None:
            return {"computed": False, "completed": None}
        return {"computed": True,
                "completed": iso_time(saved_at(data, key, f"{self.describe()} store"))}

    # -- locks ------------------------------------------------------------------

    def lock(self, key):
        name = store_name(key)
        with self._mutex:
            if name in self._locks:
                return False
            self._tokens += 1
            now = time.time()
            self._locks[name] = LockInfo(name, this_host(), os.getpid(), now, now, False,
                                         f"{self._token_prefix}{self._tokens}")
            self._acquired.add(name)
            return True

    def _held(self, name):
        return name in self._acquired and name in self._locks

    def unlock(self, key):
        name = store_name(key)
        with self._mutex:
            if not self._held(name):
                return False
            del self._locks[name]
            self._acquired.discard(name)
            return True

    def is_locked(self, key):
        return store_name(key) in self._locks

    def fail(self, key, error=None):
        name = store_name(key)
        with self._mutex:
            if not self._held(name):
                return False
            info = self._locks[name]
            if not info.failed:
                self._locks[name] = LockInfo(name, info.host, info.pid, info.created,
                                             info.created, True, info.token, error_line(error))
            return True

    def is_failed(self, key):
        info = self._locks.get(store_name(key))
        return info is not None and info.failed

    def lock_info(self, key):
        return self._locks.get(store_name(key))

    def list_locks(self):
        with self._mutex:
            return dict(self._locks)

    def heartbeat(self, keys):
        now = time.time()
        lost = set()
        with self._mutex:
            for name in map(store_name, keys):
                if self._held(name):
                    info = self._locks[name]
                    if info.failed:
                        continue
                    self._locks[name] = LockInfo(name, info.host, info.pid, info.created, now,
                                                 False, info.token)
                elif name in self._acquired:
                    self._acquired.discard(name)
                    lost.add(name)
        return lost

    def _remove_lock_if_unchanged(self, info):
        with self._mutex:
            if self._locks.get(info.key) != info:
                return False
            del self._locks[info.key]
            return True

    # -- maintenance ------------------------------------------------------------

    def list_blobs(self, prefix=""):
        return sorted(name for name in self._blobs if name.startswith(prefix))

    def result_sizes(self, keys):
        results = self._results
        return {key: (len(results[key]), results[key][:len(MAGIC)] == MAGIC)
                for key in map(result_key, keys) if key in results}

    # -- blobs ------------------------------------------------------------------

    def put_blob(self, name, data, durable=True):
        self._blob_version += 1
        self._blobs[store_name(name, "blob name")] = (bytes(data), self._blob_version)

    def get_blob(self, name):
        entry = self._blobs.get(store_name(name, "blob name"))
        return None if entry is None else entry[0]

    def remove_blob(self, name):
        return self._blobs.pop(store_name(name, "blob name"), None) is not None

    def blob_info(self, name):
        entry = self._blobs.get(store_name(name, "blob name"))
        return None if entry is None else (len(entry[0]), entry[1])
