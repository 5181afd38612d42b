"""Compiling a jugfile into a manifest, and getting a fresh one.

:func:`compile_jugfile` traces the jugfile (observing what its top level
reads, :mod:`jug.compiler.observe`), hashes every task, and saves the
manifest and its payload in the store, listed in the index of candidates
for this jugfile and arguments (:mod:`jug.compiler.index`).
:func:`obtain_manifest` is what every command calls: it tries the stored
candidates that match this environment and takes the first fresh one (a few
``stat`` calls and one look at the store); when none is, one process
re-traces (under a lock in the store), saying why on stderr, while the
others wait for the new manifest.  A volatile trace is never reused: every
command traces again, as the original jug does, and says why.
"""

import dataclasses
import gc
import os
import sys
import time
from array import array
from operator import attrgetter

from jug.compiler.freshness import (PYTHON_VERSION, check_inputs, check_stats,
                                    check_variables, environment_fingerprint,
                                    record_observations, user_modules)
from jug.compiler.index import (Candidate, add_candidate, candidate_blob_name, index_name,
                                read_index)
from jug.compiler.manifest import (BLOB_READS, FORMAT_VERSION, BackgroundBlobs, Manifest,
                                   ManifestHeader, PayloadError, Question, chunk_tasks,
                                   decode_manifest, encode_manifest, encode_payload,
                                   encode_sections, manifest_key,
                                   payload_blob_name, raw_digests, store_hash_chunks,
                                   store_hash_index)
from jug.errors import ManifestError
from jug.version import __version__


@dataclasses.dataclass(frozen=True)
class CompileResult:
    """A freshly traced manifest, with the live trace it came from.
    ``blob_name`` is None for a volatile trace (not stored)."""

    manifest: object  # Manifest
    trace: object  # Trace
    seconds: float
    blob_name: str | None
    manifest_bytes: int
    payload_bytes: int

    @property
    def volatile(self):
        return bool(self.manifest.header.volatile)


def compile_jugfile(jugfile, store, argv=None):
    """Trace ``jugfile`` and save its manifest in ``store`` (a volatile
    trace's manifest is not saved: its index entry says it is volatile)."""
    from jug.compiler.trace import frozen_gc

    with frozen_gc():  # the trace's objects stay alive until the end
        return _compile(jugfile, store, argv)


def _compile(jugfile, store, argv):
    from jug.compiler.observe import Observer
    from jug.compiler.replay import ProcessSnapshot
    from jug.compiler.trace import trace_jugfile

    argv = list(argv) if argv is not None else [jugfile]
    started = time.perf_counter()
    from jug.context import current_context

    hooks = current_context().hooks  # the registry the trace registers into
    modules_before = set(sys.modules)
    hooks_mark = hooks.mark()
    # before the observer wraps builtins, os and sys.stdin: its wrappers are
    # not changes of the top level
    before = ProcessSnapshot.capture()
    with Observer() as observer:
        trace = trace_jugfile(jugfile, store, argv=argv, before=before)
    jugfile_hooks = hooks.since(hooks_mark)
    modules = user_modules(jugfile, modules_before)
    graph = trace.graph
    observed = record_observations(jugfile, observer, modules, _store_location(store))
    questions = _questions(trace.context.store_questions, graph)
    replay, payload = process_changes(trace, modules)
    payload_name, payload_error, payload_bytes = None, None, 0
    chunk_size = chunk_tasks()
    blobs = BackgroundBlobs(store)  # the chunks, written while the rest is computed
    try:
        return _write_manifest(jugfile, store, argv, blobs, trace, graph, observed, questions,
                               replay, payload, modules, jugfile_hooks, chunk_size, started)
    except BaseException:
        blobs.close(quiet=True)  # this error, not a later one of the writer
        raise


