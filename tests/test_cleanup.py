"""``jug cleanup``: what goes, what stays and why, on the file store and
Redis, through the command line."""

import os
import re
import time

import pytest

from jugtest import jug_env, run_jug, write

JUGFILE = """
    import sys
    from jug import TaskGenerator

    @TaskGenerator
    def double(x):
        return 2 * x

    @TaskGenerator
    def total(xs):
        return sum(xs)

    N = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    total([double(i) for i in range(N)])
"""

BARRIER = """
    import sys
    from jug import TaskGenerator, barrier

    @TaskGenerator
    def double(x):
        return 2 * x

    @TaskGenerator
    def late(x):
        return x + 1

    N = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    firsts = [double(i) for i in range(N)]
    barrier()
    [late(f) for f in firsts]
"""


def open_store(jugdir):
    from jug.store import open_store as opened

    return opened(jugdir)


def removed_objects(stdout):
    match = re.search(r"^Removed (\d+) objects$", stdout, re.M)
    assert match, stdout
    return int(match.group(1))


def test_removes_what_no_manifest_refers_to_and_keeps_the_rest(tmp_path, shared_jugdir):
    write(tmp_path / "jugfile.py", JUGFILE)
    run_jug("execute", "jugfile.py", "--jugdir", shared_jugdir, "--will-cite", cwd=tmp_path,
            check=0)
    # the jugfile changes: double(3) and the old total belong to no task now
    write(tmp_path / "jugfile.py", JUGFILE.replace("else 4", "else 3"))
    dry = run_jug("cleanup", "jugfile.py", "--jugdir", shared_jugdir, "--dry-run",
                  cwd=tmp_path, check=0)
    assert dry.stdout.splitlines()[0].startswith("Would remove 2 objects (")
    listed = re.findall(r"^  ([0-9a-f]{40})\s+(\d+) B$", dry.stdout, re.M)
    assert len(listed) == 2 and all(int(size) > 32 for _, size in listed), dry.stdout
    assert "Kept 3 results (" in dry.stdout and "referenced by the manifest of jugfile.py" \
        in dry.stdout
    with open_store(shared_jugdir) as store:
        assert {key for key, _ in listed} <= store.list_keys()  # a dry run removes nothing
    proc = run_jug("cleanup", "jugfile.py", "--jugdir", shared_jugdir, cwd=tmp_path, check=0)
    lines = proc.stdout.splitlines()
    assert lines[:2] == ["Removed 2 objects", "Removed 0 locks"], proc.stdout
    with open_store(shared_jugdir) as store:
        assert len(store.list_keys()) == 3
        assert not {key for key, _ in listed} & store.list_keys()
    status = run_jug("status", "jugfile.py", "--jugdir", shared_jugdir, "--short", cwd=tmp_path,
                     check=1)
    assert status.stdout.startswith("1 tasks waiting to be run, 0 failed, 3 complete")


def test_dry_run_with_a_barrier_and_two_argument_lists_keeps_everything_referenced(tmp_path,
                                                                                 shared_jugdir):
    """Two argument lists of one jugfile with a barrier: what either needs
    stays, also while both are stopped at their barrier."""
    def run(command, *args, check=0):
        return run_jug(command, "jugfile.py", "--jugdir", shared_jugdir, *args, cwd=tmp_path,
                       check=check)

    write(tmp_path / "jugfile.py", BARRIER.replace("late(f)", "late(f, N)").replace(
        "def late(x)", "def late(x, n)"))
    for argv in ("3", "5"):
        run("execute", "--will-cite", "--", argv, check=0)
    with open_store(shared_jugdir) as store:
        everything = store.list_keys()
    assert len(everything) == 5 + 3 + 5  # double(0..4), late(.., 3) x3, late(.., 5) x5
    dry = run("cleanup", "--dry-run", "--", "3", check=0)
    assert dry.stdout.startswith("Would remove 0 objects (0 B)\n"), dry.stdout
    assert re.search(r"^Kept 6 results \(\d+ B\) referenced by the manifest of jugfile.py$",
                     dry.stdout, re.M), dry.stdout
    assert re.search(r"^Kept 7 results \(\d+ B\) referenced only by the manifest of "
                     r"jugfile.py 5$", dry.stdout, re.M), dry.stdout
    # argument list 3 stops at the barrier again: its late results are no manifest's now
    run("invalidate", "--name", "double", "--", "5", check=0)
    with open_store(shared_jugdir) as store:
        left = store.list_keys()
    assert len(left) == 3  # late(.., 3), which only the stage after the barrier knows
    dry = run("cleanup", "--dry-run", "--", "3", check=0)
    assert dry.stdout.startswith("Would remove 0 objects (0 B)\n"), dry.stdout
    assert re.search(r"^Kept 3 results \(\d+ B\) no manifest refers to, because jugfile.py 3 "
                     r"stopped at barrier\(\) at line 14: the tasks after it are not known yet",
                     dry.stdout, re.M), dry.stdout
    real = run("cleanup", "--", "3", check=0)
    assert removed_objects(real.stdout) == 0
    with open_store(shared_jugdir) as store:
        assert store.list_keys() == left
    # run again: the kept late results are found, not recomputed
    again = run("execute", "--will-cite", "--", "3", check=0)
    assert re.search(r"^\s+0\s+3  jugfile.late$", again.stdout, re.M), again.stdout
    run("execute", "--will-cite", "--", "5", check=0)
    with open_store(shared_jugdir) as store:
        assert store.list_keys() == everything
    only = run("cleanup", "--current-only", "--", "3", check=0)
    assert removed_objects(only.stdout) == 7, only.stdout  # double(3), double(4), late(.., 5)
    assert "Removed 1 other manifest" in only.stdout
    run("check", "--", "3", check=0)


