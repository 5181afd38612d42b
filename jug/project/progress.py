"""What ``jug execute`` shows while it runs: observers of the executor
(:class:`jug.execution.Observer`).

* :class:`ProgressLine`: on a terminal, one live line on stderr (done /
  total, rate, time left, failures), drawn by tqdm when it is installed
  (``pip install 'jug[progress]'``), else a plain line every
  :data:`PLAIN_EVERY` seconds (no cursor movement).  Never when stderr is
  not a terminal.  The per-name counts follow on exit, in the summary table.
* :class:`TaskLog`: ``--verbose info`` logs each task started and finished,
  as the original's ``INFO:root:Executing jugfile.f...`` lines.
* :class:`EventWriter`: a worker started by ``jug execute -j N`` writes one
  line per event on its standard output for its parent
  (:mod:`jug.project.workers`), which draws the progress line.

Why tqdm and optional: it is small (one pure-Python package without
dependencies), maintained for a decade, and imported only when a terminal
is there to draw on; jug's core stays as lean as before, and the plain line
serves where it is not installed.
"""

import sys
import time

from jug.execution import Observer

#: seconds between two plain progress lines (without tqdm)
PLAIN_EVERY = 10.0


def _duration(seconds):
    from jug.status import duration_text

    return duration_text(seconds)


class Observers(Observer):
    """Tells every one of ``observers``."""

    def __init__(self, observers):
        self.observers = [o for o in observers if o is not None]

    def stage(self, graph, done, total):
        for observer in self.observers:
            observer.stage(graph, done, total)

    def started(self, i):
        for observer in self.observers:
            observer.started(i)

    def finished(self, i):
        for observer in self.observers:
            observer.finished(i)

    def found(self, i):
        for observer in self.observers:
            observer.found(i)

    def failed(self, i):
        for observer in self.observers:
            observer.failed(i)

    def close(self):
        for observer in self.observers:
            close = getattr(observer, "close", None)
            if close is not None:
                close()


class TaskLog(Observer):
    """``--verbose info``: one log line when a task starts and one when it
    finishes or fails."""

    def __init__(self):
        import logging

        self.log = logging.getLogger("jug")
        self.graph = None
        self.started_at = {}

    def stage(self, graph, done, total):
        self.graph = graph
        self.log.info("Execute start (%d tasks, %d finished already)", total, done)

    def started(self, i):
        self.started_at[i] = time.perf_counter()
        self.log.info("Executing %s...", self.graph.name(i))

    def finished(self, i):
        seconds = time.perf_counter() - self.started_at.pop(i, time.perf_counter())
        self.log.info("Finished %s (%.3f s)", self.graph.name(i), seconds)

    def failed(self, i):
        self.started_at.pop(i, None)
        self.log.info("Failed %s", self.graph.name(i))


class ProgressLine(Observer):
    """The live progress line, counting tasks done (here or elsewhere) of
    the selected ones; the total grows as barrier stages appear."""

    def __init__(self, stream=None, clock=time.monotonic):
        self.stream = stream or sys.stderr
        self.clock = clock
        self.done = 0
        self.total = 0
        self.failures = 0
        self.bar = None
        self.plain_at = None
        try:
            import tqdm
        except ImportError:
            self.tqdm = None
        else:
            self.tqdm = tqdm.tqdm

    # -- counting ---------------------------------------------------------------

    def set_counts(self, done, total):
        self.total = max(total, self.done if done is None else done)
        if done is not None:
            self.done = done
        if self.tqdm is not None:
            if self.bar is None:
                self.bar = self.tqdm(total=self.total, initial=self.done, unit="task",
                                     file=self.stream, dynamic_ncols=True, smoothing=0.05,
                                     desc="jug", leave=True)
            else:
                self.bar.total = self.total
                self.bar.n = self.done
                self.bar.refresh()
        elif self.plain_at is None:
            self.plain_at = self.clock()
            self.plain_done = self.done

    def stage(self, graph, done, total):
        self.set_counts(done, total)

    def advance(self):
        self.done += 1
        if self.bar is not None:
            self.bar.update(1)
        else:
            self._plain()

    def finished(self, i):
        self.advance()

    found = finished

    def failed(self, i):
        self.failures += 1
        if self.bar is not None:
            self.bar.set_postfix_str(f"{self.failures} failed")
        else:
            self._plain()

    # -- the plain line -------------------------------------------------------------

    def _plain(self, force=False):
        now = self.clock()
        if self.plain_at is None:
            self.plain_at, self.plain_done = now, self.done
        if not force and now - self.plain_at < PLAIN_EVERY:
            return
        print(self.plain_text(now), file=self.stream, flush=True)

    def plain_text(self, now):
        rate = (self.done - self.plain_done) / max(now - self.plain_at, 1e-9)
        left = self.total - self.done
        eta = f", about {_duration(left / rate)} left" if rate > 0 and left else ""
        return (f"jug: {self.done} of {self.total} tasks done ({rate:.1f} tasks/s{eta}, "
                f"{self.failures} failed)")

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class EventWriter(Observer):
    """A ``jug execute -j`` worker's events, one line each on ``stream``:
    ``stage DONE TOTAL``, ``finished HASH``, ``found HASH``, ``failed
    HASH NAME``."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout
        self.graph = None

    def _write(self, line):
        self.stream.write(line + "\n")
        self.stream.flush()

    def stage(self, graph, done, total):
        self.graph = graph
        self._write(f"stage {done} {total}")

    def finished(self, i):
        self._write(f"finished {self.graph.hashes[i]} {self.graph.name(i)}")

    def found(self, i):
        self._write(f"found {self.graph.hashes[i]}")

    def failed(self, i):
        self._write(f"failed {self.graph.hashes[i]} {self.graph.name(i)}")


def observers_for(options, worker_events=False):
    """The observers of one ``jug execute`` process: the task log with
    ``--verbose info``/``debug``, the events of a ``-j`` worker, or the
    progress line when stderr is a terminal (and nothing is logged)."""
    verbose = options.verbose.lower() in ("info", "debug")
    chosen = [TaskLog() if verbose else None]
    if worker_events:
        chosen.append(EventWriter())
    elif not verbose and _is_terminal(sys.stderr):
        chosen.append(ProgressLine())
    return Observers(chosen)


def _is_terminal(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
