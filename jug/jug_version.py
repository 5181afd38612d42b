"""The original jug's ``jug.jug_version``: ``__version__``."""

from jug.version import __version__

__all__ = ["__version__"]
