"""The manifest: a traced task graph, persisted in the store.

On-disk format (version :data:`FORMAT_VERSION`), one blob
``manifest-<key>``::

    b"JUGMANIF"  u32 format version  u32 header length  header (JSON, UTF-8)
    sections, at the offsets the header gives, each a little-endian int32
    array stored as the differences of consecutive values (so runs and
    sequences become zeros and ones) and, when that pays, zlib-compressed:
      name_ids     N          index into header["names"]
      stages       N          barrier stage that created the task
      dep_indptr   N+1        dependencies, CSR
      dep_indices  E
      rev_indptr   N+1        dependents, CSR (computed at compile time)
      rev_indices  E
      lines        N          jugfile line that created the task (0: unknown)

The task hashes (20 raw bytes each) are stored apart, in blobs of
``chunk_tasks`` tasks (``hashes-<digest>``, named by their content and
listed in the header): status on a fresh store never reads them, and a
worker reads those of the tasks it runs.  The other way round, from a hash
the store lists to its task, goes through the *hash index* (``hashdir-``
and ``hashidx-`` blobs, :func:`hash_index_blobs`; named in the header when
there are more than eight chunks): buckets of tasks by hash prefix, so a worker
that finds a few results reads a few buckets, not every hash.  The header
also holds what status shows before any task ran (``fresh``,
:func:`fresh_counts`).  Both are optional: a reader without them computes
the same from the sections and the hashes.

Status needs only this blob, and reading it decodes no argument and no
function.  What ``execute`` needs is the *payload*, referenced from the
header: a small head blob, ``payload-<digest>`` (named by its content, so a
worker checks the name and re-traces a damaged payload), holding cloudpickle
of the jugfile's module and the user's modules next to it, whole and by
value, as the top level left them (so executing never imports the jugfile,
and a task sees the values the original's would), of the task functions, of
the hooks the jugfile registered (``jug.hooks``, e.g. exit checks), of the
process settings the top level changed, and the names of the blobs holding
the tasks' arguments:

* ``rows-<digest>``: the arguments of ``chunk_tasks`` consecutive tasks,
  task references stored as graph indices (a run of consecutive tasks as a
  range); a worker fetches and decodes a chunk when it first runs one of
  its tasks;
* ``shared-<digest>``: one large argument (a list, dict or array of at
  least ``jug.hash.MEMO_MIN_ITEMS`` items) given to several tasks, stored
  once and decoded once per worker, when a task that takes it runs (or,
  when code of a carried module names it as a global, with the head);
* ``lazy-<digest>``: per carried module, the data no code names
  (``squares = [square(i) for i in ...]``), read and decoded when first
  read (:class:`jug.compiler.replay.LazyAttributes`).

Every worker reads the head once; everything the whole process needs (the
modules' state, hooks, settings to replay) belongs there, and what only
some tasks need belongs in the chunks.  What else the top level changed in
the process (environment, ``sys.path``, working directory) is in the
manifest's header (``replay``, see :mod:`jug.compiler.replay`).

The header carries no time stamp, host or pid: two workers tracing the same
state write the same bytes, and chunks that did not change (the tasks of
stage 0 after a barrier) keep their names and are not written again.
"""

import dataclasses
import io
import itertools
import json
import operator
import os
import pickle
import struct
import sys
import types
import zlib
from array import array

from jug.compiler.replay import ProcessChanges
from jug.errors import JugError, ManifestError
from jug.graph import Digests, TaskGraph

MAGIC = b"JUGMANIF"
FORMAT_VERSION = 6
_PREFIX = struct.Struct("<8sII")
_SECTIONS = ("name_ids", "stages", "dep_indptr", "dep_indices", "rev_indptr",
             "rev_indices", "lines")

#: Tasks per chunk of hashes and of arguments.  ``JUG_CHUNK_TASKS`` changes
#: it for one compile (tests use small chunks); workers read it from the
#: header.
CHUNK_TASKS = 1 << 13
DIGEST_BYTES = 20


def chunk_tasks():
    import os

    value = os.environ.get("JUG_CHUNK_TASKS")
    return int(value) if value and value.isdigit() and int(value) > 0 else CHUNK_TASKS


class BlobReads:
    """What this process read from the store's blobs (manifest, hashes,
    payload): ``jug execute --verbose info`` reports it when the first task
    starts."""

    def __init__(self):
        self.bytes = 0
        self.blobs = 0

    def read(self, store, name):
        data = store.get_blob(name)
        if data is not None:
            self.bytes += len(data)
            self.blobs += 1
            if "logging" in sys.modules:  # only when logs were asked for (--verbose debug)
                sys.modules["logging"].getLogger("jug").debug("read blob %s (%d bytes)", name,
                                                              len(data))
        return data

    def read_parts(self, store, name, indices):
        """``store.get_blob_parts(name, indices)``, counted as one read."""
        found = store.get_blob_parts(name, indices)
        if found is not None:
            self.bytes += sum(map(len, found.values()))
            self.blobs += 1
        return found


BLOB_READS = BlobReads()


def content_name(prefix, data):
    """``prefix-<sha1 of data>``: the name of a blob named by its content."""
    import hashlib

    return f"{prefix}-{hashlib.sha1(data, usedforsecurity=False).hexdigest()}"


def read_named_blob(store, name):
    """The bytes of content-named blob ``name``; ManifestError when it is
    missing or its content does not match its name."""
    data = BLOB_READS.read(store, name)
    if data is None:
        raise ManifestError(f"the manifest's blob {name} is missing from the store; "
                            "run `jug compile` again")
    if content_name(name.rsplit("-", 1)[0], data) != name:
        raise ManifestError(f"the manifest's blob {name} is damaged (its content does not "
                            "match its name); run `jug compile` again")
    return data


def put_named_blob(store, prefix, data, durable=True):
    """Store ``data`` under its content name (unless it is there); the name."""
    name = content_name(prefix, data)
    if store.blob_info(name) is None:
        store.put_blob(name, data, durable=durable)
    return name


