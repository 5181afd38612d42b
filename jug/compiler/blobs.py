"""The blobs a manifest uses, and removing manifests with what only they use.

A manifest blob (``manifest-<key>-<digest>``, :mod:`jug.compiler.index`)
uses content-named blobs (:mod:`jug.compiler.manifest`): its hash chunks
(``hashes-``, listed in its header), its hash index (a ``hashdir-``
directory naming the ``hashidx-`` blob of its buckets), and its payload
head (``payload-``), which names its row chunks (``rows-``), its shared
arguments (``shared-``) and its carried modules' lazy data (``lazy-``).  A content-named blob is
shared by every manifest whose trace made the same bytes (the tasks of
stage 0 in the manifests before and after a barrier, two environments
giving the same arguments...).  :func:`remove_manifests` removes manifests,
then every blob they used that no other manifest in the store uses.

The names in a payload head are found by their pattern in its bytes (pickle
keeps a string's UTF-8 bytes as they are), without unpickling it, which
would run the user's code: a string of the user's that looks like such a
name can only keep a blob, never remove one that a kept manifest uses.

A worker still running from a removed manifest that then misses one of its
row chunks goes on from the manifest that replaced it
(``jug.project.execute``); the tasks it was given are the new manifest's
or obsolete.

Not covered: a compile running at that moment whose not yet written
manifest will use a blob byte-identical to one of the removed manifest's.
Its workers then stop with "the manifest's blob ... is missing from the
store; run `jug compile` again", which writes it back.
"""

import json
import re

MANIFEST_PREFIX = "manifest-"  # every manifest blob's (jug.compiler.manifest.manifest_key)
_PAYLOAD_NAMES = re.compile(rb"(?:rows|shared|lazy)-[0-9a-f]{40}")


def manifest_blobs(store, name):
    """The names of the blobs manifest ``name`` uses, itself included
    (itself only when it is not a manifest this jug can read: such a
    manifest is re-traced, never used)."""
    used = {name}
    data = store.get_blob(name)
    header = _header(data) if data is not None else None
    if header is None:
        return used
    used.update(chunk for chunk in header.get("hash_chunks") or () if isinstance(chunk, str))
    index = header.get("hash_index")
    if isinstance(index, str):
        used.add(index)
        used.update(_index_buckets(store.get_blob(index)))
    payload = header.get("payload")
    if isinstance(payload, str):
        used.add(payload)
        head = store.get_blob(payload)
        if head is not None:
            used.update(found.decode("ascii") for found in _PAYLOAD_NAMES.findall(head))
    return used


def _index_buckets(directory):
    """The ``hashidx-`` blobs a hash index directory names
    (:func:`jug.compiler.manifest.hash_index_blobs`): after its magic and
    ``u32 bits``, the digest of its buckets blob (``JUGHIDX2``) or, in a
    directory of an older jug (``JUGHIDX1``), that of each bucket's blob."""
    from jug.compiler.manifest import DIGEST_BYTES

    if directory is None or len(directory) < 12:
        return ()
    names = directory[12:]
    if directory[:8] == b"JUGHIDX2":
        names = names[:DIGEST_BYTES]
    elif directory[:8] != b"JUGHIDX1":
        return ()
    return ("hashidx-" + names[i:i + DIGEST_BYTES].hex()
            for i in range(0, len(names) - DIGEST_BYTES + 1, DIGEST_BYTES))


def _header(data):
    """The JSON header of manifest bytes ``data`` (any format version), or None."""
    from jug.compiler.manifest import _PREFIX, MAGIC

    if len(data) < _PREFIX.size:
        return None
    magic, _, length = _PREFIX.unpack_from(data)
    if magic != MAGIC:
        return None
    try:
        header = json.loads(bytes(data[_PREFIX.size:_PREFIX.size + length]))
    except ValueError:
        return None
    return header if isinstance(header, dict) else None


def unused_blobs(store, dropped):
    """The blobs that manifests ``dropped`` use and no other manifest in
    ``store`` does (the dropped manifests themselves included); None when
    the store cannot list its manifests (nothing is provably unused then
    but the manifests themselves)."""
    dropped = set(dropped)
    names = store.list_blobs(MANIFEST_PREFIX)
    if names is None:
        return None
    used_by_dropped, kept = set(), set()
    for name in dropped:
        used_by_dropped |= manifest_blobs(store, name)
    for name in names:
        if name not in dropped:
            kept |= manifest_blobs(store, name)
    return used_by_dropped - kept


def remove_manifests(store, dropped):
    """Remove manifests ``dropped`` (blob names) and the blobs only they
    used; returns how many blobs other than the manifests went."""
    dropped = set(dropped)
    unused = unused_blobs(store, dropped)
    for name in sorted(dropped):  # the manifests first: none is seen without its blobs
        store.remove_blob(name)
    others = sorted((unused or set()) - dropped)
    for name in others:
        store.remove_blob(name)
    return len(others)
