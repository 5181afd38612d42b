"""The library functions behind the commands: open the store, get a fresh
manifest of the jugfile, and run, report or check its tasks.

Each command-line command calls exactly one function of this package;
those of ``jug compile`` (:func:`jug.project.compile.compile_command`),
``jug graph`` (:func:`jug.project.draw.draw_graph`), ``jug cleanup``
(:mod:`jug.project.cleanup`), ``jug demo`` (:mod:`jug.project.demo`),
``jug pack`` (:mod:`jug.project.pack`) and ``jug execute -j``
(:mod:`jug.project.workers`) live in their own modules, imported only by
their commands.  None of them runs the jugfile while its manifest is fresh.
"""

import sys
import time


def open_project_store(options):
    from jug.store import StoreSettings, open_store

    settings = StoreSettings.from_environment(lease=getattr(options, "lease", None),
                                              redis_retry=getattr(options, "redis_retry", None))
    return open_store(options.jugdir, settings)


def load_manifest(options, store, keys=None):
    """``(manifest, trace or None)``: a fresh manifest, re-traced if needed."""
    from jug.compiler.build import obtain_manifest

    return obtain_manifest(options.jugfile, store, argv=options.argv, keys=keys)


def manifest_and_results(options, store):
    """A fresh manifest and the set of finished keys, from one listing of
    the store (two when a re-trace may have saved results, as
    ``CachedFunction`` does)."""
    keys = store.list_keys()
    manifest, trace = load_manifest(options, store, keys)
    if trace is not None:
        keys = store.list_keys()
    return manifest, keys


def _pending_stage_text(manifest):
    if manifest.complete:
        return None
    return (f"the jugfile stopped at {manifest.header.stopped_at}: more tasks will appear "
            "once the tasks before it are finished")


def print_status(options, out=None, as_json=False):
    """``jug status``: print the table (``as_json``: the JSON document); 0
    when every task is finished."""
    from jug.graph import FINISHED
    from jug.status import print_report

    out = out or sys.stdout
    with open_project_store(options) as store:
        manifest, keys = manifest_and_results(options, store)
        report = _status_report(manifest, store, keys)
        if not report.all_finished and len(keys) >= 2 * report.count(FINISHED):  # jug 2.x?
            from jug.compat.detect import warn_if_original
            warn_if_original(options, store, manifest.graph, keys, report.count(FINISHED))
    print_report(report, options, out, as_json)
    return 0 if report.all_finished else 1


def project_status(options, store):
    """``(manifest, report)``: a fresh manifest and the
    :class:`jug.status.StatusReport` of its tasks, from one listing of the
    store's results and one of its locks."""
    manifest, keys = manifest_and_results(options, store)
    return manifest, _status_report(manifest, store, keys)


def _status_report(manifest, store, keys):
    from jug.status import status_report

    return status_report(manifest.graph, store, _pending_stage_text(manifest), keys,
                         stopped_at=manifest.header.stopped_at, fresh=manifest.fresh)


def check(options, verify=False):
    """``jug check``: True when every task (of every stage) is finished.

    A result counts when the store lists it; with ``verify``, every listed
    result is also loaded, and those that cannot be (damaged, or written by
    code this process cannot import) are reported on stderr by task name
    and do not count."""
    from jug.status import all_finished

    with open_project_store(options) as store:
        manifest, keys = manifest_and_results(options, store)
        if verify:
            keys = keys - set(_report_unloadable(options, store, manifest, keys))
        finished = manifest.complete and all_finished(manifest.graph, keys)
        if not finished:  # are the results there those of jug 2.x?
            from jug.compat.detect import warn_if_original
            warn_if_original(options, store, manifest.graph, keys)
        return finished


def _report_unloadable(options, store, manifest, keys):
    """Load every result of ``manifest``'s tasks in ``keys``; print one line
    per result that cannot be loaded and return their hashes."""
    from jug.errors import CorruptResult, ResultMissing

    from jug.project.worker import prepared_worker

    graph = manifest.graph
    bad = []
    # the jugfile's classes and functions, to unpickle with
    with prepared_worker(options, store, manifest, None):
        for i, digest in enumerate(graph.hashes):
            if digest not in keys:
                continue
            try:
                store.load(digest)
            except ResultMissing:
                bad.append(digest)  # removed since the listing: not finished either
            except CorruptResult as error:
                reason = error.reason or str(error)
                print(f"jug: the result of {graph.name(i)} (hash {digest}) cannot be loaded "
                      f"({reason}); `jug execute` computes it again", file=sys.stderr)
                bad.append(digest)
    return bad


def sleep_until(options, poll_time):
    """``jug sleep-until``: wait for every task; 1 if failures block progress."""
    from jug.graph import FAILED
    from jug.status import status_report

    with open_project_store(options) as store:
        while True:
            manifest, keys = manifest_and_results(options, store)
            report = status_report(manifest.graph, store, _pending_stage_text(manifest), keys)
            if report.all_finished:
                return 0
            if report.count(FAILED):
                print(f"jug: {report.count(FAILED)} tasks failed; nothing more will finish "
                      "until they are fixed (see `jug cleanup --failed-only`).", file=sys.stderr)
                return 1
            time.sleep(poll_time)


