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
cloudpickle of the jugfile's module and the user's modules next to it,
whole and by value, as the top level left them (so executing never imports
the jugfile, and a task sees the values the original's would), of the task
functions, of the hooks the jugfile registered (``jug.hooks``, e.g. exit
checks), of the process settings the top level changed, and of every
task's arguments with task references stored as graph indices.  One
pickle for the whole graph, so a large argument shared by many tasks is
stored once.  What else the top level changed in the process (environment,
``sys.path``, working directory) is in the header (``replay``, see
:mod:`jug.compiler.replay`).

The header carries no time stamp, host or pid: two workers tracing the same
state write the same bytes.
"""

import dataclasses
import io
import json
import os
import pickle
import struct
import sys
import types
from array import array

from jug.compiler.replay import ProcessChanges
from jug.errors import JugError, ManifestError
from jug.graph import TaskGraph

MAGIC = b"JUGMANIF"
FORMAT_VERSION = 3
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
    """cloudpickle with tasks replaced by their graph index, and the carried
    modules (the jugfile's and the user's) pickled whole, their functions
    keeping the module's namespace as globals (:mod:`jug.compiler.replay`).

    Tasks are reduced through the pickler's dispatch table (a C-level lookup
    by type), not ``persistent_id``, which would cost a Python call for
    every object pickled.  ``dropped`` (module name -> attribute names) are
    left out of the modules; with ``probe``, the modules are not pickled at
    all (to test one attribute at a time)."""

    def __init__(self, index_of_hash, carried=(), dropped=None, probe=False, lazy=None,
                 standalone=False):
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

        cloud_code_reduce = cloudpickle.CloudPickler.dispatch_table[types.CodeType]

        def reduce_code(code):
            # cloudpickle 3 names all code it pickles "<dynamic-code>"; a
            # failing task's traceback must name the jugfile (or module) and
            # show its lines, as the original's does, so the name is kept.
            constructor, args = cloud_code_reduce(code)
            return constructor, tuple(code.co_filename if type(arg) is str
                                      and arg == "<dynamic-code>" else arg for arg in args)

        class Pickler(cloudpickle.CloudPickler):
            # read by the C pickler when it is created, so set on the class
            dispatch_table = collections.ChainMap({Task: reduce_task,
                                                   types.CodeType: reduce_code},
                                                  cloudpickle.CloudPickler.dispatch_table)

            def reducer_override(self, obj):
                kind = type(obj)
                if kind is Task:
                    return NotImplemented  # the dispatch table's
                if kind is types.FunctionType:
                    module = by_globals.get(id(obj.__globals__))
                    if module is not None:
                        if standalone:
                            return _by_name(obj)
                        return replay.function_reduce(obj, module)
                elif kind is types.ModuleType and id(obj) in carried_ids:
                    if probe:
                        return str, (obj.__name__,)
                    if standalone:  # rebuilt (and in sys.modules) before lazy data is read
                        return importlib.import_module, (obj.__name__,)
                    return replay.module_reduce(obj, dropped.get(obj.__name__, ()),
                                                lazy.get(obj.__name__))
                elif standalone and isinstance(obj, type) and obj.__module__ in carried_names:
                    return _by_name(obj)
                elif getattr(obj, "__module__", None) in carried_names and kind is not type:
                    return replay.by_name_reduce(obj, by_globals) or super().reducer_override(obj)
                return super().reducer_override(obj)

        self.buffer = io.BytesIO()
        self.pickler = Pickler(self.buffer, protocol=5)

    def dumps(self, obj):
        self.pickler.dump(obj)
        return self.buffer.getvalue()


@dataclasses.dataclass(frozen=True)
class EncodedPayload:
    """The bytes of a payload, the module attributes left out of it
    (``(module.attribute, why)``: they cannot be pickled and no code refers
    to them), and why workers must run the top level instead (those that
    cannot be pickled and that some code may use), as
    :class:`jug.compiler.replay.TopLevelReason` s."""

    data: bytes
    not_carried: tuple = ()
    top_level: tuple = ()


def encode_payload(module, tasks, graph, local_modules, hooks, settings=()):
    """The execution payload of a trace (its jugfile ``module``, ``tasks``
    aligned with ``graph``, the user's ``local_modules`` carried with their
    state, the ``hooks`` the jugfile registered, the values of the process
    ``settings`` to replay) as an :class:`EncodedPayload`, or raises
    PayloadError naming the first task whose function or arguments cannot
    be pickled."""
    import cloudpickle

    carried = [module, *(sys.modules[name] for name in local_modules
                         if isinstance(sys.modules.get(name), types.ModuleType))]
    registered = []
    for mod in carried:
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
        payload = Payload(module.__name__, tuple(carried), tuple(functions), rows, tuple(hooks),
                          tuple(settings))
        index_of_hash = {h: i for i, h in enumerate(graph.hashes)}
        return _encode_carrying(payload, carried, tasks, index_of_hash)
    finally:
        for mod in registered:
            try:
                cloudpickle.unregister_pickle_by_value(mod)
            except (ValueError, KeyError):
                pass


def _encode_carrying(payload, carried, tasks, index_of_hash):
    """Pickle ``payload``; when some attribute of a carried module cannot be
    pickled, leave it out, and say whether code may use it."""
    from jug.compiler.replay import TopLevelReason, referenced_names

    used = referenced_names(_carried_functions(carried, payload.functions))
    lazy = _lazy_attributes(carried, used, payload.rows, index_of_hash)
    try:
        return EncodedPayload(_PayloadPickler(index_of_hash, carried, lazy=lazy).dumps(
            payload.to_pickle()))
    except Exception as error:  # find the culprits
        failures = _unpicklable_attributes(carried, index_of_hash)
        if not failures:
            raise PayloadError(_find_unpicklable(tasks, index_of_hash, error)) from error
    dropped = {}
    for module_name, attribute, _ in failures:
        dropped.setdefault(module_name, set()).add(attribute)
    try:
        data = _PayloadPickler(index_of_hash, carried, dropped, lazy=lazy).dumps(
            payload.to_pickle())
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
    return EncodedPayload(data, tuple(not_carried), tuple(top_level))


def _lazy_attributes(carried, used, rows, index_of_hash):
    """``{module name: (names, bytes)}``: the collections of tasks no code
    names, pickled apart to be decoded only when read
    (:class:`jug.compiler.replay.LazyAttributes`)."""
    from jug.compiler.replay import lazy_candidates

    argument_ids = set()
    for _, args, kwargs, _ in rows:
        argument_ids.update(map(id, args))
        argument_ids.update(map(id, kwargs.values()))
    lazy = {}
    for module in carried:
        candidates = lazy_candidates(module, used, argument_ids)
        kept = {}
        for name, value in candidates.items():
            try:
                _PayloadPickler(index_of_hash, carried, standalone=True).dumps(value)
            except Exception:  # noqa: BLE001 - then it travels with the module
                continue
            kept[name] = value
        if kept:
            data = _PayloadPickler(index_of_hash, carried, standalone=True).dumps(kept)
            lazy[module.__name__] = (tuple(kept), data)
    return lazy


def _unpicklable_attributes(carried, index_of_hash):
    """``(module name, attribute, why)`` of the attributes of the carried
    modules that cannot be pickled (each tried on its own)."""
    failures = []
    for module in carried:
        from jug.compiler.replay import carried_namespace

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


class PayloadError(JugError):
    """The functions or arguments of some task cannot be pickled."""


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
    """The execution payload: the jugfile's module name, the ``modules``
    carried with their state (the jugfile's first, then the user's local
    modules; rebuilt and installed in ``sys.modules`` as they are
    unpickled), the task ``functions``, one row per task, the ``hooks`` the
    jugfile registered, and the values of the process ``settings`` to
    replay (``(name, value)``, see :data:`jug.compiler.replay.SETTINGS`).

    It is pickled as the plain tuple :meth:`to_pickle` gives (modules first,
    so that everything after finds them made), and each row is a tuple
    ``(function index, args, kwargs, needs_value)``, made by
    :func:`encode_payload` and read by :meth:`call`: a payload has one row
    per task, and tuples pickle and unpickle about four times faster than
    dataclass instances."""

    module_name: str
    modules: tuple
    functions: tuple
    rows: list
    hooks: tuple
    settings: tuple = ()

    def call(self, i):
        """The :class:`TaskCall` of task ``i``."""
        function_index, args, kwargs, needs_value = self.rows[i]
        return TaskCall(self.functions[function_index], args, kwargs, needs_value)

    def to_pickle(self):
        return (self.module_name, list(self.modules), list(self.functions), self.rows,
                list(self.hooks), list(self.settings))

    @classmethod
    def from_pickle(cls, data):
        module_name, modules, functions, rows, hooks, settings = data
        return cls(module_name, tuple(modules), tuple(functions), rows, tuple(hooks),
                   tuple(settings))


def payload_blob_name(data):
    """The blob name of payload bytes ``data``: named by their content, so
    a damaged blob is recognised (and equal payloads are stored once).  The
    plain SHA-1 of the bytes (``jug.hash.hash_bytes``, which a worker need
    not import)."""
    import hashlib

    return "payload-" + hashlib.sha1(data, usedforsecurity=False).hexdigest()


def decode_payload(data, graph, store, blob_name=None):
    """Rebuild functions and arguments; task references become stub tasks
    that load their value from ``store``.  The carried modules (the
    jugfile's and the user's, as the top level left them) are installed in
    ``sys.modules`` (without running them), so that ``import config`` in a
    task finds them and results that are instances of their classes pickle
    and unpickle.  The process settings are not applied here
    (:class:`jug.compiler.replay.Replay` does).

    ``blob_name`` (the name the bytes were read from) is checked against the
    content first.  ManifestError when the bytes are damaged or cannot be
    decoded here (the caller re-traces; ``sys.modules`` is left as it was)."""
    if blob_name is not None and payload_blob_name(data) != blob_name:
        raise ManifestError(f"the manifest payload {blob_name} is damaged (its content does "
                            "not match its name)")
    stubs = StubTable(graph, store)

    class Unpickler(pickle.Unpickler):
        def find_class(self, module, name):
            if module == __name__ and name == "_task_reference":
                return stubs.__getitem__
            return super().find_class(module, name)

    modules_before = dict(sys.modules)
    try:
        payload = Payload.from_pickle(Unpickler(io.BytesIO(data)).load())
    except Exception as error:
        for name in [name for name in sys.modules if name not in modules_before]:
            del sys.modules[name]
        sys.modules.update(modules_before)
        raise ManifestError(f"the manifest payload cannot be decoded ({error})") from None
    from jug.compiler.replay import LazyAttributes
    from jug.context import current_context

    for module in payload.modules:
        lazy = vars(module).get("__getattr__")
        if isinstance(lazy, LazyAttributes):
            lazy.stubs = stubs
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
