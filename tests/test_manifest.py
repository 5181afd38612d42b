"""The manifest: commands work from it without running the jugfile, and it
is re-traced exactly when something the trace read changed."""

import dataclasses
import os
import re
import time
from array import array

import pytest

from jugtest import jug_env, run_jug, run_workers, start_jug, write

COUNTING_JUGFILE = """
    import os
    with open("traced.log", "a") as log:   # one line per run of the top-level code
        log.write("x\\n")

    from jug import TaskGenerator

    @TaskGenerator
    def double(x):
        return 2 * x

    @TaskGenerator
    def total(values):
        return sum(values)

    result = total([double(i) for i in range(10)])
"""


def traced_count(directory):
    path = os.path.join(directory, "traced.log")
    if not os.path.exists(path):
        return 0
    with open(path) as handle:
        return len(handle.read().split())


def result_value(directory, jugfile, expression):
    import subprocess
    import sys

    stem = jugfile[:-3]
    script = (f"import jug; jug.init({jugfile!r}, {stem + '.jugdata'!r}); import {stem}; "
              f"print(repr(jug.value({expression})))")
    proc = subprocess.run([sys.executable, "-c", script], cwd=directory, env=jug_env(),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip().splitlines()[-1]


def compiled_blob(directory, prefix):
    """Compile ``directory``/jugfile.py; the path of its blob named ``prefix``-*."""
    run_jug("compile", "jugfile.py", cwd=directory, check=0)
    blobs = directory / "jugfile.jugdata" / "blobs"
    (blob,) = [p for p in blobs.iterdir() if p.name.startswith(prefix + "-")]
    return blob


def test_commands_do_not_run_the_jugfile_while_the_manifest_is_fresh(tmp_path):
    write(tmp_path / "jugfile.py", COUNTING_JUGFILE)
    run_jug("compile", "jugfile.py", cwd=tmp_path, check=0)
    assert traced_count(tmp_path) == 1
    for _ in range(2):
        run_jug("status", "jugfile.py", cwd=tmp_path, check=1)
        run_jug("check", "jugfile.py", cwd=tmp_path, check=1)
    proc = run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, check=0)
    assert re.search(r"^\s+11\s+0\s+Total$", proc.stdout, re.M), proc.stdout
    run_jug("check", "jugfile.py", cwd=tmp_path, check=0)
    run_jug("status", "jugfile.py", cwd=tmp_path, check=0)
    assert traced_count(tmp_path) == 1
    assert result_value(tmp_path, "jugfile.py", "jugfile.result") == "90"


def test_compile_summary_and_json(tmp_path):
    write(tmp_path / "jugfile.py", COUNTING_JUGFILE)
    proc = run_jug("compile", "jugfile.py", cwd=tmp_path, check=0)
    assert "11 tasks" in proc.stdout and "10  jugfile.double" in proc.stdout
    assert "1  jugfile.total" in proc.stdout and "Manifest:" in proc.stdout
    import json

    proc = run_jug("compile", "jugfile.py", "--json", cwd=tmp_path, check=0)
    data = json.loads(proc.stdout)
    assert len(data["tasks"]) == 11
    last = data["tasks"][-1]
    assert last["name"] == "jugfile.total" and last["line"] == 15
    assert len(last["dependencies"]) == 10 and last["stage"] == 0


def test_compile_reports_a_syntax_error_before_running(tmp_path):
    write(tmp_path / "jugfile.py", """
        with open("ran", "w") as f:
            f.write("x")
        def broken(:
            pass
    """)
    proc = run_jug("compile", "jugfile.py", cwd=tmp_path, check=1)
    assert 'File "jugfile.py", line 3' in proc.stderr and "^" in proc.stderr
    assert not os.path.exists(tmp_path / "ran")


def test_same_state_gives_the_same_manifest_bytes(tmp_path):
    write(tmp_path / "jugfile.py", COUNTING_JUGFILE)
    blobs = tmp_path / "jugfile.jugdata" / "blobs"
    run_jug("compile", "jugfile.py", cwd=tmp_path, check=0)
    first = {p.name: p.read_bytes() for p in blobs.iterdir()}
    run_jug("compile", "jugfile.py", cwd=tmp_path, check=0)
    second = {p.name: p.read_bytes() for p in blobs.iterdir()}
    assert first == second


def test_retrace_after_editing_the_jugfile(tmp_path):
    write(tmp_path / "jugfile.py", COUNTING_JUGFILE)
    run_jug("compile", "jugfile.py", cwd=tmp_path, check=0)
    with open(tmp_path / "jugfile.py", "a") as handle:
        handle.write("extra = double(100)\n")
    proc = run_jug("status", "jugfile.py", "--short", cwd=tmp_path, check=1)
    assert "jug: re-traced jugfile.py: jugfile.py modified" in proc.stderr
    assert "12 tasks waiting" in proc.stdout
    assert traced_count(tmp_path) == 2
    # touching without a change does not re-trace
    os.utime(tmp_path / "jugfile.py", None)
    run_jug("status", "jugfile.py", cwd=tmp_path, check=1)
    assert traced_count(tmp_path) == 2


