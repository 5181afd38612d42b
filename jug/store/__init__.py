"""Stores: where results, task locks and manifest blobs live.

This package owns the choice of store from ``--jugdir``.  :func:`open_store`
looks the string's scheme up in :data:`BACKENDS` and imports the backend
module only then, so ``jug status`` on a file store never imports redis:

==============================================  ===========================
``--jugdir``                                    store
==============================================  ===========================
a path (``results.jugdata``, ``/nfs/run/``)      :class:`FileStore`
``redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]``  :class:`RedisStore`
``rediss://...`` (TLS), ``unix:///PATH[?db=N]``  :class:`RedisStore`
``dict_store``, ``dict_store:FILE``             :class:`MemoryStore`
==============================================  ===========================

Any other ``SCHEME://`` is an error.  The environment variable
``JUG_LEASE`` (seconds) sets every store's lease, the time without a
heartbeat after which a lock counts as stale (default 15 minutes; workers
refresh their locks every quarter of it, at most every minute).  The
interface is
:class:`jug.store.base.Store`; its docstring says what is atomic.
"""

import importlib
import os
import re

from jug.errors import StoreError
from jug.store.base import DEFAULT_LEASE, LockInfo, Store, StoreSettings, hide_password

__all__ = ["BACKENDS", "DEFAULT_LEASE", "LockInfo", "Store", "StoreSettings", "open_store"]

#: scheme -> "module:callable"; the callable takes the --jugdir string and a
#: :class:`StoreSettings`
BACKENDS = {
    "redis": "jug.store.redis_store:RedisStore",
    "rediss": "jug.store.redis_store:RedisStore",
    "unix": "jug.store.redis_store:RedisStore",
    "dict_store": "jug.store.memory_store:open_memory_store",
}
_FILE_BACKEND = "jug.store.file_store:FileStore"
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):(//)?")
_ACCEPTED = ("a directory path, redis://[:PASSWORD@]HOST[:PORT][/DB], rediss://..., "
             "unix:///PATH/TO/redis.sock[?db=N], dict_store or dict_store:FILE")

_CLASSES = {
    "FileStore": "jug.store.file_store",
    "RedisStore": "jug.store.redis_store",
    "MemoryStore": "jug.store.memory_store",
}


def open_store(jugdir, settings=None):
    """The store ``jugdir`` (a ``--jugdir`` string or path) names, with
    ``settings`` (a :class:`StoreSettings`; default: from ``JUG_LEASE`` and
    ``JUG_REDIS_RETRY``, else the defaults)."""
    if not isinstance(jugdir, (str, os.PathLike)):
        raise StoreError(f"--jugdir must be a path or a store URL, not {type(jugdir).__name__}")
    jugdir = os.fspath(jugdir)
    if not jugdir:
        raise StoreError(f"--jugdir is empty: give {_ACCEPTED}")
    backend = _FILE_BACKEND
    match = _SCHEME.match(jugdir)
    if jugdir == "dict_store" or jugdir.startswith("dict_store:"):
        backend = BACKENDS["dict_store"]
    elif match is not None:
        scheme = match.group(1).lower()
        if scheme in BACKENDS:
            backend = BACKENDS[scheme]
        elif match.group(2) and len(scheme) > 1:
            raise StoreError(f"unknown store scheme {scheme!r} in --jugdir "
                             f"{hide_password(jugdir)!r}: "
                             f"use {_ACCEPTED}")
    if settings is None:
        settings = StoreSettings.from_environment()
    module_name, _, factory = backend.partition(":")
    return getattr(importlib.import_module(module_name), factory)(jugdir, settings=settings)


def __getattr__(name):
    """``jug.store.FileStore`` etc., importing the backend on first use."""
    if name in _CLASSES:
        return getattr(importlib.import_module(_CLASSES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