def test_the_manifests_of_other_environments_keep_their_results(tmp_path, shared_jugdir):
    """One jugfile, one argument list, two environments (N=3, N=5): each
    has its manifest (jug.compiler.index); cleanup in one keeps the other's."""
    write(tmp_path / "jugfile.py", JUGFILE.replace(
        "int(sys.argv[1]) if len(sys.argv) > 1 else 4", "int(__import__('os').environ['N'])"))

    def run(command, n, *args, check=0):
        return run_jug(command, "jugfile.py", "--jugdir", shared_jugdir, *args, cwd=tmp_path,
                       env=jug_env(N=n), check=check)

    run("execute", 3, "--will-cite")
    run("execute", 5, "--will-cite")
    with open_store(shared_jugdir) as store:
        everything = store.list_keys()
    assert len(everything) == 5 + 2  # double(0..4), two totals
    dry = run("cleanup", 3, "--dry-run")
    assert dry.stdout.startswith("Would remove 0 objects (0 B)\n"), dry.stdout
    assert re.search(r"^Kept 4 results \(\d+ B\) referenced by the manifest of jugfile.py$",
                     dry.stdout, re.M), dry.stdout
    assert re.search(r"^Kept 3 results \(\d+ B\) referenced only by the manifest of "
                     r"jugfile.py in another environment \(N='5'\)$", dry.stdout, re.M), dry.stdout
    assert removed_objects(run("cleanup", 3).stdout) == 0
    again = run("execute", 5, "--will-cite")  # nothing to run again
    assert re.search(r"^\s+0\s+5  jugfile.double$", again.stdout, re.M), again.stdout
    only = run("cleanup", 3, "--current-only")
    assert removed_objects(only.stdout) == 3, only.stdout  # double(3), double(4), total of 5
    with open_store(shared_jugdir) as store:
        assert len(store.list_keys()) == 4
    # N=5's index entry names a removed manifest: a re-trace, not an error
    redo = run("execute", 5, "--will-cite")
    assert "re-traced jugfile.py: its manifest was removed from the store" in redo.stderr
    assert re.search(r"^\s+2\s+3  jugfile.double$", redo.stdout, re.M), redo.stdout


def test_a_stopped_barrier_keeps_results_of_the_later_stage(tmp_path, shared_jugdir):
    # the late tasks do not depend on the first ones: invalidating these leaves theirs
    write(tmp_path / "jugfile.py", BARRIER.replace("late(f) for f in firsts",
                                                   "late(i) for i in range(N)"))
    run_jug("execute", "jugfile.py", "--jugdir", shared_jugdir, "--will-cite", cwd=tmp_path,
            check=0)
    run_jug("invalidate", "jugfile.py", "--jugdir", shared_jugdir, "--name", "double",
            cwd=tmp_path, check=0)
    proc = run_jug("cleanup", "jugfile.py", "--jugdir", shared_jugdir, cwd=tmp_path, check=0)
    assert removed_objects(proc.stdout) == 0
    assert re.search(r"^Kept 3 results no manifest refers to, because jugfile.py stopped at "
                     r"barrier\(\) at line \d+", proc.stdout, re.M), proc.stdout
    # after the barrier the late tasks find their results: nothing recomputed
    again = run_jug("execute", "jugfile.py", "--jugdir", shared_jugdir, "--will-cite",
                    cwd=tmp_path, check=0)
    assert re.search(r"^\s+3\s+\d+  jugfile.double$", again.stdout, re.M), again.stdout
    assert re.search(r"^\s+0\s+3  jugfile.late$", again.stdout, re.M), again.stdout


