"""What ``jug webstatus`` costs on a large run: one refresh, one request,
and the server's memory.

    python benchmarks/webstatus_bench.py [--tasks 100000] [--repeat 7] [--redis]

The jugfile is ``benchmarks/jugfiles/fanout.py`` (N leaves and one total).
Half of the leaves are executed, so the store lists N/2 results, and one
worker is killed in a task (a stale lock).  Then:

* **refresh**: what the server does once per interval, whatever the number
  of open pages (``LiveStatus`` in this process: list the results and the
  locks, check the manifest is fresh, compute every task's state, build the
  document and its JSON, the throughput, the groups and, when they changed,
  the SVG by ``dot``), with its parts timed separately;
* **request**: ``GET /api/status`` and ``GET /api/live`` against a running
  ``jug webstatus`` (served from the shared snapshot), and the size of the
  bodies;
* **memory**: the server process's resident set (VmRSS) and peak (VmHWM)
  after 30 s of 8 event streams and a polling page, against an idle
  ``python -c 'import jug.web.app, uvicorn'`` baseline.
"""

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)


def jug(*args, cwd, env, check=True, **kwargs):
    command = [sys.executable, "-c", "import sys; from jug.cli import main; sys.exit(main())",
               *map(str, args)]
    return subprocess.run(command, cwd=cwd, env=env, check=check, capture_output=True,
                          text=True, **kwargs)


