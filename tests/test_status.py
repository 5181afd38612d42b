"""``jug status``: the table, ``--json`` (validated against
docs/status.schema.json), stale locks left by killed workers, failed tasks
with their error, the jug 2 ``--cache`` options, and agreement with the
original jug on the normal states."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest

from jugtest import REPO, jug_env, run_jug, start_jug, write
from oracle import parse_summary_table

SCHEMA = json.loads((Path(REPO) / "docs" / "status.schema.json").read_text())
STATES = ("waiting", "ready", "running", "stale", "finished", "failed")
TABLE = {"Failed": "failed", "Waiting": "waiting", "Ready": "ready", "Complete": "finished",
         "Active": "running"}

# square(7) waits for a file named "go" when HOLD is set (a task a test can
# kill -9 in), boom(3) always raises.
JUGFILE = """
    import os
    import time
    from jug import TaskGenerator

    @TaskGenerator
    def square(x):
        if x == 7 and os.environ.get("HOLD"):
            open("holding", "w").close()
            while not os.path.exists("go"):
                time.sleep(0.05)
        return x * x

    @TaskGenerator
    def boom(x):
        raise ValueError(f"bad input {x}\\nsecond line")

    @TaskGenerator
    def total(xs):
        return sum(xs)

    squares = [square(i) for i in range(10)]
    total(squares)
    boom(3)
"""

BARRIER_JUGFILE = """
    from jug import TaskGenerator, barrier

    @TaskGenerator
    def double(x):
        return 2 * x

    first = [double(i) for i in range(3)]
    barrier()
    second = [double(10 + i) for i in range(2)]