class BackgroundBlobs:
    """``store`` for writing blobs, each written by one thread in the order
    given while the caller goes on: a durable write waits for the disk and
    releases the interpreter meanwhile.  Durable blobs are staged
    (:meth:`jug.store.base.Store.stage_blob`) and committed in batches
    (on a file store, a flush or two a batch instead of two a blob).  ``blob_info`` answers for the blobs queued as
    if written; anything else is the store's.  :meth:`close` (before
    writing what refers to the blobs) waits until every one is written and
    durable, and raises the first error a write met."""

    _QUEUED = (0, 0)  # what blob_info says of a blob queued here
    #: committed when the writer holds that many staged blobs, or at least
    #: STAGED_IDLE when it has caught up with the caller (a commit flushes
    #: the disk once or twice whatever the number of blobs)
    STAGED_MAX = 64
    STAGED_IDLE = 16

    def __init__(self, store, depth=64):
        import queue
        import threading

        self.store = store
        self._queue = queue.Queue(maxsize=depth)  # bounded: at most that many blobs held
        self._queued = set()
        self._error = None
        self._thread = threading.Thread(target=self._write, name="jug-blob-writer", daemon=True)
        self._thread.start()

    def _write(self):
        import queue

        staged = []
        while True:
            try:
                item = self._queue.get(block=len(staged) < self.STAGED_IDLE)
            except queue.Empty:  # caught up: make what is staged durable
                item = False
            if item is None or item is False or item == "commit" or len(staged) >= self.STAGED_MAX:
                self._commit(staged)
                staged = []
            if item is None:
                return
            if item is not False and item != "commit":
                method, name, data, durable = item
                if method == "put_blob" and durable:
                    staged.append(self._attempt(self.store.stage_blob, name, data))
                else:
                    self._attempt(getattr(self.store, method), name, data, durable=durable)

    def _commit(self, staged):
        """Commit the blobs staged (also after a failed write: they are whole)."""
        staged = [item for item in staged if item is not None]
        if not staged:
            return
        try:
            self.store.commit_blobs(staged)
        except BaseException as error:  # noqa: BLE001 - raised by close()
            self._error = self._error or error

    def _attempt(self, method, *args, **kwargs):
        """``method(*args, **kwargs)`` unless a write failed before; the first
        error is kept for :meth:`close`."""
        if self._error is None:
            try:
                return method(*args, **kwargs)
            except BaseException as error:  # noqa: BLE001 - raised by close()
                self._error = error
        return None

    def blob_info(self, name):
        if name in self._queued:
            return self._QUEUED
        return self.store.blob_info(name)

    def put_blob(self, name, data, durable=True):
        self._put("put_blob", name, data, durable)

    def put_blob_parts(self, name, parts, durable=True):
        self._put("put_blob_parts", name, parts, durable)

    def _put(self, method, name, data, durable):
        if self._error is not None:
            self.close()
        self._queued.add(name)
        self._queue.put((method, name, data, durable))

    def commit(self):
        """Have the durable blobs queued so far committed before the next
        ones are written (without waiting): a file store's ``syncfs`` then
        flushes them, not also the large non-durable blobs queued after."""
        self._queue.put("commit")

    def close(self, quiet=False):
        """Wait until every blob is written and durable; raise the first
        error (unless ``quiet``)."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        error, self._error = self._error, None
        if error is not None and not quiet:
            raise error

    def __getattr__(self, name):
        return getattr(self.store, name)


def manifest_key(jugfile, argv):
    """Blob name of the manifest for this jugfile and arguments (the same on
    every host that reaches the store)."""
    import hashlib
    import os

    stem = os.path.basename(jugfile)
    text = "\0".join([stem, *argv[1:]]).encode("utf-8", "surrogateescape")
    return "manifest-" + hashlib.blake2b(text, digest_size=12).hexdigest()


@dataclasses.dataclass(frozen=True)
class Question:
    """A question the trace asked the store: were all these tasks finished?

    ``tasks`` are graph indices, ``extra`` hex hashes of tasks outside the
    graph (a CompoundTask's outer task); ``upto`` (barriers) means tasks
    0..upto-1."""

    kind: str
    answer: bool
    upto: int = -1
    tasks: tuple = ()
    extra: tuple = ()

    def to_json(self):
        return {"kind": self.kind, "answer": self.answer, "upto": self.upto,
                "tasks": list(self.tasks), "extra": list(self.extra)}

    @classmethod
    def from_json(cls, data):
        return cls(data["kind"], data["answer"], data["upto"], tuple(data["tasks"]),
                   tuple(data["extra"]))

    def hashes(self, graph):
        indices = range(self.upto) if self.upto >= 0 else self.tasks
        return [graph.hashes[i] for i in indices] + list(self.extra)


@dataclasses.dataclass(frozen=True)
class ManifestHeader:
    """Everything in the manifest besides the arrays."""

    version: int
    jug_version: str
    python: str
    jugfile: str
    module: str
    argv: tuple
    names: tuple
    task_count: int
    edge_count: int
    stopped_at: str | None
    inputs: tuple  # of freshness.InputState
    questions: tuple  # of Question
    payload: str | None  # blob name of the execution payload
    payload_error: str | None  # why there is no payload (unpicklable argument...)
    fallbacks: tuple  # ((type name, count), ...): arguments hashed by pickle
    # What else the trace observed (jug.compiler.freshness records):
    stats: tuple = ()  # of StatQuery: stat-family questions and their answers
    variables: tuple = ()  # of VariableRead: environment variables read
    volatile: tuple = ()  # of Volatility: why this trace may not be reused
    # what the top level changed in the process, for workers to replay
    replay: ProcessChanges = ProcessChanges()

    def to_json(self):
        """The header as stored in the manifest (without the section offsets)."""
        return {
            "version": self.version, "jug_version": self.jug_version, "python": self.python,
            "jugfile": self.jugfile, "module": self.module, "argv": list(self.argv),
            "names": list(self.names), "task_count": self.task_count,
            "edge_count": self.edge_count, "stopped_at": self.stopped_at,
            "inputs": [state.to_json() for state in self.inputs],
            "questions": [q.to_json() for q in self.questions],
            "payload": self.payload, "payload_error": self.payload_error,
            "fallbacks": [list(item) for item in self.fallbacks],
            "stats": [query.to_json() for query in self.stats],
            "variables": [variable.to_json() for variable in self.variables],
            "volatile": [source.to_json() for source in self.volatile],
            "replay": self.replay.to_json(),
        }

    @classmethod
    def from_json(cls, data):
        """Inverse of :meth:`to_json`; KeyError/TypeError/ValueError when a
        field is missing or malformed."""
        from jug.compiler.freshness import InputState, StatQuery, VariableRead, Volatility

        return cls(
            version=data["version"], jug_version=data["jug_version"], python=data["python"],
            jugfile=data["jugfile"], module=data["module"], argv=tuple(data["argv"]),
            names=tuple(data["names"]), task_count=data["task_count"],
            edge_count=data["edge_count"], stopped_at=data["stopped_at"],
            inputs=tuple(InputState.from_json(row) for row in data["inputs"]),
            questions=tuple(Question.from_json(q) for q in data["questions"]),
            payload=data["payload"], payload_error=data["payload_error"],
            fallbacks=tuple(tuple(item) for item in data["fallbacks"]),
            stats=tuple(StatQuery.from_json(row) for row in data.get("stats", ())),
            variables=tuple(VariableRead.from_json(row) for row in data.get("variables", ())),
            volatile=tuple(Volatility.from_json(row) for row in data.get("volatile", ())),
            replay=ProcessChanges.from_json(data["replay"]),
        )


class Manifest:
    """A loaded manifest: header, graph, and the payload on demand."""

    def __init__(self, header, graph, lines, blob_name, chunk_tasks=CHUNK_TASKS, fresh=None):
        self.header = header
        self.fresh = fresh  # fresh_counts(graph) when the manifest holds them
        self.graph = graph
        self._lines = lines  # an array('i'), or a function that decodes it
        self.blob_name = blob_name
        self.chunk_tasks = chunk_tasks

    @property
    def lines(self):
        """The jugfile line that created each task (``array('i')``, 0: unknown)."""
        if callable(self._lines):
            self._lines = self._lines()
        return self._lines

    @property
    def complete(self):
        return self.header.stopped_at is None

    def to_json(self):
        graph = self.graph
        tasks = []
        for i in range(len(graph)):
            tasks.append({
                "index": i, "hash": graph.hashes[i], "name": graph.name(i),
                "dependencies": [graph.hashes[d] for d in graph.dependencies(i)],
                "stage": graph.stages[i], "line": self.lines[i],
            })
        header = self.header
        return {
            "format_version": header.version, "jug_version": header.jug_version,
            "python": header.python, "jugfile": header.jugfile, "module": header.module,
            "argv": list(header.argv), "stages": graph.stage_count(),
            "stopped_at": header.stopped_at,
            "inputs": [state.to_json() for state in header.inputs],
            "stats": [query.to_json() for query in header.stats],
            "variables": [variable.to_json() for variable in header.variables],
            "volatile": [source.to_json() for source in header.volatile],
            "questions": [q.to_json() for q in header.questions],
            "payload": header.payload, "payload_error": header.payload_error,
            "pickled_argument_types": dict(header.fallbacks),
            **replay_json(header.replay),
            "tasks": tasks,
        }


def replay_json(changes):
    """What ``jug compile --json`` says about the process a task sees."""
    return {
        "replayed": [{"kind": kind, "name": name, "value": text}
                     for kind, name, text in changes.items()],
        "not_carried": [{"name": name, "why": why} for name, why in changes.not_carried],
        "runs_top_level": [{"path": r.path, "line": r.line, "reason": r.what}
                           for r in changes.top_level],
    }


# -- writing ------------------------------------------------------------------


def _int32_bytes(values):
    arr = values if isinstance(values, array) and values.typecode == "i" else array("i", values)
    if sys.byteorder == "big":
        arr = array("i", arr)
        arr.byteswap()
    return arr.tobytes()


def _encode_section(values):
    """``(bytes, encoding)`` of an int32 section: its differences ("d"),
    zlib-compressed ("zd") unless a sample shows that does not pay."""
    from jug.graph import _numpy, as_numpy

    numpy = _numpy(len(values))
    if numpy is not None:
        column = as_numpy(values if isinstance(values, array) else array("i", values), numpy)
        deltas = numpy.diff(column, prepend=numpy.int32(0)).astype("<i4").tobytes()
    else:
        previous = 0
        differences = array("i")
        for value in values:
            differences.append(value - previous)
            previous = value
        deltas = _int32_bytes(differences)
    sample = deltas[:1 << 16]
    if len(deltas) > 64 and len(zlib.compress(sample, 1)) < 0.8 * len(sample):
        return zlib.compress(deltas, 1), "zd"
    return deltas, "d"


def encode_sections(graph, lines):
    """``(section bytes, offsets)`` of the manifest's columns, for
    :func:`encode_manifest` (a caller may encode them first, while less
    else is in memory)."""
    columns = {
        "name_ids": graph.name_ids, "stages": graph.stages,
        "dep_indptr": graph.dep_indptr, "dep_indices": graph.dep_indices,
        "rev_indptr": graph.rev_indptr, "rev_indices": graph.rev_indices, "lines": lines,
    }
    sections, offsets, position = [], {}, 0
    for name in _SECTIONS:
        data, encoding = _encode_section(columns[name])
        offsets[name] = [position, len(data), encoding, len(columns[name])]
        sections.append(data)
        position += len(data)
    return sections, offsets


def encode_manifest(header, graph, lines, hash_chunks=(), chunk_size=CHUNK_TASKS,
                    hash_index=None, sections=None):
    """The manifest's bytes (deterministic for the same inputs);
    ``hash_chunks`` are the names of the blobs holding the hashes
    (:func:`hash_chunk_blobs`), ``hash_index`` that of the hash index's
    directory (:func:`store_hash_index`), if any; ``sections`` what
    :func:`encode_sections` gave, if the caller has it."""
    sections, offsets = sections or encode_sections(graph, lines)
    header_json = header.to_json()
    header_json["sections"] = offsets
    header_json["chunk_tasks"] = chunk_size
    header_json["hash_chunks"] = list(hash_chunks)
    header_json["hash_index"] = hash_index
    header_json["fresh"] = fresh_counts(graph)
    header_bytes = json.dumps(header_json, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return b"".join([_PREFIX.pack(MAGIC, FORMAT_VERSION, len(header_bytes)), header_bytes,
                     *sections])


def raw_digests(graph, block=1 << 16):
    """Every task's 20-byte digest, concatenated in graph order (from the
    hex digests by blocks: a million hashes joined at once would be a 40 MB
    string)."""
    hashes = graph.hashes
    if hasattr(hashes, "raw"):
        return hashes.raw()
    raw = bytearray(DIGEST_BYTES * len(hashes))
    for start in range(0, len(hashes), block):
        raw[DIGEST_BYTES * start:DIGEST_BYTES * (start + block)] = bytes.fromhex(
            "".join(hashes[start:start + block]))
    return raw


def hash_chunk_blobs(graph, chunk_size=CHUNK_TASKS, raw=None):
    """``[(name, bytes)]``: the graph's raw digests (``raw``, when the
    caller has them: :func:`raw_digests`) in blobs of ``chunk_size`` tasks,
    named by their content (memoryviews of ``raw``: not copied)."""
    view = memoryview(raw if raw is not None else raw_digests(graph))
    step = chunk_size * DIGEST_BYTES
    blobs = []
    for start in range(0, len(view), step):
        data = view[start:start + step]
        blobs.append((content_name("hashes", data), data))
    return blobs


def fresh_counts(graph):
    """What status shows before any task ran, decided at compile time:
    ``{"names": [[tasks, ready], ...], "stages": [[tasks, ready], ...]}``
    per name id and per stage, ``ready`` counting the tasks with no
    dependency (status on a fresh store then decodes no column)."""
    from jug.graph import _numpy, as_numpy

    n, names = len(graph), len(graph.names)
    stage_count = graph.stage_count()
    numpy = _numpy(n)
    if numpy is not None:
        free = numpy.diff(as_numpy(graph.dep_indptr, numpy)) == 0
        columns = []
        for column, size in ((graph.name_ids, names), (graph.stages, stage_count)):
            ids = as_numpy(column, numpy)
            columns.append(list(zip(numpy.bincount(ids, minlength=size).tolist(),
                                    numpy.bincount(ids[free], minlength=size).tolist())))
        by_name, by_stage = columns
    else:
        by_name = [[0, 0] for _ in range(names)]
        by_stage = [[0, 0] for _ in range(stage_count)]
        indptr, name_ids, stages = graph.dep_indptr, graph.name_ids, graph.stages
        for i in range(n):
            free = indptr[i] == indptr[i + 1]
            by_name[name_ids[i]][0] += 1
            by_name[name_ids[i]][1] += free
            by_stage[stages[i]][0] += 1
            by_stage[stages[i]][1] += free
    return {"names": [list(pair) for pair in by_name], "stages": [list(pair) for pair in by_stage]}


#: Tasks per bucket of the hash index at most (about; buckets split by hash
#: prefix), and how many buckets there are at least (fewer below
#: ``INDEX_MIN_BUCKETS * INDEX_BUCKET_MIN_TASKS`` tasks): a worker that finds
#: 32 results reads about 32 buckets, so their size is what it pays.
INDEX_BUCKET_TASKS = 1 << 10
INDEX_MIN_CHUNKS = 8  # no index for fewer hash chunks
INDEX_MIN_BUCKETS = 256
INDEX_BUCKET_MIN_TASKS = 256
#: the directory's magic; a directory of another (``JUGHIDX1``: one blob
#: per bucket) is not read: the reader reads the hash chunks instead
_INDEX_MAGIC = b"JUGHIDX2"


def hash_index_blobs(graph, chunk_size=CHUNK_TASKS, raw=None):
    """``(directory bytes, buckets blob name, [part bytes])`` of the hash
    index, or None when the hashes fit :data:`INDEX_MIN_CHUNKS` chunks
    (reading them all is then cheap: 1.3 MB at most).

    The index maps a hash to its task: bucket ``b`` (of ``2**bits``) holds
    the tasks whose hash starts with the ``bits`` bits of ``b``, as two
    parts of one blob (:meth:`jug.store.base.Store.put_blob_parts`),
    ``hashidx-<SHA-1 of the buckets' SHA-1s>``: part ``2b``, their raw
    digests, and part ``2b + 1``, their indices (int32).  A worker that
    lists a few results in the store reads the buckets of those keys, not
    every hash chunk (nor every bucket).  The directory is
    ``_INDEX_MAGIC``, ``u32 bits``, the 20-byte digest in the buckets
    blob's name and the SHA-1 of each bucket (of its digests then its
    indices, checked when read).  The parts are views of two buffers, not
    copies."""
    import hashlib

    from jug.graph import _numpy

    n = len(graph)
    if n <= INDEX_MIN_CHUNKS * chunk_size:
        return None
    buckets = max(-(-n // INDEX_BUCKET_TASKS), min(INDEX_MIN_BUCKETS, n // INDEX_BUCKET_MIN_TASKS))
    bits = max(1, (buckets - 1).bit_length())
    raw = raw if raw is not None else raw_digests(graph)
    numpy = _numpy(n)
    buckets = []
    if numpy is not None:
        digests = numpy.frombuffer(raw, dtype=numpy.uint8).reshape(n, DIGEST_BYTES)
        bucket_of = digests[:, :4].copy().view(">u4").ravel() >> numpy.uint32(32 - bits)
        del digests
        if bits <= 16:  # a stable sort of 16-bit keys is a radix sort
            bucket_of = bucket_of.astype(numpy.uint16)
        order = numpy.argsort(bucket_of, kind="stable").astype("<i4")
        # the digests in bucket order (a gather of 5 words a row beats one of
        # 20-byte void items)
        ordered = numpy.frombuffer(raw, dtype="<u4").reshape(n, DIGEST_BYTES // 4).take(
            order, axis=0)
        ends = numpy.cumsum(numpy.bincount(bucket_of, minlength=1 << bits)).tolist()
        del bucket_of
        # the parts are views of these two arrays' bytes
        digests, numbers = memoryview(ordered).cast("B"), memoryview(order).cast("B")
        start = 0
        for end in ends:
            buckets.append((digests[DIGEST_BYTES * start:DIGEST_BYTES * end],
                            numbers[4 * start:4 * end]))
            start = end
    else:
        members = [[] for _ in range(1 << bits)]
        shift = 32 - bits
        for i in range(n):
            members[int.from_bytes(raw[20 * i:20 * i + 4], "big") >> shift].append(i)
        for indices in members:
            buckets.append((b"".join(raw[20 * i:20 * i + 20] for i in indices),
                            _int32_bytes(indices)))
    sums = b"".join(_bucket_sum(*bucket) for bucket in buckets)
    name = hashlib.sha1(sums, usedforsecurity=False).digest()
    directory = _INDEX_MAGIC + struct.pack("<I", bits) + name + sums
    return directory, "hashidx-" + name.hex(), [part for bucket in buckets for part in bucket]


def _bucket_sum(digests, indices):
    """The SHA-1 of a bucket of the hash index: its digests, then its indices."""
    import hashlib

    digest = hashlib.sha1(digests, usedforsecurity=False)
    digest.update(indices)
    return digest.digest()


def store_hash_index(store, graph, chunk_size, raw=None):
    """Write the hash index (:func:`hash_index_blobs`) unless stored;
    ``(directory blob name or None, bytes)``."""
    blobs = hash_index_blobs(graph, chunk_size, raw)
    if blobs is None:
        return None, 0
    directory, name, buckets = blobs
    # Not fsynced: a reader checks each bucket against its SHA-1 and reads
    # the hash chunks instead of a missing or damaged one.
    if store.blob_info(name) is None:
        store.put_blob_parts(name, buckets, durable=False)
    return (put_named_blob(store, "hashdir", directory, durable=False),
            len(directory) + sum(map(len, buckets)))


def store_hash_chunks(store, graph, chunk_size, raw=None):
    """Write the graph's hash chunks (those not stored yet); returns their
    names, for :func:`encode_manifest`, and their total size."""
    names, hash_bytes = [], 0
    for name, data in hash_chunk_blobs(graph, chunk_size, raw):
        if store.blob_info(name) is None:
            store.put_blob(name, data)
        names.append(name)
        hash_bytes += len(data)
    return names, hash_bytes


# -- reading ------------------------------------------------------------------


def decode_manifest(data, blob_name="manifest", store=None):
    """A :class:`Manifest` from bytes, its hashes read from ``store`` when
    first needed; ManifestError for a corrupt blob or an unknown version
    (the caller re-traces)."""
    if len(data) < _PREFIX.size:
        raise ManifestError(f"manifest {blob_name} is truncated")
    magic, version, header_length = _PREFIX.unpack_from(data)
    if magic != MAGIC:
        raise ManifestError(f"{blob_name} is not a jug manifest")
    if version != FORMAT_VERSION:
        raise ManifestError(f"manifest {blob_name} has format version {version}; this jug "
                            f"reads version {FORMAT_VERSION}")
    start = _PREFIX.size
    _check_content(data, blob_name)
    view = memoryview(data)
    try:
        raw = json.loads(view[start:start + header_length].tobytes())
        base = start + header_length
        sections = {}
        for name in _SECTIONS:
            offset, length, encoding, count = raw["sections"][name]
            chunk = view[base + offset: base + offset + length]
            if len(chunk) != length or encoding not in ("d", "zd"):
                raise ManifestError(f"manifest {blob_name} is truncated")
            sections[name] = (chunk, encoding, int(count))
        header = ManifestHeader.from_json({**raw, "version": version})
        chunk_size, hash_chunks = int(raw["chunk_tasks"]), list(raw["hash_chunks"])
    except (ValueError, KeyError, TypeError) as error:
        raise ManifestError(f"manifest {blob_name} is corrupt ({error})") from None
    n = header.task_count
    counts = {name: section[2] for name, section in sections.items()}
    if (counts["name_ids"] != n or counts["stages"] != n or counts["lines"] != n
            or counts["dep_indptr"] != n + 1 or counts["rev_indptr"] != n + 1
            or counts["dep_indices"] != header.edge_count
            or counts["rev_indices"] != header.edge_count
            or len(hash_chunks) != (-(-n // chunk_size) if n else 0)):
        raise ManifestError(f"manifest {blob_name} is corrupt (section sizes disagree)")

    def load_hashes(k):
        if store is None:
            raise ManifestError(f"manifest {blob_name}: no store to read its hashes from")
        chunk = read_named_blob(store, hash_chunks[k])
        expected = min(chunk_size, n - k * chunk_size) * DIGEST_BYTES
        if len(chunk) != expected:
            raise ManifestError(f"the manifest's blob {hash_chunks[k]} has the wrong size")
        return chunk

    def load_column(name):
        # Sections are decoded when first used (the blob's content was checked
        # against its name, so a failure here is a bug, not damage).
        if name == "_rev":
            return load_column("rev_indptr"), load_column("rev_indices")
        if name == "dep_counts":  # the stored differences of dep_indptr
            return _section_differences(*sections["dep_indptr"])[1:]
        return _decode_section(*sections[name])

    index = raw.get("hash_index")
    finder = None
    if isinstance(index, str) and store is not None:
        finder = HashIndex(store, index, n, len(hash_chunks) * chunk_size * DIGEST_BYTES).find
    graph = TaskGraph(Digests(n, chunk_size, load_hashes, find=finder), list(header.names),
                      None, None, None, None, load=load_column)
    return Manifest(header, graph, lambda: load_column("lines"), blob_name, chunk_size,
                    fresh=_fresh_counts(raw.get("fresh"), len(header.names), n))


def _fresh_counts(data, names, n):
    """The header's :func:`fresh_counts`, checked (None when absent or
    inconsistent: status then computes them)."""
    try:
        by_name = [(int(total), int(ready)) for total, ready in data["names"]]
        by_stage = [(int(total), int(ready)) for total, ready in data["stages"]]
    except (TypeError, KeyError, ValueError):
        return None
    if len(by_name) != names or sum(total for total, _ in by_name) != n:
        return None
    return {"names": by_name, "stages": by_stage}


class HashIndex:
    """Finds the tasks of given hashes through the manifest's hash index
    (:func:`hash_index_blobs`): reads the directory and the buckets of
    those hashes only (in one read), each once.  ``find`` returns None when
    reading every hash chunk (``hash_bytes``) would cost less, or when the
    index is missing, damaged or of another layout (it is a cache: the
    caller reads the hashes)."""

    def __init__(self, store, name, task_count, hash_bytes):
        self.store, self.name = store, name
        self.task_count, self.hash_bytes = task_count, hash_bytes
        self.bits = None
        self.buckets = {}  # bucket -> (digests bytes, indices bytes)

    def _directory(self):
        if self.bits is None:
            data = read_named_blob(self.store, self.name)
            magic, bits = data[:8], struct.unpack_from("<I", data, 8)[0] if len(data) >= 12 else 0
            if magic != _INDEX_MAGIC or len(data) != 12 + DIGEST_BYTES * (1 + (1 << bits)):
                raise ManifestError(f"the hash index {self.name} is damaged or of another "
                                    "layout")
            self.bits, self.blob = bits, "hashidx-" + data[12:12 + DIGEST_BYTES].hex()
            self.sums = data[12 + DIGEST_BYTES:]
        return self.bits

    def _read_buckets(self, wanted):
        """Read the buckets ``wanted`` not read yet (ManifestError when one
        is missing or damaged)."""
        missing = [b for b in wanted if b not in self.buckets]
        if not missing:
            return
        found = BLOB_READS.read_parts(self.store, self.blob,
                                      [part for b in missing for part in (2 * b, 2 * b + 1)])
        if found is None:
            raise ManifestError(f"the hash index's blob {self.blob} is missing or damaged")
        for b in missing:
            digests, indices = found[2 * b], found[2 * b + 1]
            if (len(digests) % DIGEST_BYTES or len(indices) * DIGEST_BYTES != 4 * len(digests)
                    or _bucket_sum(digests, indices)
                    != self.sums[DIGEST_BYTES * b:DIGEST_BYTES * (b + 1)]):
                raise ManifestError(f"bucket {b} of the hash index's blob {self.blob} is damaged")
            self.buckets[b] = (digests, indices)

    def find(self, digests):
        """``{hex hash: task index}`` for those of ``digests`` (hex strings)
        that are tasks, or None (see the class)."""
        try:
            shift = 32 - self._directory()
            if len(digests) >= 2 << self.bits:  # they would fall in most buckets
                return None
            wanted = {}
            for digest in digests:
                if len(digest) == 2 * DIGEST_BYTES:
                    try:
                        wanted.setdefault(int(digest[:8], 16) >> shift, []).append(digest)
                    except ValueError:
                        continue
            bucket_bytes = (DIGEST_BYTES + 4) * self.task_count >> self.bits
            if len(wanted) * bucket_bytes >= self.hash_bytes:
                return None
            self._read_buckets(sorted(wanted))
            found = {}
            for b in sorted(wanted):
                block, indices = self.buckets[b]
                for digest in wanted[b]:
                    raw = bytes.fromhex(digest)
                    at = block.find(raw)
                    while at != -1 and at % DIGEST_BYTES:
                        at = block.find(raw, at + 1)
                    if at != -1:
                        k = at // DIGEST_BYTES
                        found[digest] = int.from_bytes(indices[4 * k:4 * k + 4], "little",
                                                       signed=True)
            return found
        except ManifestError:
            return None


def _check_content(data, blob_name):
    """A manifest blob named by its content (``jug.compiler.index``: the
    name ends in ``-`` and 20 hexadecimal digits of its BLAKE2b digest) must
    have that content: ManifestError when it does not."""
    import hashlib

    stem, _, suffix = blob_name.rpartition("-")
    if not stem.startswith("manifest-") or len(suffix) != 20 or stem.count("-") != 1:
        return
    if hashlib.blake2b(data, digest_size=10).hexdigest() != suffix:
        raise ManifestError(f"manifest {blob_name} is damaged (its content does not match "
                            "its name)")


def _section_differences(data, encoding, count):
    """The stored differences of an int32 section, as an ``array('i')``."""
    deltas = zlib.decompress(data) if encoding == "zd" else bytes(data)
    if len(deltas) != 4 * count:
        raise ValueError("a section has the wrong length")
    values = array("i")
    values.frombytes(deltas)
    if sys.byteorder == "big":
        values.byteswap()
    return values


def _decode_section(data, encoding, count):
    """The ``array('i')`` of an int32 section (see :func:`_encode_section`)."""
    from jug.graph import _numpy, numpy_to_array

    if encoding not in ("d", "zd"):
        raise ValueError(f"unknown section encoding {encoding!r}")
    deltas = zlib.decompress(data) if encoding == "zd" else bytes(data)
    if len(deltas) != 4 * count:
        raise ValueError("a section has the wrong length")
    numpy = _numpy(count)
    if numpy is not None:
        return numpy_to_array(numpy.cumsum(numpy.frombuffer(deltas, dtype="<i4"), dtype=numpy.int32))
    import itertools

    values = array("i")
    values.frombytes(deltas)
    if sys.byteorder == "big":
        values.byteswap()
    return array("i", itertools.accumulate(values))


# -- the execution payload ----------------------------------------------------------


def _task_reference(index):
    """Stands for the task with graph index ``index`` in a pickled payload;
    the payload's unpickler resolves it to a stub of that task."""
    raise ManifestError("a task reference was unpickled outside a manifest payload")


