"""The measurements: what each one runs, for each implementation.

A :class:`Benchmark` is a list of :class:`Step` s run in one working
directory.  Steps with no ``record`` are set-up (not timed: e.g. ours'
``jug compile`` before ``execute``); a timed step records its time under
one or more *row* ids, the lines of the report.  One run of a benchmark
thus yields ``{row id: Sample}`` for one implementation.

Working directories are fresh temporary directories holding a copy of the
jugfile (``fresh``), a finished store built once per implementation and
reused read-only (``fixture``), or a hard-linked copy of it for commands
that delete results (``fixture-copy``).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.harness import Sample

JUGFILES_DIR = Path(__file__).resolve().parent / "jugfiles"
STATUS_EXIT_CODES = (0, 1)  # jug 2.7: 0 when everything is finished, 1 otherwise
EXECUTE_SIZES = (1000, 10000)
BARRIER_DONE_MAX = 10000  # finishing the two-stage jugfile at 100k costs minutes per implementation
LARGE_ARGS_TASKS = 100
FINISHED_STORE_MAX = 100000  # larger sizes: no benchmark that needs a finished store


@dataclass(frozen=True)
class Row:
    """One line of the report."""

    id: str
    title: str
    # ((floor key, multiplier), ...): the floor is their weighted sum; the
    # key "scan" takes a file count and is interpolated between the sizes
    # at which scans were measured.
    floor: tuple = ()
    floor_label: str = ""
    tasks: int | None = None  # for per-task figures
    bytes: int | None = None  # for throughput figures
    note: str = ""
    unit: str = "seconds"  # or "bytes": the sample's value is a byte count


@dataclass(frozen=True)
class Step:
    argvs: tuple  # commands started together
    env: dict
    record: tuple = ()  # row ids; empty = set-up, not timed
    accept: tuple = (0,)
    measure: str = "wall"  # "wall", "stamp" (time until the stamp file appears), "stdout-json"
    name: str = ""
    verifies: bool = False  # a check of the timed steps' work: if it fails, so do they


@dataclass
class Benchmark:
    id: str
    rows: tuple
    jugfile: str | None
    size: int | None
    workdir: str = "fresh"  # "fresh", "fixture", "fixture-copy", "none"
    steps: object = None  # callable(impl, ctx, workdir) -> [Step]
    quick: bool = False
    needs_redis: bool = False


class Context:
    """Settings and shared state of one benchmark session."""

    def __init__(self, *, spawner, work_root, timeout, wait_cycle_time, redis, hash_bytes, keep_work, log):
        self.spawner = spawner
        self.work_root = Path(work_root)
        self.timeout = timeout
        self.wait_cycle_time = wait_cycle_time
        self.redis = redis
        self.hash_bytes = hash_bytes
        self.keep_work = keep_work
        self.log = log
        self.fixtures = {}  # (impl label, jugfile, size) -> (path or None, error or None)

    def new_dir(self, tag):
        self.work_root.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=tag.replace("/", "-") + "-", dir=self.work_root))

    def discard(self, path):
        if not self.keep_work:
            shutil.rmtree(path, ignore_errors=True)

    def fresh_dir(self, tag, jugfile):
        directory = self.new_dir(tag)
        if jugfile:
            shutil.copy(JUGFILES_DIR / jugfile, directory / jugfile)
        return directory

    def execute_args(self, impl, jugfile, jugdir=None):
        args = impl.jug("execute", jugfile, "--wait-cycle-time", str(self.wait_cycle_time))
        if jugdir:
            args += ["--jugdir", jugdir]
        return args

    def fixture(self, impl, jugfile, size):
        """A directory where ``jugfile`` at ``size`` has been run to the end
        by ``impl`` (compiled first if it compiles); built once."""
        key = (impl.label, jugfile, size)
        if key not in self.fixtures:
            self.log(f"  building finished store: {impl.label} {jugfile} N={size} ...")
            directory = self.fresh_dir(f"fixture-{impl.label}-{jugfile}-{size}", jugfile)
            env = impl.environ(JUG_BENCH_N=size)
            steps = []
            if impl.compiles:
                steps.append(Step((impl.jug("compile", jugfile),), env, name="compile"))
            # Verified with `status` (exit 0 = all finished, in jug 2.7 and
            # ours) rather than `check`: the original's `check` walks the
            # recursive dependencies of every task and takes about 9 minutes
            # on the 100,000-task layered graph.
            steps.append(Step((self.execute_args(impl, jugfile),), env, name="execute"))
            steps.append(Step((impl.jug("status", jugfile),), env, name="`jug status` after execute"))
            error = None
            start = time.perf_counter()
            for step in steps:
                result = self.spawner.run(step.argvs, cwd=directory, env=step.env, timeout=self.timeout)
                error = result.error(step.accept)
                if error:
                    error = f"preparing finished store ({step.name}): {error}"
                    break
            if error:
                self.log(f"  {error}")
                self.discard(directory)
                self.fixtures[key] = (None, error)
            else:
                self.log(f"  finished store ready in {time.perf_counter() - start:.1f} s")
                self.fixtures[key] = (directory, None)
        return self.fixtures[key]

    def discard_fixtures(self):
        for directory, _ in self.fixtures.values():
            if directory is not None:
                self.discard(directory)
        self.fixtures.clear()


def run_benchmark(benchmark, impl, ctx):
    """Run ``benchmark`` once with ``impl``: ``{row id: Sample}``."""
    row_ids = [row.id for row in benchmark.rows]

    def failed(message):
        return {row_id: Sample(error=message) for row_id in row_ids}

    if benchmark.needs_redis and ctx.redis is None:
        return failed("skipped: no redis-server")
    if benchmark.workdir == "fresh" or benchmark.workdir == "none":
        workdir = ctx.fresh_dir(f"{benchmark.id}-{impl.label}", benchmark.jugfile)
        owned = True
    else:
        fixture, error = ctx.fixture(impl, benchmark.jugfile, benchmark.size)
        if error:
            return failed(error)
        if benchmark.workdir == "fixture":
            workdir, owned = fixture, False
        else:
            workdir = ctx.new_dir(f"{benchmark.id}-{impl.label}")
            shutil.copytree(fixture, workdir, copy_function=os.link, dirs_exist_ok=True)
            owned = True
    try:
        if benchmark.needs_redis:
            ctx.redis.flush()
        samples = {}
        for step in benchmark.steps(impl, ctx, workdir):
            stamp = (step.env.get("JUG_BENCH_STAMP") if step.measure in ("stamp", "first-task-bytes")
                     else None)
            wall_start = time.time()
            result = ctx.spawner.run(step.argvs, cwd=workdir, env=step.env, timeout=ctx.timeout, stamp=stamp)
            error = result.error(step.accept)
            if error is None and step.measure == "stamp" and not result.stopped_early:
                error = "finished without running a task (no stamp written)" if not os.path.exists(stamp) else None
            if error:
                what = f"{step.name}: " if step.name and not step.record else ""
                message = what + error
                for row_id in row_ids:
                    if step.verifies:
                        samples[row_id] = Sample(error=message)
                    else:
                        samples.setdefault(row_id, Sample(error=message))
                return samples
            if not step.record:
                continue
            seconds = result.seconds
            if step.measure == "stamp":
                with open(stamp) as fh:
                    seconds = float(fh.read()) - wall_start
            elif step.measure == "first-task-bytes":
                found = FIRST_TASK_LINE.search(result.stderr)
                if found is None:
                    for row_id in row_ids:
                        samples.setdefault(row_id, Sample(error="no 'first task: read N bytes' line on stderr"))
                    return samples
                blobs = workdir / (Path(benchmark.jugfile).stem + ".jugdata") / "blobs"
                stored = sum(entry.stat().st_size for entry in blobs.iterdir()) if blobs.is_dir() else None
                for row_id in step.record:
                    samples[row_id] = Sample(float(found.group(1)), result.max_rss_kib,
                                             cpu_seconds=result.cpu_seconds, total_bytes=stored)
                continue
            elif step.measure == "stdout-json":
                try:
                    seconds = json.loads(result.stdout.strip().splitlines()[-1])["seconds"]
                except (ValueError, KeyError, IndexError):
                    for row_id in row_ids:
                        samples.setdefault(row_id, Sample(error=f"unreadable output: {result.stdout[:80]!r}"))
                    return samples
            for row_id in step.record:
                samples[row_id] = Sample(seconds, result.max_rss_kib, cpu_seconds=result.cpu_seconds)
        return samples
    finally:
        if owned:
            ctx.discard(workdir)


# --------------------------------------------------------------------------
# The catalogue


def _n(size):
    return f"{size:,}"


def help_benchmark():
    def steps(impl, ctx, workdir):
        return [Step((impl.jug("--help"),), impl.environ(), record=("help",))]

    row = Row("help", "`jug --help` (start-up)", floor=(("python-startup", 1),), floor_label="python")
    return Benchmark("help", (row,), None, None, workdir="none", steps=steps, quick=True)


def status_fresh_benchmark(jugfile, size, quick=False):
    stem = jugfile[:-3]
    tasks = _task_count(stem, size, fresh=True)
    status_id, compile_id = f"status-fresh/{stem}/{size}", f"compile/{stem}/{size}"
    env_n = {"JUG_BENCH_N": size}

    def steps(impl, ctx, workdir):
        env = impl.environ(**env_n)
        status = impl.jug("status", jugfile)
        if impl.compiles:
            return [Step((impl.jug("compile", jugfile),), env, record=(compile_id,)),
                    Step((status,), env, record=(status_id,), accept=STATUS_EXIT_CODES)]
        return [Step((status,), env, record=(status_id, compile_id), accept=STATUS_EXIT_CODES)]

    label = _label(stem, size)
    rows = (
        Row(compile_id, f"compile — {label}", floor=(("python-startup", 1),), floor_label="python",
            tasks=tasks,
            note="original: `status` on a fresh store (it imports and hashes the jugfile to know its graph)"),
        Row(status_id, f"status, fresh store — {label}", floor=(("python-startup", 1),), floor_label="python",
            tasks=tasks, note="ours: on a freshly compiled manifest"),
    )
    return Benchmark(status_id, rows, jugfile, size, steps=steps, quick=quick)


def status_done_benchmark(jugfile, size, quick=False):
    stem = jugfile[:-3]
    row_id = f"status-done/{stem}/{size}"
    tasks = _task_count(stem, size, fresh=False)

    def steps(impl, ctx, workdir):
        return [Step((impl.jug("status", jugfile),), impl.environ(JUG_BENCH_N=size),
                     record=(row_id,), accept=STATUS_EXIT_CODES)]

    row = Row(row_id, f"status, finished store — {_label(stem, size, tasks)}",
              floor=(("python-startup", 1), ("scan", tasks)),
              floor_label=f"python + scan {_n(tasks)}", tasks=tasks)
    return Benchmark(row_id, (row,), jugfile, size, workdir="fixture", steps=steps, quick=quick)


def startup_benchmark(jugfile, size, quick=False):
    stem = jugfile[:-3]
    row_id = f"startup/{stem}" if stem == "single" else f"startup/{stem}/{size}"

    def steps(impl, ctx, workdir):
        env = impl.environ(JUG_BENCH_N=size or 1, JUG_BENCH_STAMP=workdir / "first-task.stamp")
        setup = [Step((impl.jug("compile", jugfile),), env, name="compile")] if impl.compiles else []
        return setup + [Step((ctx.execute_args(impl, jugfile),), env, record=(row_id,), measure="stamp")]

    title = ("worker start to first task — 1-task jugfile" if stem == "single"
             else f"worker start to first task — {_label(stem, size)}")
    row = Row(row_id, title, floor=(("python-startup", 1),), floor_label="python",
              note="ours: manifest compiled beforehand")
    return Benchmark(row_id, (row,), jugfile, size, steps=steps, quick=quick)


# What ours logs (``--verbose info``) when its first task starts.
FIRST_TASK_LINE = re.compile(r"first task: read (\d+) bytes in (\d+) blobs? from the store")


def startup_bytes_benchmark(jugfile, size):
    """Bytes a worker of ours reads from the store before its first task runs,
    against everything the compile stored (manifest and payload).  The
    original has no manifest (it imports the jugfile), so it has no row."""
    stem = jugfile[:-3]
    row_id = f"startup-bytes/{stem}/{size}"

    def steps(impl, ctx, workdir):
        if not impl.compiles:
            return []
        env = impl.environ(JUG_BENCH_N=size, JUG_BENCH_STAMP=workdir / "first-task.stamp")
        return [Step((impl.jug("compile", jugfile),), env, name="compile"),
                Step((ctx.execute_args(impl, jugfile) + ["--verbose", "info"],), env,
                     record=(row_id,), measure="first-task-bytes")]

    row = Row(row_id, f"bytes read from the store until the first task — {_label(stem, size)}",
              unit="bytes", note="ours only (the original reads no manifest); shown against the size "
                                 "of every blob the compile stored (manifest and payload)")
    return Benchmark(row_id, (row,), jugfile, size, steps=steps)


def top_level_startup_benchmark(jugfile, size, quick=False):
    """Worker start to first task when the worker runs the jugfile's top
    level (ours: ``--run-jugfile``, what a jugfile that configures a library
    costs; the original always does)."""
    stem = jugfile[:-3]
    row_id = f"startup-top-level/{stem}" if stem == "single" else f"startup-top-level/{stem}/{size}"

    def steps(impl, ctx, workdir):
        env = impl.environ(JUG_BENCH_N=size or 1, JUG_BENCH_STAMP=workdir / "first-task.stamp")
        setup = [Step((impl.jug("compile", jugfile),), env, name="compile")] if impl.compiles else []
        worker = ctx.execute_args(impl, jugfile) + (["--run-jugfile"] if impl.compiles else [])
        return setup + [Step((worker,), env, record=(row_id,), measure="stamp")]

    label = "1-task jugfile" if stem == "single" else _label(stem, size)
    row = Row(row_id, f"worker start to first task, running the top level — {label}",
              floor=(("python-startup", 1),), floor_label="python",
              note="ours: `--run-jugfile` (the fallback), manifest compiled beforehand")
    return Benchmark(row_id, (row,), jugfile, size, steps=steps, quick=quick)


# What replaying costs a worker before its first task: applying the top
# level's changes, and decoding the state of the modules the payload carries
# beyond their functions and classes (what the payload held before it carried
# whole modules): the decoding time of the payload's head (what every worker
# decodes; the rows are read as tasks run) minus that of the same head with
# only the modules' functions and classes, best of 7 each.
REPLAY_SCRIPT = """
import json, sys, time, types
jugfile = sys.argv[1]
from jug.compiler.build import obtain_manifest
from jug.compiler.manifest import _PayloadPickler, _head_bytes, decode_payload
from jug.compiler.replay import Replay
from jug.store import open_store
store = open_store(jugfile[:-3] + ".jugdata")
manifest, trace = obtain_manifest(jugfile, store)
assert trace is None, "the manifest was not fresh"
header, graph = manifest.header, manifest.graph
full = store.get_blob(header.payload)
payload = decode_payload(full, graph, store, header.payload)[0].payload  # the head only
import cloudpickle
from jug.compiler.replay import carried_namespace
for module in payload.modules:
    cloudpickle.register_pickle_by_value(module)
    carried_namespace(module)  # decodes what is decoded lazily
