"""The original jug's ``jug.backends``: ``select(jugdir)`` and the modules
scripts import to open a store (``file_store``, ``dict_store``,
``redis_store``), as thin views onto this jug's stores (:mod:`jug.store`).
"""

from jug.backends import dict_store, file_store, redis_store
from jug.backends.select import select  # the function, as in the original (not the module)
from jug.compat import module_getattr

__all__ = ["select", "file_store", "dict_store", "redis_store"]


__getattr__ = module_getattr(__name__, {
    "memoize_store": "the executor keeps loaded results in memory itself; open the store "
                     "with jug.backends.select(jugdir)",
})
