"""The original jug's ``jug.backends``: ``select(jugdir)`` and the modules
scripts import to open a store (``file_store``, ``dict_store``,
``redis_store``), as thin views onto this jug's stores (:mod:`jug.store`).
"""

from jug.backends import dict_store, file_store, redis_store
from jug.compat import module_getattr

__all__ = ["select", "file_store", "dict_store", "redis_store"]


def select(jugdir):
    """The store ``jugdir`` names (as ``--jugdir``), with the original's
    methods; a store object is returned as it is."""
    from jug.backends.base import original_view
    from jug.store import open_store

    if not isinstance(jugdir, str):
        return jugdir
    if jugdir.startswith("file_keepalive:"):
        jugdir = jugdir[len("file_keepalive:"):]
    return original_view(open_store(jugdir))


__getattr__ = module_getattr(__name__, {
    "memoize_store": "the executor keeps loaded results in memory itself; open the store "
                     "with jug.backends.select(jugdir)",
})
