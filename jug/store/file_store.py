"""The file store: results, locks and blobs as files under one directory.

This module owns the on-disk layout of a jugdir::

    <dir>/<h[:2]>/<h[2:]>      the result of task h (header + payload, see base)
    <dir>/locks/<name>.lock    a lock: JSON {host, pid, created, token}, kept as
                               written until the lock is released
    <dir>/tempfiles/           files being written, renamed into place when whole:
                               ``<kind>-<pid>-<host>-<random>-<n>``, so that the
                               files of a dead writer can be told apart and removed
                               (:meth:`FileStore.remove_dead_tempfiles`)
    <dir>/blobs/<name>         manifest blobs
    <dir>/packs/results.jugpack  small results packed by `jug pack` (jug.store.pack)

Saving a task's result writes a temporary file, renames it into place and only
then removes the lock: a reader sees the lock, then the lock and the result,
then the result alone; a worker killed at any point leaves either no result or
the whole one, and a lock that still names its (dead) holder.

Directories are created when first needed.  Works on a local disk and on NFS
(v3 or later: ``O_CREAT|O_EXCL`` and ``rename`` are atomic there).

Durability: a result can always be recomputed and every load verifies its
length and CRC32, so results are not fsynced unless ``fsync=True`` (or the
environment variable ``JUG_FSYNC=1``): a crash may lose or tear the last
results, which are then recomputed.  Blobs are fsynced with their directory;
those a compile writes are staged and committed in batches (one ``syncfs``
and one directory flush a batch, on Linux), each in place only once complete
and the batch durable before the manifest naming them is written.
A lock taken is not fsynced either (a lock lost in a crash belonged to a
worker the crash killed), but ``fail`` makes the failed mark durable.  A lock's
heartbeat is its file's mtime; a failed lock has mtime 1 (epoch + 1 s), so
both are read with one ``stat``.
"""

import errno
import functools
import itertools
import os
import re
import stat as stat_module
import threading
import time

from jug.errors import ConfigError, CorruptResult, ResultMissing, ResultNotSaved, StoreError
from jug.store.base import (BUSY, CLAIMED, DONE, DEFAULT_LEASE, ENC_NPY, MAGIC, PayloadWriter,
                            Store, decode_result, encode_result, failed_lock_record, iso_time,
                            lock_record, pack_header, parse_lock_record, parts_table,
                            pid_alive, plain_ndarray, result_key, saved_at, store_name,
                            this_host, unpack_parts, write_npy)
from jug.store.pack import PackedResults, remove_from_pack

#: arrays larger than this are streamed to the file rather than encoded in memory
STREAM_ABOVE = 4 * 1024 * 1024
_FAILED_MTIME_NS = 1_000_000_000
_HEX = frozenset("0123456789abcdef")
_HEX_RUN = re.compile(r"[0-9a-f]*")
_NAME_38 = re.compile(r"[0-9a-f]{38}")


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")
#: errors that mean "this result cannot be written here now", not "the store is unusable"
_WRITE_FAILURES = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO)


def env_fsync():
    """Is ``JUG_FSYNC`` set to a true value (1, true, yes, on; false: unset,
    empty, 0, false, no, off)?"""
    raw = os.environ.get("JUG_FSYNC", "")
    if raw.strip().lower() in _TRUE:
        return True
    if raw.strip().lower() in _FALSE:
        return False
    raise ConfigError(f"the environment variable JUG_FSYNC must be 1 or 0 (true/false, "
                      f"yes/no, on/off), not {raw!r}")


def os_problem(error):
    """What an OSError means for a user, in a few words."""
    code = error.errno
    if code in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full (or the quota is used up)"
    if code == errno.EROFS:
        return "the file system is read-only"
    if code in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if code == errno.ENOTDIR:
        return "a part of the path is a file, not a directory"
    if code == errno.EISDIR:
        return "it is a directory, not a file"
    return error.strerror or type(error).__name__