def plant_jug2_result(jugdir, key):
    """A result as jug 2.x writes it (zlib of a pickle, no JUGR header):
    in its file layout, or under its Redis key ``result:HASH``."""
    import zlib

    data = zlib.compress(b"\x80\x05K\x00.")
    if jugdir.startswith("redis:"):
        import redis

        redis.Redis.from_url(jugdir).set(f"result:{key}", data)
        return lambda: redis.Redis.from_url(jugdir).exists(f"result:{key}") == 1
    path = os.path.join(jugdir, key[:2], key[2:])
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as output:
        output.write(data)
    return lambda: os.path.exists(path)


def test_results_of_the_original_jug_are_kept_unless_asked(tmp_path, shared_jugdir):
    write(tmp_path / "jugfile.py", JUGFILE)
    run_jug("execute", "jugfile.py", "--jugdir", shared_jugdir, "--will-cite", cwd=tmp_path,
            check=0)
    exists = plant_jug2_result(shared_jugdir, "aa" + "b" * 38)
    assert exists()
    proc = run_jug("cleanup", "jugfile.py", "--jugdir", shared_jugdir, cwd=tmp_path, check=0)
    assert removed_objects(proc.stdout) == 0
    assert re.search(r"^Kept 1 result \(\d+ B\) written by the original jug 2.x \(`jug migrate` "
                     r"imports them; --remove-jug2-results removes them\)$", proc.stdout, re.M), \
        proc.stdout
    assert exists()
    dry = run_jug("cleanup", "jugfile.py", "--jugdir", shared_jugdir, "--dry-run",
                  "--remove-jug2-results", cwd=tmp_path, check=0)
    assert re.search(r"^  aab{38}\s+\d+ B  \(written by jug 2.x\)$", dry.stdout, re.M), dry.stdout
    proc = run_jug("cleanup", "jugfile.py", "--jugdir", shared_jugdir, "--remove-jug2-results",
                   cwd=tmp_path, check=0)
    assert removed_objects(proc.stdout) == 1 and not exists()
    with open_store(shared_jugdir) as store:
        assert len(store.list_keys()) == 5  # ours are all still referenced


def test_temporary_files_of_crashed_saves_are_removed_after_a_lease(tmp_path):
    write(tmp_path / "jugfile.py", JUGFILE)
    run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, check=0)
    tempfiles = tmp_path / "jugfile.jugdata" / "tempfiles"
    tempfiles.mkdir(exist_ok=True)
    crashed = tempfiles / "0a1b2c3d4e5f-4242-7"
    crashed.write_bytes(b"x" * 1000)
    old = time.time() - 3600
    os.utime(crashed, (old, old))
    writing = tempfiles / "0a1b2c3d4e5f-4243-0"  # a save going on now: left alone
    writing.write_bytes(b"y" * 10)
    dry = run_jug("cleanup", "jugfile.py", "--dry-run", cwd=tmp_path, check=0)
    assert "Would remove 1 temporary file (1.0 kB) left by crashed saves:" in dry.stdout
    assert "tempfiles/0a1b2c3d4e5f-4242-7" in dry.stdout and "4243" not in dry.stdout
    proc = run_jug("cleanup", "jugfile.py", cwd=tmp_path, check=0)
    assert "Removed 1 temporary file (1.0 kB) left by crashed saves" in proc.stdout
    assert not crashed.exists() and writing.exists()


FAILING = """
    from jug import TaskGenerator

    @TaskGenerator
    def fails(x):
        raise ValueError(f"bad {x}")

    @TaskGenerator
    def fine(x):
        return x

    fails(1)
    fine(2)
"""


