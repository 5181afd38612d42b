"""A job array on one machine: many workers of ours started at the same
moment against one store (issue 16).

    python benchmarks/jobarray.py [--sizes 100000,1000000] [--workers 32] [--stores file,redis]
                                  [--results 0,32]

For each size and store: compile ``benchmarks/jugfiles/fanout.py`` once,
then start ``--workers`` ``jug execute`` processes at once, each with
``JUG_MAX_TASKS=1`` (a worker's start is what is measured, not the work)
and its own ``JUG_BENCH_STAMP`` file, which the worker's first task writes.
With ``--results K`` (a list: one array per value), one worker runs ``K``
tasks first (not timed), so the array starts on a store holding results, as
later workers of a real array do.
Reported: the time from the spawn until every worker has started its first
task, the median and maximum bytes a worker read from the store before it
(``--verbose info`` logs them), what the compile stored, each worker's peak
RSS and CPU time.  Ours only: the original reads no manifest (each of its
workers imports the jugfile).  On a 2-core machine 32 workers queue for
the CPU, so the time until all have started is mostly 32 start-ups shared
by two cores; the bytes read are what a cluster's store would serve.
"""

import argparse
import itertools
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JUGFILE = os.path.join(REPO, "benchmarks", "jugfiles", "fanout.py")
READ_LINE = re.compile(r"first task: read (\d+) bytes in (\d+) blobs? from the store")


def jug(*args):
    return [sys.executable, "-c", "import sys; from jug.cli import run; sys.argv[0] = 'jug'; run()", *args]


def environ(**extra):
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # workers start from compiled modules
    env["PYTHONPATH"] = REPO + os.pathsep + env.get("PYTHONPATH", "")
    env.update({key: str(value) for key, value in extra.items()})
    return env


def stored_bytes(workdir, jugdir, redis_client):
    if redis_client is None:
        blobs = os.path.join(workdir, jugdir, "blobs")
        return sum(entry.stat().st_size for entry in os.scandir(blobs))
    return sum(redis_client.hstrlen(key, "data") for key in redis_client.scan_iter(match="blob:*"))


def run_array(size, workers, store, redis_server, results=0):
    workdir = tempfile.mkdtemp(prefix=f"jug-jobarray-{size}-{store}-")
    try:
        shutil.copy(JUGFILE, workdir)
        client = None
        if store == "redis":
            redis_server.flush()
            jugdir = redis_server.url
            import redis

            client = redis.Redis.from_url(jugdir)
        else:
            jugdir = "fanout.jugdata"
        env = environ(JUG_BENCH_N=size)
        started = time.perf_counter()
        subprocess.run(jug("compile", "fanout.py", "--jugdir", jugdir), cwd=workdir, env=env,
                       check=True, capture_output=True)
        compile_seconds = time.perf_counter() - started
        if results:
            subprocess.run(jug("execute", "fanout.py", "--jugdir", jugdir, "--will-cite"),
                           cwd=workdir, env=environ(JUG_BENCH_N=size, JUG_MAX_TASKS=results),
                           check=True, capture_output=True)
        stored = stored_bytes(workdir, jugdir, client)
        stamps = [os.path.join(workdir, f"stamp-{k}") for k in range(workers)]
        errs = [open(os.path.join(workdir, f"err-{k}"), "w+") for k in range(workers)]
        t0 = time.time()
        procs = [subprocess.Popen(jug("execute", "fanout.py", "--jugdir", jugdir, "--will-cite",
                                      "--verbose", "info"), cwd=workdir,
                                  env=environ(JUG_BENCH_N=size, JUG_MAX_TASKS=1,
                                              JUG_BENCH_STAMP=stamps[k]),
                                  stdout=subprocess.DEVNULL, stderr=errs[k])
                 for k in range(workers)]
        usage = []
        for proc in procs:
            _, status, rusage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            usage.append((rusage.ru_maxrss / 1024, rusage.ru_utime + rusage.ru_stime))
        firsts, reads = [], []
        for k, err in enumerate(errs):
            err.seek(0)
            text = err.read()
            err.close()
            found = READ_LINE.search(text)
            if procs[k].returncode != 0 or found is None or not os.path.exists(stamps[k]):
                raise RuntimeError(f"worker {k} failed (exit {procs[k].returncode}): {text[-400:]}")
            reads.append(int(found.group(1)))
            with open(stamps[k]) as handle:
                firsts.append(float(handle.read()) - t0)
        return {
            "size": size, "store": store, "workers": workers, "compile_s": compile_seconds,
            "results": results,
            "stored_mb": stored / 1e6, "all_started_s": max(firsts),
            "first_started_s": min(firsts), "median_read_mb": statistics.median(reads) / 1e6,
            "max_read_mb": max(reads) / 1e6, "read_share": statistics.median(reads) / stored,
            "max_rss_mb": max(rss for rss, _ in usage),
            "median_cpu_s": statistics.median(cpu for _, cpu in usage),
        }
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--stores", default="file,redis")
    parser.add_argument("--results", default="0",
                        help="results in the store when the array starts (a list: one array each)")
    args = parser.parse_args(argv)
    result_counts = [int(r) for r in args.results.split(",") if r.strip()]
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    stores = [s.strip() for s in args.stores.split(",") if s.strip()]
    server = None
    if "redis" in stores:
        sys.path.insert(0, REPO)
        from benchmarks.redis_server import RedisServer

        server = RedisServer()
        server.start()
    try:
        print(f"load average at start: {os.getloadavg()[0]:.2f}")
        print("| tasks | store | results before | workers | all started (first) "
              "| read per worker, median (max) | of stored | peak RSS MB | CPU s per worker |")
        print("| ---: | --- | ---: | ---: | --- | --- | ---: | ---: | ---: |")
        for size, store, results in itertools.product(sizes, stores, result_counts):
            r = run_array(size, args.workers, store, server, results)
            print(f"| {size:,} | {store} | {results} | {r['workers']} | {r['all_started_s']:.2f} s "
                  f"({r['first_started_s']:.2f} s) | {r['median_read_mb']:.2f} MB "
                  f"({r['max_read_mb']:.2f} MB) | {100 * r['read_share']:.1f}% of "
                  f"{r['stored_mb']:.1f} MB | {r['max_rss_mb']:.0f} | {r['median_cpu_s']:.2f} |",
                  flush=True)
        print(f"load average at end: {os.getloadavg()[0]:.2f}")
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
