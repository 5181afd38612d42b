"""Compatibility with the original jug 2.x.

This package owns everything that exists only so that users of the
original can switch without recomputing and without rewriting scripts:

* :mod:`jug.compat.jug2_hash`: the task hashes jug 2.x gives, computed for
  the live tasks of a trace.  Used by ``jug migrate`` only; nothing else in
  jug depends on these hashes.
* :mod:`jug.compat.jug2_store`: readers of the original's stores (its file
  store with every encoding and the pack file, its Redis store, a
  ``dict_store`` file).  Read only: nothing here writes to an old store.
* :mod:`jug.compat.migration`: ``jug migrate``, which maps every task of a
  jugfile to its jug 2.x hash and imports the results found there.
* :mod:`jug.compat.detect`: the one-line notice ``status``, ``execute`` and
  ``check`` print on a store that holds results of the original.
* :func:`original_only` / :func:`module_getattr`: the clear error raised by
  the original's import paths that have no meaning here.  The paths that do
  (``jug.jug``, ``jug.options``, ``jug.backends.*``, ``jug.unsafe``...) are
  thin alias modules at those paths (docs/migrating.md lists them).
"""

from jug.errors import JugError


def as_text(key):
    """A key as ``str``: the original passed hashes around as ASCII bytes."""
    return key.decode("ascii") if isinstance(key, (bytes, bytearray)) else key


class OriginalOnlyError(JugError, ImportError):
    """An import path of the original jug that has no meaning here; the
    message names what to use instead.  An ``ImportError`` so that
    ``from jug.options import parse`` shows that message."""


def original_only(what, instead):
    """The :class:`OriginalOnlyError` for ``what`` (e.g. ``jug.options.parse``)."""
    return OriginalOnlyError(f"jug: {what} belongs to the original jug 2.x and has no "
                             f"equivalent here: {instead} (see docs/migrating.md)")


def module_getattr(module_name, moved):
    """A module ``__getattr__`` raising :func:`original_only` for the names in
    ``moved`` (``{name: what to use instead}``) and a plain AttributeError
    for anything else."""

    def __getattr__(name):
        if name in moved:
            raise original_only(f"{module_name}.{name}", moved[name])
        raise AttributeError(f"module {module_name!r} has no attribute {name!r}")

    return __getattr__