index = graph.index_map()
def code(value):
    return isinstance(value, (types.FunctionType, type)) or hasattr(value, "f")
state = {m.__name__: {k for k, v in vars(m).items() if not k.startswith("__") and not code(v)}
         for m in payload.modules}
bare = _head_bytes(_PayloadPickler(index, payload.modules, state), payload)
def best(function):
    times = []
    for _ in range(7):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)
def replay():
    session = Replay(header.replay, jugfile, [jugfile])
    session.apply_process()
    session.apply_settings(payload.settings)
    session.restore()
decode = lambda data: lambda: decode_payload(data, graph, store)
seconds = best(replay) + max(0.0, best(decode(full)) - best(decode(bare)))
print(json.dumps({"seconds": seconds, "payload_bytes": len(full), "bare_bytes": len(bare)}))
"""

TOP_LEVEL_SCRIPT = """
import json, sys, time
import jug
jugfile = sys.argv[1]
start = time.perf_counter()
jug.init(jugfile, jugfile[:-3] + ".jugdata")
print(json.dumps({"seconds": time.perf_counter() - start}))
"""


def replay_benchmark(jugfile, size, quick=False):
    stem = jugfile[:-3]
    row_id = f"replay/{stem}" if stem in ("single", "largeargs") else f"replay/{stem}/{size}"

    def steps(impl, ctx, workdir):
        env = impl.environ(JUG_BENCH_N=size or 1)
        if impl.compiles:
            return [Step((impl.jug("compile", jugfile),), env, name="compile"),
                    Step(([impl.python, "-c", REPLAY_SCRIPT, jugfile],), env, record=(row_id,),
                         measure="stdout-json")]
        return [Step(([impl.python, "-c", TOP_LEVEL_SCRIPT, jugfile],), env, record=(row_id,),
                     measure="stdout-json")]

    label = "1-task jugfile" if stem == "single" else _label(stem, size)
    row = Row(row_id, f"preparing a worker's process — {label}",
              note="in-process; ours: replaying the top level's changes and decoding the state "
                   "of the modules the payload carries; original: running the top level "
                   "(jug.init), which is how its workers prepare")
    return Benchmark(row_id, (row,), jugfile, size, steps=steps, quick=quick)


def execute_benchmark(jugfile, size, store, workers, quick=False):
    stem = jugfile[:-3]
    row_id = f"execute/{stem}/{size}/{store}/{workers}w"
    tasks = _task_count(stem, size, fresh=False)

    def steps(impl, ctx, workdir):
        env = impl.environ(JUG_BENCH_N=size)
        jugdir = ctx.redis.url if store == "redis" else None
        setup = []
        if impl.compiles:
            compile_args = impl.jug("compile", jugfile) + (["--jugdir", jugdir] if jugdir else [])
            setup.append(Step((compile_args,), env, name="compile"))
        worker = ctx.execute_args(impl, jugfile, jugdir)
        verify = impl.jug("status", jugfile) + (["--jugdir", jugdir] if jugdir else [])
        return setup + [Step((worker,) * workers, env, record=(row_id,)),
                        Step((verify,), env, name="`jug status` after execute", verifies=True)]

    if store == "redis":
        # Pipelined, not one round trip per task: a worker may batch.
        floor = (("python-startup", 1), ("redis-pipelined", tasks))
        floor_label = f"python + {_n(tasks)} pipelined Redis commands"
    else:
        floor = (("python-startup", 1), ("write-rename-nofsync", tasks))
        floor_label = f"python + {_n(tasks)} writes (no fsync)"
    row = Row(row_id, f"execute, {store} store, {workers} worker{'s' * (workers > 1)} — {_label(stem, size, tasks)}",
              floor=floor, floor_label=floor_label, tasks=tasks,
              note="ours: manifest compiled beforehand" if stem != "barrier" else
              "includes the re-trace after the barrier; ours: stage 0 compiled beforehand")
    return Benchmark(row_id, (row,), jugfile, size, steps=steps, quick=quick, needs_redis=store == "redis")


def invalidate_benchmark(size, quick=False):
    row_id = f"invalidate/layered/{size}"

    def steps(impl, ctx, workdir):
        return [Step((impl.jug("invalidate", "layered.py", "--name", "seed"),),
                     impl.environ(JUG_BENCH_N=size), record=(row_id,))]

    row = Row(row_id, f"invalidate `seed` (closure: all {_n(size)} tasks) — layered",
              floor=(("python-startup", 1), ("scan", size), ("unlink-link", size)),
              floor_label=f"python + scan + {_n(size)} unlinks", tasks=size,
              note="in a copy of the finished store made of hard links: deleting a result frees no blocks")
    return Benchmark(row_id, (row,), "layered.py", size, workdir="fixture-copy", steps=steps, quick=quick)


def cleanup_benchmark(size, quick=False):
    """`jug cleanup` after the jugfile shrank to half its tasks: half of the
    leaves and the old total belong to no task any more."""
    row_id = f"cleanup/fanout/{size}"
    half = size // 2

    def steps(impl, ctx, workdir):
        env = impl.environ(JUG_BENCH_N=half)
        return [Step((impl.jug("cleanup", "fanout.py"),), env, record=(row_id,)),
                Step((impl.jug("status", "fanout.py"),), env, name="`jug status` after cleanup",
                     accept=STATUS_EXIT_CODES, verifies=True)]

    row = Row(row_id, f"cleanup of {_n(size - half + 1)} unreferenced results — fanout, "
                      f"{_n(size + 1)} results, {_n(half + 1)} tasks",
              floor=(("python-startup", 1), ("scan", size), ("unlink-link", size - half)),
              floor_label=f"python + scan + {_n(size - half)} unlinks", tasks=size + 1,
              note="the jugfile is traced (both: JUG_BENCH_N changed); in a copy of the "
                   "finished store made of hard links")
    return Benchmark(row_id, (row,), "fanout.py", size, workdir="fixture-copy", steps=steps,
                     quick=quick)


def pack_benchmark(size, quick=False):
    """`jug pack` on a finished store of tiny results, and `status` and
    `execute` (nothing left to run) before and after it."""
    ids = {what: f"{what}/fanout/{size}" for what in
           ("status-unpacked", "execute-unpacked", "pack", "status-packed", "execute-packed")}
    tasks = size + 1

    def steps(impl, ctx, workdir):
        env = impl.environ(JUG_BENCH_N=size)
        status = impl.jug("status", "fanout.py")
        execute = ctx.execute_args(impl, "fanout.py")
        return [Step((status,), env, record=(ids["status-unpacked"],), accept=STATUS_EXIT_CODES),
                Step((execute,), env, record=(ids["execute-unpacked"],)),
                Step((impl.jug("pack", "fanout.py"),), env, record=(ids["pack"],)),
                Step((status,), env, record=(ids["status-packed"],), accept=STATUS_EXIT_CODES),
                Step((execute,), env, record=(ids["execute-packed"],))]

    label = f"fanout, {_n(tasks)} finished tasks"
    scan = (("python-startup", 1), ("scan", tasks))
    rows = (
        Row(ids["status-unpacked"], f"status before `jug pack` — {label}", floor=scan,
            floor_label=f"python + scan {_n(tasks)}", tasks=tasks),
        Row(ids["execute-unpacked"], f"execute, nothing to run, before `jug pack` — {label}",
            floor=scan, floor_label=f"python + scan {_n(tasks)}", tasks=tasks),
        Row(ids["pack"], f"`jug pack` — {label}",
            floor=(("python-startup", 1), ("scan", tasks), ("unlink-link", tasks)),
            floor_label=f"python + scan + {_n(tasks)} unlinks", tasks=tasks,
            note="original: results of at most 512 bytes; ours: of at most 4096 (all of them here)"),
        Row(ids["status-packed"], f"status after `jug pack` — {label}",
            floor=(("python-startup", 1),), floor_label="python", tasks=tasks,
            note="the original decodes its whole pack in every process"),
        Row(ids["execute-packed"], f"execute, nothing to run, after `jug pack` — {label}",
            floor=(("python-startup", 1),), floor_label="python", tasks=tasks),
    )
    return Benchmark(ids["pack"], rows, "fanout.py", size, workdir="fixture-copy", steps=steps,
                     quick=quick)


def graph_benchmark(size, quick=False):
    row_id = f"graph/layered/{size}"

    def steps(impl, ctx, workdir):
        return [Step((impl.graph_args("layered.py"),), impl.graph_environ(JUG_BENCH_N=size), record=(row_id,))]

    row = Row(row_id, f"graph (DOT only), finished store — layered, {_n(size)} tasks",
              floor=(("python-startup", 1), ("scan", size)), floor_label=f"python + scan {_n(size)}",
              tasks=size,
              note="ours: `graph --dot` to stdout; original: `graph` writes layered.dot, "
                   "`dot` kept off PATH so nothing is rendered")
    return Benchmark(row_id, (row,), "layered.py", size, workdir="fixture", steps=steps, quick=quick)


HASH_SCRIPT = """
import json, sys, time
import numpy as np
from jug.hash import hash_one
array = np.arange(int(sys.argv[1]) // 8, dtype=np.float64)
hash_one(array[:1024])
start = time.perf_counter()
hash_one(array)
print(json.dumps({"seconds": time.perf_counter() - start}))
"""


def hash_benchmark(nbytes, quick=False):
    row_id = f"hash/{nbytes >> 20}MB"

    def steps(impl, ctx, workdir):
        return [Step(([impl.python, "-c", HASH_SCRIPT, str(nbytes)],), impl.environ(),
                     record=(row_id,), measure="stdout-json")]

    row = Row(row_id, f"`jug.hash.hash_one` of a {nbytes >> 20} MB float64 array",
              floor=((f"memcpy/{nbytes}", 1),), floor_label="memcpy", bytes=nbytes,
              note="in-process time of the call; the figure shown is GB/s")
    return Benchmark(row_id, (row,), None, None, workdir="none", steps=steps, quick=quick)


def catalogue(sizes, *, hash_bytes):
    """Every benchmark for ``sizes``, in run order.

    Sizes above :data:`FINISHED_STORE_MAX` (the ``--sizes 1000000`` tier) get
    only what needs no finished store: compile, status on a fresh store and
    worker start-up (time, memory and bytes read from the store); building
    a finished store of a million tasks takes the original most of an
    hour."""
    sizes = sorted(sizes)
    smallest = sizes[0]
    finished_sizes = [size for size in sizes if size <= FINISHED_STORE_MAX]
    benchmarks = [help_benchmark()]
    for jugfile in ("fanout.py", "layered.py", "barrier.py"):
        for size in sizes:
            benchmarks.append(status_fresh_benchmark(jugfile, size, quick=jugfile == "fanout.py" and size == smallest))
    benchmarks.append(status_fresh_benchmark("largeargs.py", LARGE_ARGS_TASKS))
    for size in finished_sizes:
        benchmarks.append(status_done_benchmark("layered.py", size, quick=size == smallest))
    for size in finished_sizes:
        if size <= BARRIER_DONE_MAX:
            benchmarks.append(status_done_benchmark("barrier.py", size))
    if finished_sizes:
        benchmarks.append(status_done_benchmark("largeargs.py", LARGE_ARGS_TASKS))
    benchmarks.append(startup_benchmark("single.py", None, quick=True))
    for size in sizes:
        benchmarks.append(startup_benchmark("fanout.py", size))
    benchmarks.append(top_level_startup_benchmark("single.py", None, quick=True))
    for size in sizes:
        benchmarks.append(top_level_startup_benchmark("fanout.py", size))
    benchmarks.append(replay_benchmark("single.py", None, quick=True))
    benchmarks.append(replay_benchmark("largeargs.py", LARGE_ARGS_TASKS))
    for jugfile in ("fanout.py", "layered.py", "barrier.py"):
        for size in sizes:
            benchmarks.append(replay_benchmark(jugfile, size))
    for size in sizes:
        if size > FINISHED_STORE_MAX:
            benchmarks.append(startup_bytes_benchmark("fanout.py", size))
    for size in sizes:
        if size in EXECUTE_SIZES:
            for store in ("file", "redis"):
                for workers in (1, 2):
                    benchmarks.append(execute_benchmark("fanout.py", size, store, workers,
                                                        quick=size == smallest and workers == 1))
    for size in sizes:
        if size in EXECUTE_SIZES:
            benchmarks.append(execute_benchmark("barrier.py", size, "file", 1))
    for size in finished_sizes:
        benchmarks.append(invalidate_benchmark(size, quick=size == smallest))
    for size in finished_sizes:
        benchmarks.append(cleanup_benchmark(size, quick=size == smallest))
    for size in finished_sizes:
        benchmarks.append(pack_benchmark(size, quick=size == smallest))
    for size in finished_sizes:
        benchmarks.append(graph_benchmark(size, quick=size == smallest))
    benchmarks.append(hash_benchmark(hash_bytes, quick=True))
    return benchmarks


def _task_count(stem, size, fresh):
    if stem == "fanout":
        return size + 1
    if stem == "layered":
        return size
    if stem == "barrier":
        return size if fresh else size + (size + 9) // 10 + 1
    if stem == "largeargs":
        return LARGE_ARGS_TASKS
    return 1


def _label(stem, size, tasks=None):
    if stem == "largeargs":
        return f"large arguments, {LARGE_ARGS_TASKS} tasks"
    if tasks is None:
        tasks = _task_count(stem, size, fresh=True)
    return f"{stem}, {_n(tasks)} tasks"


def describe(benchmark, impl, ctx_like):
    """The commands a benchmark would run with ``impl`` (for --dry-run)."""
    workdir = Path("<workdir>")
    lines = []
    for step in benchmark.steps(impl, ctx_like, workdir):
        kind = "timed" if step.record else "verify" if step.verifies else "setup"
        for argv in step.argvs:
            shown = ["<script>" if "\n" in a else a for a in map(str, argv)]
            lines.append(f"{kind}: {shlex.join(shown)}")
        if len(step.argvs) > 1:
            lines[-1] += f"   (x{len(step.argvs)} concurrently)"
            del lines[-len(step.argvs):-1]
    return lines