def _write_manifest(jugfile, store, argv, blobs, trace, graph, observed, questions, replay,
                    payload, modules, jugfile_hooks, chunk_size, started):
    payload_name, payload_error, payload_bytes = None, None, 0
    # A volatile trace is run by every command itself; when workers run the
    # top level, they read no payload.
    if not observed.volatile and not replay.runs_top_level:
        try:
            encoded = encode_payload(trace.module, trace.tasks, graph, modules, jugfile_hooks,
                                     payload, store=blobs,
                                     shared=trace.context.hash_memo.shared_objects(),
                                     chunk_size=chunk_size)
        except PayloadError as error:
            payload_error = str(error)
        else:
            replay = dataclasses.replace(replay, not_carried=encoded.not_carried,
                                         top_level=encoded.top_level)
            if not encoded.top_level:
                payload_name = payload_blob_name(encoded.data)
                if blobs.blob_info(payload_name) is None:
                    blobs.put_blob(payload_name, encoded.data)
                payload_bytes = encoded.stored
    # What is left to write needs no hash lookups: drop the {hash: index}
    # dict (about 60 MB at a million tasks) before the peak of a compile,
    # the reverse edges.  The payload's picklers hold it, and classes are
    # in reference cycles: they go at a collection (a quick one: the
    # trace's objects are frozen).
    graph.forget_index()
    gc.collect()
    env = environment_fingerprint(argv)
    header = ManifestHeader(
        version=FORMAT_VERSION, jug_version=env["jug"], python=env["python"],
        jugfile=os.path.basename(jugfile), module=trace.module.__name__, argv=tuple(argv),
        names=tuple(graph.names), task_count=len(graph), edge_count=graph.edge_count,
        stopped_at=trace.stopped_at, inputs=observed.inputs, questions=tuple(questions),
        payload=payload_name, payload_error=payload_error,
        fallbacks=tuple(sorted(trace.context.hash_memo.fallbacks.items())),
        stats=observed.stats, variables=observed.variables, volatile=observed.volatile,
        replay=replay,
    )
    lines = array("i", list(map(attrgetter("line"), trace.tasks)))
    # the columns first (the reverse edges and the sections' temporaries),
    # then the hashes (their raw bytes, the index's buffers, and what the
    # writer holds): the memory of one is freed before the other's is taken
    sections = encode_sections(graph, lines)
    hash_chunks, hash_bytes, hash_index, index_bytes = [], 0, None, 0
    if not header.volatile:
        raw = raw_digests(graph)  # for both (the chunks are views of it)
        hash_chunks, hash_bytes = store_hash_chunks(blobs, graph, chunk_size, raw)
        blobs.commit()  # the durable blobs are all queued: flushed before the index's 24 MB
        hash_index, index_bytes = store_hash_index(blobs, graph, chunk_size, raw)
        del raw
    data = encode_manifest(header, graph, lines, hash_chunks, chunk_size, hash_index, sections)
    blobs.close()  # the manifest refers to them: they are stored first
    blob_name = None if header.volatile else candidate_blob_name(jugfile, argv, data)
    if blob_name is not None and store.blob_info(blob_name) is None:
        store.put_blob(blob_name, data)
    add_candidate(store, index_name(jugfile, argv), Candidate.of(blob_name, header))
    manifest = Manifest(header, graph, lines, blob_name or manifest_key(jugfile, argv), chunk_size)
    if blob_name is not None:
        _remember(store, blob_name, manifest)
    return CompileResult(manifest=manifest, trace=trace, seconds=time.perf_counter() - started,
                         blob_name=blob_name, manifest_bytes=len(data) + hash_bytes + index_bytes,
                         payload_bytes=payload_bytes)


def process_changes(trace, modules):
    """``(ProcessChanges, setting values)``: what ``trace``'s top level changed
    in the process (the changes workers replay, the local ``modules``
    carried with their state, and the reasons workers must run the top
    level instead, found by comparing the process and, statically, by
    :mod:`jug.compiler.toplevel`)."""
    from jug.compiler.replay import record_changes
    from jug.compiler.toplevel import unreplayable_calls

    changes, values = record_changes(trace.baseline, trace.jugfile)
    calls = unreplayable_calls(trace.jugfile, modules, trace.module.__name__)
    carried = ((trace.module.__name__, trace.jugfile),
               *((name, _shown(path)) for name, path in sorted(modules.items())))
    return dataclasses.replace(changes, modules=carried,
                               top_level=calls + changes.top_level), values


def _shown(path):
    relative = os.path.relpath(path)
    return path if relative.startswith(os.pardir) else relative


def _store_location(store):
    path = getattr(store, "path", None)
    return os.path.abspath(path) if isinstance(path, str) else None


def _questions(store_questions, graph):
    questions = []
    for kind, hashes, answer in store_questions:
        indices, extra = [], []
        for digest in hashes:
            index = graph.index_of(digest)
            if index is None:
                extra.append(digest)
            else:
                indices.append(index)
        indices.sort()
        if kind == "barrier" and indices == list(range(len(indices))):
            questions.append(Question(kind, answer, upto=len(indices), extra=tuple(extra)))
        else:
            questions.append(Question(kind, answer, tasks=tuple(indices), extra=tuple(extra)))
    return questions


def stale_reason(manifest, store, argv, keys=None):
    """Why ``manifest`` no longer describes the jugfile, or None if fresh.

    ``keys`` (a store listing the caller already has) answers the store
    questions; otherwise one batched query is made."""
    header = manifest.header
    if header.jug_version != __version__:
        return f"jug changed ({header.jug_version} -> {__version__})"
    if header.python != PYTHON_VERSION:
        return f"Python changed ({header.python} -> {PYTHON_VERSION})"
    if list(header.argv) != list(argv):
        return "the jugfile's arguments changed"
    # inputs[0] is the jugfile: a store shared by two jugfiles of one name
    # must not give one the other's tasks
    written_for, ours = header.inputs[0].path if header.inputs else None, os.path.abspath(argv[0])
    if written_for is not None and written_for != ours:
        return f"the manifest in the store was written for {written_for}, not {ours}"
    if header.volatile:
        return header.volatile[0].description()
    reason = (check_variables(header.variables) or check_stats(header.stats)
              or check_inputs(header.inputs))
    if reason is not None:
        return reason
    if not header.questions:
        return None
    graph = manifest.graph
    wanted = [q.hashes(graph) for q in header.questions]
    if keys is None:
        flat = [h for hashes in wanted for h in hashes]
        if len(flat) > 5000:
            keys = store.list_keys()
        else:
            present = dict(zip(flat, store.exists_many(flat)))
            keys = {h for h, ok in present.items() if ok}
    for question, hashes in zip(header.questions, wanted):
        now = all(h in keys for h in hashes)
        if now != question.answer:
            if question.kind in ("barrier", "bvalue") and now:
                return f"{question.kind} passed"
            if question.kind == "compound" and now:
                return "a compound task finished"
            return f"a result read by {question.kind}() was removed"
    return None


