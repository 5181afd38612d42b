"""The original jug's ``jug.backends.redis_store``: ``redis_store(url)``
opens this jug's Redis store with the original's methods.  Unlike the
original, a database number in ``url`` (``redis://host:port/3``) is used;
the original always used database 0."""

from jug.backends.base import base_lock, base_store

__all__ = ["redis_store", "redis_lock"]


class redis_store(base_store):
    """This jug's :class:`jug.store.redis_store.RedisStore` at ``url``."""

    def __init__(self, url):
        from jug.store.redis_store import RedisStore

        super().__init__(RedisStore(url))


redis_lock = base_lock