def _task_list(kind, indices):
    """Stands for a list (``kind`` "l") or tuple ("t") of tasks, given by
    their graph indices as int32 bytes (or a ``range``: consecutive tasks);
    resolved by the payload's unpickler."""
    raise ManifestError("a task list was unpickled outside a manifest payload")


def _task_list_value(kind, indices):
    """Stands for a list (``kind`` "l") or tuple ("t") made only of tasks
    anywhere but in a row's arguments (module data, shared arguments),
    given by their graph indices as int32 bytes (or a ``range``); the
    payload's unpickler resolves it to the list (or tuple) of their stubs
    at once."""
    raise ManifestError("a task list was unpickled outside a manifest payload")


def _shared_reference(index):
    """Stands for shared argument ``index`` (a ``shared-`` blob); resolved
    by the payload's unpickler."""
    raise ManifestError("a shared argument was unpickled outside a manifest payload")


class _TaskList:
    """A list or tuple made only of tasks, pickled as one array of indices,
    or a range when they are consecutive (a list of a million tasks then
    costs one reduction, not a million)."""

    __slots__ = ("kind", "indices")

    def __init__(self, kind, indices):
        self.kind = kind
        self.indices = indices


class _PendingTasks:
    """A decoded :class:`_TaskList`: the int32 ``indices`` of its tasks (or
    their range), made into stubs by :meth:`resolve` when the task that takes it runs."""

    __slots__ = ("kind", "indices")

    def __init__(self, kind, indices):
        self.kind = kind
        self.indices = indices

    def resolve(self, stubs):
        values = self.indices
        if type(values) is not range:  # int32 bytes; a range: consecutive tasks
            values = array("i")
            values.frombytes(self.indices)
            if sys.byteorder == "big":
                values.byteswap()
        tasks = [stubs[i] for i in values]
        return tasks if self.kind == "l" else tuple(tasks)


