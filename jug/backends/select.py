"""The original jug's ``jug.backends.select``: ``select(jugdir)``."""

__all__ = ["select"]


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
