"""``jug pack``: move the small results of a file store into one file
(:mod:`jug.store.pack`)."""

import sys

NOT_PACKABLE = ("Cannot pack this store (only basic file-based jugdata directories can be "
                "packed)")


def pack_store(options, max_size, out=None):
    """``jug pack``: prints ``Packed N objects``; returns the exit code (1
    for a store that cannot be packed, as the original)."""
    from jug.project import open_project_store
    from jug.store.file_store import FileStore
    from jug.store.pack import update_pack

    out = out or sys.stdout
    with open_project_store(options) as store:
        if not isinstance(store, FileStore):
            print(NOT_PACKABLE, file=sys.stderr)
            return 1
        packed = update_pack(store, max_size)
        total = store.packed.current().count if store.packed.current() is not None else 0
    print(f"Packed {packed} objects", file=out)
    if packed:
        print(f"({total} results are packed in {store.packed.path})", file=out)
    return 0