class _SharedArgument:
    """Stands for a large argument given to several tasks, in a row."""

    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index


def _reduce_code(code):
    """cloudpickle's reduction of a code object, keeping its file name:
    cloudpickle 3 names all code it pickles "<dynamic-code>", and a failing
    task's traceback must name the jugfile (or module) and show its lines,
    as the original's does."""
    import cloudpickle

    constructor, args = cloudpickle.CloudPickler.dispatch_table[types.CodeType](code)
    return constructor, tuple(code.co_filename if type(arg) is str and arg == "<dynamic-code>"
                              else arg for arg in args)


_KEY = operator.attrgetter("key")
_F, _ARGS, _KWARGS = (operator.attrgetter(name) for name in ("f", "args", "kwargs"))
_NEEDS_VALUE = operator.attrgetter("needs_value")


def _task_indices(items, index_of_hash, all_tasks=None):
    """The graph indices of the tasks ``items`` (a list or tuple of Task
    objects only): an ``array('i')``, or a ``range`` for a run of
    consecutive tasks of ``all_tasks`` (aligned with the graph: the reduce
    of a map), recognised by identity without a lookup per task; None when
    one is not in the graph."""
    first = index_of_hash.get(items[0].key)
    n = len(items)
    if first is not None and all_tasks is not None and first + n <= len(all_tasks):
        if _same_objects(items, all_tasks, first):
            return range(first, first + n)
    found = list(map(index_of_hash.get, map(_KEY, items)))
    return None if None in found else array("i", found)


