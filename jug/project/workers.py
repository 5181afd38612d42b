"""``jug execute -j N``: N worker processes on this machine.

Each worker is a ``jug execute`` process of its own, started with the same
command line, so the workers coordinate only through the store, exactly as
workers started by hand (or on other machines) do.  The parent traces the
jugfile first (so the workers start from a fresh manifest), then only
listens: each worker writes one line per event on its standard output
(:class:`jug.project.progress.EventWriter`), from which the parent draws the
progress line and, at the end, prints one summary table for all of them.
The workers' standard error is the parent's.

Ctrl-C (SIGINT) or SIGTERM to the parent stops every worker with SIGTERM:
the task each one runs is interrupted and its lock released (a worker's
SIGINT is ignored, so that a Ctrl-C at the terminal, which reaches the whole
process group, reaches the workers only through the parent, once).  A
worker still alive after :data:`STOP_TIMEOUT` seconds is killed; its lock is
then stale and reclaimed by the next worker.
"""

import signal
import subprocess
import sys

#: seconds a worker has to stop after SIGTERM before it is killed
STOP_TIMEOUT = 30.0
#: the exit code after an interruption (128 + SIGINT, as a shell reports it)
INTERRUPTED = 130
# A worker starts with the parent's sys.path entries it lacks (JUG_WORKER_PATH,
# read and removed first): jug, and what it imports, may be reachable only
# through the sys.path of a script that put them there before calling jug.
_WORKER = ("import os, sys; sys.path[:0] = [p for p in os.environ.pop('JUG_WORKER_PATH', '')"
           ".split(os.pathsep) if p and p not in sys.path]; "
           "from jug.cli import run; run()")


class _Stop(Exception):
    """SIGTERM reached the parent."""


def worker_arguments(args):
    """The command line of one worker: the parent's ``args`` (after
    ``jug``) without ``-j N``/``--jobs N``, plus the options that make it a
    worker (before ``--``: what follows belongs to the jugfile)."""
    if "--" in args:
        cut = args.index("--")
        head, tail = list(args[:cut]), list(args[cut:])
    else:
        head, tail = list(args), []
    kept = []
    skip = False
    for word in head:
        if skip:
            skip = False
        elif word in ("-j", "--jobs"):
            skip = True
        elif not (word.startswith("--jobs=") or (word.startswith("-j") and word[2:].isdigit())):
            kept.append(word)
    return kept + ["--jobs", "1", "--worker-events", "--will-cite"] + tail


def run_workers(options, args, jobs, select=None, out=None):
    """Run ``jobs`` workers to completion; returns the exit code
    (:func:`exit_code`, :data:`INTERRUPTED` after Ctrl-C)."""
    from jug.project import load_manifest, open_project_store
    from jug.project.progress import ProgressLine, _is_terminal

    out = out or sys.stdout
    if args is None:
        raise RuntimeError("jug execute -j needs the command line (run it through jug.cli.main)")
    with open_project_store(options) as store:
        manifest, _ = load_manifest(options, store)
        keys = store.list_keys()
    graph = manifest.graph
    selected = [select is None or select(name) for name in graph.names]
    chosen = [i for i in range(len(graph)) if selected[graph.name_ids[i]]]
    run = _Run(done={graph.hashes[i] for i in chosen if graph.hashes[i] in keys},
               total=len(chosen))
    verbose = options.verbose.lower() in ("info", "debug")
    if not verbose and _is_terminal(sys.stderr):
        run.progress = ProgressLine()
        run.progress.set_counts(len(run.done), run.total)
    command = [sys.executable, "-c", _WORKER, *worker_arguments(args)]
    environment = worker_environment()
    previous = signal.signal(signal.SIGTERM, _raise_stop)
    workers = []
    try:
        for _ in range(jobs):
            workers.append(subprocess.Popen(command, stdout=subprocess.PIPE, env=environment,
                                            stdin=subprocess.DEVNULL, text=True, bufsize=1))
        run.listen(workers)
        codes = [worker.wait() for worker in workers]
    except (KeyboardInterrupt, _Stop):
        run.close()
        stopped, killed = stop_workers(workers)
        line = (f"jug: interrupted: {stopped} of {len(workers)} workers stopped, their locks "
                "released")
        if killed:
            line += (f"; {killed} did not stop within {STOP_TIMEOUT:.0f} s and were killed "
                     "(their locks are stale: the next worker reclaims them)")
        print(line, file=sys.stderr)
        return INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, previous)
    run.close()
    _report(options, run, out)
    return exit_code(codes)