# The manifest this process last read or wrote, per store and blob name, with
# the blob's (size, version) then: read again only when the blob changed.
_KNOWN = {}


def _remember(store, blob_name, manifest, info=None):
    _KNOWN.clear()  # one manifest at a time is what a command works on
    info = info or store.blob_info(blob_name)
    if info is not None:
        _KNOWN[id(store), blob_name] = (store, info, manifest)


def load_manifest(store, blob_name):
    """``(manifest or None, why it is unusable or None)``; the manifest this
    process already has when the blob has not changed since (a worker does
    not read it again between barrier stages, or after waiting)."""
    known = _KNOWN.get((id(store), blob_name))
    info = store.blob_info(blob_name)
    if info is None:
        return None, None
    if known is not None and known[0] is store and info == known[1]:
        return known[2], None
    data = BLOB_READS.read(store, blob_name)
    if data is None:
        return None, None
    try:
        manifest = decode_manifest(data, blob_name, store)
    except ManifestError as error:
        return None, str(error)
    _remember(store, blob_name, manifest, info)  # the version before the read
    return manifest, None


@dataclasses.dataclass(frozen=True)
class Lookup:
    """What the store holds for this jugfile, arguments and environment:
    a fresh ``manifest``, or ``volatile`` (the last trace of this
    environment was volatile: trace again at once), or neither, with
    ``reason`` saying why the most recent candidate does not do."""

    manifest: object = None  # Manifest
    volatile: object = None  # Candidate
    reason: str | None = None
    candidates: tuple = ()


def find_manifest(jugfile, store, argv, keys=None):
    """Try the stored candidates for ``jugfile`` and ``argv``, most recent
    first, skipping those of other environments without loading them; no
    user code runs."""
    candidates = tuple(read_index(store, index_name(jugfile, argv)))
    reason = None
    for candidate in candidates:
        why = candidate.mismatch()
        if why is None and candidate.blob is None:
            return Lookup(volatile=candidate, candidates=candidates)
        if why is None:
            manifest, why = load_manifest(store, candidate.blob)
            if manifest is not None:
                why = stale_reason(manifest, store, argv, keys)
                if why is None:
                    return Lookup(manifest=manifest, candidates=candidates)
            elif why is None:
                why = "its manifest was removed from the store"
        reason = reason or why
    return Lookup(reason=reason, candidates=candidates)


# How long a worker waits for another one's re-trace before checking again.
_RETRACE_POLL = 0.05
_RETRACE_POLL_MAX = 1.0


def obtain_manifest(jugfile, store, argv=None, keys=None, announce=None):
    """A fresh manifest for ``jugfile``: ``(manifest, trace or None)``.

    ``trace`` is set when this process traced (its live tasks can run
    directly).  ``announce(line)`` is told why a re-trace happened, and
    that a trace is volatile (default: print on stderr)."""
    argv = list(argv) if argv is not None else [jugfile]
    announce = announce or (lambda line: print(line, file=sys.stderr))
    key = manifest_key(jugfile, argv)
    lock_name = "retrace-" + key[len("manifest-"):]
    poll = _RETRACE_POLL
    announced = False
    while True:
        found = find_manifest(jugfile, store, argv, keys)
        if found.manifest is not None:
            return found.manifest, None
        if found.volatile is not None:  # every command traces, as jug does
            return _trace(jugfile, store, argv, announce)
        keys = None  # after waiting, the caller's listing is out of date
        if store.lock(lock_name):
            try:
                again = find_manifest(jugfile, store, argv)
                if again.manifest is not None:
                    return again.manifest, None
                reason = again.reason or found.reason
                if reason and not announced and again.volatile is None:
                    announce(f"jug: re-traced {jugfile}: {reason}")
                return _trace(jugfile, store, argv, announce)
            finally:
                store.unlock(lock_name)
        info = store.lock_info(lock_name)
        if info is not None and info.is_stale():
            store.break_stale_lock(lock_name)
            continue
        if found.reason and not announced:
            announce(f"jug: waiting for another process to re-trace {jugfile}: {found.reason}")
            announced = True
        time.sleep(poll)
        poll = min(poll * 2, _RETRACE_POLL_MAX)


def _trace(jugfile, store, argv, announce):
    result = compile_jugfile(jugfile, store, argv)
    if result.volatile:
        announce(result.manifest.header.volatile[0].line())
    return result.manifest, result.trace