def _same_objects(items, sequence, first, block=1 << 16):
    """Is ``items`` the objects ``sequence[first:first + len(items)]``?  By
    blocks compared with ``==`` (a C loop of identity checks for objects
    that compare by identity, as tasks do), so the copies stay small."""
    as_type, n = type(items), len(items)
    for start in range(0, n, block):
        part = sequence[first + start:first + min(start + block, n)]
        if type(part) is not as_type:
            part = as_type(part)
        if part != items[start:start + block]:
            return False
    return True


#: types of the values a module keeps in the payload's head whatever uses them
_ATOMS = frozenset((int, float, complex, bool, str, bytes, type(None)))


class _TaskRuns:
    """The live tasks of a trace (aligned with the graph) and their index:
    says whether a list or tuple is made only of (at least two) tasks, and
    their graph indices.  A large one is looked at once however often it
    is met (the reduce's list of a million tasks is a module attribute and
    the reduce's argument)."""

    _KEPT_FROM = 1024  # items: smaller ones are looked at each time

    def __init__(self, tasks, index_of_hash, graph=None):
        from jug.task import Task

        self.tasks, self.index_of_hash, self.task_type = tasks, index_of_hash, Task
        self.graph = graph
        self._known = {}  # id -> (object, only tasks, indices); holds the object: ids stay

    def has_dependents(self, task):
        """Does some task of the graph depend on ``task`` (True when unknown)?
        A search, at C speed, of the dependencies of the tasks made after it
        (a task's dependencies are made before it; a miss would only make
        the attribute lazy, which decodes the same stub), few tasks being
        asked about."""
        index = self.index_of_hash.get(task.key)
        if index is None or self.graph is None or self.tasks[index] is not task:
            return True
        graph = self.graph
        return index in graph.dep_indices[graph.dep_indptr[index + 1]:]

    def only_tasks(self, value):
        """Is ``value`` a list or tuple of at least two tasks, tasks only?"""
        kind = type(value)
        return ((kind is list or kind is tuple) and len(value) >= 2
                and type(value[0]) is self.task_type and self._answer(value)[0])

    def indices(self, value):
        """The graph indices of the tasks ``value`` (:meth:`only_tasks`), or
        None when one is not in the graph."""
        return self._answer(value)[1]

    def _answer(self, value):
        known = self._known.get(id(value))
        if known is not None and known[0] is value:
            return known[1], known[2]
        only = all(map(operator.is_, map(type, value), itertools.repeat(self.task_type)))
        indices = _task_indices(value, self.index_of_hash, self.tasks) if only else None
        if len(value) >= self._KEPT_FROM:
            self._known[id(value)] = (value, only, indices)
        return only, indices


class _TaskListValue(_TaskList):
    """A list or tuple made only of tasks outside a row's arguments (module
    data, a shared argument), pickled as one array of indices and decoded
    as the list of their stubs (:func:`_task_list_value`)."""

    __slots__ = ()


def _task_lists(values, runs):
    """``values`` (a dict) with each list or tuple made only of (at least
    two) tasks of the graph (:class:`_TaskRuns` ``runs``) replaced by a
    :class:`_TaskListValue` (one per object, so that one list under two
    names stays one list): the C pickler calls no Python code for lists,
    and a million tasks would be a million reductions."""
    made, out = {}, {}
    for name, value in values.items():
        if runs.only_tasks(value):
            replacement = made.get(id(value))
            if replacement is None:
                indices = runs.indices(value)
                if indices is not None:
                    replacement = made[id(value)] = _TaskListValue(
                        "l" if type(value) is list else "t", indices)
            if replacement is not None:
                value = replacement
        out[name] = value
    return out



def _reduce_task_list(tasks):
    """A :class:`_TaskList` or :class:`_TaskListValue`, for the pickler."""
    return (_task_list_value if type(tasks) is _TaskListValue else _task_list,
            (tasks.kind, tasks.indices if type(tasks.indices) is range
             else _int32_bytes(tasks.indices)))