def test_retrace_after_editing_a_local_module(tmp_path):
    # With bytecode on, as users have it (this machine sets
    # PYTHONDONTWRITEBYTECODE), and the edit keeping the size and the
    # second of the .pyc's source mtime: Python's own check trusts the
    # old .pyc then (tests/test_sources.py).
    env = jug_env(PYTHONDONTWRITEBYTECODE=None)
    second = (int(time.time()) - 60) * 10**9
    write(tmp_path / "helpers.py", "FACTOR = 2\n")
    os.utime(tmp_path / "helpers.py", ns=(second + 10**8, second + 10**8))
    write(tmp_path / "jugfile.py", """
        from jug import TaskGenerator
        from helpers import FACTOR

        @TaskGenerator
        def scale(x, factor):
            return x * factor

        result = scale(21, FACTOR)
    """)
    run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, env=env, check=0)
    assert (tmp_path / "__pycache__").is_dir()  # bytecode was written
    write(tmp_path / "helpers.py", "FACTOR = 3\n")
    os.utime(tmp_path / "helpers.py", ns=(second + 6 * 10**8, second + 6 * 10**8))
    proc = run_jug("status", "jugfile.py", "--short", cwd=tmp_path, env=env, check=1)
    assert "re-traced jugfile.py: helpers.py modified" in proc.stderr
    run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, env=env, check=0)
    assert result_value(tmp_path, "jugfile.py", "jugfile.result") == "63"


def test_retrace_after_a_new_file_in_a_globbed_directory(tmp_path):
    write(tmp_path / "inputs" / "a.txt", "1")
    write(tmp_path / "jugfile.py", """
        from glob import glob
        from jug import TaskGenerator

        @TaskGenerator
        def size(path):
            return len(open(path).read())

        sizes = [size(p) for p in sorted(glob("inputs/*.txt"))]
    """)
    run_jug("status", "jugfile.py", "--short", cwd=tmp_path, check=1)
    write(tmp_path / "inputs" / "b.txt", "22")
    proc = run_jug("status", "jugfile.py", "--short", cwd=tmp_path, check=1)
    assert "re-traced jugfile.py: inputs/ gained 1 file" in proc.stderr
    assert "2 tasks waiting" in proc.stdout


def test_retrace_after_changing_argv(tmp_path):
    write(tmp_path / "jugfile.py", """
        import sys
        from jug import TaskGenerator

        @TaskGenerator
        def echo(x):
            return x

        args = [echo(a) for a in sys.argv[1:]]
    """)
    proc = run_jug("status", "jugfile.py", "one", "--short", cwd=tmp_path, check=1)
    assert "1 tasks waiting" in proc.stdout
    proc = run_jug("status", "jugfile.py", "one", "two", "--short", cwd=tmp_path, check=1)
    assert "2 tasks waiting" in proc.stdout
    proc = run_jug("status", "jugfile.py", "one", "--short", cwd=tmp_path, check=1)
    assert "1 tasks waiting" in proc.stdout and "re-traced" not in proc.stderr


BARRIER_JUGFILE = """
    with open("traced.log", "a") as log:
        log.write("x\\n")
    from jug import TaskGenerator, barrier, bvalue, value

    @TaskGenerator
    def double(x):
        return 2 * x

    @TaskGenerator
    def plus(a, b):
        return a + b

    first = [double(i) for i in range(6)]
    barrier()
    second = [plus(v, 1) for v in value(first) if v % 4 == 0]
    third = double(bvalue(plus(second, [])))
    result = third
"""


def test_barrier_stages_status_and_retrace(tmp_path):
    write(tmp_path / "jugfile.py", BARRIER_JUGFILE)
    proc = run_jug("status", "jugfile.py", cwd=tmp_path, check=1)
    assert re.search(r"^\s+0\s+0\s+6\s+0\s+0  jugfile.double$", proc.stdout, re.M)
    assert "stopped at barrier() at line 14" in proc.stdout
    proc = run_jug("execute", "jugfile.py", "--will-cite", "--name", "double", cwd=tmp_path,
                   check=0)
    # that worker passed the barrier itself, re-tracing; only `plus` is left
    proc = run_jug("status", "jugfile.py", cwd=tmp_path, check=1)
    assert re.search(r"^\s+0\s+1\s+3\s+0\s+0  jugfile.plus$", proc.stdout, re.M), proc.stdout
    assert "stopped at bvalue() at line 16" in proc.stdout and "2 barrier stages" in proc.stdout
    proc = run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, check=0)
    run_jug("check", "jugfile.py", cwd=tmp_path, check=0)
    assert result_value(tmp_path, "jugfile.py", "jugfile.result") == "[1, 5, 9, 1, 5, 9]"


def test_retrace_after_invalidating_a_result_bvalue_read(tmp_path):
    write(tmp_path / "jugfile.py", BARRIER_JUGFILE)
    run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, check=0)
    run_jug("check", "jugfile.py", cwd=tmp_path, check=0)
    proc = run_jug("invalidate", "jugfile.py", "--name", "plus", cwd=tmp_path, check=0)
    assert "Invalidated" in proc.stdout and "jugfile.plus" in proc.stdout
    proc = run_jug("status", "jugfile.py", "--short", cwd=tmp_path, check=1)
    assert "bvalue() was removed" in proc.stderr


def test_two_barriers_three_workers_trace_once_per_stage(tmp_path):
    write(tmp_path / "jugfile.py", """
        with open("traced.log", "a") as log:
            log.write("x\\n")
        from jug import TaskGenerator, barrier, value

        @TaskGenerator
        def step(x):
            return x + 1

        a = [step(i) for i in range(12)]
        barrier()
        b = [step(v) for v in value(a)]
        barrier()
        c = [step(v) for v in value(b)]
    """)
    env = jug_env()
    run_jug("compile", "jugfile.py", cwd=tmp_path, env=env, check=0)
    run_workers(3, "jugfile.py", cwd=tmp_path, env=env)
    run_jug("check", "jugfile.py", cwd=tmp_path, env=env, check=0)
    # compile + one re-trace per passed barrier; a race may add one or two more
    assert 3 <= traced_count(tmp_path) <= 5


