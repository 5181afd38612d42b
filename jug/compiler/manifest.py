"""The manifest: a traced task graph, persisted in the store.

On-disk format (version :data:`FORMAT_VERSION`), one blob
``manifest-<key>``::

    b"JUGMANIF"  u32 format version  u32 header length  header (JSON, UTF-8)
    sections, each little-endian, at the offsets the header gives:
      hashes       N x 20 bytes   raw task digests
      name_ids     N x int32      index into header["names"]
      stages       N x int32      barrier stage that created the task
      dep_indptr   (N+1) x int32  dependencies, CSR
      dep_indices  E x int32
      rev_indptr   (N+1) x int32  dependents, CSR (computed at compile time)
      rev_indices  E x int32
      lines        N x int32      jugfile line that created the task (0: unknown)

Status needs only this blob, and reading it decodes no argument and no
function.  What ``execute`` needs (functions, arguments) is a second blob,
``payload-<digest>``, named by its content (a worker checks the name and
re-traces a damaged payload) and referenced from the header:
cloudpickle of the functions (by value for code in the jugfile and the
user's modules next to it, so executing never imports the jugfile), of the
jugfile's own functions and classes (to rebuild its module namespace), of the
hooks the jugfile registered (``jug.hooks``, e.g. exit checks), and of every
task's arguments with task references stored as graph indices.  One
pickle for the whole graph, so a large argument shared by many tasks is
stored once.

The header carries no time stamp, host or pid: two workers tracing the same
state write the same bytes.
"""

import dataclasses
import io
import json
import pickle
import struct
import sys
import types
from array import array

from jug.errors import JugError, ManifestError
from jug.graph import TaskGraph

MAGIC = b"JUGMANIF"
FORMAT_VERSION = 2
_PREFIX = struct.Struct("<8sII")
_SECTIONS = ("hashes", "name_ids", "stages", "dep_indptr", "dep_indices", "rev_indptr",
             "rev_indices", "lines")


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
        )


class Manifest:
    """A loaded manifest: header, graph, and the payload on demand."""

    def __init__(self, header, graph, lines, blob_name):
        self.header = header
        self.graph = graph
        self.lines = lines
        self.blob_name = blob_name

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
            "tasks": tasks,
        }


# -- writing ------------------------------------------------------------------


def _int32(values):
    arr = values if isinstance(values, array) and values.typecode == "i" else array("i", values)
    if sys.byteorder == "big":
        arr = array("i", arr)
        arr.byteswap()
    return arr.tobytes()


