"""Running commands as measured child processes.

:func:`run_processes` starts one or more commands at once in their own
process groups, waits for all of them (or until a stamp file appears), and
returns wall time, exit status and each child's own peak memory.  Peak
memory comes from ``os.wait4``, which reports the rusage of exactly the
process it reaps, so the figure of one run never leaks into the next.

One catch: Linux keeps the high-water RSS of the process that forked the
child across ``exec``, so a child forked by the runner (which holds numpy
and the floor measurements' buffers) would report at least the runner's
size.  Commands are therefore started by a :class:`Spawner`: a small
``python -S`` helper process, started once, that runs
:func:`run_processes` on request.  Its own size (~13 MB) is below that of
any jug process.

A command that fails or times out is a *result*, never an exception: the
runner reports it in the table and carries on.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ProcessResult:
    """What one (group of) child process(es) did."""

    seconds: float
    max_rss_kib: int
    returncodes: tuple
    timed_out: bool
    stopped_early: bool
    stderr: str
    stdout: str
    cpu_seconds: float = 0.0  # user + system time of every child, summed

    def error(self, accept=(0,)):
        """A one-line description of what went wrong, or None."""
        if self.timed_out:
            return f"timeout after {self.seconds:.3g} s"
        if self.stopped_early:
            return None
        bad = [rc for rc in self.returncodes if rc not in accept]
        if not bad:
            return None
        return f"exit {bad[0]}: {summarize_stderr(self.stderr)}"


def summarize_stderr(text, width=160):
    """The line of stderr that says what happened.

    The first line, as a rule; for a Python traceback the first line is
    "Traceback (most recent call last):", so take the exception line at the
    end instead.
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return "(no stderr)"
    line = lines[-1] if lines[0].startswith("Traceback") else lines[0]
    return line if len(line) <= width else line[: width - 1] + "…"


def run_processes(argvs, *, cwd, env, timeout, stamp=None, poll_interval=0.002):
    """Start every command in ``argvs`` at once and wait for all of them.

    ``stamp``, if given, is a path polled every ``poll_interval`` seconds;
    once it exists the children are killed and the result is marked
    ``stopped_early`` (used to time "start to first task executed").

    Output goes to files in ``cwd`` (never pipes: a chatty child must not
    block on a full pipe while we wait for it).
    """
    out_paths = [os.path.join(cwd, f".bench-stdout-{i}") for i in range(len(argvs))]
    err_paths = [os.path.join(cwd, f".bench-stderr-{i}") for i in range(len(argvs))]
    children = []
    reaped = {}
    lock = threading.Lock()

    def reap(proc):
        _, status, rusage = os.wait4(proc.pid, 0)
        end = time.perf_counter()
        with lock:
            reaped[proc.pid] = (end, os.waitstatus_to_exitcode(status), rusage.ru_maxrss,
                                rusage.ru_utime + rusage.ru_stime)

    start = time.perf_counter()
    try:
        for argv, out_path, err_path in zip(argvs, out_paths, err_paths):
            with open(out_path, "wb") as out, open(err_path, "wb") as err:
                proc = subprocess.Popen(
                    argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                    stdout=out, stderr=err, start_new_session=True,
                )
            reaper = threading.Thread(target=reap, args=(proc,), daemon=True)
            reaper.start()
            children.append((proc, reaper))
    except OSError as exc:  # e.g. the command does not exist
        _kill_all(children)
        for proc, reaper in children:
            reaper.join()
            proc.returncode = reaped[proc.pid][1]
        return ProcessResult(0.0, 0, (127,), False, False, f"cannot start {argvs[0][0]}: {exc}", "")

    deadline = start + timeout
    timed_out = stopped_early = False
    try:
        while True:
            with lock:
                done = len(reaped) == len(children)
            if done:
                break
            now = time.perf_counter()
            if now >= deadline:
                timed_out = True
                break
            if stamp is not None and os.path.exists(stamp):
                stopped_early = True
                break
            # Finish times come from the reaper threads, so this poll adds
            # no error to the measurement.
            time.sleep(poll_interval if stamp is not None else 0.005)
    except BaseException:  # Ctrl-C: leave no workers behind
        _kill_all(children)
        raise

    end = time.perf_counter()
    if timed_out or stopped_early:
        _kill_all(children)
    for proc, reaper in children:
        reaper.join()
        proc.returncode = reaped[proc.pid][1]  # keep Popen from reaping again
    if not (timed_out or stopped_early):
        end = max(reaped[proc.pid][0] for proc, _ in children)

    return ProcessResult(
        seconds=end - start,
        max_rss_kib=max(reaped[proc.pid][2] for proc, _ in children),
        returncodes=tuple(reaped[proc.pid][1] for proc, _ in children),
        timed_out=timed_out,
        stopped_early=stopped_early,
        stderr="".join(_read(p) for p in err_paths),
        stdout="".join(_read(p) for p in out_paths),
        cpu_seconds=sum(reaped[proc.pid][3] for proc, _ in children),
    )