def test_failed_only_and_keep_locks(tmp_path, shared_jugdir):
    write(tmp_path / "jugfile.py", FAILING)
    run_jug("execute", "jugfile.py", "--jugdir", shared_jugdir, "--keep-going", "--keep-failed",
            "--will-cite", cwd=tmp_path, check=1)
    with open_store(shared_jugdir) as store:
        assert [info.failed for info in store.list_locks().values()] == [True]
        store.lock("a-live-lock")  # held by this (live) process
        dry = run_jug("cleanup", "jugfile.py", "--jugdir", shared_jugdir, "--failed-only",
                      "--dry-run", cwd=tmp_path, check=0)
        assert dry.stdout.startswith("Would remove 1 failure locks:\n"), dry.stdout
        assert "failed: ValueError: bad 1" in dry.stdout
        keep = run_jug("cleanup", "jugfile.py", "--jugdir", shared_jugdir, "--keep-locks",
                       cwd=tmp_path, check=0)
        assert keep.stdout.splitlines()[0] == "Removed 0 objects"
        assert "locks" not in keep.stdout.splitlines()[0] and len(store.list_locks()) == 2
        proc = run_jug("cleanup", "jugfile.py", "--jugdir", shared_jugdir, "--failed-only",
                       cwd=tmp_path, check=0)
        assert proc.stdout.splitlines()[0] == "Removed 1 failure locks", proc.stdout
        assert list(store.list_locks()) == ["a-live-lock"]
        locks = run_jug("cleanup", "jugfile.py", "--jugdir", shared_jugdir, "--locks-only",
                        cwd=tmp_path, check=0)
        assert locks.stdout.splitlines()[0] == "Removed 0 locks"
        assert f"Kept 1 lock of live workers (pid {os.getpid()} on " in locks.stdout
        assert list(store.list_locks()) == ["a-live-lock"]
        store.unlock("a-live-lock")
    # the failed task runs again
    run_jug("status", "jugfile.py", "--jugdir", shared_jugdir, "--short", cwd=tmp_path, check=1)


def test_options_exclude_each_other_as_in_the_original(tmp_path):
    write(tmp_path / "jugfile.py", JUGFILE)
    proc = run_jug("cleanup", "jugfile.py", "--locks-only", "--keep-locks", cwd=tmp_path,
                   check=2)
    assert "not allowed with argument --locks-only" in proc.stderr


@pytest.mark.parametrize("option", ["", "--keep-locks", "--locks-only", "--failed-only"])
def test_messages_and_store_agree_with_the_original(differential, option):
    """A jugfile that lost tasks: the same objects go, the same tasks stay."""
    scenario = differential.scenario({"jugfile.py": JUGFILE})
    scenario.execute()
    scenario.write({"jugfile.py": JUGFILE.replace("else 4", "else 2")})
    args = ["cleanup", "jugfile.py"] + ([option] if option else [])
    outcomes = scenario.run(*args)
    original, ours = outcomes["original"], outcomes["ours"]
    assert original.returncode == ours.returncode == 0, outcomes
    expected = original.stdout.splitlines()
    assert ours.stdout.splitlines()[:len(expected)] == expected, outcomes
    scenario.assert_same_status()


SHARING = """
    import sys
    from jug import TaskGenerator

    @TaskGenerator
    def total(xs, k):
        return sum(xs) + k

    TABLE = list(range(100))  # one shared- blob, used by every argument list
    N = int(sys.argv[1])
    results = [total(TABLE, k) for k in range(N)]  # module data: a lazy- blob
"""


def stored_blobs(jugdir):
    """``(manifest names, every blob name)`` of the store at ``jugdir``."""
    with open_store(jugdir) as store:
        names = set(store.list_blobs(""))
    return {name for name in names if name.startswith("manifest-")}, names


def blobs_in_use(jugdir, argv, indexed=False):
    """The blobs the manifest of jugfile.py ``argv`` uses (itself included;
    ``indexed``: with a hash index)."""
    from jug.compiler.blobs import manifest_blobs
    from jug.compiler.index import index_name, read_index

    with open_store(jugdir) as store:
        (candidate, *_) = read_index(store, index_name("jugfile.py", ["jugfile.py", *argv]))
        used = manifest_blobs(store, candidate.blob)
    kinds = {name.split("-")[0] for name in used}
    assert kinds == {"manifest", "hashes", "payload", "rows", "shared", "lazy",
                     *(("hashdir", "hashidx") if indexed else ())}, used
    return used