def worker_environment():
    """The workers' environment: this one, and the sys.path this process
    started with (:data:`jug.cli.STARTUP_PATH`: before a jugfile changed
    it, as a separately started worker has it), in ``JUG_WORKER_PATH``."""
    import os

    from jug.cli import STARTUP_PATH

    return {**os.environ, "JUG_WORKER_PATH": os.pathsep.join(STARTUP_PATH)}


def exit_code(codes, out=None):
    """The exit code of ``jug execute -j`` from its workers' ``codes``
    (``Popen.returncode``: -N for a worker killed by signal N): 1 when a
    worker failed a task or stopped on an error, else 128 + N when one was
    killed by signal N, else the highest (3: a worker gave up on tasks held
    too long or waiting on failed ones).  A killed worker is named on
    ``out`` (stderr)."""
    out = out or sys.stderr
    killed = [(number, -code) for number, code in enumerate(codes, 1) if code < 0]
    for number, signum in killed:
        print(f"jug: worker {number} of {len(codes)} was killed by {_signal_name(signum)}; "
              "the lock of a task it ran is stale and taken over by the next worker",
              file=out)
    if 1 in codes:
        return 1
    if killed:
        return 128 + killed[0][1]
    return max(codes, default=0)


def _signal_name(signum):
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def _raise_stop(signum, frame):
    raise _Stop()


def stop_workers(workers):
    """SIGTERM every live worker and wait; ``(stopped, killed)``."""
    alive = [worker for worker in workers if worker.poll() is None]
    for worker in alive:
        try:
            worker.send_signal(signal.SIGTERM)
        except ProcessLookupError:
            pass
    killed = 0
    for worker in alive:
        try:
            worker.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
            killed += 1
    for worker in workers:
        if worker.stdout is not None:
            worker.stdout.close()
    return len(workers) - killed, killed


class _Run:
    """What the parent knows: the tasks done, the total, what each worker
    ran and what failed."""

    def __init__(self, done, total):
        self.done = done
        self.total = total
        self.executed = {}
        self.failed = []
        self.progress = None

    def listen(self, workers):
        import selectors

        selector = selectors.DefaultSelector()
        for worker in workers:
            selector.register(worker.stdout, selectors.EVENT_READ)
        open_pipes = len(workers)
        while open_pipes:
            for key, _ in selector.select():
                line = key.fileobj.readline()
                if not line:
                    selector.unregister(key.fileobj)
                    open_pipes -= 1
                    continue
                self.event(line.split())
        selector.close()

    def event(self, words):
        if not words:
            return
        kind = words[0]
        if kind == "stage" and len(words) == 3:
            self.total = max(self.total, int(words[2]))
            if self.progress is not None:
                self.progress.set_counts(len(self.done), self.total)
        elif kind in ("finished", "found") and len(words) >= 2:
            if kind == "finished" and len(words) == 3:
                self.executed[words[2]] = self.executed.get(words[2], 0) + 1
            if words[1] not in self.done:
                self.done.add(words[1])
                if self.progress is not None:
                    self.progress.advance()
        elif kind == "failed" and len(words) == 3:
            self.failed.append(words[2])
            if self.progress is not None:
                self.progress.failed(None)

    def close(self):
        if self.progress is not None:
            self.progress.close()
            self.progress = None


def _report(options, run, out):
    """The citation, one table for every worker, the failures."""
    from jug.io import print_task_summary_table
    from jug.project import CITATION, manifest_and_results, open_project_store

    with open_project_store(options) as store:
        manifest, keys = manifest_and_results(options, store)
    graph = manifest.graph
    finished = {}
    for i, digest in enumerate(graph.hashes):
        if digest in keys:
            finished[graph.name(i)] = finished.get(graph.name(i), 0) + 1
    loaded = {name: max(0, count - run.executed.get(name, 0)) for name, count in finished.items()}
    if not options.will_cite:
        print(CITATION, file=out)
    print_task_summary_table(options, [("Executed", run.executed), ("Loaded", loaded)], file=out)
    if run.failed:
        print(f"jug: {len(run.failed)} tasks failed: " + ", ".join(sorted(set(run.failed))),
              file=sys.stderr)
