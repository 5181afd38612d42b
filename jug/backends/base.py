"""The original jug's ``jug.backends.base``: its store and lock interface
(``dump``, ``load``, ``can_load``, ``list``, ``getlock``...), here a thin
view onto one of this jug's stores (:mod:`jug.store`).

``jug.init`` and ``jug.set_jugdir`` return such a view, and
``jug.backends.file_store.file_store(path)`` etc. open one, so scripts
written for the original keep working.  Every method of the store it
wraps is available too (``view.exists(key)``, ``view.list_keys()``...).
A result that is not in this jug's format (one the original wrote, in a
directory or Redis database both share) is read with the original's
decoding (:mod:`jug.compat.jug2_store`).
"""

from jug.compat import as_text, original_only

__all__ = ["base_store", "base_lock"]


class base_store:
    """The original's store API over ``store`` (a :class:`jug.store.base.Store`)."""

    def __init__(self, store):
        self.jug_store = our_store(store)
        self._original = None

    def __getattr__(self, name):
        if name in _NO_EQUIVALENT:
            raise original_only(f"{type(self).__name__}.{name}", _NO_EQUIVALENT[name])
        store = self.__dict__.get("jug_store")
        if store is None:
            raise AttributeError(name)
        return getattr(store, name)

    def __repr__(self):
        return f"{type(self).__name__}({self.jug_store.describe()})"

    def dump(self, object, name):
        """Save ``object`` as the result ``name`` (a task hash)."""
        self.jug_store.save(as_text(name), object)

    def can_load(self, name):
        return self.jug_store.exists(as_text(name))

    def load(self, name):
        """The result ``name``; read with the original's decoding if it is
        one the original wrote."""
        from jug.errors import CorruptResult

        key = as_text(name)
        try:
            return self.jug_store.load(key)
        except CorruptResult:
            original = self._original_reader()
            if original is None or not original.exists(key) or not original.is_original(key):
                raise
            return original.load(key)

    def _original_reader(self):
        if self._original is None:
            from jug.compat.jug2_store import OriginalStoreError, open_original_store
            from jug.store.file_store import FileStore

            store = self.jug_store
            location = store.path if isinstance(store, FileStore) else store.url
            try:
                self._original = open_original_store(location)
            except OriginalStoreError:
                return None
        return self._original

    def list(self):
        """Every key with a result, as bytes (as the original listed them)."""
        return [key.encode("ascii") for key in sorted(self.jug_store.list_keys())]

    def listlocks(self):
        return [name.encode("ascii") for name in sorted(self.jug_store.list_locks())]

    def remove(self, name):
        return self.jug_store.remove(as_text(name))

    def remove_many(self, names):
        return self.jug_store.remove_many([as_text(name) for name in names])

    def remove_locks(self):
        return self.jug_store.remove_locks()

    def cleanup(self, active, keeplocks=False):
        """Remove every result but those of the tasks ``active``, and every
        lock unless ``keeplocks``; the number of results removed."""
        keep = {as_text(task.hash()) for task in active}
        removed = self.jug_store.remove_many(self.jug_store.list_keys() - keep)
        if not keeplocks:
            self.jug_store.remove_locks()
        return len(removed)

    def getlock(self, name):
        return base_lock(self.jug_store, as_text(name))

    def metadata(self, t):
        """``{'computed': ..., 'completed': ...}`` of task ``t`` (or a hash)."""
        return self.jug_store.metadata(as_text(t.hash() if hasattr(t, "hash") else t))

    def close(self):
        if self._original is not None:
            self._original.close()
            self._original = None
        self.jug_store.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


_NO_EQUIVALENT = {
    "update_pack": "this jug keeps one file per result and has no `jug pack`; nothing to do",
    "resave_pack": "this jug keeps one file per result and has no `jug pack`; nothing to do",
}


class base_lock:
    """The original's lock object (``get``, ``release``, ``is_locked``,
    ``fail``, ``is_failed``) for the lock ``name`` of ``store``."""

    def __init__(self, store, name):
        self.jug_store = our_store(store)
        self.name = as_text(name)

    def get(self):
        return self.jug_store.lock(self.name)

    def release(self):
        self.jug_store.unlock(self.name)

    def is_locked(self):
        return self.jug_store.is_locked(self.name)

    def fail(self):
        return self.jug_store.fail(self.name)

    def is_failed(self):
        return self.jug_store.is_failed(self.name)


def our_store(store):
    """The :class:`jug.store.base.Store` behind ``store`` (a view or a store)."""
    return store.jug_store if isinstance(store, base_store) else store


def original_view(store):
    """``store`` with the original's methods as well (a :class:`base_store`)."""
    return store if isinstance(store, base_store) else base_store(store)