class _PayloadPickler:
    """cloudpickle with tasks replaced by their graph index, and the carried
    modules (the jugfile's and the user's) pickled whole, their functions
    keeping the module's namespace as globals (:mod:`jug.compiler.replay`).

    Tasks (and the row chunks' task lists and shared arguments) are reduced
    through the pickler's dispatch table (a C-level lookup by type), not
    ``persistent_id``, which would cost a Python call for every object
    pickled.  ``dropped`` (module name -> attribute names) are left out of
    the modules; with ``probe``, the modules are not pickled at all (to test
    one attribute at a time).

    The head of a payload is decoded first and rebuilds the carried modules;
    what is pickled apart and decoded later refers to them by name:
    ``standalone`` (lazy module data: strictly by name) and ``chunk`` (row
    chunks and shared arguments: by name when reachable, else functions
    with their module's namespace as globals).  ``shared_ids`` (``{id:
    index}`` of the shared arguments) makes those objects, where the head or
    lazy data holds them, references to their ``shared-`` blob."""

    def __init__(self, index_of_hash, carried=(), dropped=None, probe=False, lazy=None,
                 standalone=False, chunk=False, shared_ids=None):
        import collections
        import importlib

        import cloudpickle

        from jug.compiler import replay
        from jug.task import Task

        lookup = index_of_hash.get
        carried_ids = {id(module): module for module in carried}
        carried_names = {module.__name__ for module in carried}
        by_globals = {id(vars(module)): module for module in carried}
        dropped = dropped or {}
        lazy = lazy or {}
        shared_ids = shared_ids or {}
        by_name = standalone or chunk
        tabled = (Task, _TaskList, _SharedArgument, _TaskListValue)

        def _by_name(obj):
            reduced = replay.by_name(obj, carried_names)
            if reduced is None:
                raise pickle.PicklingError(f"{obj!r} of a carried module is not reachable by name")
            return reduced

        def reduce_task(task):
            index = lookup(task.key)
            if index is None:
                raise pickle.PicklingError(
                    f"task {task.name} is referenced but is not part of the graph")
            return _task_reference, (index,)

        def reduce_shared(shared):
            return _shared_reference, (shared.index,)

        class Pickler(cloudpickle.CloudPickler):
            # read by the C pickler when it is created, so set on the class
            dispatch_table = collections.ChainMap(
                {Task: reduce_task, _TaskList: _reduce_task_list, _SharedArgument: reduce_shared,
                 _TaskListValue: _reduce_task_list,
                 types.CodeType: _reduce_code},
                cloudpickle.CloudPickler.dispatch_table)

            def reducer_override(self, obj):
                kind = type(obj)
                if kind in tabled:
                    return NotImplemented  # the dispatch table's
                if shared_ids:
                    index = shared_ids.get(id(obj))
                    if index is not None:
                        return _shared_reference, (index,)
                if kind is types.FunctionType:
                    module = by_globals.get(id(obj.__globals__))
                    if module is not None:
                        if standalone:
                            return _by_name(obj)
                        if chunk:
                            return (replay.by_name(obj, carried_names)
                                    or replay.function_reduce(obj, module))
                        return replay.function_reduce(obj, module)
                elif kind is types.ModuleType and id(obj) in carried_ids:
                    if probe:
                        return str, (obj.__name__,)
                    if by_name:  # rebuilt (and in sys.modules) before this is read
                        return importlib.import_module, (obj.__name__,)
                    return replay.module_reduce(obj, dropped.get(obj.__name__, ()),
                                                lazy.get(obj.__name__))
                elif by_name and isinstance(obj, type) and obj.__module__ in carried_names:
                    if chunk:
                        return replay.by_name(obj, carried_names) or super().reducer_override(obj)
                    return _by_name(obj)
                elif getattr(obj, "__module__", None) in carried_names and kind is not type:
                    return replay.by_name_reduce(obj, by_globals) or super().reducer_override(obj)
                return super().reducer_override(obj)

        self.pickler_class = Pickler

    def dumps(self, obj):
        buffer = io.BytesIO()
        self.pickler_class(buffer, protocol=5).dump(obj)
        return buffer.getvalue()


@dataclasses.dataclass(frozen=True)
class EncodedPayload:
    """The bytes of a payload's head, the module attributes left out of it
    (``(module.attribute, why)``: they cannot be pickled and no code refers
    to them), why workers must run the top level instead (those that
    cannot be pickled and that some code may use), as
    :class:`jug.compiler.replay.TopLevelReason` s, and the size of every
    blob of the payload (head, row chunks, shared arguments, lazy data)."""

    data: bytes
    not_carried: tuple = ()
    top_level: tuple = ()
    stored: int = 0


def encode_payload(module, tasks, graph, local_modules, hooks, settings=(), *, store,
                   shared=None, chunk_size=None):
    """Store the execution payload of a trace (its jugfile ``module``,
    ``tasks`` aligned with ``graph``, the user's ``local_modules`` carried
    with their state, the ``hooks`` the jugfile registered, the values of
    the process ``settings`` to replay) in ``store``: the rows in chunks,
    the ``shared`` arguments (``{id: object}``, see
    :meth:`jug.hash.HashMemo.shared_objects`) once each, the carried modules'
    data no code names in one blob per module.  Returns an
    :class:`EncodedPayload` whose ``data`` is the head (the caller stores it,
    see :func:`payload_blob_name`); raises PayloadError naming the first
    task whose function or arguments cannot be pickled."""
    import cloudpickle

    chunk_size = chunk_size or chunk_tasks()
    carried = [module, *(sys.modules[name] for name in local_modules
                         if isinstance(sys.modules.get(name), types.ModuleType))]
    registered = []
    for mod in carried:
        try:
            cloudpickle.register_pickle_by_value(mod)
            registered.append(mod)
        except (ValueError, TypeError):
            pass
    index_of_hash = graph.index_map()
    runs = _TaskRuns(tasks, index_of_hash, graph)
    pickler = _PayloadPickler(index_of_hash, carried, chunk=True)
    try:
        functions, function_index = [], {}
        shared = shared or {}
        shared_slots, shared_objects = {}, []
        chunk_names, total = [], 0
        for start in range(0, len(tasks), chunk_size):
            chunk = tasks[start:start + chunk_size]
            rows = _payload_rows(chunk, functions, function_index, index_of_hash, shared,
                                 shared_slots, shared_objects, runs)
            data = _dumps(pickler, rows, chunk, index_of_hash)
            chunk_names.append(put_named_blob(store, "rows", data))
            total += len(data)
        shared_names = []
        for obj in shared_objects:
            data = _dumps(pickler, _task_lists({0: obj}, runs)[0], tasks,
                          index_of_hash)
            shared_names.append(put_named_blob(store, "shared", data))
            total += len(data)
        payload = Payload(module.__name__, tuple(carried), tuple(functions), tuple(hooks),
                          tuple(settings), chunk_size, tuple(chunk_names), tuple(shared_names))
        shared_ids = {id(obj): i for i, obj in enumerate(shared_objects)}
        encoded = _encode_carrying(payload, carried, runs, store, shared_ids)
        return dataclasses.replace(encoded, stored=encoded.stored + total + len(encoded.data))
    finally:
        for mod in registered:
            try:
                cloudpickle.unregister_pickle_by_value(mod)
            except (ValueError, KeyError):
                pass


def _dumps(pickler, obj, tasks, index_of_hash):
    try:
        return pickler.dumps(obj)
    except Exception as error:  # find the culprit for the message
        raise PayloadError(_find_unpicklable(tasks, index_of_hash, error)) from error


_HEAD_PREFIX = struct.Struct("<I")


def _head_bytes(pickler, payload):
    """A payload head: where the rows are (read first: what the modules'
    state refers to in the shared arguments is found through it), then the
    carried modules, functions, hooks and settings."""
    index = pickler.dumps(payload.index_pickle())
    return _HEAD_PREFIX.pack(len(index)) + index + pickler.dumps(payload.to_pickle())


def _encode_carrying(payload, carried, runs, store, shared_ids):
    """The head of ``payload``; when some attribute of a carried module
    cannot be pickled, leave it out, and say whether code may use it."""
    from jug.compiler.replay import TopLevelReason, referenced_names

    used = referenced_names(_carried_functions(carried, payload.functions))
    tasks, index_of_hash = runs.tasks, runs.index_of_hash
    lazy, lazy_bytes = _lazy_attributes(carried, used, runs, store, shared_ids)

    def head(dropped=None):
        return _head_bytes(_PayloadPickler(index_of_hash, carried, dropped, lazy=lazy,
                                           shared_ids=shared_ids), payload)

    try:
        return EncodedPayload(head(), stored=lazy_bytes)
    except Exception as error:  # find the culprits
        failures = _unpicklable_attributes(carried, index_of_hash)
        if not failures:
            raise PayloadError(_find_unpicklable(tasks, index_of_hash, error)) from error
    dropped = {}
    for module_name, attribute, _ in failures:
        dropped.setdefault(module_name, set()).add(attribute)
    try:
        data = head(dropped)
    except Exception as error:
        raise PayloadError(_find_unpicklable(tasks, index_of_hash, error)) from error
    not_carried, top_level = [], []
    for module_name, attribute, why in failures:
        name = f"{module_name}.{attribute}"
        if attribute in used:
            path = getattr(sys.modules.get(module_name), "__file__", None) or module_name
            top_level.append(TopLevelReason(os.path.basename(path), 0,
                                            f"{name} cannot be pickled ({why}) and code of "
                                            "the jugfile or its modules may use it"))
        else:
            not_carried.append((name, why))
    return EncodedPayload(data, tuple(not_carried), tuple(top_level), stored=lazy_bytes)


