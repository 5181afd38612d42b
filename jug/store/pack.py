"""Packed results: many small results of a file store in one file.

``jug pack`` moves every result file of at most ``max_size`` bytes into
``<jugdir>/packs/results.jugpack`` (the original jug's pack is
``packs/jugpack``, which only ``jug migrate`` reads).  A directory of
100,000 tiny files then becomes one file: listing the store reads one index
instead of scanning 100,000 directory entries, and NFS servers keep fewer
inodes.  The file store looks in the pack where a result file is missing
(:class:`PackedResults`), so every command reads packed results, and
``invalidate`` and ``cleanup`` remove them from it.

Format (version :data:`VERSION`), little-endian::

    b"JUGPACK\\0"  u32 version  u32 N
    N x 20 bytes   the keys (raw digests), sorted
    (N+1) x u64    offsets of each result in the data, from its start
    data           the results, each exactly as a result file holds it
                   (header with length and CRC32, then payload)

A pack is never modified in place: it is rewritten to a temporary file and
renamed over the old one, under the store lock :data:`LOCK`, by ``jug
pack`` and by removals.  A reader that opened the old file keeps reading it.
A result file takes precedence over a packed result of the same key, so a
result saved again is not hidden by an older packed copy.
"""

import os
import struct
import time
from array import array

from jug.errors import StoreError
from jug.store.base import HEADER, MAGIC

PACK_DIR = "packs"
PACK_NAME = "results.jugpack"
FILE_MAGIC = b"JUGPACK\0"
VERSION = 1
LOCK = "pack-update"
_PREFIX = struct.Struct("<8sII")
#: results up to this size are packed by default: one filesystem block
DEFAULT_MAX_SIZE = 4096
#: seconds to wait for another process's pack update
LOCK_TIMEOUT = 300.0


class Pack:
    """One pack file, read whole (keys first, results on demand)."""

    def __init__(self, path):
        with open(path, "rb") as handle:
            data = handle.read()
        if len(data) < _PREFIX.size:
            raise StoreError(f"the pack {path} is truncated: delete it (its results are "
                             "then recomputed)")
        magic, version, count = _PREFIX.unpack_from(data)
        if magic != FILE_MAGIC or version != VERSION:
            raise StoreError(f"{path} is not a pack of this jug (version {VERSION}): delete it "
                             "(its results are then recomputed)")
        keys_end = _PREFIX.size + 20 * count
        offsets_end = keys_end + 8 * (count + 1)
        offsets = array("Q")
        offsets.frombytes(data[keys_end:offsets_end])
        if sys_big_endian():
            offsets.byteswap()
        if len(offsets) != count + 1 or offsets_end + offsets[-1] != len(data):
            raise StoreError(f"the pack {path} is damaged (its index does not match its size): "
                             "delete it (its results are then recomputed)")
        self.path = path
        self.count = count
        self._data = memoryview(data)
        self._keys_bytes = data[_PREFIX.size:keys_end]
        self._offsets = offsets
        self._base = offsets_end
        self._index = None

    def keys(self):
        """The keys, as a list of hex ``str`` in sorted order."""
        hexes = self._keys_bytes.hex()
        return [hexes[i:i + 40] for i in range(0, len(hexes), 40)]

    def index(self):
        if self._index is None:
            self._index = {key: i for i, key in enumerate(self.keys())}
        return self._index

    def __contains__(self, key):
        return key in self.index()

    def get(self, key):
        """The stored bytes of ``key`` (a memoryview), or None."""
        i = self.index().get(key)
        if i is None:
            return None
        return self._data[self._base + self._offsets[i]:self._base + self._offsets[i + 1]]

    def items(self):
        for key, i in self.index().items():
            yield key, bytes(self._data[self._base + self._offsets[i]:
                                        self._base + self._offsets[i + 1]])


def sys_big_endian():
    import sys

    return sys.byteorder == "big"


def encode_pack(entries):
    """The bytes of a pack holding ``entries`` (``{key: stored bytes}``)."""
    keys = sorted(entries)
    offsets = array("Q", [0])
    chunks = []
    position = 0
    for key in keys:
        chunk = entries[key]
        chunks.append(chunk)
        position += len(chunk)
        offsets.append(position)
    if sys_big_endian():
        offsets.byteswap()
    return b"".join([_PREFIX.pack(FILE_MAGIC, VERSION, len(keys)),
                     bytes.fromhex("".join(keys)), offsets.tobytes(), *chunks])