def test_jugfile_functions_helpers_data_and_classes_run_from_the_manifest(tmp_path):
    write(tmp_path / "shapes.py", """
        def area(w, h):
            return w * h
    """)
    write(tmp_path / "jugfile.py", """
        with open("traced.log", "a") as log:
            log.write("x\\n")
        from jug import TaskGenerator
        from shapes import area

        SCALE = {"unit": 3}

        class Box:
            def __init__(self, w, h):
                self.w, self.h = w, h
            def __eq__(self, other):
                return (self.w, self.h) == (other.w, other.h)

        def helper(x):
            return x * SCALE["unit"]

        @TaskGenerator
        def make(i):
            return Box(helper(i), i)

        @TaskGenerator
        def measure(box):
            return area(box.w, box.h)

        boxes = [make(i) for i in range(4)]
        areas = [measure(b) for b in boxes]
    """)
    run_jug("compile", "jugfile.py", cwd=tmp_path, check=0)
    run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, check=0)
    assert traced_count(tmp_path) == 1
    assert result_value(tmp_path, "jugfile.py", "jugfile.areas") == "[0, 3, 12, 27]"


def test_corrupt_or_unknown_manifest_is_retraced(tmp_path):
    write(tmp_path / "jugfile.py", COUNTING_JUGFILE)
    manifest = compiled_blob(tmp_path, "manifest")
    data = bytearray(manifest.read_bytes())
    for older_or_unknown in (4, 99):
        data[8] = older_or_unknown  # format version
        manifest.write_bytes(bytes(data))
        proc = run_jug("status", "jugfile.py", "--short", cwd=tmp_path, check=1)
        assert f"format version {older_or_unknown}" in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr
        manifest = compiled_blob(tmp_path, "manifest")  # written again by the re-trace
        data = bytearray(manifest.read_bytes())
    manifest.write_bytes(b"garbage")
    proc = run_jug("status", "jugfile.py", "--short", cwd=tmp_path, check=1)
    assert "re-traced jugfile.py: manifest manifest-" in proc.stderr and "is truncated" in proc.stderr and "11 tasks waiting" in proc.stdout


def test_sleep_until_waits_for_a_worker_and_passes_barriers(tmp_path):
    write(tmp_path / "jugfile.py", BARRIER_JUGFILE)
    env = jug_env()
    sleeper = start_jug("sleep-until", "jugfile.py", "--poll-time", "0.1", cwd=tmp_path, env=env)
    time.sleep(0.5)
    assert sleeper.poll() is None  # nothing is finished yet
    run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, env=env, check=0)
    assert sleeper.wait(timeout=60) == 0


