"""Starting a worker on one stage of a manifest: how its tasks will be
computed, in a process prepared as the original's would be.

:func:`prepared_worker` gives the graph and the :class:`jug.runners.Runner`
of a stage, and afterwards puts the process back as it was (so a re-trace
at the next barrier starts from the same process as ``jug compile``):

* this process has just traced the jugfile: its live tasks, in the process
  its top level prepared;
* otherwise, normally: replay what the top level changed
  (:class:`jug.compiler.replay.Replay`), decode the payload (the jugfile's
  and the user's modules as the top level left them), and run from it;
* when the top level must run (the manifest says so: it changes what
  cannot be replayed; ``jug execute --run-jugfile``; the payload could not
  be made): run it once, as the original does, and still take the graph
  from the manifest after checking that the top level created the same
  tasks (else re-trace).
"""

import contextlib
import sys


def _log():
    import logging  # only when something is logged: it costs start-up time

    return logging.getLogger("jug")


@contextlib.contextmanager
def prepared_worker(options, store, manifest, trace, run_jugfile=False):
    """``with prepared_worker(...) as (graph, runner):`` (see the module
    docstring); ``trace`` is the live trace when this process just traced.
    A user's module that the top level or a task imports is loaded by its
    content, never from a stale ``.pyc`` (:mod:`jug.compiler.sources`)."""
    from jug.compiler.sources import importing_by_content

    with importing_by_content(), _prepared(options, store, manifest, trace,
                                           run_jugfile) as prepared:
        yield prepared


@contextlib.contextmanager
def _prepared(options, store, manifest, trace, run_jugfile):
    if trace is not None:
        with _restoring(trace):
            yield trace.graph, _trace_runner(trace)
        return
    header = manifest.header
    reason = _why_run_top_level(header, run_jugfile)
    data = None
    if reason is None:
        from jug.compiler.manifest import BLOB_READS

        data = BLOB_READS.read(store, header.payload)
        if data is None:
            reason = "the manifest payload is missing"
            print(f"jug: {reason}: running the top level of {options.jugfile}", file=sys.stderr)
    if data is not None:
        with _replayed(options, store, manifest, data) as prepared:
            yield prepared
        return
    _log().info("jug: running the top level of %s before its tasks (%s)", options.jugfile,
                reason)
    with _top_level_run(options, store, manifest) as prepared:
        yield prepared


def _why_run_top_level(header, run_jugfile):
    """Why this worker runs the jugfile's top level, or None to replay."""
    if run_jugfile:
        return "--run-jugfile"
    if header.replay.runs_top_level:
        return header.replay.top_level[0].text()
    if header.payload is None:
        return header.payload_error or "the manifest has no payload"
    return None


def _trace_runner(trace):
    from jug.runners import TraceRunner

    return TraceRunner(trace.tasks)


@contextlib.contextmanager
def _restoring(trace):
    try:
        yield
    finally:
        if trace.before is not None:
            trace.before.restore()


@contextlib.contextmanager
def _replayed(options, store, manifest, data):
    from jug.compiler.manifest import decode_payload
    from jug.compiler.replay import Replay
    from jug.errors import ManifestError
    from jug.runners import ManifestRunner

    header = manifest.header
    replay = Replay(header.replay, options.jugfile, options.argv)
    replay.apply_process()  # before decoding: imports may read the environment and sys.path
    try:
        payload, stubs = decode_payload(data, manifest.graph, store, header.payload)
    except ManifestError as error:
        damaged = error
    else:
        damaged = None
    if damaged is not None:
        replay.restore()
        # Compile again: that writes the payload anew for the next workers.
        from jug.compiler.build import compile_jugfile

        print(f"jug: {damaged}: re-tracing {options.jugfile}", file=sys.stderr)
        store.remove_blob(header.payload)
        trace = compile_jugfile(options.jugfile, store, options.argv).trace
        with _restoring(trace):
            yield trace.graph, _trace_runner(trace)
        return
    try:
        replay.apply_settings(payload.settings)
        yield manifest.graph, ManifestRunner(manifest.graph, payload, stubs)
    finally:
        replay.restore()


@contextlib.contextmanager
def _top_level_run(options, store, manifest):
    """Run the top level, as the original does; the graph is the manifest's
    when the top level created the same tasks."""
    from jug.compiler.trace import trace_jugfile

    trace = trace_jugfile(options.jugfile, store, argv=options.argv)
    expected = manifest.graph.hashes  # a Digests, read in chunks
    if len(trace.graph) != len(expected) or list(trace.graph.hashes) != list(expected):
        from jug.compiler.build import compile_jugfile

        trace.before.restore()
        print(f"jug: the top level of {options.jugfile} created other tasks than its manifest "
              f"lists ({_first_difference(trace.graph, manifest.graph)}): re-tracing "
              f"{options.jugfile}", file=sys.stderr)
        trace = compile_jugfile(options.jugfile, store, options.argv).trace
        with _restoring(trace):
            yield trace.graph, _trace_runner(trace)
        return
    with _restoring(trace):
        yield manifest.graph, _trace_runner(trace)


def _first_difference(found, expected):
    for i, (a, b) in enumerate(zip(found.hashes, expected.hashes)):
        if a != b:
            return f"task {i + 1} is {found.name(i)}, the manifest has {expected.name(i)}"
    return f"{len(found)} tasks, the manifest has {len(expected)}"
