"""Several environments, one store: the manifests kept for one jugfile and
its arguments.

Workers whose environments differ in a variable the jugfile reads (two
shells with ``N=3`` and ``N=5``, hosts with different ``$HOME``) trace
different graphs, and each must find the manifest that matches its own
observations.  So the store keeps, per jugfile and arguments, an *index*
blob (``manifests-<key>``) listing the :data:`MAX_CANDIDATES` most recent
:class:`Candidate` manifests, most recent first, each with the environment
variables its trace read: a lookup skips the manifests of other environments
without loading them, and tries each remaining candidate's checks
(:func:`jug.compiler.build.stale_reason`) without running user code.

A candidate's manifest is a blob named by its content
(``manifest-<key>-<digest>``), so workers that trace the same state write
the same blob.  A volatile trace is listed without a manifest: the workers
of that environment then trace at once, in parallel, as the original jug
does, instead of queueing for the re-trace lock.

The index is rewritten under a short lock in the store (``index-<key>``):
read, put the new candidate first, drop older candidates of the same
environment and those beyond :data:`MAX_CANDIDATES` (their manifests
removed, with the blobs no other manifest uses: :mod:`jug.compiler.blobs`),
write.  ``put_blob`` is atomic, so readers see the old index or the new.
"""

import dataclasses
import hashlib
import json
import time

from jug.compiler.freshness import WHOLE_ENVIRONMENT, VariableRead, Volatility
from jug.compiler.manifest import BLOB_READS, manifest_key

#: Manifests kept per jugfile and arguments (observation sets).
MAX_CANDIDATES = 4
INDEX_VERSION = 1
# How long a writer waits for the index lock before writing anyway (the
# index is a cache: a lost update costs a re-trace, never a wrong answer).
_LOCK_PATIENCE = 10.0


def index_name(jugfile, argv):
    return "manifests-" + manifest_key(jugfile, argv)[len("manifest-"):]


def candidate_blob_name(jugfile, argv, data):
    """The blob name of manifest bytes ``data``: named by their content."""
    digest = hashlib.blake2b(data, digest_size=10).hexdigest()
    return f"{manifest_key(jugfile, argv)}-{digest}"


@dataclasses.dataclass(frozen=True)
class Candidate:
    """One traced observation set: its manifest blob (None for a volatile
    trace, which is never reused), the environment variables it read and,
    for a volatile trace, why it is volatile."""

    blob: str | None
    variables: tuple = ()  # of VariableRead
    volatile: tuple = ()  # of Volatility

    @classmethod
    def of(cls, blob, header):
        variables = tuple(v for v in header.variables if v.name != WHOLE_ENVIRONMENT)
        return cls(blob, variables, tuple(header.volatile[:3]))

    def to_json(self):
        return {"blob": self.blob, "variables": [v.to_json() for v in self.variables],
                "volatile": [v.to_json() for v in self.volatile]}

    @classmethod
    def from_json(cls, data):
        return cls(data["blob"], tuple(VariableRead.from_json(v) for v in data["variables"]),
                   tuple(Volatility.from_json(v) for v in data["volatile"]))

    def mismatch(self, environ=None):
        """Why this environment is not the candidate's, or None."""
        for variable in self.variables:
            reason = variable.difference(environ)
            if reason is not None:
                return reason
        return None

    def environment(self):
        return {(v.name, v.value) for v in self.variables}


def read_index(store, name):
    """The candidates of index blob ``name``, most recent first (none when
    it is missing or unreadable: that only costs a trace)."""
    data = BLOB_READS.read(store, name)
    if data is None:
        return []
    try:
        document = json.loads(data)
        if document.get("version") != INDEX_VERSION:
            return []
        return [Candidate.from_json(entry) for entry in document["candidates"]]
    except (ValueError, KeyError, TypeError, AttributeError):
        return []


def add_candidate(store, name, candidate):
    """Put ``candidate`` first in index ``name`` (under the index lock)."""
    lock_name = "index-" + name[len("manifests-"):]
    locked = _wait_for_lock(store, lock_name)
    try:
        entries = read_index(store, name)
        if entries and entries[0] == candidate:
            return
        environment = candidate.environment()
        dropped = [e for e in entries if e.blob == candidate.blob
                   or e.environment() == environment]
        kept = [candidate] + [e for e in entries if e not in dropped]
        dropped += kept[MAX_CANDIDATES:]
        kept = kept[:MAX_CANDIDATES]
        document = {"version": INDEX_VERSION, "candidates": [e.to_json() for e in kept]}
        store.put_blob(name, json.dumps(document, sort_keys=True).encode("utf-8"))
        alive = {e.blob for e in kept}
        gone = {e.blob for e in dropped if e.blob is not None and e.blob not in alive}
        if gone:
            from jug.compiler.blobs import remove_manifests

            remove_manifests(store, gone)  # with the payload and chunks only they use
    finally:
        if locked:
            store.unlock(lock_name)


def _wait_for_lock(store, lock_name):
    deadline = time.monotonic() + _LOCK_PATIENCE
    poll = 0.005
    while not store.lock(lock_name):
        info = store.lock_info(lock_name)
        if info is not None and info.is_stale():
            store.break_stale_lock(lock_name)
            continue
        if time.monotonic() > deadline:
            return False
        time.sleep(poll)
        poll = min(poll * 2, 0.1)
    return True