def test_user_modules_are_the_users_own_code(tmp_path, monkeypatch):
    import sys

    from jugtest import REPO

    from jug.compiler.freshness import user_modules

    write(tmp_path / "helper_mod_for_test.py", "X = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    before = set(sys.modules)
    import helper_mod_for_test  # noqa: F401

    found = user_modules(str(tmp_path / "jugfile.py"), before)
    assert found == {"helper_mod_for_test": os.path.realpath(tmp_path / "helper_mod_for_test.py")}
    # a jugfile next to the jug package never takes jug's own modules for the user's
    assert not any(name == "jug" or name.startswith("jug.") for name in
                   user_modules(os.path.join(REPO, "jugfile.py"), set()))
    monkeypatch.delitem(sys.modules, "helper_mod_for_test")


def _three_task_manifest():
    #   a   b      (jugfile.load, stage 0)
    #    \ /
    #     c        (jugfile.total, stage 1, after a barrier)
    from array import array

    from jug.compiler.freshness import InputState, StatQuery, VariableRead
    from jug.compiler.manifest import FORMAT_VERSION, ManifestHeader, Question
    from jug.compiler.replay import ProcessChanges, TopLevelReason
    from jug.graph import TaskGraphBuilder

    builder = TaskGraphBuilder()
    builder.add("a" * 40, "jugfile.load", [])
    builder.add("b" * 40, "jugfile.load", [])
    builder.add("c" * 40, "jugfile.total", ["a" * 40, "b" * 40], stage=1)
    graph = builder.build()
    header = ManifestHeader(
        version=FORMAT_VERSION, jug_version="3.0.0", python="3.11.7", jugfile="jugfile.py",
        module="jugfile", argv=("jugfile.py", "--n", "2"), names=tuple(graph.names),
        task_count=3, edge_count=2, stopped_at=None,
        inputs=(InputState("file", "/p/jugfile.py", 120, 1700000000000000000, "ab" * 16),),
        questions=(Question("barrier", True, upto=2),), payload="payload-" + "d" * 40,
        payload_error=None, fallbacks=(("mod.Thing", 2),),
        stats=(StatQuery("/p/out", True, (("exists", False),), "jugfile.py:3"),),
        variables=(VariableRead("N", "3", False, "jugfile.py:2"),),
        replay=ProcessChanges(environ=(("MODE", "fast"), ("HOME", None)),
                              path_edits=(("insert", "lib", "/usr/lib/python3.11"),),
                              argv=("jugfile.py", "--n", "2"), cwd="/p/data",
                              settings=(("sys.setrecursionlimit", "5000"),),
                              modules=(("jugfile", "jugfile.py"), ("config", "config.py")),
                              not_carried=(("jugfile.handle", "TextIOWrapper: cannot pickle"),),
                              top_level=(TopLevelReason("jugfile.py", 4, "calls x()"),)))
    return header, graph, array("i", [3, 4, 6])


# The encoding of _three_task_manifest() per format version.  A change to
# the bytes is a format change: bump FORMAT_VERSION (old manifests are then
# re-traced instead of misread) and add its digest here.
GOLDEN_MANIFESTS = {
    1: "06383fbd2846f09456b6fdb836627d0096fe34c022204227aa3ceadd117b1e83",
    2: "96b1de35ae6280e85de33e2e56f6de4ac545b910429fc3050b959d3e2445331d",  # observations
    3: "d33ab866d077f01adcd76772675e373b7c1a9b518691bfc08c49f2a5a23b1ca1",  # (main) what the top level changed (replay)
    # chunked hashes (2 tasks) and replay; then the optional header fields
    # "fresh" and "hash_index" (a format-4 reader without them ignores them)
    4: "c3774aeacb51743c10f23ced947e386fde02e413aaa938df2a2525fa71322473",
    # the same bytes but the version: the payload's lists of tasks outside
    # rows (module data, shared arguments) are index arrays (_task_list_value)
    5: "ada4006735460257618bd777d7672064ef73d8422d2ccf3a9c0bb12c4f5d7dca",
    # the same bytes but the version: payload chunks of one function's
    # tasks as (function, arguments) rows, runs of tasks as ranges, and the
    # hash index as one blob of parts (directory JUGHIDX2)
    6: "662b3d916d6f36635c51dd087eeeec92c7a32f470ed8a235858d5fcf9160ad2a",
}


def test_manifest_encoding_is_pinned_per_format_version():
    import hashlib

    from jug.compiler.manifest import FORMAT_VERSION, encode_manifest, hash_chunk_blobs

    header, graph, lines = _three_task_manifest()
    chunks = hash_chunk_blobs(graph, 2)
    assert chunks == [("hashes-d285cfdc0aa85c95d6d9e2dd413f02607f4020f4", bytes.fromhex("aa" * 20 + "bb" * 20)),
                      ("hashes-b7ac34cfd1cf7e642929e80388f5761592c3d0ae", bytes.fromhex("cc" * 20))]
    data = encode_manifest(header, graph, lines, [name for name, _ in chunks], 2)
    assert FORMAT_VERSION in GOLDEN_MANIFESTS, "a new FORMAT_VERSION needs its golden digest"
    assert hashlib.sha256(data).hexdigest() == GOLDEN_MANIFESTS[FORMAT_VERSION], data
    header_length = int.from_bytes(data[12:16], "little")
    assert data[16:16 + header_length].startswith(b'{"argv":["jugfile.py","--n","2"],'
                                                   b'"chunk_tasks":2,"edge_count":2,'
                                                   b'"fallbacks":[["mod.Thing",2]]')
    # name_ids [0, 0, 1] as differences, uncompressed (too short to pay)
    assert data[16 + header_length:16 + header_length + 12] == bytes([0] * 8 + [1, 0, 0, 0])


def test_manifest_decodes_to_what_was_encoded():
    from jug.compiler.manifest import (ManifestHeader, decode_manifest, encode_manifest,
                                       hash_chunk_blobs)
    from jug.store.memory_store import MemoryStore

    header, graph, lines = _three_task_manifest()
    store = MemoryStore()
    chunks = hash_chunk_blobs(graph, 2)
    for name, data in chunks:
        store.put_blob(name, data)
    manifest = decode_manifest(encode_manifest(header, graph, lines, [n for n, _ in chunks], 2),
                               store=store)
    assert manifest.header == header
    assert ManifestHeader.from_json(header.to_json()) == header
    assert list(manifest.lines) == [3, 4, 6]
    decoded = manifest.graph
    assert decoded.hashes.loaded_chunks() == 0  # the hashes are read when asked for
    assert decoded.hashes[2] == "c" * 40 and decoded.hashes.loaded_chunks() == 1
    assert list(decoded.hashes) == graph.hashes and list(decoded.stages) == [0, 0, 1]
    assert [list(decoded.dependencies(i)) for i in range(3)] == [[], [], [0, 1]]
    assert [list(decoded.dependents(i)) for i in range(3)] == [[2], [2], []]


def test_undecodable_payload_bytes_are_a_manifest_error():
    import pytest

    from jug.compiler.manifest import decode_payload, payload_blob_name
    from jug.errors import ManifestError

    _, graph, _ = _three_task_manifest()
    with pytest.raises(ManifestError, match="cannot be decoded"):
        decode_payload(b"not a pickle", graph, store=None)
    with pytest.raises(ManifestError, match="damaged"):
        decode_payload(b"not a pickle", graph, None, blob_name="payload-" + "0" * 40)
    with pytest.raises(ManifestError, match="cannot be decoded"):
        decode_payload(b"not a pickle", graph, None, payload_blob_name(b"not a pickle"))


def test_a_damaged_payload_is_retraced_and_rewritten(tmp_path):
    from jug.compiler.manifest import payload_blob_name

    write(tmp_path / "jugfile.py", COUNTING_JUGFILE)
    payload = compiled_blob(tmp_path, "payload")
    data = bytearray(payload.read_bytes())
    data[len(data) // 2] ^= 0x20  # damage on disk, e.g. a flipped bit
    payload.write_bytes(bytes(data))
    proc = run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, check=0)
    lines = proc.stderr.strip().splitlines()
    assert lines == [f"jug: the manifest payload {payload.name} is damaged (its content does "
                     "not match its name): re-tracing jugfile.py"], proc.stderr
    assert re.search(r"^\s+11\s+0\s+Total$", proc.stdout, re.M), proc.stdout
    assert traced_count(tmp_path) == 2
    assert result_value(tmp_path, "jugfile.py", "jugfile.result") == "90"
    assert payload_blob_name(payload.read_bytes()) == payload.name  # written anew
    run_jug("invalidate", "jugfile.py", "--name", "total", cwd=tmp_path, check=0)
    traced = traced_count(tmp_path)
    proc = run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, check=0)
    assert proc.stderr == "" and traced_count(tmp_path) == traced  # the payload serves again