def _lazy_attributes(carried, used, runs, store, shared_ids):
    """``({module name: (names, blob name)}, bytes stored)``: the
    collections of tasks no code names, pickled apart in a ``lazy-`` blob
    to be read and decoded only when read
    (:class:`jug.compiler.replay.LazyAttributes`).  A task's argument no
    code names is one of them when it is a collection of at least
    ``jug.hash.MEMO_MIN_ITEMS`` items: its row chunk (or shared blob) has
    it, and a copy in the head would be read and decoded by every worker
    (``leaves = [leaf(i) for i in range(n)]; total(leaves)`` costs the head
    about 10 bytes a task)."""
    from jug.compiler.replay import lazy_candidates
    from jug.hash import MEMO_MIN_ITEMS

    tasks, index_of_hash = runs.tasks, runs.index_of_hash
    per_module = [(module, lazy_candidates(module, used, ())) for module in carried]
    # A candidate that is a task's argument (other than a large collection)
    # stays with the module: look for those among the arguments only.  A
    # plain number or string stays too (it costs the head a few bytes), and
    # a task no task depends on is no task's argument: neither is looked for.
    small, arguments = set(), set()
    for _, candidates in per_module:
        for value in candidates.values():
            kind = type(value)
            if kind in (list, tuple, dict) and len(value) >= MEMO_MIN_ITEMS:
                continue
            if kind in _ATOMS:
                arguments.add(id(value))
            elif kind is not runs.task_type or runs.has_dependents(value):
                small.add(id(value))
    small.difference_update(shared_ids)
    if small:
        for start in range(0, len(tasks), 8192):
            chunk = tasks[start:start + 8192]
            arguments |= small.intersection(map(id, itertools.chain.from_iterable(
                map(_ARGS, chunk))))
            for task in filter(_KWARGS, chunk):
                arguments |= small.intersection(map(id, task.kwargs.values()))
    lazy, stored = {}, 0
    for module, candidates in per_module:
        candidates = {name: value for name, value in candidates.items()
                      if id(value) not in arguments}
        if not candidates:
            continue
        pickler = _PayloadPickler(index_of_hash, carried, standalone=True, shared_ids=shared_ids)
        try:
            data = pickler.dumps(_task_lists(candidates, runs))
        except Exception:  # noqa: BLE001 - keep those that pickle on their own
            kept = {}
            for name, value in candidates.items():
                try:
                    _PayloadPickler(index_of_hash, carried, standalone=True).dumps(value)
                except Exception:  # noqa: BLE001 - then it travels with the module
                    continue
                kept[name] = value
            if not kept:
                continue
            data = pickler.dumps(_task_lists(kept, runs))
            candidates = kept
        lazy[module.__name__] = (tuple(candidates), put_named_blob(store, "lazy", data))
        stored += len(data)
    return lazy, stored


def _unpicklable_attributes(carried, index_of_hash):
    """``(module name, attribute, why)`` of the attributes of the carried
    modules that cannot be pickled (each tried on its own)."""
    from jug.compiler.replay import carried_namespace

    failures = []
    for module in carried:
        for name, value in carried_namespace(module).items():
            try:
                _PayloadPickler(index_of_hash, carried, probe=True).dumps(value)
            except Exception as error:
                why = f"{type(value).__name__}: {error}".splitlines()[0][:200]
                failures.append((module.__name__, name, why))
    return failures


def _carried_functions(carried, task_functions):
    """The functions whose code may read a carried module's globals: those
    of the modules (also as methods of their classes) and the task functions."""
    functions = list(task_functions)
    for module in carried:
        for value in vars(module).values():
            if isinstance(value, types.FunctionType):
                functions.append(value)
            elif isinstance(value, type) and getattr(value, "__module__", None) == module.__name__:
                for member in vars(value).values():
                    member = getattr(member, "__func__", member)
                    if isinstance(member, property):
                        functions.extend(f for f in (member.fget, member.fset, member.fdel) if f)
                    elif isinstance(member, types.FunctionType):
                        functions.append(member)
            elif hasattr(value, "f") and isinstance(getattr(value, "f"), types.FunctionType):
                functions.append(value.f)  # a TaskGenerator
    return functions


def _payload_rows(tasks, functions, function_index, index_of_hash, shared, shared_slots,
                  shared_objects, runs):
    """The payload rows of ``tasks``: ``(function index, args, kwargs,
    needs_value, refs)`` where the positional arguments that are tasks are
    None in ``args`` and given in ``refs`` as ``(position, task index, ...)``
    (plain ints pickle at C speed), lists of tasks become one
    :class:`_TaskList`, and ``shared`` arguments a :class:`_SharedArgument`."""
    from jug.task import Task

    first = tasks[0].f if tasks else None
    if (tasks and not shared and not any(map(_NEEDS_VALUE, tasks))
            and all(map(operator.is_, map(_F, tasks), itertools.repeat(first)))):
        # one function, no task among the arguments (the map of a map-reduce)
        index = function_index.get(id(first))
        if index is None:
            index = function_index[id(first)] = len(functions)
            functions.append(first)
        return _UniformRows(index, list(map(_ARGS, tasks)),
                            list(map(_KWARGS, tasks)) if any(map(_KWARGS, tasks)) else None)
    rows = []
    append = rows.append
    for task in tasks:
        key = id(task.f)
        index = function_index.get(key)
        if index is None:
            index = function_index[key] = len(functions)
            functions.append(task.f)
        args, kwargs, refs = task.args, task.kwargs, ()
        if task.needs_value or shared:
            args, refs = _row_arguments(args, index_of_hash, shared, shared_slots,
                                        shared_objects, Task, runs)
            if kwargs and shared:
                kwargs = {name: _shared_slot(value, shared, shared_slots, shared_objects)
                          for name, value in kwargs.items()}
        append((index, args, kwargs, task.needs_value, refs))
    return rows


class _UniformRows:
    """The rows of a chunk whose tasks all call function ``index`` with no
    task among their arguments (the map of a map-reduce): the function
    once, then each task's ``args`` and ``kwargs`` (None: none has any).
    Indexed, it gives the rows :func:`_payload_rows` makes otherwise, and
    it pickles as two lists (a tuple of five a task costs twice the time to
    make, pickle and unpickle)."""

    __slots__ = ("index", "args", "kwargs")

    def __init__(self, index, args, kwargs=None):
        self.index, self.args, self.kwargs = index, args, kwargs

    def __reduce__(self):
        return _UniformRows, (self.index, self.args, self.kwargs)

    def __len__(self):
        return len(self.args)

    def __getitem__(self, r):
        return (self.index, self.args[r], {} if self.kwargs is None else self.kwargs[r], False, ())


def _row_arguments(args, index_of_hash, shared, shared_slots, shared_objects, task_type, runs):
    refs = []
    converted = None
    for position, arg in enumerate(args):
        kind = type(arg)
        replacement = arg
        if kind is task_type:
            refs.extend((position, index_of_hash[arg.key]))
            replacement = None
        elif id(arg) in shared:
            replacement = _shared_slot(arg, shared, shared_slots, shared_objects)
        elif (kind is list or kind is tuple) and len(arg) >= 2 and type(arg[0]) is task_type:
            if runs.only_tasks(arg):
                indices = runs.indices(arg)
                if indices is None:  # KeyError: not in the graph
                    indices = array("i", list(map(index_of_hash.__getitem__, map(_KEY, arg))))
                replacement = _TaskList("l" if kind is list else "t", indices)
        if replacement is not arg:
            if converted is None:
                converted = list(args)
            converted[position] = replacement
    return (args if converted is None else tuple(converted)), tuple(refs)


def _shared_slot(value, shared, shared_slots, shared_objects):
    if id(value) not in shared:
        return value
    slot = shared_slots.get(id(value))
    if slot is None:
        slot = shared_slots[id(value)] = _SharedArgument(len(shared_objects))
        shared_objects.append(value)
    return slot


class PayloadError(JugError):
    """The functions or arguments of some task cannot be pickled."""


def _find_unpicklable(tasks, index_of_hash, error):
    pickler = _PayloadPickler(index_of_hash)
    for task in tasks:
        for what, obj in (("function", task.f), ("arguments", (task.args, task.kwargs))):
            try:
                pickler.dumps(obj)
            except Exception as inner:
                return (f"the {what} of task {task.name} cannot be pickled ({inner}); "
                        "workers will re-run the jugfile instead of reading the manifest")
    return f"the jugfile's functions cannot be pickled ({error}); workers will re-run the jugfile"


