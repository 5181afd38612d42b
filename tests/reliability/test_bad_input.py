"""Bad input, tried as a new user would: every case is one ``jug: ...``
sentence naming the file, variable or task and what to do, a non-zero exit,
and nothing lost.  Cases: bad JUG_* variables and jugrc values, --jugdir a
regular file or under one, a directory where a lock should be, a damaged
payload, a result that cannot be pickled, a result file of random bytes, a
jugfile that raises or does not parse, a manifest of a future version, a
hand-made dependency cycle, exit codes of check and execute."""

import json
import os

import pytest

from jug.store import open_store
from reliability_harness import assert_one_sentence, done_counts, jugfile_with_log, run_jug

SIMPLE = """
    from jug import TaskGenerator

    @TaskGenerator
    def double(x):
        log("done", f"double{x}")
        return 2 * x

    @TaskGenerator
    def total(values):
        log("done", "total")
        return sum(values)

    result = total([double(i) for i in range(4)])
"""


@pytest.fixture
def project(tmp_path):
    jugfile_with_log(tmp_path, SIMPLE)
    return tmp_path


def compiled(directory, jugdir=None):
    """``jug compile --json``: the task list."""
    args = ["--jugdir", str(jugdir)] if jugdir else []
    proc = run_jug("compile", "jugfile.py", "--json", *args, cwd=directory, check=0)
    return json.loads(proc.stdout)["tasks"]


# -- configuration --------------------------------------------------------------

@pytest.mark.parametrize("variable, value, words", [
    ("JUG_MAX_TASKS", "x", "JUG_MAX_TASKS must be a whole number"),
    ("JUG_MAX_HOURS", "soon", "JUG_MAX_HOURS must be a number"),
    ("JUG_MAX_SECONDS", "-5", "JUG_MAX_SECONDS must be a number"),
    ("JUG_FSYNC", "maybe", "JUG_FSYNC must be 1 or 0"),
    ("JUG_LEASE", "0", "JUG_LEASE must be a number of seconds (above 0)"),
    ("JUG_REDIS_RETRY", "forever", "JUG_REDIS_RETRY must be a number of seconds"),
    ("JUG_EXECUTE_WAIT_CYCLE_TIME", "zz", "the environment variable JUG_EXECUTE_WAIT_CYCLE_TIME"),
])
def test_bad_environment_variable_is_one_sentence(project, variable, value, words):
    from jugtest import jug_env

    proc = run_jug("execute", "jugfile.py", "--will-cite", cwd=project,
                   env=jug_env(**{variable: value}))
    assert proc.returncode in (1, 2), proc.stderr
    assert_one_sentence(proc.stderr, words)
    assert done_counts(project) == {}


def test_fractional_time_limits_are_accepted(project):
    from jugtest import jug_env

    run_jug("execute", "jugfile.py", "--will-cite", cwd=project,
            env=jug_env(JUG_MAX_HOURS="0.5"), check=0)


@pytest.mark.parametrize("text, words", [
    ("garbage without a section\n", "line 1"),
    (b"\xff\xfe[main]\n", "not UTF-8"),
    ("[execute]\nwait-cycle-time=abc\n", "Invalid value for 'wait-cycle-time' in {path} "
                                         "([execute])"),
    ("[main]\njugdir=%(nokey)s.data\n", "only %(jugfile)s and %(date)s"),
])
def test_bad_jugrc_is_one_sentence(project, text, words):
    path = project / ".jugrc"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    proc = run_jug("execute", "jugfile.py", "--will-cite", cwd=project)
    assert proc.returncode in (1, 2), proc.stderr
    assert_one_sentence(proc.stderr, words.format(path=path))
    assert str(path) in proc.stderr  # every one names the file


# -- the store --------------------------------------------------------------------

@pytest.mark.parametrize("command", ["execute", "status", "check", "invalidate"])
def test_jugdir_naming_a_regular_file(project, command):
    (project / "results").write_text("not a directory")
    extra = ["--name", "double"] if command == "invalidate" else []
    proc = run_jug(command, "jugfile.py", "--jugdir", "results", *extra, cwd=project)
    assert proc.returncode == (2 if command == "check" else 1)
    assert_one_sentence(proc.stderr, f"--jugdir {project / 'results'} is a file, not a directory")


def test_jugdir_under_a_regular_file(project):
    (project / "afile").write_text("")
    proc = run_jug("execute", "jugfile.py", "--jugdir", "afile/jugdata", cwd=project)
    assert proc.returncode == 1
    assert_one_sentence(proc.stderr, "a part of the path is a file, not a directory",
                        str(project / "afile"))