SHARED_JUGFILE = """
    from jug import TaskGenerator

    @TaskGenerator
    def pick(table, i):
        return table[i] + i

    @TaskGenerator
    def total(values):
        return sum(values)

    table = list(range(1000))   # one large argument given to every task
    result = total([pick(table, i) for i in range(20)])
"""


def _blobs(directory, prefix):
    blobs = directory / "jugfile.jugdata" / "blobs"
    return sorted(p for p in blobs.iterdir() if p.name.startswith(prefix + "-"))


def test_payload_rows_and_hashes_are_chunked_and_a_shared_argument_stored_once(tmp_path):
    write(tmp_path / "jugfile.py", SHARED_JUGFILE)
    env = jug_env(JUG_CHUNK_TASKS=3)
    run_jug("compile", "jugfile.py", cwd=tmp_path, env=env, check=0)
    # 21 tasks in chunks of 3; the table given to 20 tasks is stored once
    assert len(_blobs(tmp_path, "rows")) == 7 and len(_blobs(tmp_path, "hashes")) == 7
    assert len(_blobs(tmp_path, "shared")) == 1
    stored = sum(p.stat().st_size for p in (tmp_path / "jugfile.jugdata" / "blobs").iterdir())
    proc = run_jug("execute", "jugfile.py", "--will-cite", "--verbose", "info", cwd=tmp_path,
                   env=jug_env(JUG_MAX_TASKS=1), check=0)
    read = re.search(r"first task: read (\d+) bytes in (\d+) blobs from the store", proc.stderr)
    assert read is not None, proc.stderr
    # the index, the manifest, the payload head, one row chunk, the shared table, the
    # hashes of the first 8 tasks (the jug 2.x store check) and of the claimed task
    assert int(read.group(2)) <= 9 and int(read.group(1)) < stored, (read.group(0), stored)
    run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, check=0)
    assert result_value(tmp_path, "jugfile.py", "jugfile.result") == str(2 * sum(range(20)))


def test_a_damaged_row_chunk_or_manifest_is_reported_in_one_line(tmp_path):
    write(tmp_path / "jugfile.py", COUNTING_JUGFILE)
    run_jug("compile", "jugfile.py", cwd=tmp_path, env=jug_env(JUG_CHUNK_TASKS=4), check=0)
    chunk = _blobs(tmp_path, "rows")[0]
    data = bytearray(chunk.read_bytes())
    data[len(data) // 2] ^= 0x20
    chunk.write_bytes(bytes(data))
    proc = run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path)
    assert f"the manifest's blob {chunk.name} is damaged" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    (manifest,) = _blobs(tmp_path, "manifest")
    data = bytearray(manifest.read_bytes())
    data[-1] ^= 0x01  # a column's last byte: only the content check sees it
    manifest.write_bytes(bytes(data))
    proc = run_jug("status", "jugfile.py", "--short", cwd=tmp_path)
    assert f"manifest {manifest.name} is damaged" in proc.stderr and "Traceback" not in proc.stderr


def test_a_process_reads_an_unchanged_manifest_once(tmp_path):
    from jug.compiler.build import compile_jugfile, find_manifest
    from jug.compiler.manifest import BLOB_READS
    from jug.store.file_store import FileStore

    write(tmp_path / "jugfile.py", SHARED_JUGFILE)
    store = FileStore(str(tmp_path / "jugfile.jugdata"))
    jugfile = str(tmp_path / "jugfile.py")
    compiled = compile_jugfile(jugfile, store, [jugfile]).manifest
    from jug.compiler.index import index_name

    index = store.get_blob(index_name(jugfile, [jugfile]))
    before = BLOB_READS.bytes
    for lookups in (1, 2):
        assert find_manifest(jugfile, store, [jugfile]).manifest is compiled
        # the candidates' index each time, the manifest not: its blob did not change
        assert BLOB_READS.bytes - before == lookups * len(index)


def test_decoding_a_chunk_makes_no_stub_for_a_list_of_tasks_until_its_task_runs(tmp_path, monkeypatch):
    from jug.compiler.build import compile_jugfile
    from jug.compiler.manifest import decode_payload
    from jug.store.file_store import FileStore

    write(tmp_path / "jugfile.py", SHARED_JUGFILE)
    monkeypatch.setenv("JUG_CHUNK_TASKS", "64")  # every task in one chunk
    monkeypatch.chdir(tmp_path)
    store = FileStore(str(tmp_path / "jugfile.jugdata"))
    manifest = compile_jugfile("jugfile.py", store, ["jugfile.py"]).manifest
    payload = manifest.header.payload
    rows, stubs = decode_payload(store.get_blob(payload), manifest.graph, store, payload)
    graph = manifest.graph
    total = next(i for i in range(len(graph)) if graph.name(i) == "jugfile.total")
    leaf = rows.call(0)  # decodes the chunk, the reduce's row included
    assert leaf.args[1] == 0 and len(stubs) == 0
    (values,) = rows.call(total).args
    assert [stub.key for stub in values] == [graph.hashes[i] for i in graph.dependencies(total)]