def _what_to_do(error, root):
    code = error.errno
    if code in (errno.ENOSPC, errno.EDQUOT):
        return f"free some space on the disk holding {root} (or choose another --jugdir)"
    if code in (errno.EROFS, errno.EACCES, errno.EPERM):
        return f"give a --jugdir this user can write to (now {root})"
    if code == errno.ENOTDIR:
        return f"check --jugdir {root}: it must name a directory (jug creates it)"
    return f"check --jugdir {root} and the disk"


def _translate_os_errors(doing):
    """Turn an OSError the method did not expect into one StoreError
    sentence naming the file and what to do."""
    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except OSError as error:
                raise self._os_error(error, doing) from error
        return wrapper
    return decorate


_SYNCFS = []  # [libc's syncfs, or None where there is none]
#: blobs in a batch from which one ``syncfs`` flushes them, not an fsync each
SYNCFS_MIN_BLOBS = 16


def _syncfs(path):
    """Flush the whole file system holding ``path`` with ``syncfs(2)``
    (Linux); False where the system has no such call."""
    if not _SYNCFS:
        try:
            import ctypes

            _SYNCFS.append(ctypes.CDLL(None, use_errno=True).syncfs)
        except (ImportError, OSError, AttributeError):
            _SYNCFS.append(None)
    syncfs = _SYNCFS[0]
    if syncfs is None:
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        if syncfs(fd) != 0:
            import ctypes

            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code), path)
    finally:
        os.close(fd)
    return True


def fsync_dir(path):
    """Make the entries of directory ``path`` durable (no-op where a
    directory cannot be fsynced)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as error:
        if error.errno in (errno.EINVAL, errno.ENOTSUP, errno.EACCES):
            return
        raise
    try:
        os.fsync(fd)
    except OSError as error:
        if error.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


def _write_all(fd, data):
    view = memoryview(data)
    written = os.write(fd, view)
    while written < len(view):
        written += os.write(fd, view[written:])


def _unlink_if_present(path):
    """Unlink ``path``; did it exist?"""
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    return True


def _mark_failed(path, error):
    """Add ``error`` to the record of lock file ``path`` and set the failed
    mark (mtime 1), durably; did it exist?  The record grows in place (the
    new JSON starts as the old one did), so a reader sees the old record,
    a torn one (a lock of unknown holder, as after a crash) or the new one."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        if error:
            try:
                record = failed_lock_record(os.read(fd, 65536), error)
            except (ValueError, TypeError):
                record = None  # unreadable (torn): keep it, mark it failed anyway
            if record is not None:
                os.pwrite(fd, record, 0)
                os.ftruncate(fd, len(record))
        os.utime(fd, ns=(_FAILED_MTIME_NS, _FAILED_MTIME_NS))
        os.fsync(fd)
    finally:
        os.close(fd)
    return True


def _touch(path):
    """Set ``path``'s mtime to now; its new stat, or None if it is gone."""
    now = time.time_ns()
    try:
        os.utime(path, ns=(now, now))
        return os.stat(path)
    except FileNotFoundError:
        return None


def _read_all(fd):
    size = os.fstat(fd).st_size
    buffer = bytearray(size)
    view = memoryview(buffer)
    pos = 0
    while pos < size:
        count = os.readv(fd, [view[pos:]])
        if count == 0:  # shrank while we read: return what is there
            return buffer[:pos]
        pos += count
    return buffer