"""


def validate(document):
    """Check ``document`` against the schema and the invariants JSON Schema
    cannot say; returns it."""
    jsonschema.Draft202012Validator(SCHEMA).validate(document)
    for counts in [document["totals"], *document["names"], *document["stages"]["per_stage"]]:
        assert sum(counts[state] for state in STATES) == counts["tasks"], counts
    names = [row["name"] for row in document["names"]]
    assert names == sorted(names)
    for state in ("tasks", *STATES):
        assert sum(row[state] for row in document["names"]) == document["totals"][state]
        if document["stages"]["per_stage"]:
            assert sum(row[state] for row in document["stages"]["per_stage"]) == \
                document["totals"][state]
    assert len(document["running"]) == document["totals"]["running"]
    assert len(document["stale_locks"]) == document["totals"]["stale"]
    assert len(document["failed"]) == document["totals"]["failed"]
    return document


def status_json(cwd, *args, env=None, expect=None):
    proc = run_jug("status", *args, "--json", cwd=cwd, env=env)
    assert proc.returncode in (0, 1), proc.stderr
    if expect is not None:
        assert proc.returncode == expect, proc.stdout + proc.stderr
    return validate(json.loads(proc.stdout))


def table_of(stdout):
    """``{name: {json state: count}}`` from the printed table."""
    titles, table = parse_summary_table(stdout)
    assert titles == list(TABLE)
    return {name: {TABLE[title]: count for title, count in row.items()}
            for name, row in table.items()}


def table_from_document(document):
    """What the table must show for ``document``: stale tasks count as Ready
    (as Waiting when a dependency is unfinished)."""
    table = {row["name"]: {state: row[state] for state in TABLE.values()}
             for row in document["names"]}
    for lock in document["stale_locks"]:
        table[lock["name"]]["ready"] += 1  # the tests' stale tasks are all ready
    return table


@pytest.fixture
def project(tmp_path, shared_jugdir):
    write(tmp_path / "jugfile.py", JUGFILE)
    return tmp_path, ("jugfile.py", "--jugdir", shared_jugdir)


def test_json_before_and_after_a_run_with_a_failure(project):
    cwd, args = project
    before = status_json(cwd, *args, expect=1)
    assert before["totals"] == {"tasks": 12, "waiting": 1, "ready": 11, "running": 0,
                                "stale": 0, "finished": 0, "failed": 0}
    assert before["jugfile"] == "jugfile.py" and before["version"] == 1
    assert before["stages"] == {"known": 1, "more_pending": False, "stopped_at": None,
                                "per_stage": [dict(stage=0, **before["totals"])]}
    assert before["running"] == before["stale_locks"] == before["failed"] == []
    assert before["notes"] == [] and before["all_finished"] is False

    run_jug("execute", *args, "--will-cite", "--keep-going", "--keep-failed", cwd=cwd, check=1)
    after = status_json(cwd, *args, expect=1)
    assert after["totals"]["finished"] == 11 and after["totals"]["failed"] == 1
    (failed,) = after["failed"]
    assert failed["name"] == "jugfile.boom"
    assert failed["error"] == "ValueError: bad input 3"
    assert failed["host"] == socket.gethostname() and failed["pid"] > 0
    assert any("jug cleanup --failed-only" in note for note in after["notes"])

    table = run_jug("status", *args, cwd=cwd, check=1)
    assert table_of(table.stdout) == table_from_document(after)
    assert "Failed tasks:\n  jugfile.boom " in table.stdout
    assert "ValueError: bad input 3" in table.stdout


def test_json_says_more_tasks_will_appear_after_a_barrier(tmp_path):
    write(tmp_path / "jugfile.py", BARRIER_JUGFILE)
    before = status_json(tmp_path, "jugfile.py", expect=1)
    assert before["stages"]["known"] == 1 and before["stages"]["more_pending"] is True
    assert before["stages"]["stopped_at"].startswith("barrier() at ")
    assert before["totals"]["tasks"] == 3 and before["all_finished"] is False
    assert any("more tasks will appear" in note for note in before["notes"])
    run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, check=0)
    after = status_json(tmp_path, "jugfile.py", expect=0)
    assert after["stages"] == {
        "known": 2, "more_pending": False, "stopped_at": None,
        "per_stage": [{"stage": 0, "tasks": 3, "waiting": 0, "ready": 0, "running": 0,
                       "stale": 0, "finished": 3, "failed": 0},
                      {"stage": 1, "tasks": 2, "waiting": 0, "ready": 0, "running": 0,
                       "stale": 0, "finished": 2, "failed": 0}]}
    assert after["all_finished"] is True and after["notes"] == []


def wait_for(path, process, timeout=60):
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_a_killed_workers_lock_is_stale_not_running(project):
    cwd, args = project
    worker = start_jug("execute", *args, "--will-cite", "--keep-going", cwd=cwd,
                       env=jug_env(HOLD=1))
    try:
        wait_for(cwd / "holding", worker)
        running = status_json(cwd, *args, expect=1)
        # one lock, or a batch of claimed tasks on Redis: all the worker's
        held = {lock["hash"] for lock in running["running"]}
        assert held and {(lock["host"], lock["pid"]) for lock in running["running"]} == {
            (socket.gethostname(), worker.pid)}
        assert "jugfile.square" in {lock["name"] for lock in running["running"]}
        assert all(lock["running_seconds"] >= 0 for lock in running["running"])
        assert running["totals"]["running"] == len(held) and running["totals"]["stale"] == 0
        table = run_jug("status", *args, cwd=cwd, check=1)
        assert sum(row["running"] for row in table_of(table.stdout).values()) == len(held)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.communicate()

    stale = status_json(cwd, *args, expect=1)
    assert {lock["hash"] for lock in stale["stale_locks"]} == held
    for lock in stale["stale_locks"]:
        assert (lock["host"], lock["pid"]) == (socket.gethostname(), worker.pid)
        assert lock["reason"] == "the process is gone"
    assert stale["totals"]["running"] == 0 and stale["totals"]["stale"] == len(held)
    assert stale["running"] == []

    table = run_jug("status", *args, cwd=cwd, check=1)
    rows = table_of(table.stdout)
    assert sum(row["running"] for row in rows.values()) == 0
    assert rows == table_from_document(stale)
    lock = stale["stale_locks"][0]
    assert f"Stale locks:\n  {lock['name']} {lock['hash'][:8]}  pid {worker.pid} on " in table.stdout
    assert ("1 task has a stale lock" if len(held) == 1 else
            f"{len(held)} tasks have stale locks") in table.stdout
    assert "`jug cleanup --locks-only`" in table.stdout
    short = run_jug("status", *args, "--short", cwd=cwd, check=1)
    totals = stale["totals"]
    to_run = totals["waiting"] + totals["ready"] + totals["stale"]
    assert short.stdout.splitlines()[0] == (f"{to_run} tasks waiting to be run, 0 failed, "
                                            f"{totals['finished']} complete, (none active).")
    assert short.stdout.count("\n") == 1  # the one line of jug 2; the hint on stderr
    assert "`jug cleanup --locks-only`" in short.stderr

    # a worker reclaims the stale lock and finishes
    (cwd / "go").touch()
    run_jug("execute", *args, "--will-cite", "--keep-going", "--keep-failed", cwd=cwd, check=1)
    done = status_json(cwd, *args, expect=1)
    assert done["stale_locks"] == [] and done["totals"]["finished"] == 11


def write_lock(jugdir, digest, host, pid, heartbeat):
    """A lock file as a worker on ``host`` leaves it (the file store's
    layout: JSON record, heartbeat in the mtime)."""
    path = Path(jugdir) / "locks" / f"{digest}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"host": host, "pid": pid, "created": heartbeat - 5,
                                "token": "elsewhere-1"}))
    os.utime(path, (heartbeat, heartbeat))


def test_locks_of_other_hosts_are_stale_once_their_lease_expired(tmp_path):
    write(tmp_path / "jugfile.py", JUGFILE)
    jugdir = tmp_path / "jugfile.jugdata"
    fresh = status_json(tmp_path, "jugfile.py")
    first, second = [row["hash"] for row in compile_json(tmp_path)][:2]
    now = time.time()
    write_lock(jugdir, first, "node-17.example", 4242, now - 10)  # alive: it beat 10 s ago
    write_lock(jugdir, second, "node-18.example", 4343, now - 3600)  # silent for an hour
    document = status_json(tmp_path, "jugfile.py")
    assert [(lock["host"], lock["pid"]) for lock in document["running"]] == [
        ("node-17.example", 4242)]
    (stale,) = document["stale_locks"]
    assert (stale["host"], stale["pid"], stale["hash"]) == ("node-18.example", 4343, second)
    assert stale["reason"] == "no heartbeat for 60 min (the lease is 15 min)"
    assert document["totals"]["ready"] == fresh["totals"]["ready"] - 2
    table = run_jug("status", "jugfile.py", cwd=tmp_path, check=1)
    assert table_of(table.stdout)["jugfile.square"] == {"failed": 0, "waiting": 0, "ready": 9,
                                                       "finished": 0, "running": 1}


def compile_json(cwd):
    proc = run_jug("compile", "jugfile.py", "--json", cwd=cwd, check=0)
    return json.loads(proc.stdout)["tasks"]


def test_jug2_cache_options_are_accepted_with_one_line(tmp_path):
    write(tmp_path / "jugfile.py", JUGFILE)
    plain = run_jug("status", "jugfile.py", cwd=tmp_path, check=1)
    for options in (["--cache"], ["--cache-file", "x.sqlite3"], ["--clear"],
                    ["--cache", "--cache-file", "x.sqlite3"]):
        proc = run_jug("status", "jugfile.py", *options, cwd=tmp_path, check=1)
        assert proc.stdout == plain.stdout
        assert proc.stderr.count("\n") == 1
        assert "always works from the manifest" in proc.stderr
    cleared = run_jug("status", "jugfile.py", "--cache", "--clear", cwd=tmp_path, check=0)
    assert cleared.stdout == "" and "always works from the manifest" in cleared.stderr
    assert not (tmp_path / "x.sqlite3").exists()
    both = run_jug("status", "jugfile.py", "--json", "--short", cwd=tmp_path, check=2)
    assert "--json and --short cannot be combined" in both.stderr


def test_json_imports_nothing_heavy(tmp_path):
    write(tmp_path / "jugfile.py", JUGFILE)
    run_jug("compile", "jugfile.py", cwd=tmp_path, check=0)
    script = ("import sys; from jug.cli import main\n"
              "try:\n    main(['status', 'jugfile.py', '--json'])\nexcept SystemExit:\n    pass\n"
              "print('HEAVY', [m for m in ('numpy', 'redis', 'libcst', 'graphviz', 'cloudpickle',"
              " 'networkx', 'starlette', 'uvicorn') if m in sys.modules], file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=jug_env(),
                          capture_output=True, text=True, check=True)
    assert "HEAVY []" in proc.stderr
    validate(json.loads(proc.stdout))


# -- the same tables as the original ---------------------------------------------

def test_table_and_json_agree_with_the_original(differential):
    scenario = differential.scenario({"jugfile.py": JUGFILE})

    def compare():
        status = scenario.assert_same_status()
        ours = scenario.run("status", "jugfile.py", "--json", only="ours")["ours"]
        document = validate(json.loads(ours.stdout))
        assert table_of(status["original"].stdout) == table_from_document(document)
        return status

    compare()
    scenario.run("execute", "jugfile.py", "--will-cite", "--pattern", "square")
    assert compare()["ours"].table()["jugfile.total"]["Ready"] == 1
    scenario.run("execute", "jugfile.py", "--will-cite", "--keep-going", "--keep-failed")
    assert compare()["ours"].table()["jugfile.boom"]["Failed"] == 1
    cached = scenario.run("status", "jugfile.py", "--cache")
    assert cached["ours"].table() == cached["original"].table()
    assert cached["ours"].returncode == cached["original"].returncode


def test_the_example_of_docs_status_md_is_valid():
    text = (Path(REPO) / "docs" / "status.md").read_text()
    example = text.split("```json\n", 1)[1].split("```", 1)[0]
    validate(json.loads(example))
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_status_from_the_compiles_counts_is_the_computed_one(tmp_path):
    """Before any task ran, status takes its table from the counts the
    compile stored in the manifest; they agree with the computed states (and
    a result makes status compute them)."""
    from jug.compiler.build import compile_jugfile, find_manifest
    from jug.status import status_report
    from jug.store.file_store import FileStore

    jugfile = tmp_path / "jugfile.py"
    jugfile.write_text(
        "from jug import TaskGenerator, barrier\n"
        "@TaskGenerator\n"
        "def one(x):\n    return x\n"
        "@TaskGenerator\n"
        "def two(a, b):\n    return a + b\n"
        "xs = [one(i) for i in range(5)]\n"
        "ys = [two(xs[i], xs[i + 1]) for i in range(4)] + [two(1, 2)]\n"
        "z = one(ys)\n")
    store = FileStore(str(tmp_path / "jugfile.jugdata"))
    compile_jugfile(str(jugfile), store, [str(jugfile)])
    from jug.compiler import build

    build._KNOWN.clear()  # the manifest as read from the store
    manifest = find_manifest(str(jugfile), store, [str(jugfile)]).manifest
    assert manifest.fresh is not None
    fresh = status_report(manifest.graph, store, keys=set(), fresh=manifest.fresh, now=1.0)
    assert fresh.states is None
    computed = status_report(manifest.graph, store, keys=set(), now=1.0)
    assert (fresh.counts, fresh.stage_counts) == (computed.counts, computed.stage_counts)
    assert computed.counts[1] == {"jugfile.one": 5, "jugfile.two": 1}  # READY
    store.save(manifest.graph.hashes[0], 0)
    done = status_report(manifest.graph, store, keys={manifest.graph.hashes[0]},
                         fresh=manifest.fresh, now=1.0)
    assert done.states is not None and done.counts[3] == {"jugfile.one": 1, "jugfile.two": 0}
