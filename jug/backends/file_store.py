"""The original jug's ``jug.backends.file_store``: ``file_store(path)``
opens this jug's file store at ``path`` with the original's methods
(:class:`jug.backends.base.base_store`).  Results the original wrote there
are read too (``load``); this jug's own results go to the same places the
original's did (``DIR/h[:2]/h[2:]``), under different hashes."""

import os

from jug.backends.base import base_lock, base_store
from jug.compat import module_getattr

__all__ = ["file_store", "file_keepalive_store", "file_based_lock", "fsync_dir"]


class file_store(base_store):
    """This jug's :class:`jug.store.file_store.FileStore` at ``dname``.
    ``compress_numpy`` is accepted and ignored: arrays are stored natively
    and compression is decided per result (see jug.store.base)."""

    def __init__(self, dname, compress_numpy=False):
        from jug.store.file_store import FileStore

        super().__init__(FileStore(os.fspath(dname)))
        self.jugdir = self.jug_store.url.rstrip("/") or "/"
        self.compress_numpy = compress_numpy

    def create(self):
        os.makedirs(self.jugdir, exist_ok=True)

    def tempdir(self):
        return os.path.join(self.jugdir, "tempfiles")

    @staticmethod
    def remove_store(jugdir):
        """Remove ``jugdir`` and everything in it."""
        import shutil

        if os.path.exists(jugdir):
            shutil.rmtree(jugdir)


#: locks carry a heartbeat in every store here: no separate keep-alive store
file_keepalive_store = file_store


class file_based_lock(base_lock):
    """The lock ``name`` of the file store at ``jugdir``."""

    def __init__(self, jugdir, name):
        from jug.store.file_store import FileStore

        super().__init__(FileStore(os.fspath(jugdir)), name)


def fsync_dir(fname):
    """Make the directory holding ``fname`` durable (the original's helper)."""
    from jug.store.file_store import fsync_dir as fsync_directory

    fsync_directory(os.path.dirname(os.path.abspath(fname)))


__getattr__ = module_getattr(__name__, {
    "file_keepalive_based_lock": "locks of every store carry a heartbeat here "
                                 "(jug.store.base.LockInfo); use file_based_lock",
    "MAX_FILESIZE_IN_PACK": "this jug has no `jug pack`",
})
