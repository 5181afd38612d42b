"""Slow tasks after many fast ones: are they spread over the workers, and how
much finished work does a ``kill -9`` lose?

    python benchmarks/slow_after_fast.py [--workers 4] [--fast 2000] [--slow 64]
                                         [--seconds 0.5] [--stores file,redis]
                                         [--kill-at 3.0] [--repo PATH]

The jugfile: ``--fast`` tasks that return at once, one task summing them, then
``--slow`` tasks of ``--seconds`` each that depend on the sum (so they all
become ready at once, in the worker that ran the sum, after it has measured
fast tasks for a while).  A slow task returns its worker's pid, so the
results say who ran what.

Printed per store: the wall time of the run (``--workers`` workers started
together, each `jug execute` to its end), how many slow tasks each worker
ran, and the ideal time (slow work / workers).  With ``--kill-at T``, one
worker that is running slow tasks is killed with SIGKILL T seconds after the
start and the run is finished by the others: printed are the slow tasks that
worker had finished (its pid in the results) and those it had finished but
whose results are missing when it died (lost work: the executions its pid
logged minus its stored results).

``--repo`` runs another checkout of jug (e.g. the ``main`` worktree) for a
before/after comparison.
"""

import argparse
import collections
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

JUGFILE = """
import os, time
from jug import TaskGenerator

FAST, SLOW, SECONDS = {fast}, {slow}, {seconds}
LOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "executions.log")

@TaskGenerator
def fast(i):
    return i

@TaskGenerator
def total(values):
    return sum(values)

@TaskGenerator
def slow(i, after):
    time.sleep(SECONDS)
    with open(LOG, "a") as log:  # one write: atomic with O_APPEND
        log.write(f"{{os.getpid()}} {{i}}\\n")
    return os.getpid()

summed = total([fast(i) for i in range(FAST)])
slows = [slow(i, summed) for i in range(SLOW)]
"""


def jug_command(*args):
    return [sys.executable, "-c", "import sys; from jug.cli import main; sys.exit(main())",
            *map(str, args)]


def run_once(repo, jugdir, workers, fast, slow, seconds, kill_at):
    directory = tempfile.mkdtemp(prefix="jug-slow-after-fast-")
    jugfile = os.path.join(directory, "jugfile.py")
    with open(jugfile, "w") as handle:
        handle.write(textwrap.dedent(JUGFILE.format(fast=fast, slow=slow, seconds=seconds)))
    env = dict(os.environ, PYTHONPATH=repo)
    subprocess.run(jug_command("compile", jugfile, "--jugdir", jugdir), cwd=directory, env=env,
                   check=True, capture_output=True)
    started = time.monotonic()
    procs = [subprocess.Popen(jug_command("execute", jugfile, "--jugdir", jugdir, "--will-cite",
                                          "--wait-cycle-time", "0.2"),
                              cwd=directory, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
             for _ in range(workers)]
    killed = None
    log = os.path.join(directory, "executions.log")
    if kill_at is not None:
        time.sleep(kill_at)
        runners = collections.Counter(line.split()[0] for line in _lines(log))
        alive = [p for p in procs if p.poll() is None]
        victims = [p for p in alive if str(p.pid) in runners] or alive
        if victims:
            killed = max(victims, key=lambda p: runners.get(str(p.pid), 0))
            killed.send_signal(signal.SIGKILL)
    for proc in procs:
        proc.wait()
    if killed is not None:  # the others may have given up on its locks: finish the run
        subprocess.run(jug_command("execute", jugfile, "--jugdir", jugdir, "--will-cite"),
                       cwd=directory, env=env, check=True, capture_output=True)
    wall = time.monotonic() - started
    code = ("import sys, collections; from jug.store import open_store; "
            "from jug.project import load_manifest; from jug.cli.options import CommonOptions\n"
            "options = CommonOptions(jugfile=sys.argv[1], jugdir=sys.argv[2], argv=(sys.argv[1],))\n"
            "store = open_store(sys.argv[2]); manifest, _ = load_manifest(options, store)\n"
            "graph = manifest.graph\n"
            "pids = [store.load(graph.hashes[i]) for i in range(len(graph)) "
            "if graph.name(i).endswith('.slow')]\n"
            "print(' '.join(map(str, pids)))")
    out = subprocess.run([sys.executable, "-c", code, jugfile, jugdir], cwd=directory, env=env,
                         check=True, capture_output=True, text=True).stdout
    stored = collections.Counter(int(pid) for pid in out.split())
    ran = collections.Counter(int(line.split()[0]) for line in _lines(log))
    result = {"wall": wall, "stored": stored, "ran": ran}
    if killed is not None:
        result["killed"] = killed.pid
        result["killed_ran"] = ran[killed.pid]
        result["killed_stored"] = stored[killed.pid]
    return result


def _lines(path):
    try:
        with open(path) as handle:
            return handle.read().splitlines()
    except FileNotFoundError:
        return []


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--fast", type=int, default=2000)
    parser.add_argument("--slow", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=0.5)
    parser.add_argument("--stores", default="file,redis")
    parser.add_argument("--kill-at", type=float, default=None)
    parser.add_argument("--repo", default=REPO)
    args = parser.parse_args(argv)
    ideal = args.slow * args.seconds / args.workers
    print(f"{args.workers} workers, {args.fast} fast tasks then {args.slow} tasks of "
          f"{args.seconds} s (ideal slow phase {ideal:.1f} s); jug from {args.repo}")
    for kind in args.stores.split(","):
        if kind == "file":
            jugdir = tempfile.mkdtemp(prefix="jug-bench-store-")
            result = run_once(args.repo, jugdir, args.workers, args.fast, args.slow,
                              args.seconds, args.kill_at)
        else:
            from benchmarks.redis_server import RedisServer

            with RedisServer() as server:
                result = run_once(args.repo, server.url, args.workers, args.fast, args.slow,
                                  args.seconds, args.kill_at)
        spread = sorted(result["ran"].values(), reverse=True)
        line = (f"{kind:>5}: wall {result['wall']:.1f} s; slow tasks run per worker: "
                f"{'/'.join(map(str, spread))}")
        if "killed" in result:
            lost = result["killed_ran"] - result["killed_stored"]
            line += (f"; killed worker had finished {result['killed_ran']} slow tasks, "
                     f"{lost} of them lost")
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