def test_a_directory_where_a_lock_should_be(project):
    jugdir = project / "jugfile.jugdata"
    first = compiled(project)[0]
    (jugdir / "locks" / f"{first['hash']}.lock").mkdir(parents=True)
    for command in ("status", "execute"):
        proc = run_jug(command, "jugfile.py", "--will-cite", cwd=project)
        assert proc.returncode == 1
        assert_one_sentence(proc.stderr, "is a directory", "where jug keeps the lock of",
                            "rm -r")


def test_a_damaged_payload_is_retraced(project):
    run_jug("compile", "jugfile.py", cwd=project, check=0)
    (payload,) = (project / "jugfile.jugdata" / "blobs").glob("payload-*")
    payload.write_bytes(b"\x80\x05garbage")
    proc = run_jug("execute", "jugfile.py", "--will-cite", cwd=project, check=0)
    assert "re-tracing jugfile.py" in proc.stderr and "Traceback" not in proc.stderr
    run_jug("check", "jugfile.py", "--verify", cwd=project, check=0)


def test_a_result_that_cannot_be_pickled_fails_its_task_and_the_worker_goes_on(tmp_path):
    jugfile_with_log(tmp_path, """
        from jug import TaskGenerator

        @TaskGenerator
        def make(i):
            log("done", i)
            if i == 2:
                return lambda: i
            if i == 3:
                return open(__file__)
            return i

        values = [make(i) for i in range(6)]
    """)
    proc = run_jug("execute", "jugfile.py", "--will-cite", "--keep-going", cwd=tmp_path, check=1)
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("jug: task ")]
    assert len(lines) == 2, proc.stderr
    assert all("jugfile.make" in line and "cannot be pickled" in line for line in lines)
    assert any("a function cannot be pickled" in line for line in lines)
    assert any("a TextIOWrapper cannot be pickled" in line for line in lines)
    assert done_counts(tmp_path) == {str(i): 1 for i in range(6)}
    status = run_jug("status", "jugfile.py", "--short", cwd=tmp_path, check=1)
    assert status.stdout.startswith("2 tasks waiting to be run, 0 failed, 4 complete")
    # without --keep-going: the first one stops the worker, in one sentence
    proc = run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, check=1)
    assert "Traceback" not in proc.stderr and "cannot be pickled" in proc.stderr


def test_a_result_file_of_random_bytes_is_recomputed_not_a_failure(project):
    run_jug("execute", "jugfile.py", "--will-cite", cwd=project, check=0)
    tasks = compiled(project)
    double0 = next(t for t in tasks if t["name"] == "jugfile.double")
    total = next(t for t in tasks if t["name"] == "jugfile.total")
    path = project / "jugfile.jugdata" / double0["hash"][:2] / double0["hash"][2:]
    path.write_bytes(os.urandom(200))
    # plain check trusts the listing (documented); --verify loads and names it
    run_jug("check", "jugfile.py", cwd=project, check=0)
    proc = run_jug("check", "jugfile.py", "--verify", cwd=project, check=1)
    assert_one_sentence(proc.stderr, "jugfile.double", double0["hash"], "cannot be loaded")
    # execute: the downstream task must run again for it to matter
    with open_store(project / "jugfile.jugdata") as store:
        store.remove(total["hash"])
    proc = run_jug("execute", "jugfile.py", "--will-cite", cwd=project, check=0)
    assert "is damaged" in proc.stderr and "computing it again" in proc.stderr
    assert "Traceback" not in proc.stderr
    counts = done_counts(project)
    assert counts["double0"] == 2 and counts["total"] == 2
    run_jug("check", "jugfile.py", "--verify", cwd=project, check=0)


# -- the jugfile and the manifest -------------------------------------------------

def test_a_jugfile_that_raises_at_import(tmp_path):
    jugfile_with_log(tmp_path, """
        from jug import TaskGenerator
        import no_such_module_here
    """)
    proc = run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, check=1)
    assert "ModuleNotFoundError" in proc.stderr and "line 3" in proc.stderr
    assert "raised ModuleNotFoundError while it was being run" in proc.stderr
    run_jug("check", "jugfile.py", cwd=tmp_path, check=2)  # could not tell


def test_check_exit_codes(project, tmp_path):
    run_jug("check", "jugfile.py", cwd=project, check=1)
    run_jug("execute", "jugfile.py", "--will-cite", cwd=project, check=0)
    run_jug("check", "jugfile.py", cwd=project, check=0)
    (project / "broken.py").write_text("def broken(:\n")
    proc = run_jug("check", "broken.py", cwd=project, check=2)
    assert "SyntaxError" in proc.stderr
    help_text = " ".join(run_jug("check", "--help", cwd=project, check=0).stdout.split())
    assert "2 if that cannot be told" in help_text