class FileStore(Store):
    """Results, locks and blobs as files under ``path``."""

    def __init__(self, path, fsync=None, lease=DEFAULT_LEASE, settings=None):
        self.url = os.fspath(path)
        stripped = self.url.rstrip("/") or "/"
        self.path = os.path.abspath(stripped)
        self.fsync = env_fsync() if fsync is None else bool(fsync)
        self.lease = settings.lease if settings is not None else lease
        self._locks = os.path.join(self.path, "locks")
        self._tempfiles = os.path.join(self.path, "tempfiles")
        self._blobs = os.path.join(self.path, "blobs")
        self._counter = itertools.count()
        self._temp_prefix = self._new_temp_prefix()
        # lock name -> (st_dev, st_ino, st_mtime_ns) of the lock file we created;
        # guarded by _mutex, as a heartbeat thread refreshes while tasks run
        self._held = {}
        self._mutex = threading.Lock()
        if os.path.exists(self.path) and not os.path.isdir(self.path):
            raise StoreError(f"--jugdir {self.path} is a file, not a directory: give the path "
                             "of a directory for the results (jug creates it), e.g. "
                             f"{self.path}.jugdata")
        #: results packed by `jug pack`, looked in where a result file is missing
        self.packed = PackedResults(self.path)

    def describe(self):
        return self.path

    # -- helpers --------------------------------------------------------------

    def _os_error(self, error, doing, path=None, kind=StoreError):
        """One sentence for OSError ``error`` met while ``doing`` (on ``path``)."""
        where = path or error.filename or self.path
        return kind(f"could not {doing} {where} ({os_problem(error)}): "
                    f"{_what_to_do(error, self.path)}")

    def _result_path(self, key):
        return f"{self.path}/{key[:2]}/{key[2:]}"

    def _lock_path(self, name):
        return f"{self._locks}/{name}.lock"

    @staticmethod
    def _new_temp_prefix():
        host = re.sub(r"[^A-Za-z0-9._]", "_", this_host())[:64] or "unknown"
        return f"{os.getpid()}-{host}-{os.urandom(4).hex()}-"

    def _makedirs(self, path):
        try:
            os.makedirs(path, exist_ok=True)
        except OSError as error:
            raise self._os_error(error, "create the directory", path) from error

    def _create_temp(self, kind="tmp"):
        """A new file in tempfiles/: (path, fd)."""
        for _ in range(100):
            path = f"{self._tempfiles}/{kind}-{self._temp_prefix}{next(self._counter)}"
            try:
                return path, os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            except FileNotFoundError:
                self._makedirs(self._tempfiles)
            except FileExistsError:  # a forked copy of this store uses our prefix
                self._temp_prefix = self._new_temp_prefix()
            except OSError as error:
                kind_of_error = ResultNotSaved if error.errno in _WRITE_FAILURES else StoreError
                raise self._os_error(error, "create a file in", self._tempfiles,
                                     kind_of_error) from error
        raise StoreError(f"could not create a temporary file in {self._tempfiles}: "
                         "every name tried exists; remove stale files from it")

    def _write_temp(self, writer, durable, what="a result"):
        """Write a new temporary file with ``writer(fd)``; its path.  A write
        that fails leaves no file behind (:class:`ResultNotSaved` when the
        disk is full)."""
        temp, fd = self._create_temp()
        try:
            writer(fd)
            if durable:
                os.fsync(fd)
        except BaseException as error:
            os.close(fd)
            os.unlink(temp)
            if isinstance(error, OSError):
                kind = ResultNotSaved if error.errno in _WRITE_FAILURES else StoreError
                raise self._os_error(error, f"write {what} to", temp, kind) from error
            raise
        os.close(fd)
        return temp

    def _rename_into(self, temp, final):
        try:
            try:
                os.rename(temp, final)
            except FileNotFoundError:
                self._makedirs(os.path.dirname(final))
                os.rename(temp, final)
        except BaseException as error:
            _unlink_if_present(temp)
            if isinstance(error, OSError):
                raise self._os_error(error, "move a finished file to", final) from error
            raise

    def remove_dead_tempfiles(self):
        """Remove the files in tempfiles/ that no one will finish: those of
        dead processes of this host, and any older than the lease (a writer
        on another host, or of an older jug).  Returns how many."""
        try:
            names = os.listdir(self._tempfiles)
        except (FileNotFoundError, NotADirectoryError):
            return 0
        here = re.sub(r"[^A-Za-z0-9._]", "_", this_host())[:64] or "unknown"
        now = time.time()
        removed = 0
        for name in names:
            parts = name.split("-")
            path = f"{self._tempfiles}/{name}"
            if len(parts) == 5 and parts[1].isdigit() and parts[2] == here:
                dead = int(parts[1]) != os.getpid() and not pid_alive(int(parts[1]))
            else:
                try:
                    dead = now - os.stat(path).st_mtime > self.lease
                except FileNotFoundError:
                    continue
            if dead and _unlink_if_present(path):
                removed += 1
        return removed

    # -- results ----------------------------------------------------------------

    @staticmethod
    def _result_writer(key, value):
        """A function writing the stored form of ``value`` to a file descriptor."""
        if plain_ndarray(value) and value.nbytes > STREAM_ABOVE:
            def writer(fd):
                _stream_array(fd, value)
        else:
            data = encode_result(value, key=key)

            def writer(fd):
                _write_all(fd, data)
        return writer

    def save(self, key, value):
        key = result_key(key)
        temp = self._write_temp(self._result_writer(key, value), self.fsync,
                                f"the result of {key[:8]}")
        final = self._result_path(key)
        self._rename_into(temp, final)
        if self.fsync:
            fsync_dir(os.path.dirname(final))

    def load(self, key):
        key = result_key(key)
        path = self._result_path(key)
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            packed = self.packed.get(key)
            if packed is not None:
                return decode_result(packed, key, f"{self.packed.path}, packed")
            raise ResultMissing(f"no result for task {key}: {path} does not exist "
                                f"(store {self.path}); `jug execute` computes it",
                                key=key) from None
        except OSError as error:
            raise self._os_error(error, "read the result", path) from error
        try:
            buffer = _read_all(fd)
        except OSError as error:  # a directory, an I/O error: it cannot be loaded
            reason = os_problem(error)
            raise CorruptResult(f"the stored result of task {key} ({path}) cannot be read "
                                f"({reason}); remove it so that it is recomputed",
                                key, path, reason) from error
        finally:
            os.close(fd)
        return decode_result(buffer, key, path)

    def exists(self, key):
        key = result_key(key)
        return os.path.exists(self._result_path(key)) or key in self.packed

    def exists_many(self, keys):
        keys = [result_key(key) for key in keys]
        if len(keys) <= 256:
            return [os.path.exists(self._result_path(key)) or key in self.packed for key in keys]
        present = self.list_keys()
        return [key in present for key in keys]

    @_translate_os_errors("list the results in")
    def list_keys(self):
        keys = set()
        try:
            top = os.scandir(self.path)
        except FileNotFoundError:
            return keys
        with top:
            for entry in top:
                prefix = entry.name
                if len(prefix) != 2 or not _HEX.issuperset(prefix) or not entry.is_dir():
                    continue
                try:
                    names = os.listdir(entry.path)
                except FileNotFoundError:
                    continue
                if set(map(len, names)) <= {38} and _HEX_RUN.fullmatch("".join(names)):
                    keys.update(map(prefix.__add__, names))  # all valid: the usual case
                else:
                    keys.update(prefix + name for name in names if _NAME_38.fullmatch(name))
        keys.update(self.packed.keys())
        return keys

    @_translate_os_errors("remove")
    def _remove_file(self, key):
        path = self._result_path(key)
        if not _unlink_if_present(path):
            return False
        if self.fsync:
            fsync_dir(os.path.dirname(path))
        return True

    def remove(self, key):
        key = result_key(key)
        removed = self._remove_file(key)
        return bool(remove_from_pack(self, [key])) or removed

    def remove_many(self, keys):
        keys = [result_key(key) for key in keys]
        removed = {key for key in keys if self._remove_file(key)}
        return removed | remove_from_pack(self, keys)

    def metadata(self, key):
        key = result_key(key)
        try:
            mtime = os.stat(self._result_path(key)).st_mtime
        except FileNotFoundError:
            packed = self.packed.get(key)
            if packed is None:
                return {"computed": False, "completed": None}
            mtime = saved_at(packed, key, self.packed.path)
        return {"computed": True, "completed": iso_time(mtime)}

    # -- locks ------------------------------------------------------------------

    def lock(self, key):
        name = store_name(key)
        path = self._lock_path(name)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
        try:
            fd = os.open(path, flags, 0o666)
        except FileExistsError:
            return False
        except FileNotFoundError:
            self._makedirs(self._locks)
            try:
                fd = os.open(path, flags, 0o666)
            except FileExistsError:
                return False
            except OSError as error:
                raise self._os_error(error, "create the lock", path) from error
        except OSError as error:
            raise self._os_error(error, "create the lock", path) from error
        try:
            _write_all(fd, lock_record(f"{self._temp_prefix}{next(self._counter)}",
                                       time.time()))
            if self.fsync:
                os.fsync(fd)
            stat = os.fstat(fd)
        except OSError as error:
            os.close(fd)
            os.unlink(path)
            raise self._os_error(error, "write the lock", path) from error
        os.close(fd)
        with self._mutex:
            self._held[name] = (stat.st_dev, stat.st_ino, stat.st_mtime_ns)
        return True

    def _still_ours(self, name):
        """The lock file's path if it is still the one we created, else None
        (and forget it).  Called with _mutex held."""
        identity = self._held.get(name)
        if identity is None:
            return None
        path = self._lock_path(name)
        try:
            stat = os.stat(path)
        except FileNotFoundError:
            del self._held[name]
            return None
        if (stat.st_dev, stat.st_ino, stat.st_mtime_ns) != identity:
            del self._held[name]
            return None
        return path

    @_translate_os_errors("remove the lock")
    def unlock(self, key):
        name = store_name(key)
        with self._mutex:
            path = self._still_ours(name)
            if path is None:
                return False
            del self._held[name]
            return _unlink_if_present(path)

    def claim(self, key):
        key = result_key(key)
        result = self._result_path(key)
        if os.path.exists(result) or key in self.packed:  # read-only first: no lock churn
            return DONE
        if not self.lock(key):
            return BUSY
        if os.path.exists(result):
            self.unlock(key)
            return DONE
        return CLAIMED

    def save_and_unlock(self, key, value):
        """Save the result (a temporary file renamed into place), then remove
        our lock: the lock keeps naming its holder until the result is
        whole, so a worker killed while writing leaves a lock that is seen
        to be stale at once, and a temporary file of a dead process."""
        self.save(key, value)
        self.unlock(key)

    def is_locked(self, key):
        return os.path.exists(self._lock_path(store_name(key)))

    @_translate_os_errors("mark as failed the lock")
    def fail(self, key, error=None):
        name = store_name(key)
        with self._mutex:
            path = self._still_ours(name)
            if path is None:
                return False
            if self._held[name][2] == _FAILED_MTIME_NS:
                return True  # already failed: keep the first error
            if not _mark_failed(path, error):
                del self._held[name]
                return False
            dev, ino, _ = self._held[name]
            # still ours (so unlock removes it) but never refreshed again
            self._held[name] = (dev, ino, _FAILED_MTIME_NS)
        fsync_dir(self._locks)
        return True

    def is_failed(self, key):
        try:
            return os.stat(self._lock_path(store_name(key))).st_mtime_ns == _FAILED_MTIME_NS
        except FileNotFoundError:
            return False

    def _read_lock(self, path, name):
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        except OSError as error:
            raise self._os_error(error, "read the lock", path) from error
        try:
            stat = os.fstat(fd)
            if not stat_module.S_ISREG(stat.st_mode):
                raise StoreError(f"{path} is a directory (or another non-file) where jug keeps "
                                 f"the lock of {name}: remove it (`rm -r {path}`) if no one "
                                 "put it there on purpose, then run jug again")
            data = os.read(fd, 65536)
        except OSError as error:
            raise self._os_error(error, "read the lock", path) from error
        finally:
            os.close(fd)
        mtime_ns = stat.st_mtime_ns
        return parse_lock_record(name, data, mtime_ns / 1e9, mtime_ns == _FAILED_MTIME_NS)

    def lock_info(self, key):
        name = store_name(key)
        return self._read_lock(self._lock_path(name), name)

    @_translate_os_errors("list the locks in")
    def list_locks(self):
        locks = {}
        try:
            entries = os.scandir(self._locks)
        except FileNotFoundError:
            return locks
        with entries:
            for entry in entries:
                if entry.name.endswith(".lock"):
                    name = entry.name[:-5]
                    info = self._read_lock(entry.path, name)
                    if info is not None:
                        locks[name] = info
        return locks

    @_translate_os_errors("refresh the locks in")
    def heartbeat(self, keys):
        lost = set()
        names = [store_name(key) for key in keys]
        with self._mutex:
            for name in names:
                if name not in self._held or self._held[name][2] == _FAILED_MTIME_NS:
                    continue
                path = self._still_ours(name)
                stat = None if path is None else _touch(path)
                if stat is None:
                    self._held.pop(name, None)
                    lost.add(name)
                else:
                    self._held[name] = (stat.st_dev, stat.st_ino, stat.st_mtime_ns)
        return lost

    @_translate_os_errors("remove the stale lock")
    def _remove_lock_if_unchanged(self, info):
        path = self._lock_path(info.key)
        grave = f"{self._tempfiles}/reclaim-{self._temp_prefix}{next(self._counter)}"
        try:
            os.rename(path, grave)
        except FileNotFoundError:
            if os.path.isdir(self._tempfiles):
                return False  # the lock is gone
            self._makedirs(self._tempfiles)
            try:
                os.rename(path, grave)
            except FileNotFoundError:
                return False
        # The rename made us the only one who can remove it; check it is
        # still the acquisition we judged (not re-taken or refreshed since).
        now = self._read_lock(grave, info.key)
        if now is not None and (now.token, now.failed, now.heartbeat) == (
                info.token, info.failed, info.heartbeat):
            os.unlink(grave)
            return True
        try:
            os.link(grave, path)  # put it back, unless someone took the lock meanwhile
        except FileExistsError:
            pass
        os.unlink(grave)
        return False

    # -- maintenance ------------------------------------------------------------

    def list_blobs(self, prefix=""):
        try:
            return sorted(name for name in os.listdir(self._blobs) if name.startswith(prefix))
        except FileNotFoundError:
            return []

    def result_sizes(self, keys):
        sizes = {}
        for key in map(result_key, keys):
            try:
                fd = os.open(self._result_path(key), os.O_RDONLY)
            except FileNotFoundError:
                packed = self.packed.get(key)
                if packed is not None:
                    sizes[key] = (len(packed), bytes(packed[:len(MAGIC)]) == MAGIC)
                continue
            try:
                sizes[key] = (os.fstat(fd).st_size, os.read(fd, len(MAGIC)) == MAGIC)
            finally:
                os.close(fd)
        return sizes

    def stale_temp_files(self, older_than):
        now = time.time()
        found = []
        try:
            entries = os.scandir(self._tempfiles)
        except FileNotFoundError:
            return found
        with entries:
            for entry in entries:
                try:
                    stat = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue
                if entry.is_file(follow_symlinks=False) and now - stat.st_mtime > older_than:
                    found.append((entry.name, stat.st_size))
        return sorted(found)

    def remove_temp_file(self, name):
        _unlink_if_present(f"{self._tempfiles}/{os.path.basename(name)}")

    # -- blobs ------------------------------------------------------------------

    def _blob_path(self, name):
        return f"{self._blobs}/{store_name(name, 'blob name')}"

    def put_blob(self, name, data, durable=True):
        self._put_blob_writing(name, (data,), durable)

    def _put_blob_writing(self, name, pieces, durable):
        final = self._blob_path(name)  # a bad name fails before anything is written
        self._rename_into(self._blob_temp(name, pieces, durable), final)
        if durable:
            fsync_dir(self._blobs)

    def _blob_temp(self, name, pieces, durable):
        """A temporary file holding ``pieces`` one after the other, for blob
        ``name``."""
        def writer(fd):
            for data in pieces:
                _write_all(fd, data)
            # a precise mtime makes (size, mtime_ns) change with every write
            now = time.time_ns()
            os.utime(fd, ns=(now, now))

        try:
            return self._write_temp(writer, durable=durable, what=f"blob {name}")
        except ResultNotSaved as error:  # a manifest that cannot be written stops everything
            raise StoreError(str(error)) from error

    def stage_blob(self, name, data):
        """The blob in a temporary file, not flushed: ``(temporary path,
        final path)``."""
        final = self._blob_path(name)
        return self._blob_temp(name, (data,), durable=False), final

    def commit_blobs(self, staged):
        """Flush the staged files, move them into place (each complete
        before its name exists), then flush the directory once.  Where the
        system has ``syncfs`` (Linux), a batch of at least
        :data:`SYNCFS_MIN_BLOBS` files is flushed by one call for all (about
        0.2 s for 600 files here, against 1-2 s for a flush of each); a
        smaller one, and any batch elsewhere, a file at a time (``syncfs``
        also waits for whatever else is dirty on the file system: 50 ms
        more than two fsyncs for a 1,000-task compile's few blobs here)."""
        staged = list(staged)
        if not staged:
            return
        temp = staged[0][0]
        try:
            if len(staged) < SYNCFS_MIN_BLOBS or not _syncfs(os.path.dirname(temp)):
                for temp, _ in staged:
                    fd = os.open(temp, os.O_RDONLY)
                    try:
                        os.fsync(fd)
                    finally:
                        os.close(fd)
        except BaseException as error:
            for temp, _ in staged:
                _unlink_if_present(temp)
            if isinstance(error, OSError):
                raise self._os_error(error, "flush", temp) from error
            raise
        for i, (temp, final) in enumerate(staged):
            try:
                self._rename_into(temp, final)
            except BaseException:
                for left, _ in staged[i + 1:]:
                    _unlink_if_present(left)
                raise
        fsync_dir(self._blobs)

    def put_blob_parts(self, name, parts, durable=True):
        """One file: the table of offsets, then the parts (not joined in memory)."""
        self._put_blob_writing(name, [parts_table(parts), *parts], durable)

    @_translate_os_errors("read")
    def get_blob_parts(self, name, indices):
        try:
            fd = os.open(self._blob_path(name), os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            return unpack_parts(lambda offset, length: os.pread(fd, length, offset), indices)
        finally:
            os.close(fd)

    @_translate_os_errors("read")
    def get_blob(self, name):
        try:
            fd = os.open(self._blob_path(name), os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            return bytes(_read_all(fd))
        finally:
            os.close(fd)

    def remove_blob(self, name):
        if not _unlink_if_present(self._blob_path(name)):
            return False
        fsync_dir(self._blobs)
        return True

    def blob_info(self, name):
        try:
            stat = os.stat(self._blob_path(name))
        except FileNotFoundError:
            return None
        return stat.st_size, stat.st_mtime_ns


def _stream_array(fd, array):
    """Write a large array's result to ``fd`` without a copy in memory: a
    placeholder header, the npy payload, then the real header."""
    start = time.time()
    os.write(fd, pack_header(ENC_NPY, start, 0, 0))
    writer = PayloadWriter(lambda data: _write_all(fd, data))
    write_npy(array, writer)
    os.pwrite(fd, pack_header(ENC_NPY, start, writer.length, writer.crc), 0)
