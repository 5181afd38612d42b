"""Compiling a jugfile into a manifest, and getting a fresh one.

:func:`compile_jugfile` traces the jugfile (recording its inputs), hashes
every task, and saves the manifest and its payload in the store.
:func:`obtain_manifest` is what every command calls: it loads the stored
manifest and checks it is fresh (a few ``stat`` calls and one look at the
store); when it is stale, missing or unreadable, one process re-traces (under
a lock in the store) while the others wait for the new manifest.
"""

import dataclasses
import os
import sys
import time
from array import array

from jug.compiler.freshness import (PYTHON_VERSION, InputRecorder, check_inputs,
                                    environment_fingerprint, fingerprint_trace, user_modules)
from jug.compiler.manifest import (FORMAT_VERSION, Manifest, ManifestHeader, PayloadError,
                                   Question, decode_manifest, encode_manifest, encode_payload,
                                   manifest_key, payload_blob_name)
from jug.errors import ManifestError
from jug.version import __version__


@dataclasses.dataclass(frozen=True)
class CompileResult:
    """A freshly traced manifest, with the live trace it came from."""

    manifest: object  # Manifest
    trace: object  # Trace
    seconds: float
    blob_name: str
    manifest_bytes: int
    payload_bytes: int


def compile_jugfile(jugfile, store, argv=None):
    """Trace ``jugfile`` and save its manifest in ``store``."""
    from jug.compiler.trace import trace_jugfile

    argv = list(argv) if argv is not None else [jugfile]
    started = time.perf_counter()
    from jug.context import current_context

    hooks = current_context().hooks  # the registry the trace registers into
    modules_before = set(sys.modules)
    hooks_mark = hooks.mark()
    with InputRecorder() as recorder:
        trace = trace_jugfile(jugfile, store, argv=argv)
    jugfile_hooks = hooks.since(hooks_mark)
    modules = user_modules(jugfile, modules_before)
    graph = trace.graph
    inputs = fingerprint_trace(jugfile, recorder, modules, _store_location(store))
    questions = _questions(trace.context.store_questions, graph)
    payload_name, payload_error, payload_bytes = None, None, 0
    try:
        payload = encode_payload(trace.module, trace.tasks, graph, modules, jugfile_hooks)
    except PayloadError as error:
        payload_error = str(error)
    else:
        payload_name = payload_blob_name(payload)
        if store.blob_info(payload_name) is None:
            store.put_blob(payload_name, payload)
        payload_bytes = len(payload)
    env = environment_fingerprint(argv)
    header = ManifestHeader(
        version=FORMAT_VERSION, jug_version=env["jug"], python=env["python"],
        jugfile=os.path.basename(jugfile), module=trace.module.__name__, argv=tuple(argv),
        names=tuple(graph.names), task_count=len(graph), edge_count=graph.edge_count,
        stopped_at=trace.stopped_at, inputs=tuple(inputs), questions=tuple(questions),
        payload=payload_name, payload_error=payload_error,
        fallbacks=tuple(sorted(trace.context.hash_memo.fallbacks.items())),
    )
    lines = array("i", [task.line for task in trace.tasks])
    data = encode_manifest(header, graph, lines)
    blob_name = manifest_key(jugfile, argv)
    store.put_blob(blob_name, data)
    manifest = Manifest(header, graph, lines, blob_name)
    return CompileResult(manifest=manifest, trace=trace, seconds=time.perf_counter() - started,
                         blob_name=blob_name, manifest_bytes=len(data), payload_bytes=payload_bytes)


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
    reason = check_inputs(header.inputs)
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


def load_manifest(store, blob_name):
    """``(manifest or None, why it is unusable or None)``."""
    data = store.get_blob(blob_name)
    if data is None:
        return None, None
    try:
        return decode_manifest(data, blob_name), None
    except ManifestError as error:
        return None, str(error)


# How long a worker waits for another one's re-trace before checking again.
_RETRACE_POLL = 0.05
_RETRACE_POLL_MAX = 1.0


def obtain_manifest(jugfile, store, argv=None, keys=None, announce=None):
    """A fresh manifest for ``jugfile``: ``(manifest, trace or None)``.

    ``trace`` is set when this process traced (its live tasks can run
    directly).  ``announce(line)`` is told why a re-trace happened
    (default: print on stderr)."""
    argv = list(argv) if argv is not None else [jugfile]
    announce = announce or (lambda line: print(line, file=sys.stderr))
    blob_name = manifest_key(jugfile, argv)
    lock_name = "retrace-" + blob_name[len("manifest-"):]
    poll = _RETRACE_POLL
    announced = False
    while True:
        manifest, unreadable = load_manifest(store, blob_name)
        reason = unreadable
        if manifest is not None:
            reason = stale_reason(manifest, store, argv, keys)
            if reason is None:
                return manifest, None
        keys = None  # after waiting, the caller's listing is out of date
        if store.lock(lock_name):
            try:
                manifest, _ = load_manifest(store, blob_name)
                if manifest is not None and stale_reason(manifest, store, argv) is None:
                    return manifest, None
                if reason and not announced:
                    announce(f"jug: {reason}: re-tracing {jugfile}")
                result = compile_jugfile(jugfile, store, argv)
                return result.manifest, result.trace
            finally:
                store.unlock(lock_name)
        info = store.lock_info(lock_name)
        if info is not None and info.is_stale():
            store.break_stale_lock(lock_name)
            continue
        if reason and not announced:
            announce(f"jug: {reason}: waiting for another process to re-trace {jugfile}")
            announced = True
        time.sleep(poll)
        poll = min(poll * 2, _RETRACE_POLL_MAX)