def execute(options, execute_options, check_environment=True, out=None, observer=None,
            report=True, run_jugfile=False):
    """``jug execute``: run tasks until none is left, moving on to the next
    barrier stage whenever one completes; returns the exit code.  Each
    stage's tasks run in the process the jugfile's top level would have
    prepared (:mod:`jug.project.worker`); ``run_jugfile`` runs the top level
    itself instead of replaying what it did.

    ``observer`` (:class:`jug.execution.Observer`) is told of each task
    (progress line, ``--verbose info``); without ``report`` (a worker of
    ``jug execute -j``) no citation and no table are printed."""
    import signal

    from jug.errors import ManifestError
    from jug.execution import ExecutionState, TaskFailed, execute_graph
    from jug.hooks import jug_hook
    from jug.io import print_task_summary_table
    from jug.project.worker import prepared_worker

    out = out or sys.stdout
    if check_environment:
        from jug.hooks.exit_checks import register_default_checks

        register_default_checks()
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    state = ExecutionState()
    failed = False
    known = None
    with open_project_store(options) as store:
        store.remove_dead_tempfiles()  # half-written files of workers killed before
        while True:
            manifest, trace = load_manifest(options, store)
            if known is None and not any(store.exists_many(manifest.graph.hashes[:8])):
                from jug.compat.detect import warn_if_original  # a jugdir of jug 2.x?
                warn_if_original(options, store, manifest.graph)
            if known == (len(manifest.graph), manifest.header.stopped_at):
                break  # the barrier did not open (its tasks were not selected)
            known = (len(manifest.graph), manifest.header.stopped_at)
            with prepared_worker(options, store, manifest, trace, run_jugfile) as (graph, runner):
                try:
                    outcome = execute_graph(graph, runner, store, execute_options, state,
                                            heartbeat_period=heartbeat_period(store),
                                            observer=observer)
                except TaskFailed as error:
                    _close(observer)
                    print(str(error), file=sys.stderr)
                    return 1
                except ManifestError:
                    if not _manifest_replaced(options, store, manifest):
                        raise
                    outcome = None  # a newer trace dropped this one's chunks: go on from it
            if outcome is None:
                known = None
                continue
            failed = failed or outcome.failed
            if manifest.complete or not outcome.all_finished:
                break
    _close(observer)
    jug_hook("execute.finished_pre_status")
    if report:
        if not options.will_cite:
            print(CITATION, file=out)
        print_task_summary_table(options, [("Executed", dict(state.executed)),
                                           ("Loaded", dict(state.loaded))], file=out)
    jug_hook("execute.finished_post_status")
    if failed:
        if report:  # a worker of `jug execute -j`: its parent says it for all
            print(f"jug: {len(state.errors)} tasks failed: "
                  + ", ".join(sorted({name for name, _, _ in state.errors})), file=sys.stderr)
        return EXIT_FAILED
    if not outcome.all_finished:
        if report:
            print("jug: some tasks could not be run (they are running elsewhere or depend on "
                  "failed tasks); see `jug status`.", file=sys.stderr)
        return EXIT_UNFINISHED
    return 0


def _manifest_replaced(options, store, manifest):
    """Has a newer trace replaced ``manifest``, taking with it the blobs
    only it used (:mod:`jug.compiler.blobs`), one of which this worker
    could not read?  Else the blob is damaged or missing for good."""
    from jug.compiler.build import find_manifest

    found = find_manifest(options.jugfile, store, list(options.argv))
    return found.manifest is None or found.manifest.blob_name != manifest.blob_name


def heartbeat_period(store):
    """How often a worker refreshes its locks: a minute, or a quarter of a
    shorter lease (``JUG_LEASE``)."""
    return min(60.0, store.lease / 4)


def _close(observer):
    close = getattr(observer, "close", None)
    if close is not None:
        close()


#: ``jug execute`` exit codes: a task failed here; tasks remain that this
#: worker gave up on (held by others past the wait, or waiting on tasks that
#: failed elsewhere, or on tasks not selected).
EXIT_FAILED = 1
EXIT_UNFINISHED = 3


def _exit_on_sigterm(signum, frame):
    # unwinds through the running task, whose `finally` releases its lock
    sys.exit(1)


CITATION = """\
If you use Jug in a published research paper please cite:

    Coelho, L.P., (2017). Jug: Software for Parallel Reproducible Computation in
    Python. Journal of Open Research Software. 5(1), p.30.

    http://doi.org/10.5334/jors.161

Use the --will-cite option to suppress this message
"""


def count_tasks(options, out=None):
    """``jug count``: the table of tasks per name (group ``Count``)."""
    import collections

    from jug.io import print_task_summary_table

    out = out or sys.stdout
    with open_project_store(options) as store:
        manifest, _ = load_manifest(options, store)
    graph = manifest.graph
    counts = collections.Counter(graph.name_ids)
    print_task_summary_table(options, [("Count", {graph.names[name_id]: count for name_id, count
                                                  in counts.items()})], file=out)
    pending = _pending_stage_text(manifest)
    if pending:
        print(f"Note: {pending}.", file=out)
    return 0


def invalidate(options, name=None, pattern=None, out=None):
    """``jug invalidate``: remove the results of the tasks matching
    ``name``/``pattern`` and of everything downstream of them."""
    from jug.graph import select_tasks
    from jug.io import print_task_summary_table
    from jug.selection import matcher_from_options

    out = out or sys.stdout
    matches = matcher_from_options(name, pattern)
    with open_project_store(options) as store:
        manifest, _ = load_manifest(options, store)
        graph = manifest.graph
        doomed = select_tasks(graph, matches, downstream=True)
        if not doomed:
            print("No results invalidated.", file=out)
            return 0
        removed = store.remove_many([graph.hashes[i] for i in doomed])
    if not removed:
        print("Tasks invalidated, but no results removed", file=out)
        return 0
    counts = {}
    for i in doomed:
        if graph.hashes[i] in removed:
            counts[graph.name(i)] = counts.get(graph.name(i), 0) + 1
    print_task_summary_table(options, [("Invalidated", counts)], file=out)
    return 0