def test_execute_exits_3_when_it_gives_up_with_tasks_undone(project):
    from jugtest import jug_env

    tasks = compiled(project)
    held = next(t for t in tasks if t["name"] == "jugfile.double")
    with open_store(project / "jugfile.jugdata") as store:
        assert store.lock(held["hash"])  # another worker holds it, and lives (this process)
        proc = run_jug("execute", "jugfile.py", "--will-cite", "--wait-cycle-time", "0.1",
                       "--nr-wait-cycles", "5", cwd=project, env=jug_env())
    assert proc.returncode == 3, proc.stderr
    assert "some tasks could not be run" in proc.stderr
    help_text = " ".join(run_jug("execute", "--help", cwd=project, check=0).stdout.split())
    assert "3 when tasks remain that this worker gave up on" in help_text


def _manifest_blob(directory):
    (blob,) = [p for p in (directory / "jugfile.jugdata" / "blobs").iterdir()
               if p.name.startswith("manifest-")]
    return blob


def test_a_manifest_of_a_future_version_is_retraced(project):
    import struct

    run_jug("compile", "jugfile.py", cwd=project, check=0)
    blob = _manifest_blob(project)
    data = bytearray(blob.read_bytes())
    struct.pack_into("<I", data, 8, 99)  # the format version, after the 8-byte magic
    blob.write_bytes(bytes(data))
    proc = run_jug("status", "jugfile.py", cwd=project, check=1)
    assert "format version 99" in proc.stderr and "re-traced jugfile.py" in proc.stderr
    assert "Traceback" not in proc.stderr
    run_jug("execute", "jugfile.py", "--will-cite", cwd=project, check=0)


def test_a_hand_made_dependency_cycle_is_named_as_a_path(project):
    import dataclasses
    import hashlib
    from array import array

    from jug.compiler.manifest import decode_manifest, encode_manifest, hash_chunk_blobs
    from jug.graph import TaskGraph
    from jug.store.file_store import FileStore

    run_jug("compile", "jugfile.py", cwd=project, check=0)
    blob = _manifest_blob(project)
    store = FileStore(str(project / "jugfile.jugdata"))
    manifest = decode_manifest(blob.read_bytes(), blob.name, store)
    graph = manifest.graph
    deps = [list(graph.dependencies(i)) for i in range(len(graph))]
    total = graph.names.index("jugfile.total")
    first = next(i for i in range(len(graph)) if graph.name_ids[i] != total)
    deps[first].append(len(graph) - 1)  # double(0) now needs total, which needs double(0)
    indptr, indices = array("i", [0]), array("i")
    for row in deps:
        indices.extend(sorted(row))
        indptr.append(len(indices))
    edited = TaskGraph(list(graph.hashes), graph.names, graph.name_ids, graph.stages, indptr,
                       indices)
    header = dataclasses.replace(manifest.header, edge_count=len(indices))
    size = manifest.chunk_tasks
    data = encode_manifest(header, edited, manifest.lines,
                           [name for name, _ in hash_chunk_blobs(edited, size)], size)
    # a manifest blob is named by its content (an edit in place is damage):
    # store the edited one under its own name, listed in the index instead
    key = blob.name.rsplit("-", 1)[0]
    edited_blob = blob.with_name(f"{key}-{hashlib.blake2b(data, digest_size=10).hexdigest()}")
    edited_blob.write_bytes(data)
    index = blob.with_name("manifests-" + key.split("-", 1)[1])
    index.write_text(index.read_text().replace(blob.name, edited_blob.name))
    blob.unlink()
    proc = run_jug("execute", "jugfile.py", "--will-cite", "--wait-cycle-time", "0.1",
                   cwd=project, check=1)
    assert_one_sentence(proc.stderr, "dependency cycle",
                        "jugfile.double -> jugfile.total -> jugfile.double")
    assert done_counts(project) == {f"double{i}": 1 for i in (1, 2, 3)}


def test_arguments_changed_after_creation_into_a_cycle(tmp_path):
    jugfile_with_log(tmp_path, """
        from jug import TaskGenerator

        @TaskGenerator
        def first(values):
            log("done", "first")
            return len(values)

        @TaskGenerator
        def second(x):
            log("done", "second")
            return x + 1

        @TaskGenerator
        def seed():
            log("done", "seed")
            return 0

        inputs = [seed()]
        a = first(inputs)
        b = second(a)
        inputs.append(b)  # a now reads b, which needs a
    """)
    run_jug("compile", "jugfile.py", cwd=tmp_path, check=0)
    proc = run_jug("execute", "jugfile.py", "--will-cite", "--keep-going", cwd=tmp_path, check=1)
    assert "Traceback" not in proc.stderr
    assert "arguments were changed after it was created" in proc.stderr
    assert "jugfile.first -> jugfile.second -> jugfile.first" in proc.stderr