class PackedResults:
    """The file store's view of its pack: the current :class:`Pack`, read
    again only when the file changed (one ``stat`` per question)."""

    def __init__(self, root):
        self.directory = os.path.join(root, PACK_DIR)
        self.path = os.path.join(self.directory, PACK_NAME)
        self._pack = None
        self._identity = None

    def current(self):
        """The pack, or None when there is none."""
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            self._pack = self._identity = None
            return None
        identity = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if identity != self._identity:
            self._pack = Pack(self.path)
            self._identity = identity
        return self._pack

    def get(self, key):
        pack = self.current()
        return None if pack is None else pack.get(key)

    def __contains__(self, key):
        pack = self.current()
        return pack is not None and key in pack

    def keys(self):
        pack = self.current()
        return [] if pack is None else pack.keys()


# -- changing the pack (under the store lock LOCK) --------------------------------------


class _PackLock:
    def __init__(self, store):
        self.store = store

    def __enter__(self):
        deadline = time.monotonic() + LOCK_TIMEOUT
        pause = 0.01
        while not self.store.lock(LOCK):
            self.store.break_stale_lock(LOCK)
            if time.monotonic() > deadline:
                raise StoreError(f"another process has held the lock {LOCK} of "
                                 f"{self.store.describe()} for {LOCK_TIMEOUT:.0f} s: wait for "
                                 "its `jug pack` to finish, or remove the lock with `jug "
                                 "cleanup --locks-only` if that process is gone")
            time.sleep(pause)
            pause = min(pause * 2, 0.5)
        return self

    def __exit__(self, *exc_info):
        self.store.unlock(LOCK)


def _publish(store, entries):
    """Write a pack of ``entries`` (or remove the pack when empty)."""
    from jug.store.file_store import fsync_dir

    packed = store.packed
    if not entries:
        try:
            os.unlink(packed.path)
        except FileNotFoundError:
            pass
        return
    data = encode_pack(entries)
    temp = store._write_temp(lambda fd: _write(fd, data), durable=True)
    os.makedirs(packed.directory, exist_ok=True)
    os.rename(temp, packed.path)
    fsync_dir(packed.directory)


def _write(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _current_entries(store):
    pack = store.packed.current()
    return {} if pack is None else dict(pack.items())


def _whole_result(data):
    """Is ``data`` a complete result of this jug (header and length agree)?"""
    if len(data) < HEADER.size or data[:4] != MAGIC:
        return False
    length = HEADER.unpack_from(data)[5]
    return length == len(data) - HEADER.size


def update_pack(store, max_size=DEFAULT_MAX_SIZE):
    """Move every result file of ``store`` (a FileStore) of at most
    ``max_size`` bytes into the pack; returns how many were moved.
    Result files of the original jug, or torn ones, are left alone."""
    with _PackLock(store):
        entries = _current_entries(store)
        moved = {}  # key -> (path, stat identity)
        for key, path, stat in _small_result_files(store, max_size):
            try:
                with open(path, "rb") as handle:
                    data = handle.read()
            except FileNotFoundError:
                continue
            if len(data) != stat.st_size or not _whole_result(data):
                continue
            entries[key] = data
            moved[key] = (path, (stat.st_ino, stat.st_mtime_ns))
        if not moved:
            return 0
        _publish(store, entries)
        gone = []
        for key, (path, identity) in moved.items():
            try:
                now = os.stat(path)
            except FileNotFoundError:
                gone.append(key)  # removed meanwhile (invalidate): not in the pack either
                continue
            if (now.st_ino, now.st_mtime_ns) == identity:
                os.unlink(path)  # rewritten meanwhile: the newer file stays and wins
        if gone:
            for key in gone:
                entries.pop(key, None)
            _publish(store, entries)
        for directory in {os.path.dirname(path) for path, _ in moved.values()}:
            try:
                os.rmdir(directory)  # emptied (a save recreates it when needed)
            except OSError:
                pass
        return len(moved) - len(gone)


def _small_result_files(store, max_size):
    from jug.store.file_store import _HEX, _NAME_38

    try:
        top = os.scandir(store.path)
    except FileNotFoundError:
        return
    with top:
        prefixes = sorted(entry.name for entry in top
                          if len(entry.name) == 2 and _HEX.issuperset(entry.name))
    for prefix in prefixes:
        directory = os.path.join(store.path, prefix)
        try:
            listing = os.scandir(directory)
        except (FileNotFoundError, NotADirectoryError):
            continue
        with listing:
            for entry in listing:
                if not _NAME_38.fullmatch(entry.name):
                    continue
                try:
                    stat = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue
                if stat.st_size <= max_size:
                    yield prefix + entry.name, entry.path, stat


def remove_from_pack(store, keys):
    """Remove ``keys`` from the pack of ``store``; the set of those it held."""
    if store.packed.current() is None:
        return set()
    wanted = [key for key in keys if key in store.packed]
    if not wanted:
        return set()
    with _PackLock(store):
        entries = _current_entries(store)
        removed = {key for key in wanted if entries.pop(key, None) is not None}
        if removed:
            _publish(store, entries)
        return removed
