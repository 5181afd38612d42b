"""Run the benchmarks: ``python -m benchmarks`` (or ``python benchmarks/run.py``).

Every measurement runs the same jugfile with the original jug and with ours,
alternating (original, ours, original, ours, ...), each run in a fresh
process and, unless it needs a finished store, a fresh directory.  The
report is a Markdown table on stdout; the same data, with every sample, goes
to ``benchmarks/results/latest.json`` (and the table to ``latest.md``).

See ``docs/performance.md`` for what each measurement means.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import fnmatch
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import cases, report  # noqa: E402
from benchmarks.floor import measure_floor  # noqa: E402
from benchmarks.harness import Series, Spawner  # noqa: E402
from benchmarks.implementations import (  # noqa: E402
    REPO_ROOT, ensure_original_venv, ensure_ours_venv, original_implementation, original_venv_path,
    ours_implementation, ours_installed_implementation, ours_venv_path,
)
from benchmarks.redis_server import RedisServer  # noqa: E402

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_SIZES = (1000, 10000, 100000)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Benchmark this jug side by side with the original jug 2.7.0.",
    )
    parser.add_argument("--repeat", type=int, default=None,
                        help="runs per implementation and measurement (default 5; 1 with --quick)")
    parser.add_argument("--sizes", default=None,
                        help="comma-separated task counts (default 1000,10000,100000; 1000 with --quick)")
    parser.add_argument("--only", action="append", default=[], metavar="PATTERN",
                        help="run only measurements whose id contains PATTERN (a glob if it has * ? [); "
                             "repeatable; see --list")
    parser.add_argument("--quick", action="store_true",
                        help="a small subset at size 1000, one run each: a smoke test (about a minute)")
    parser.add_argument("--dry-run", action="store_true",
                        help="print what would run, check the jugfiles compile, run nothing")
    parser.add_argument("--list", action="store_true", help="list measurement ids and exit")
    parser.add_argument("--ours-cmd", default=os.environ.get("JUG_BENCH_OURS_CMD"),
                        help="command to run instead of this repository's jug, e.g. the original's "
                             "benchmarks/.cache/venv-jug-2.7.0/bin/jug to check the harness "
                             "(env JUG_BENCH_OURS_CMD)")
    parser.add_argument("--baseline-cmd", default=None,
                        help="command to run in the original's place, with the new jug's "
                             "conventions: e.g. a venv build of main, to compare a branch with it "
                             "(the columns headed `original` are then that build)")
    parser.add_argument("--ours-from-tree", action="store_true",
                        help="run ours from the working tree with this interpreter and PYTHONPATH "
                             "instead of installing it into benchmarks/.cache/venv-ours")
    parser.add_argument("--ours-kind", choices=("new", "original"), default=None,
                        help="command conventions of --ours-cmd: 'new' has `compile` and `graph --dot` "
                             "(default: original when --ours-cmd is given, else new)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds before a command is killed (600)")
    parser.add_argument("--wait-cycle-time", default="1",
                        help="--wait-cycle-time passed to `jug execute` (default 1 s; jug's own is 12)")
    parser.add_argument("--hash-mb", type=int, default=None,
                        help="array size for the hashing measurement (256; 32 with --quick)")
    parser.add_argument("--no-floor", action="store_true", help="skip the floor measurements")
    parser.add_argument("--no-redis", action="store_true", help="skip the Redis measurements")
    parser.add_argument("--redis-server", default=None, help="redis-server executable (default: from PATH)")
    parser.add_argument("--cache-dir", default=str(BENCH_DIR / ".cache"),
                        help="where the original's venv and the working directories live")
    parser.add_argument("--json", default=None,
                        help="where to write the JSON results, a .md copy of the table going next to it "
                             "(default benchmarks/results/latest.json; quick.json with --quick)")
    parser.add_argument("--keep-work", action="store_true", help="keep the working directories (debugging)")
    args = parser.parse_args(argv)
    if args.repeat is None:
        args.repeat = 1 if args.quick else 5
    if args.sizes is None:
        args.sizes = [1000] if args.quick else list(DEFAULT_SIZES)
    else:
        args.sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    if args.json is None:
        args.json = str(BENCH_DIR / "results" / ("quick.json" if args.quick else "latest.json"))
    if args.hash_mb is None:
        args.hash_mb = 32 if args.quick else 256
    if args.repeat < 1 or not args.sizes or min(args.sizes) < 2:
        parser.error("--repeat must be at least 1 and every size at least 2")
    return args


def log(message):
    print(message, file=sys.stderr, flush=True)


def select(benchmarks, args):
    chosen = []
    for benchmark in benchmarks:
        if args.quick and not benchmark.quick:
            continue
        if args.no_redis and benchmark.needs_redis:
            continue
        if args.only:
            ids = [benchmark.id] + [row.id for row in benchmark.rows]
            if not any(_matches(pattern, id_) for pattern in args.only for id_ in ids):
                continue
        chosen.append(benchmark)
    return chosen


def _matches(pattern, id_):
    if any(c in pattern for c in "*?["):
        return fnmatch.fnmatchcase(id_, pattern)
    return pattern in id_


class _DryContext:
    """Enough of a Context for describing commands."""

    class redis:  # noqa: N801
        url = "redis://127.0.0.1:PORT/0"

    wait_cycle_time = "1"

    def execute_args(self, impl, jugfile, jugdir=None):
        return cases.Context.execute_args(self, impl, jugfile, jugdir)


def dry_run(args, benchmarks, original, ours):
    for path in sorted(cases.JUGFILES_DIR.glob("*.py")):
        compile(path.read_text(), str(path), "exec")  # syntax check, writes nothing
    ctx = _DryContext()
    ctx.wait_cycle_time = args.wait_cycle_time
    print(f"original: {original.description}")
    print(f"ours: {ours.description}")
    print(f"{len(benchmarks)} measurement(s) x {args.repeat} run(s) x 2 implementations; sizes {args.sizes}")
    for benchmark in benchmarks:
        rows = ", ".join(row.id for row in benchmark.rows)
        print(f"\n{benchmark.id}  [{benchmark.workdir}; rows: {rows}]")
        for impl in (original, ours):
            for line in cases.describe(benchmark, impl, ctx):
                print(f"  {impl.label:8} {line}")
    if not args.no_floor:
        print("\nfloor: python start-up (with and without site), scan of a result tree at each size, "
              "create+write+rename with/without fsync, unlink, Redis EXISTS pipeline and round trip, "
              f"memcpy/sha1/blake2b of {args.hash_mb} MB")
    return 0


def host_info():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "system": platform.platform(), "node": platform.node()}


def git_describe():
    try:
        commit = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{commit} + working tree" if commit else "unknown"


def clean_stale_sessions(work_parent):
    """Remove working directories left by interrupted sessions (dead pids)."""
    if not work_parent.is_dir():
        return
    for entry in work_parent.iterdir():
        if not entry.name.startswith("session-"):
            continue
        try:
            pid = int(entry.name.split("-", 1)[1])
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(entry, ignore_errors=True)
        except (ValueError, PermissionError):
            pass


def _baseline(command):
    """``--baseline-cmd``: a build of the new jug in the original's columns."""
    return dataclasses.replace(ours_implementation(command, "new"), label="original",
                               description=f"--baseline-cmd {command!r}")


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    cache_dir = Path(args.cache_dir)
    benchmarks = select(cases.catalogue(args.sizes, hash_bytes=args.hash_mb << 20), args)
    if args.list:
        for benchmark in benchmarks:
            print(benchmark.id + "".join(f"\n  {row.id}" for row in benchmark.rows if row.id != benchmark.id))
        return 0
    ours = ours_implementation(args.ours_cmd, args.ours_kind)
    if args.dry_run:
        if args.ours_cmd is None and not args.ours_from_tree:  # what a real run would install
            ours = ours_installed_implementation(ours_venv_path(cache_dir))
        original = (_baseline(args.baseline_cmd) if args.baseline_cmd
                    else original_implementation(original_venv_path(cache_dir)))
        return dry_run(args, benchmarks, original, ours)

    session_start = time.perf_counter()
    load_at_start = os.getloadavg()
    try:
        if args.baseline_cmd:
            original = _baseline(args.baseline_cmd)
        else:
            original = original_implementation(ensure_original_venv(cache_dir, log=log))
        if args.ours_cmd is None and not args.ours_from_tree:
            ours = ours_installed_implementation(ensure_ours_venv(cache_dir, log=log))
    except (OSError, subprocess.SubprocessError) as exc:
        log(f"cannot create a virtual environment: {exc}")
        log("pip needs the package index (or a mirror configured for pip); see docs/performance.md")
        return 2
    work_parent = cache_dir / "work"
    clean_stale_sessions(work_parent)
    work_root = work_parent / f"session-{os.getpid()}"
    work_root.mkdir(parents=True, exist_ok=True)

    redis, redis_note = None, None
    if not args.no_redis:
        redis, redis_note = RedisServer.find(args.redis_server)
        if redis is not None:
            try:
                redis.start()
                redis.flush()  # the runner flushes and measures the floor with redis-py
                redis_note = f"redis-server {redis.version} on {redis.url} (no persistence, flushed before each run)"
            except (RuntimeError, OSError, ImportError) as exc:
                redis.stop()
                redis, redis_note = None, f"redis-server failed to start: {exc}"
        log(f"redis: {redis_note}")
    else:
        redis_note = "skipped (--no-redis)"

    if redis is None:
        benchmarks = [benchmark for benchmark in benchmarks if not benchmark.needs_redis]

    spawner = Spawner(sys.executable, REPO_ROOT)
    ctx = cases.Context(spawner=spawner, work_root=work_root, timeout=args.timeout,
                        wait_cycle_time=args.wait_cycle_time,
                        redis=redis, hash_bytes=args.hash_mb << 20, keep_work=args.keep_work, log=log)
    rows = [row for benchmark in benchmarks for row in benchmark.rows]
    row_by_id = {row.id: row for row in rows}
    results = {row.id: {"original": Series(), "ours": Series()} for row in rows}
    floors = {}
    interrupted = False
    try:
        if not args.no_floor:
            floors = measure_floor(python=ours.python, spawner=spawner, sizes=args.sizes, repeat=args.repeat, workdir=work_root / "floor",
                                   redis=redis, hash_bytes=args.hash_mb << 20, log=log)
        for index, benchmark in enumerate(benchmarks, 1):
            broken = set()
            for run in range(1, args.repeat + 1):
                for impl in (original, ours):
                    if impl.label in broken:
                        continue
                    samples = cases.run_benchmark(benchmark, impl, ctx)
                    for row_id, sample in samples.items():
                        results[row_id][impl.label].samples.append(sample)
                    if any(sample.error for sample in samples.values()):
                        broken.add(impl.label)
                    shown = ", ".join(
                        f"{row_id.split('/')[0]} "
                        f"{report.format_value(row_by_id[row_id], s.seconds) if s.error is None else s.error}"
                        for row_id, s in samples.items())
                    log(f"[{index}/{len(benchmarks)}] {benchmark.id} run {run} {impl.label}: {shown}")
        if not args.no_floor:
            # Again at the end: the floor is the fastest of both, so a burst
            # of other work on the machine at the start does not raise it.
            again = measure_floor(python=ours.python, spawner=spawner, sizes=args.sizes, repeat=args.repeat, workdir=work_root / "floor",
                                  redis=redis, hash_bytes=args.hash_mb << 20, log=log)
            for key, series in again.items():
                floors.setdefault(key, Series()).samples.extend(series.samples)
    except KeyboardInterrupt:
        interrupted = True
        log("interrupted: reporting what was measured so far")
    finally:
        ctx.discard_fixtures()
        spawner.close()
        if redis is not None:
            redis.stop()
        if not args.keep_work:
            shutil.rmtree(work_root, ignore_errors=True)

    meta = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "host": host_info(),
        "python": platform.python_version(),
        "original": original.description,
        "ours": ours.description + ("" if args.ours_cmd else f", commit {git_describe()}"),
        "repeat": args.repeat,
        "sizes": args.sizes,
        "quick": args.quick,
        "redis": redis_note,
        "wait_cycle_time": args.wait_cycle_time,
        "timeout": args.timeout,
        "duration_seconds": time.perf_counter() - session_start,
        "load_average": {"start": load_at_start, "end": os.getloadavg()},
        "interrupted": interrupted,
        "argv": sys.argv[1:] if argv is None else list(argv),
    }
    table = report.markdown(meta, rows, results, floors)
    print(table)
    json_path = Path(args.json)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(report.to_json(meta, rows, results, floors), indent=1) + "\n")
    json_path.with_suffix(".md").write_text(table + "\n")
    log(f"wrote {json_path} and {json_path.with_suffix('.md')} ({meta['duration_seconds'] / 60:.1f} min)")
    return 130 if interrupted else 0


if __name__ == "__main__":
    raise SystemExit(main())
