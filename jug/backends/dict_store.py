"""The original jug's ``jug.backends.dict_store``: ``dict_store(backend)``
opens this jug's in-memory store (saved to ``backend`` on close if given)
with the original's methods.  A file the original's dict_store saved is
in another format: import it with ``jug migrate --from dict_store:FILE``."""

from jug.backends.base import base_lock, base_store

__all__ = ["dict_store", "dict_lock"]


class dict_store(base_store):
    """This jug's :class:`jug.store.memory_store.MemoryStore`."""

    def __init__(self, backend=None):
        from jug.store.memory_store import MemoryStore

        super().__init__(MemoryStore(backend))
        self.backend = backend


dict_lock = base_lock