def _damage_blob(store, name, change):
    """Rewrite blob ``name`` of ``store`` (file or Redis) as ``change(bytes)``, in
    place (as a disk or a stray writer would: not through the store)."""
    if hasattr(store, "_blob_path"):
        path = store._blob_path(name)
        with open(path, "rb") as fh:
            data = fh.read()
        with open(path, "wb") as fh:
            fh.write(change(data))
    else:  # Redis: the parts are fields of the blob's hash
        fields = store._client.hgetall(f"blob:{name}")
        store._client.hset(f"blob:{name}", mapping={
            field: change(value) for field, value in fields.items()
            if re.fullmatch(rb"p[0-9]+", field)})


@pytest.mark.parametrize("store", ["file", "redis"], indirect=True)
def test_the_hash_index_finds_tasks_by_hash_reading_only_their_buckets(store):
    """A manifest of more tasks than one hash chunk carries a hash index: the
    tasks of a few listed keys are found from their buckets (one read of
    the parts of one blob), not from every hash chunk; a damaged bucket, or
    a directory of another layout, falls back to the chunks."""
    from jug.compiler.manifest import (BLOB_READS, INDEX_BUCKET_TASKS, decode_manifest,
                                       encode_manifest, fresh_counts, put_named_blob,
                                       store_hash_chunks, store_hash_index)
    from jug.graph import TaskGraphBuilder

    n, chunk = 4 * INDEX_BUCKET_TASKS, INDEX_BUCKET_TASKS // 4
    builder = TaskGraphBuilder()
    import hashlib
    hashes = [hashlib.sha1(str(i).encode()).hexdigest() for i in range(n)]
    for i, digest in enumerate(hashes):
        builder.add_indexed(digest, "jugfile.leaf" if i else "jugfile.seed", [0] if i % 3 else [])
    graph = builder.build()
    header, _, _ = _three_task_manifest()
    header = dataclasses.replace(header, names=tuple(graph.names), task_count=n,
                                 edge_count=graph.edge_count)
    names, _ = store_hash_chunks(store, graph, chunk)
    index, index_bytes = store_hash_index(store, graph, chunk)
    assert index.startswith("hashdir-") and index_bytes > 24 * n
    (buckets,) = [name for name in store.list_blobs("hashidx-")]
    data = encode_manifest(header, graph, array("i", [0] * n), names, chunk, index)
    manifest = decode_manifest(data, "manifest", store)
    assert manifest.fresh == {"names": [tuple(p) for p in fresh_counts(graph)["names"]],
                              "stages": [tuple(p) for p in fresh_counts(graph)["stages"]]}
    assert manifest.fresh["names"][graph.names.index("jugfile.leaf")] == (n - 1, (n - 1) // 3)
    wanted = [hashes[5], hashes[n - 1], "f" * 40, "not a hash"]
    before, bytes_before = BLOB_READS.blobs, BLOB_READS.bytes
    assert manifest.graph.indices_of(wanted) == {hashes[5]: 5, hashes[n - 1]: n - 1}
    assert BLOB_READS.blobs - before == 2  # the directory, then the buckets in one read
    assert BLOB_READS.bytes - bytes_before < 4 * 24 * n // 16  # three buckets of 16 at most
    assert manifest.graph.hashes.loaded_chunks() == 0
    assert manifest.graph.index_of(hashes[7]) == 7

    # one byte of the buckets changed: the buckets read are checked, and the
    # hash chunks read instead
    _damage_blob(store, buckets, lambda data: data[:-9] + bytes([data[-9] ^ 1]) + data[-8:])
    manifest = decode_manifest(data, "manifest", store)
    assert manifest.graph.indices_of(wanted) == {hashes[5]: 5, hashes[n - 1]: n - 1}
    assert manifest.graph.hashes.loaded_chunks() == n // chunk  # read from the chunks instead
    _damage_blob(store, buckets, lambda data: b"damaged")
    manifest = decode_manifest(data, "manifest", store)
    assert manifest.graph.indices_of(wanted) == {hashes[5]: 5, hashes[n - 1]: n - 1}
    assert manifest.graph.hashes.loaded_chunks() == n // chunk
    store.remove_blob(buckets)
    manifest = decode_manifest(data, "manifest", store)
    assert manifest.graph.indices_of(wanted) == {hashes[5]: 5, hashes[n - 1]: n - 1}

    # a directory an older jug wrote (one blob per bucket): not read
    old = put_named_blob(store, "hashdir", b"JUGHIDX1" + store.get_blob(index)[8:12]
                         + bytes(20 * 256))
    data = encode_manifest(header, graph, array("i", [0] * n), names, chunk, old)
    manifest = decode_manifest(data, "manifest", store)
    assert manifest.graph.indices_of(wanted) == {hashes[5]: 5, hashes[n - 1]: n - 1}
    assert manifest.graph.hashes.loaded_chunks() == n // chunk


def test_a_worker_waiting_for_a_re_trace_reads_the_unchanged_manifest_once(tmp_path, shared_jugdir):
    """A worker that finds the manifest stale while another process holds
    the re-trace lock polls the store; each poll looks at the manifest
    blob's size and version, and reads it again only if it changed."""
    from jug.compiler.manifest import manifest_key
    from jug.store import open_store

    write(tmp_path / "jugfile.py", BARRIER_JUGFILE)
    at = ("--jugdir", shared_jugdir)
    run_jug("compile", "jugfile.py", *at, cwd=tmp_path, check=0)
    # stage 0 done by a worker that stops before passing the barrier: stale
    run_jug("execute", "jugfile.py", *at, "--will-cite", cwd=tmp_path,
            env=jug_env(JUG_MAX_TASKS=6))
    store = open_store(shared_jugdir)
    lock = "retrace-" + manifest_key("jugfile.py", ["jugfile.py"])[len("manifest-"):]
    assert store.lock(lock)  # "another worker" is re-tracing
    try:
        worker = start_jug("execute", "jugfile.py", *at, "--will-cite", "--verbose", "debug",
                           cwd=tmp_path)
        time.sleep(2.5)  # it polls about six times meanwhile
    finally:
        store.unlock(lock)
    _, stderr = worker.communicate(timeout=120)
    store.close()
    assert worker.returncode == 0, stderr
    assert "waiting for another process to re-trace jugfile.py: barrier passed" in stderr, stderr
    reads = re.findall(r"read blob (manifest-\S+) \(", stderr)
    assert len(reads) == 1, stderr  # the stale manifest, once; the new one it traced itself
    assert run_jug("check", "jugfile.py", *at, cwd=tmp_path).returncode == 0


LAZY_TASK_LISTS_JUGFILE = """
    from jug import TaskGenerator

    @TaskGenerator
    def leaf(i):
        return 2 * i

    @TaskGenerator
    def peek(after):
        import jugfile  # the module's data no code names is decoded on first read
        leaves, pairs, alias = (getattr(jugfile, name) for name in ("leaves", "pairs", "alias"))
        return ([t.key for t in leaves], type(leaves).__name__,
                [t.key for t in pairs], type(pairs).__name__, alias is leaves)

    leaves = [leaf(i) for i in range(20)]
    pairs = (leaf(100), leaf(101))
    alias = leaves
    seen = peek(leaf(102))
"""


def test_module_lists_of_tasks_no_code_names_decode_as_lists_of_those_tasks(tmp_path):
    # such lists are pickled as one array of task indices (at a million
    # tasks, a reduction per task cost seconds); they must come back as
    # lists (tuples) of the same tasks, one object under two names
    write(tmp_path / "jugfile.py", LAZY_TASK_LISTS_JUGFILE)
    run_jug("compile", "jugfile.py", cwd=tmp_path, check=0)
    assert any(p.name.startswith("lazy-") for p in (tmp_path / "jugfile.jugdata" / "blobs").iterdir())
    run_jug("execute", "jugfile.py", cwd=tmp_path, check=0)
    expected = ("([t.key for t in jugfile.leaves], 'list', [t.key for t in jugfile.pairs], "
                "'tuple', True)")
    assert result_value(tmp_path, "jugfile.py", "jugfile.seen") == result_value(
        tmp_path, "jugfile.py", expected)


def test_blobs_written_in_the_background_are_there_after_close_and_a_failed_write_is_raised(tmp_path):
    import pytest

    from jug.compiler.manifest import BackgroundBlobs
    from jug.errors import StoreError
    from jug.store import open_store

    store = open_store(str(tmp_path / "jugdata"))
    blobs = BackgroundBlobs(store, depth=2)
    for i in range(20):
        blobs.put_blob(f"rows-{i}", b"x" * i)
        assert blobs.blob_info(f"rows-{i}") is not None  # queued counts as there
    blobs.close()
    assert [store.get_blob(f"rows-{i}") for i in range(20)] == [b"x" * i for i in range(20)]

    class Failing(type(store)):
        def stage_blob(self, name, data):
            if name == "rows-3":
                raise StoreError("the disk is full")
            return super().stage_blob(name, data)

    failing = Failing(str(tmp_path / "other"))
    blobs = BackgroundBlobs(failing)
    for i in range(6):
        blobs.put_blob(f"rows-{i}", b"y")
    with pytest.raises(StoreError, match="disk is full"):
        blobs.close()
    assert failing.get_blob("rows-2") == b"y" and failing.get_blob("rows-4") is None
    assert not os.listdir(tmp_path / "other" / "tempfiles")  # nothing left half done


def test_staged_blobs_appear_only_when_committed_each_complete(tmp_path):
    """A file store's staged blob has no name until it is committed, and
    then has it complete; a batch is durable together (one directory
    flush)."""
    from jug.store.file_store import FileStore

    store = FileStore(str(tmp_path / "jugdata"))
    staged = [store.stage_blob(f"rows-{i}", bytes([i]) * 1000) for i in range(3)]
    assert all(store.blob_info(f"rows-{i}") is None for i in range(3))
    store.commit_blobs(staged)
    assert [store.get_blob(f"rows-{i}") for i in range(3)] == [bytes([i]) * 1000
                                                               for i in range(3)]
    assert not os.listdir(tmp_path / "jugdata" / "tempfiles")
    before = store.blob_info("rows-0")
    store.commit_blobs([store.stage_blob("rows-0", b"new")])
    assert store.get_blob("rows-0") == b"new" and store.blob_info("rows-0") != before
    # where the system has no syncfs, each file is flushed
    from jug.store import file_store

    kept = list(file_store._SYNCFS)
    file_store._SYNCFS[:] = [None]
    try:
        store.commit_blobs([store.stage_blob("rows-1", b"one"), store.stage_blob("rows-5", b"5")])
    finally:
        file_store._SYNCFS[:] = kept
    assert store.get_blob("rows-1") == b"one" and store.get_blob("rows-5") == b"5"


def test_only_a_large_batch_of_blobs_is_flushed_by_one_syncfs(tmp_path):
    """syncfs waits for everything dirty on the file system: a compile's
    few blobs are flushed one by one, a large batch at once."""
    from jug.store import file_store
    from jug.store.file_store import SYNCFS_MIN_BLOBS, FileStore

    store = FileStore(str(tmp_path / "jugdata"))
    store.commit_blobs([store.stage_blob("rows-x", b"x")])  # finds syncfs (or not)
    if file_store._SYNCFS[0] is None:
        pytest.skip("this system has no syncfs(2)")
    calls = []
    kept = list(file_store._SYNCFS)
    file_store._SYNCFS[:] = [lambda fd: calls.append(fd) or kept[0](fd)]
    try:
        store.commit_blobs([store.stage_blob(f"rows-{i}", b"s") for i in range(3)])
        assert calls == []
        store.commit_blobs([store.stage_blob(f"rows-{i}", b"l")
                            for i in range(SYNCFS_MIN_BLOBS)])
        assert len(calls) == 1
    finally:
        file_store._SYNCFS[:] = kept
    assert store.get_blob(f"rows-{SYNCFS_MIN_BLOBS - 1}") == b"l"


MANY_BLOBS_JUGFILE = """
from jug import TaskGenerator

@TaskGenerator
def leaf(i):
    return i

@TaskGenerator
def total(values):
    return sum(values)

leaves = [leaf(i) for i in range(3000)]
result = total(leaves)
"""


PAUSED_COMMIT = """
import os, sys, time
from jug.compiler.manifest import BackgroundBlobs
from jug.store.file_store import FileStore

# batches of STAGED_MAX blobs only, whatever the timing: the same count each run
BackgroundBlobs.STAGED_IDLE = BackgroundBlobs.STAGED_MAX

commit = FileStore.commit_blobs
count = [0]

def paused(self, staged):
    if not staged:
        return commit(self, staged)
    count[0] += 1
    with open(f"commit-{count[0]}", "w"):
        pass
    if count[0] == int(os.environ["PAUSE_AT"]):
        time.sleep(60)  # killed here, its blobs staged but not yet in place
    return commit(self, staged)

FileStore.commit_blobs = paused
from jug.cli import main
sys.exit(main())
"""


def test_a_compile_killed_at_any_moment_leaves_no_manifest_naming_a_missing_blob(tmp_path):
    """``kill -9`` of ``jug compile`` while it commits a batch of blobs
    (chunks of 4 tasks: about 1,500 blobs, and a hash index), the first,
    one in the middle and the last (in ``close``, just before the
    manifest): every manifest in the store has every blob it names (the
    blobs are durable before the manifest is written), and the next
    command uses it or re-traces."""
    import subprocess
    import sys

    from jug.compiler.blobs import manifest_blobs
    from jug.store.file_store import FileStore

    write(tmp_path / "jugfile.py", MANY_BLOBS_JUGFILE)
    write(tmp_path / "paused.py", PAUSED_COMMIT)

    def compile_(jugdir, pause_at):
        for marker in tmp_path.glob("commit-*"):
            marker.unlink()
        return subprocess.Popen([sys.executable, "paused.py", "compile", "jugfile.py",
                                 "--jugdir", jugdir], cwd=tmp_path,
                                env=jug_env(JUG_CHUNK_TASKS="4", PAUSE_AT=str(pause_at)),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    whole = compile_("whole.jugdata", 0)
    assert whole.wait(timeout=120) == 0, whole.communicate()
    commits = len(list(tmp_path.glob("commit-*")))
    assert commits >= 3
    env = jug_env(JUG_CHUNK_TASKS="4")
    for k in (1, commits // 2, commits):
        jugdir = tmp_path / f"killed{k}.jugdata"
        killed = compile_(str(jugdir), k)
        deadline = time.monotonic() + 60
        while not (tmp_path / f"commit-{k}").exists():
            assert killed.poll() is None and time.monotonic() < deadline, killed.communicate()
            time.sleep(0.01)
        killed.kill()
        killed.communicate()
        store = FileStore(str(jugdir))
        assert bool(store.list_blobs("rows-")) == (k > 1)  # the batches before are in place
        for name in store.list_blobs("manifest-") or ():
            missing = [blob for blob in manifest_blobs(store, name)
                       if store.blob_info(blob) is None]
            assert not missing, (k, name, missing)
        proc = run_jug("status", "jugfile.py", "--jugdir", str(jugdir), cwd=tmp_path, env=env,
                       check=1)  # 1: not all complete
        assert re.search(r"\b1\s+3000\s+0\s+0\s+Total", proc.stdout), proc.stdout
    run_jug("execute", "jugfile.py", "--jugdir", str(jugdir), cwd=tmp_path, env=env, check=0)
    run_jug("check", "jugfile.py", "--jugdir", str(jugdir), cwd=tmp_path, env=env, check=0)