@dataclasses.dataclass(frozen=True)
class TaskCall:
    """How the payload computes one task: ``function(*args, **kwargs)``, the
    tasks in the arguments replaced by their values when ``needs_value``."""

    function: object
    args: tuple
    kwargs: dict
    needs_value: bool

    def compute(self):
        if self.needs_value:
            from jug.task import value

            return self.function(*value(self.args), **value(self.kwargs))
        return self.function(*self.args, **self.kwargs)


@dataclasses.dataclass(frozen=True)
class Payload:
    """The head of the execution payload: the jugfile's module name, the
    ``modules`` carried with their state (the jugfile's first, then the
    user's local modules; rebuilt and installed in ``sys.modules`` as they
    are unpickled), the task ``functions``, the ``hooks`` the jugfile
    registered, the values of the process ``settings`` to replay (``(name,
    value)``, see :data:`jug.compiler.replay.SETTINGS`), and where the rows
    are: chunks of ``chunk_size`` tasks (``chunks``: blob names) and the
    ``shared`` arguments' blobs.

    The head is two plain tuples, pickled one after the other
    (:func:`_head_bytes`): :meth:`index_pickle` (where the rows are), then
    :meth:`to_pickle` (modules first, so that everything after finds them
    made).  Each row is a tuple ``(function index, args, kwargs,
    needs_value, refs)``, made by :func:`encode_payload` and read by
    :class:`PayloadRows`: a payload has one row per task, and tuples pickle
    and unpickle about four times faster than dataclass instances.  A chunk
    is a list of rows, or a :class:`_UniformRows` (one function, no task
    among the arguments), which gives the same rows when indexed."""

    module_name: str
    modules: tuple
    functions: tuple
    hooks: tuple
    settings: tuple
    chunk_size: int
    chunks: tuple
    shared: tuple

    def index_pickle(self):
        return (self.chunk_size, list(self.chunks), list(self.shared))

    def to_pickle(self):
        return (self.module_name, list(self.modules), list(self.functions), list(self.hooks),
                list(self.settings))

    @classmethod
    def from_pickle(cls, index, data):
        chunk_size, chunks, shared = index
        module_name, modules, functions, hooks, settings = data
        return cls(module_name, tuple(modules), tuple(functions), tuple(hooks), tuple(settings),
                   chunk_size, tuple(chunks), tuple(shared))


def payload_blob_name(data):
    """The blob name of payload head bytes ``data``: named by their
    content, so a damaged blob is recognised (and equal payloads are stored
    once).  The plain SHA-1 of the bytes (``jug.hash.hash_bytes``, which a
    worker need not import)."""
    return content_name("payload", data)


#: decoded row chunks a worker keeps (it runs tasks mostly in order)
_KEPT_CHUNKS = 4


class PayloadRows:
    """The rows of a payload, fetched from the store and decoded one chunk
    at a time, when one of the chunk's tasks is first asked for; at most
    :data:`_KEPT_CHUNKS` decoded chunks are kept.  ``chunk_size``,
    ``chunks`` and ``shared`` are the head's index (read before the rest of
    the head, which may refer to shared arguments); ``payload`` is the
    decoded head."""

    def __init__(self, store, unpickler, task_count, chunk_size, chunks, shared):
        import collections

        self.payload = None
        self.store = store
        self.unpickler = unpickler
        self.task_count = task_count
        self.chunk_size, self.chunks, self.shared_names = chunk_size, chunks, shared
        self.decoded = collections.OrderedDict()  # chunk -> rows
        self.shared = {}  # index -> decoded shared argument

    def __len__(self):
        return self.task_count

    @property
    def functions(self):
        return self.payload.functions

    @property
    def modules(self):
        return self.payload.modules

    @property
    def settings(self):
        return self.payload.settings

    def call(self, i):
        """The :class:`TaskCall` of task ``i``."""
        k, r = divmod(i, self.chunk_size)
        rows = self.decoded.get(k)
        if rows is None:
            rows = self.decoded[k] = self._decode(read_named_blob(self.store, self.chunks[k]))
            if len(self.decoded) > _KEPT_CHUNKS:
                self.decoded.popitem(last=False)
        else:
            self.decoded.move_to_end(k)
        function_index, args, kwargs, needs_value, refs = rows[r]
        if refs or needs_value:
            stubs = self.unpickler.stubs
            args = [arg.resolve(stubs) if type(arg) is _PendingTasks else arg for arg in args]
            for p in range(0, len(refs), 2):
                args[refs[p]] = stubs[refs[p + 1]]
            args = tuple(args)
        return TaskCall(self.payload.functions[function_index], args, kwargs, needs_value)

    def shared_argument(self, index):
        if index not in self.shared:
            self.shared[index] = self._decode(read_named_blob(self.store, self.shared_names[index]))
        return self.shared[index]

    def _decode(self, data):
        try:
            return self.unpickler.loads(data)
        except ManifestError:
            raise
        except Exception as error:
            raise ManifestError(f"the manifest payload cannot be decoded ({error})") from None


class _PayloadUnpickler:
    """Unpickles payload blobs, resolving task references to stubs and
    shared arguments through ``rows``."""

    def __init__(self, stubs):
        self.stubs = stubs
        self.rows = None
        owner = self

        def task_list(kind, indices):
            # resolved when its task is called: decoding a chunk must not make
            # a stub per element of the reduce's list of a million tasks
            return _PendingTasks(kind, indices)

        def task_list_value(kind, indices):
            return _PendingTasks(kind, indices).resolve(stubs)

        resolved = {"_task_reference": stubs.__getitem__, "_task_list": task_list,
                    "_task_list_value": task_list_value,
                    "_shared_reference": lambda index: owner.rows.shared_argument(index)}

        class Unpickler(pickle.Unpickler):
            def find_class(self, module, name):
                if module == __name__ and name in resolved:
                    return resolved[name]
                return super().find_class(module, name)

        self.unpickler_class = Unpickler

    def loads(self, data):
        return self.unpickler_class(io.BytesIO(data)).load()


def decode_payload(data, graph, store, blob_name=None):
    """Rebuild functions, hooks and settings from the head ``data``; the
    rows are read on demand (:class:`PayloadRows`), their task references
    becoming stub tasks that load their value from ``store``.  The carried
    modules (the jugfile's and the user's, as the top level left them) are
    installed in ``sys.modules`` (without running them), so that ``import
    config`` in a task finds them and results that are instances of their
    classes pickle and unpickle; their data no code names is read from the
    store when first used.  The process settings are not applied here
    (:class:`jug.compiler.replay.Replay` does).  Returns ``(rows, stubs)``.

    ``blob_name`` (the name the bytes were read from) is checked against the
    content first.  ManifestError when the bytes are damaged or cannot be
    decoded here (the caller re-traces; ``sys.modules`` is left as it was)."""
    if blob_name is not None and payload_blob_name(data) != blob_name:
        raise ManifestError(f"the manifest payload {blob_name} is damaged (its content does "
                            "not match its name)")
    stubs = StubTable(graph, store)
    unpickler = _PayloadUnpickler(stubs)
    modules_before = dict(sys.modules)
    try:
        (length,) = _HEAD_PREFIX.unpack_from(data)
        index = unpickler.loads(data[_HEAD_PREFIX.size:_HEAD_PREFIX.size + length])
        rows = unpickler.rows = PayloadRows(store, unpickler, len(graph), *index)
        rows.payload = Payload.from_pickle(
            index, unpickler.loads(data[_HEAD_PREFIX.size + length:]))
    except Exception as error:
        for name in [name for name in sys.modules if name not in modules_before]:
            del sys.modules[name]
        sys.modules.update(modules_before)
        raise ManifestError(f"the manifest payload cannot be decoded ({error})") from None
    from jug.compiler.replay import LazyAttributes
    from jug.context import current_context

    for module in rows.payload.modules:
        lazy = vars(module).get("__getattr__")
        if isinstance(lazy, LazyAttributes):
            lazy.attach(stubs, unpickler.loads, store)
    current_context().hooks.replay(rows.payload.hooks)  # what the jugfile registered (exit checks...)
    return rows, stubs


class StubTable(dict):
    """Stub tasks (known by hash and name, able to load their result) by
    graph index, made on first use and shared by all of a payload's
    arguments."""

    def __init__(self, graph, store):
        from jug.task import Task, stub_context

        super().__init__()
        self._make = Task._stub
        self._graph = graph  # its names are decoded when a first stub is made
        self._holder = stub_context(store)

    def __missing__(self, index):
        graph = self._graph
        task = self[index] = self._make(graph.hashes[index], graph.name(index), self._holder)
        return task