def encode_manifest(header, graph, lines):
    """The manifest's bytes (deterministic for the same inputs)."""
    rev_indptr, rev_indices = graph.rev_indptr, graph.rev_indices
    sections = {
        "hashes": bytes.fromhex("".join(graph.hashes)),
        "name_ids": _int32(graph.name_ids),
        "stages": _int32(graph.stages),
        "dep_indptr": _int32(graph.dep_indptr),
        "dep_indices": _int32(graph.dep_indices),
        "rev_indptr": _int32(rev_indptr),
        "rev_indices": _int32(rev_indices),
        "lines": _int32(lines),
    }
    offsets = {}
    position = 0
    for name in _SECTIONS:
        offsets[name] = [position, len(sections[name])]
        position += len(sections[name])
    header_json = header.to_json()
    header_json["sections"] = offsets
    header_bytes = json.dumps(header_json, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return b"".join([_PREFIX.pack(MAGIC, FORMAT_VERSION, len(header_bytes)), header_bytes,
                     *(sections[name] for name in _SECTIONS)])


# -- reading ------------------------------------------------------------------


def decode_manifest(data, blob_name="manifest"):
    """A :class:`Manifest` from bytes; ManifestError for a corrupt blob or an
    unknown version (the caller re-traces)."""
    if len(data) < _PREFIX.size:
        raise ManifestError(f"manifest {blob_name} is truncated")
    magic, version, header_length = _PREFIX.unpack_from(data)
    if magic != MAGIC:
        raise ManifestError(f"{blob_name} is not a jug manifest")
    if version != FORMAT_VERSION:
        raise ManifestError(f"manifest {blob_name} has format version {version}; this jug "
                            f"reads version {FORMAT_VERSION}")
    start = _PREFIX.size
    try:
        raw = json.loads(data[start:start + header_length])
        base = start + header_length
        sections = {}
        for name in _SECTIONS:
            offset, length = raw["sections"][name]
            chunk = data[base + offset: base + offset + length]
            if len(chunk) != length:
                raise ManifestError(f"manifest {blob_name} is truncated")
            sections[name] = chunk
        header = ManifestHeader.from_json({**raw, "version": version})
    except (ValueError, KeyError, TypeError) as error:
        raise ManifestError(f"manifest {blob_name} is corrupt ({error})") from None
    hexes = sections["hashes"].hex()
    hashes = [hexes[i:i + 40] for i in range(0, len(hexes), 40)]
    arrays = {name: _read_int32(sections[name]) for name in _SECTIONS if name != "hashes"}
    n = header.task_count
    if (len(hashes) != n or len(arrays["name_ids"]) != n or len(arrays["dep_indptr"]) != n + 1
            or len(arrays["dep_indices"]) != header.edge_count):
        raise ManifestError(f"manifest {blob_name} is corrupt (section sizes disagree)")
    graph = TaskGraph(hashes, list(header.names), arrays["name_ids"], arrays["stages"],
                      arrays["dep_indptr"], arrays["dep_indices"], arrays["rev_indptr"],
                      arrays["rev_indices"])
    return Manifest(header, graph, arrays["lines"], blob_name)


def _read_int32(data):
    arr = array("i")
    arr.frombytes(data)
    if sys.byteorder == "big":
        arr.byteswap()
    return arr


# -- the execution payload ----------------------------------------------------------


def _task_reference(index):
    """Stands for the task with graph index ``index`` in a pickled payload;
    the payload's unpickler resolves it to a stub of that task."""
    raise ManifestError("a task reference was unpickled outside a manifest payload")


class _PayloadPickler:
    """cloudpickle with tasks replaced by their graph index.

    Tasks are reduced through the pickler's dispatch table (a C-level lookup
    by type), not ``persistent_id``, which would cost a Python call for
    every object pickled."""

    def __init__(self, index_of_hash):
        import collections

        import cloudpickle

        from jug.task import Task

        lookup = index_of_hash.get

        def reduce_task(task):
            index = lookup(task.key)
            if index is None:
                raise pickle.PicklingError(
                    f"task {task.name} is referenced but is not part of the graph")
            return _task_reference, (index,)

        class Pickler(cloudpickle.CloudPickler):
            # read by the C pickler when it is created, so set on the class
            dispatch_table = collections.ChainMap({Task: reduce_task},
                                                  cloudpickle.CloudPickler.dispatch_table)

        self.buffer = io.BytesIO()
        self.pickler = Pickler(self.buffer, protocol=5)

    def dumps(self, obj):
        self.pickler.dump(obj)
        return self.buffer.getvalue()


def encode_payload(module, tasks, graph, local_modules, hooks):
    """The execution payload of a trace (its jugfile ``module``, ``tasks``
    aligned with ``graph``, the user's ``local_modules`` pickled by value,
    the ``hooks`` the jugfile registered), or raises PayloadError naming the
    first task whose function or arguments cannot be pickled."""
    import cloudpickle

    local = [module.__name__, *local_modules]
    registered = []
    for name in local:
        mod = sys.modules.get(name)
        if mod is not None:
            try:
                cloudpickle.register_pickle_by_value(mod)
                registered.append(mod)
            except (ValueError, TypeError):
                pass
    try:
        functions = []
        function_index = {}
        rows = []
        for task in tasks:
            key = id(task.f)
            index = function_index.get(key)
            if index is None:
                index = function_index[key] = len(functions)
                functions.append(task.f)
            rows.append((index, task.args, task.kwargs, task.needs_value))  # a Payload row
        namespace = {name: obj for name, obj in vars(module).items()
                     if _defined_in(obj, module.__name__)}
        payload = Payload(module.__name__, namespace, tuple(functions), rows, tuple(hooks))
        index_of_hash = {h: i for i, h in enumerate(graph.hashes)}
        try:
            return _PayloadPickler(index_of_hash).dumps(payload.to_pickle())
        except Exception as error:  # find the culprit for the message
            raise PayloadError(_find_unpicklable(tasks, index_of_hash, error)) from error
    finally:
        for mod in registered:
            try:
                cloudpickle.unregister_pickle_by_value(mod)
            except (ValueError, KeyError):
                pass


class PayloadError(JugError):
    """The functions or arguments of some task cannot be pickled."""


def _defined_in(obj, module_name):
    from jug.task import TaskGenerator

    if isinstance(obj, TaskGenerator):
        return getattr(obj.f, "__module__", None) == module_name
    return isinstance(obj, (types.FunctionType, type)) and getattr(obj, "__module__", None) == module_name


def _find_unpicklable(tasks, index_of_hash, error):
    for task in tasks:
        for what, obj in (("function", task.f), ("arguments", (task.args, task.kwargs))):
            try:
                _PayloadPickler(index_of_hash).dumps(obj)
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
    """The execution payload: the jugfile's module name and ``namespace``
    (its own functions and classes), the task ``functions``, one row per
    task, and the ``hooks`` the jugfile registered.

    It is pickled as the plain tuple :meth:`to_pickle` gives, and each row is
    a tuple ``(function index, args, kwargs, needs_value)``, made by
    :func:`encode_payload` and read by :meth:`call`: a payload has one row
    per task, and tuples pickle and unpickle about four times faster than
    dataclass instances."""

    module_name: str
    namespace: dict
    functions: tuple
    rows: list
    hooks: tuple

    def call(self, i):
        """The :class:`TaskCall` of task ``i``."""
        function_index, args, kwargs, needs_value = self.rows[i]
        return TaskCall(self.functions[function_index], args, kwargs, needs_value)

    def to_pickle(self):
        return (self.module_name, self.namespace, list(self.functions), self.rows,
                list(self.hooks))

    @classmethod
    def from_pickle(cls, data):
        module_name, namespace, functions, rows, hooks = data
        return cls(module_name, namespace, tuple(functions), rows, tuple(hooks))


def payload_blob_name(data):
    """The blob name of payload bytes ``data``: named by their content, so
    a damaged blob is recognised (and equal payloads are stored once).  The
    plain SHA-1 of the bytes (``jug.hash.hash_bytes``, which a worker need
    not import)."""
    import hashlib

    return "payload-" + hashlib.sha1(data, usedforsecurity=False).hexdigest()


def decode_payload(data, graph, store, blob_name=None):
    """Rebuild functions and arguments; task references become stub tasks
    that load their value from ``store``.  Installs the jugfile's functions
    and classes as module ``<jugfile stem>`` (without running it) so results
    that are instances of jugfile classes pickle and unpickle.

    ``blob_name`` (the name the bytes were read from) is checked against the
    content first.  ManifestError when the bytes are damaged or cannot be
    decoded here (the caller re-traces)."""
    if blob_name is not None and payload_blob_name(data) != blob_name:
        raise ManifestError(f"the manifest payload {blob_name} is damaged (its content does "
                            "not match its name)")
    stubs = StubTable(graph, store)

    class Unpickler(pickle.Unpickler):
        def find_class(self, module, name):
            if module == __name__ and name == "_task_reference":
                return stubs.__getitem__
            return super().find_class(module, name)

    try:
        payload = Payload.from_pickle(Unpickler(io.BytesIO(data)).load())
    except Exception as error:
        raise ManifestError(f"the manifest payload cannot be decoded ({error})") from None
    # The module holds the payload's own copies of the jugfile's functions and
    # classes, so that results made by those classes pickle by reference.
    module = types.ModuleType(payload.module_name)
    module.__dict__.update(payload.namespace)
    sys.modules[payload.module_name] = module
    from jug.context import current_context

    current_context().hooks.replay(payload.hooks)  # what the jugfile registered (exit checks...)
    return payload, stubs


class StubTable(dict):
    """Stub tasks (known by hash and name, able to load their result) by
    graph index, made on first use and shared by all of a payload's
    arguments."""

    def __init__(self, graph, store):
        from jug.task import Task, stub_context

        super().__init__()
        self._make = Task._stub
        self._hashes, self._names, self._name_ids = graph.hashes, graph.names, graph.name_ids
        self._holder = stub_context(store)

    def __missing__(self, index):
        task = self[index] = self._make(self._hashes[index], self._names[self._name_ids[index]],
                                        self._holder)
        return task