class Spawner:
    """A small helper process that starts and reaps the measured commands.

    Requests and answers are JSON lines on its stdin/stdout.  If the helper
    dies it is restarted on the next request.
    """

    BOOTSTRAP = "import sys; sys.path.insert(0, sys.argv[1]); from benchmarks.harness import serve; serve()"

    def __init__(self, python, root):
        self.python = python
        self.root = str(root)
        self.process = None

    def _start(self):
        self.process = subprocess.Popen(
            [self.python, "-S", "-c", self.BOOTSTRAP, self.root],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
        )

    def run(self, argvs, *, cwd, env, timeout, stamp=None):
        import json

        if self.process is None or self.process.poll() is not None:
            self._start()
        request = {"argvs": [[str(a) for a in argv] for argv in argvs], "cwd": str(cwd),
                   "env": {k: str(v) for k, v in env.items()}, "timeout": timeout,
                   "stamp": None if stamp is None else str(stamp)}
        try:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
            answer = self.process.stdout.readline()
        except (BrokenPipeError, OSError) as exc:
            answer, failure = "", str(exc)
        else:
            failure = "helper exited"
        if not answer:
            self.close()
            return ProcessResult(0.0, 0, (-1,), False, False, f"spawner failed: {failure}", "")
        return ProcessResult(**{**json.loads(answer), "returncodes": tuple(json.loads(answer)["returncodes"])})

    def close(self):
        """Stop the helper; if it is running a command (the runner was
        interrupted), SIGINT makes it kill that command's processes first."""
        if self.process is not None:
            try:
                if self.process.poll() is None:
                    self.process.send_signal(signal.SIGINT)
                self.process.stdin.close()
                self.process.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
            self.process = None


def serve():
    """The spawner's loop (runs in the ``python -S`` helper)."""
    import json
    import sys

    # Ctrl-C reaches this process too (same process group as the runner):
    # run_processes then kills the measured commands and we exit.
    try:
        for line in sys.stdin:
            request = json.loads(line)
            result = run_processes(request["argvs"], cwd=request["cwd"], env=request["env"],
                                   timeout=request["timeout"], stamp=request["stamp"])
            sys.stdout.write(json.dumps(result.__dict__) + "\n")
            sys.stdout.flush()
    except (KeyboardInterrupt, BrokenPipeError):
        pass


def _kill_all(children):
    for proc, _ in children:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _read(path, limit=1 << 20):
    try:
        with open(path, "rb") as fh:
            return fh.read(limit).decode("utf-8", "replace")
    except OSError:
        return ""


@dataclass
class Sample:
    """One measured value (seconds) of one run, or the reason there is none."""

    seconds: float | None = None
    max_rss_kib: int | None = None
    error: str | None = None
    cpu_seconds: float | None = None  # user + system of the measured processes
    total_bytes: int | None = None  # bytes rows: what the value is a part of

    def to_json(self):
        return {"seconds": self.seconds, "max_rss_kib": self.max_rss_kib, "error": self.error,
                "cpu_seconds": self.cpu_seconds, "total_bytes": self.total_bytes}


@dataclass
class Series:
    """Every sample of one implementation for one measurement."""

    samples: list = field(default_factory=list)

    @property
    def values(self):
        return [s.seconds for s in self.samples if s.error is None and s.seconds is not None]

    @property
    def errors(self):
        return [s.error for s in self.samples if s.error is not None]

    @property
    def median(self):
        return statistics.median(self.values) if self.values else None

    @property
    def minimum(self):
        return min(self.values) if self.values else None

    @property
    def maximum(self):
        return max(self.values) if self.values else None

    @property
    def cpu_median(self):
        cpu = [s.cpu_seconds for s in self.samples if s.error is None and s.cpu_seconds is not None]
        return statistics.median(cpu) if cpu else None

    @property
    def max_rss_kib(self):
        rss = [s.max_rss_kib for s in self.samples if s.error is None and s.max_rss_kib]
        return max(rss) if rss else None

    def to_json(self):
        return {
            "median": self.median,
            "min": self.minimum,
            "max": self.maximum,
            "max_rss_kib": self.max_rss_kib,
            "cpu_median": self.cpu_median,
            "errors": self.errors,
            "samples": [s.to_json() for s in self.samples],
        }