def prepare(directory, tasks, jugdir, env):
    shutil.copy(os.path.join(REPO, "benchmarks", "jugfiles", "fanout.py"),
                os.path.join(directory, "jugfile.py"))
    jug("compile", "jugfile.py", "--jugdir", jugdir, cwd=directory, env=env)
    # half the leaves: a worker told to stop after N/2 tasks (JUG_MAX_TASKS)
    jug("execute", "jugfile.py", "--jugdir", jugdir, "--will-cite", cwd=directory,
        env=dict(env, JUG_MAX_TASKS=str(tasks // 2)), check=False)
    # a lock whose holder is gone (a killed worker's): a stale lock for the status
    stale = json.loads(jug("compile", "jugfile.py", "--jugdir", jugdir, "--json", cwd=directory,
                           env=env).stdout)["tasks"][-1]["hash"]  # total: unfinished
    subprocess.run([sys.executable, "-c", "import os, sys; from jug.store import open_store\n"
                    "open_store(sys.argv[1]).lock(sys.argv[2]); os._exit(0)", jugdir, stale],
                   env=env, check=True)


def measure_refresh(directory, jugdir, repeat):
    from jug.cli.options import CommonOptions
    from jug.compiler.build import obtain_manifest
    from jug.project import open_project_store
    from jug.status import status_report
    from jug.web.live import LiveStatus

    os.chdir(directory)
    options = CommonOptions(jugfile="jugfile.py", jugdir=jugdir, argv=("jugfile.py",))
    with open_project_store(options) as store:
        parts = {"list results": [], "manifest (load, freshness)": [], "list locks + states": [],
                 "document + JSON": [], "refresh (all of it)": [], "dot (SVG)": []}
        for _ in range(repeat):
            started = time.perf_counter()
            keys = store.list_keys()
            listed = time.perf_counter()
            manifest, _ = obtain_manifest(options.jugfile, store, argv=options.argv, keys=keys)
            loaded = time.perf_counter()
            report = status_report(manifest.graph, store, None, keys)
            computed = time.perf_counter()
            json.dumps(report.document("jugfile.py"), separators=(",", ":"))
            encoded = time.perf_counter()
            parts["list results"].append(listed - started)
            parts["manifest (load, freshness)"].append(loaded - listed)
            parts["list locks + states"].append(computed - loaded)
            parts["document + JSON"].append(encoded - computed)
        live = LiveStatus(options, store, interval=0.0)
        live.current()  # the first refresh draws the graph
        parts["dot (SVG)"].append(live.drawing.render_seconds)
        for _ in range(repeat):
            live._started = -float("inf")
            started = time.perf_counter()
            snapshot = live.current()
            parts["refresh (all of it)"].append(time.perf_counter() - started)
        document = snapshot.document
    return parts, document, len(snapshot.status_json), len(snapshot.live_json)


def rss_kib(pid):
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":")
                values[key] = int(value.split()[0])
    return values


def measure_server(directory, jugdir, env, seconds=30.0):
    command = [sys.executable, "-c", "import sys; from jug.cli import main; sys.exit(main())",
               "webstatus", "jugfile.py", "--jugdir", jugdir, "--port", "0"]
    server = subprocess.Popen(command, cwd=directory, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        base = line.split(" at ", 1)[1].split()[0].rstrip("/")
        timings = {"/api/status": [], "/api/live": []}
        sizes = {}
        stop_at = time.monotonic() + seconds

        def stream():
            with urllib.request.urlopen(base + "/api/events", timeout=60) as response:
                for _ in response:
                    if time.monotonic() > stop_at:
                        return

        streams = [threading.Thread(target=stream, daemon=True) for _ in range(8)]
        for thread in streams:
            thread.start()
        while time.monotonic() < stop_at:
            for path in timings:
                started = time.perf_counter()
                with urllib.request.urlopen(base + path, timeout=60) as response:
                    body = response.read()
                timings[path].append(time.perf_counter() - started)
                sizes[path] = len(body)
            time.sleep(0.5)
        memory = rss_kib(server.pid)
        for thread in streams:
            thread.join(timeout=10)
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=30)
    baseline = subprocess.run(
        [sys.executable, "-c", "import jug.web.app, jug.web.live, uvicorn, os\n"
         "print(open(f'/proc/{os.getpid()}/status').read())"],
        env=env, capture_output=True, text=True, check=True).stdout
    base_rss = int(next(line for line in baseline.splitlines()
                        if line.startswith("VmRSS:")).split()[1])
    return timings, sizes, memory, base_rss


def milliseconds(values):
    return f"median {statistics.median(values) * 1000:.0f} ms, min {min(values) * 1000:.0f} ms"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--redis", action="store_true", help="use a throw-away redis-server")
    parser.add_argument("--seconds", type=float, default=30.0,
                        help="how long the server is watched for its memory")
    args = parser.parse_args()
    env = dict(os.environ, JUG_BENCH_N=str(args.tasks),
               PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    os.environ["JUG_BENCH_N"] = str(args.tasks)
    with tempfile.TemporaryDirectory(prefix="jug-webstatus-bench-") as directory:
        redis_server = None
        jugdir = os.path.join(directory, "jugfile.jugdata")
        if args.redis:
            from benchmarks.redis_server import RedisServer

            redis_server, reason = RedisServer.find(directory)
            if redis_server is None:
                sys.exit(f"--redis: {reason}")
            redis_server.start()
            jugdir = redis_server.url
        try:
            started = time.perf_counter()
            prepare(directory, args.tasks, jugdir, env)
            print(f"prepared {args.tasks} tasks on {'Redis' if args.redis else 'a file store'} "
                  f"in {time.perf_counter() - started:.0f} s")
            parts, document, status_bytes, live_bytes = measure_refresh(directory, jugdir,
                                                                        args.repeat)
            totals = document["totals"]
            print(f"status: {totals}")
            for name, values in parts.items():
                print(f"  {name:28s} {milliseconds(values)}")
            print(f"  bodies: /api/status {status_bytes} bytes, /api/live {live_bytes} bytes")
            timings, sizes, memory, base_rss = measure_server(directory, jugdir, env,
                                                              args.seconds)
            for path, values in timings.items():
                print(f"  GET {path:12s} {milliseconds(values)} ({len(values)} requests, "
                      f"{sizes[path]} bytes)")
            print(f"  server memory after {args.seconds:.0f} s with 8 event streams and a "
                  f"polling page: RSS {memory['VmRSS'] / 1024:.0f} MiB, peak "
                  f"{memory['VmHWM'] / 1024:.0f} MiB (the same imports, idle: "
                  f"{base_rss / 1024:.0f} MiB)")
        finally:
            if redis_server is not None:
                redis_server.stop()


if __name__ == "__main__":
    main()