def test_current_only_removes_the_blobs_only_the_other_manifests_use(tmp_path, shared_jugdir):
    write(tmp_path / "jugfile.py", SHARING)

    def run(*args, check=0):
        return run_jug(*args[:1], "jugfile.py", "--jugdir", shared_jugdir, *args[1:],
                       cwd=tmp_path, check=check)

    run("execute", "--will-cite", "--", "3")
    run("execute", "--will-cite", "--", "5")
    current, other = blobs_in_use(shared_jugdir, ["3"]), blobs_in_use(shared_jugdir, ["5"])
    assert {n for n in current & other if n.startswith("shared-")}  # the same TABLE
    dry = run("cleanup", "--current-only", "--dry-run", "--", "3")
    only_other = sorted(other - current - {n for n in other if n.startswith("manifest-")})
    assert re.search(rf"^Would remove {len(only_other)} blobs only they used \(", dry.stdout,
                     re.M), dry.stdout
    assert re.findall(r"^  ((?:payload|hashes|rows|shared|lazy)-\w+)\s", dry.stdout,
                      re.M) == only_other, dry.stdout
    assert stored_blobs(shared_jugdir)[1] >= current | other  # a dry run removes nothing
    proc = run("cleanup", "--current-only", "--", "3")
    assert f"Removed 1 other manifest and {len(only_other)} blobs only they used (" \
        in proc.stdout, proc.stdout
    manifests, left = stored_blobs(shared_jugdir)
    assert {name for name in left if not name.startswith("manifests-")} == current
    run("check", "--", "3")
    run("execute", "--will-cite", "--", "5")  # re-traced, its blobs written again
    run("check", "--", "5")


def test_a_retrace_removes_the_blobs_only_the_old_manifest_used(tmp_path, shared_jugdir):
    # chunks of one task: 20 tasks have a hash index (more than 8 chunks)
    write(tmp_path / "jugfile.py", SHARING)
    env = jug_env(JUG_CHUNK_TASKS=1)
    compile_ = ("compile", "jugfile.py", "--jugdir", shared_jugdir, "--", "20")
    run_jug(*compile_, cwd=tmp_path, env=env, check=0)
    old = blobs_in_use(shared_jugdir, ["20"], indexed=True)
    # the same environment traced again: its index drops the old manifest
    write(tmp_path / "jugfile.py", SHARING.replace("sum(xs) + k", "sum(xs) - k - 1").replace(
        "range(N)", "range(N - 1)"))
    run_jug(*compile_, cwd=tmp_path, env=env, check=0)
    new = blobs_in_use(shared_jugdir, ["20"], indexed=True)
    assert old != new and {n for n in old & new if n.startswith("shared-")}
    assert {n for n in old - new if n.startswith("hashidx-")}  # 19 tasks: other buckets
    manifests, left = stored_blobs(shared_jugdir)
    assert {name for name in left if not name.startswith("manifests-")} == new
    run_jug("execute", "jugfile.py", "--jugdir", shared_jugdir, "--will-cite", "--", "20",
            cwd=tmp_path, env=env, check=0)


WAITING = """
    import os
    import time
    from jug import TaskGenerator

    ARGS = [0, 1, 2, 3, 4, 5]

    @TaskGenerator
    def work(x):
        while not os.path.exists("go"):
            time.sleep(0.05)
        return x

    results = [work(x) for x in ARGS]
"""


def test_a_worker_goes_on_when_a_retrace_drops_the_chunks_it_reads(tmp_path, shared_jugdir):
    # chunks of 2 tasks: the edit changes the rows of tasks 2..5 only; the
    # worker, started on the old manifest, finds their chunks gone with it
    from jugtest import start_jug

    write(tmp_path / "jugfile.py", WAITING)
    env = jug_env(JUG_CHUNK_TASKS=2)
    run_jug("compile", "jugfile.py", "--jugdir", shared_jugdir, cwd=tmp_path, env=env, check=0)
    worker = start_jug("execute", "jugfile.py", "--jugdir", shared_jugdir, "--will-cite",
                       cwd=tmp_path, env=env)
    with open_store(shared_jugdir) as store:
        deadline = time.monotonic() + 60
        while not [name for name in store.list_locks() if len(name) == 40]:
            assert worker.poll() is None and time.monotonic() < deadline, worker.communicate()
            time.sleep(0.05)
    write(tmp_path / "jugfile.py", WAITING.replace("[0, 1, 2, 3, 4, 5]", "[0, 1, 20, 30, 40, 50]"))
    run_jug("compile", "jugfile.py", "--jugdir", shared_jugdir, cwd=tmp_path, env=env, check=0)
    (tmp_path / "go").touch()
    out, err = worker.communicate(timeout=120)
    assert worker.returncode == 0, err
    run_jug("check", "jugfile.py", "--jugdir", shared_jugdir, cwd=tmp_path, env=env, check=0)
