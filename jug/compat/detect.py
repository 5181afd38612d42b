"""The notice on a store that holds results of the original jug 2.x.

Task hashes changed by design (the canonical encoding, docs/hashing.md), so
a jugdir the original wrote shows every task as not done.  ``jug status``,
``execute`` and ``check`` call :func:`warn_if_original` only on a cheap
sign: at least half of the results in the store belong to no task of the
manifest (status, check), or none of the first 8 tasks of the manifest has
a result (execute, which asks about those few before listing the store).  It
then reads the first bytes of up to eight results and, if one is
in the original's format, prints one line naming the ``jug migrate``
command.  Once ``jug migrate`` has run on the store (it leaves the blob
:data:`MIGRATED_BLOB`), the original's results left there are known and
nothing is printed.
"""

import itertools
import sys

_SAMPLE = 8

#: the blob ``jug migrate`` leaves in the store it imported into: its report
MIGRATED_BLOB = "migrated-from-jug2"


def worth_checking(keys, finished):
    """The cheap sign (project.print_status tests it inline): at least half
    of the store's results belong to no task (or there are none: the
    original's pack file may hold them)."""
    return len(keys) >= 2 * finished


def warn_if_original(options, store, graph, keys=None, finished=None, err=None):
    """Print the notice on ``err`` (stderr) when most of ``store``'s results
    belong to no task of ``graph`` and they were written by the original;
    returns whether it did.  ``keys`` is a listing of the store's results
    the caller already has, ``finished`` how many tasks of ``graph`` have
    one (if known)."""
    if not len(graph) or store.blob_info(MIGRATED_BLOB) is not None:
        return False  # no task, or `jug migrate` ran: what is left is known
    if keys is None:
        keys = store.list_keys()
    if keys:
        if finished is None:
            from jug.graph import finished_mask

            finished = finished_mask(graph, keys).count(1)
        if not worth_checking(keys, finished):
            return False
        # at least half of them are no task's: a few of any of them tell
        if not _any_original(store, itertools.islice(keys, _SAMPLE)):
            return False
        what = f"{len(keys) - finished} results"
    elif _has_pack(store):
        what = "results (in packs/jugpack)"
    else:
        return False
    print(f"jug: {store.describe()} holds {what} written by the original jug 2.x, which this "
          f"jug names differently; import them without recomputing with "
          f"`{migrate_command(options)}` (see docs/migrating.md)", file=err or sys.stderr)
    return True


def migrate_command(options):
    """The ``jug migrate`` command line for the jugfile, jugdir and arguments
    of ``options`` (a :class:`jug.cli.options.CommonOptions`)."""
    import shlex

    from jug.cli.options import default_jugdir

    words = ["jug", "migrate", options.jugfile]
    if options.jugdir != default_jugdir(options.jugfile):
        words += ["--jugdir", options.jugdir]
    if len(options.argv) > 1:
        words += ["--", *options.argv[1:]]
    return shlex.join(words)


def _has_pack(store):
    """Does ``store`` hold the pack file of the original's ``jug pack``?"""
    import os

    path = getattr(store, "path", None)
    return isinstance(path, str) and os.path.exists(os.path.join(path, "packs", "jugpack"))


def _any_original(store, keys):
    """Is any result of ``keys`` in the original's format?  Reads a few bytes
    of each (file and Redis stores; nothing else can hold the original's)."""
    from jug.compat import jug2_store
    from jug.store.file_store import FileStore

    if isinstance(store, FileStore):
        reader = jug2_store.OriginalFileStore(store.path)
    elif type(store).__name__ == "RedisStore":
        try:
            reader = jug2_store.OriginalRedisStore(store.url)
        except jug2_store.OriginalStoreError:
            return False
    else:
        return False
    with reader:
        return any(reader.is_original(key) for key in keys)
