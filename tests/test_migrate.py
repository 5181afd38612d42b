"""``jug migrate``: results computed by the original jug 2.7.0 are imported,
and then nothing is recomputed.

The original (the ``original_jug`` fixture) runs tests/compat_jugfiles/
pipeline.py to completion; ``jug migrate`` imports its results; then ``jug
check`` passes, ``jug execute`` runs no task (its table and the jugfile's
own task log say so), every value a script loads equals the one the
original's script loads, and nothing of the original's store was changed.
On a file store (shared with ours, separate, and packed by ``jug pack``) and
on Redis (the original always used database 0).
"""

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from jugtest import jug_env, run_jug, write
from oracle import parse_summary_table

JUGFILES = Path(__file__).parent / "compat_jugfiles"
OLD_JUGDIR = "pipeline.jugdata"


def setup_pipeline(directory):
    shutil.copy(JUGFILES / "pipeline.py", directory / "pipeline.py")
    shutil.copy(JUGFILES / "values.py", directory / "values.py")
    (directory / "input.txt").write_text("some input\n")


def log_lines(directory):
    return (directory / "tasks.log").read_text().splitlines()


def run_original(original_jug, *args, cwd):
    proc = original_jug.run(*args, cwd=cwd)
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}"
    return proc


def original_values(original_jug, directory, jugdir):
    proc = subprocess.run([original_jug.interpreter, "values.py", jugdir], cwd=directory,
                          env=original_jug.env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def our_values(directory, jugdir):
    proc = subprocess.run([sys.executable, "values.py", jugdir], cwd=directory, env=jug_env(),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def snapshot(directory):
    """{relative path: (size, mtime_ns, sha1)} of every file under ``directory``."""
    files = {}
    for root, _, names in os.walk(directory):
        for name in names:
            path = os.path.join(root, name)
            with open(path, "rb") as handle:
                digest = hashlib.sha1(handle.read()).hexdigest()
            status = os.stat(path)
            files[os.path.relpath(path, directory)] = (status.st_size, status.st_mtime_ns, digest)
    return files


def redis_snapshot(url):
    import redis

    client = redis.Redis.from_url(url)
    try:
        return {key: client.get(key) for key in client.scan_iter(match=b"result:*")}
    finally:
        client.close()


def executed_total(stdout):
    _, table = parse_summary_table(stdout)
    return sum(row["Executed"] for row in table.values())


def assert_nothing_recomputed(directory, jugdir, expected_values, tasks_logged):
    run_jug("check", "pipeline.py", "--jugdir", jugdir, cwd=directory, check=0)
    status = run_jug("status", "pipeline.py", "--jugdir", jugdir, "--short", cwd=directory,
                     check=0)
    assert status.stdout.startswith("All tasks complete"), status.stdout
    assert "original jug" not in status.stderr, status.stderr
    execute = run_jug("execute", "pipeline.py", "--jugdir", jugdir, "--will-cite",
                      cwd=directory, check=0)
    assert executed_total(execute.stdout) == 0, execute.stdout
    assert len(log_lines(directory)) == tasks_logged
    assert our_values(directory, jugdir) == expected_values


def assert_says_where_the_old_results_are(stdout, in_place):
    """Imported into the original's own store, the results were written
    there: "Nothing in ... was changed" would be wrong."""
    last = stdout.splitlines()[-1]
    if in_place:
        assert last.startswith("The original's results in ") and "were left as they were (the " \
            "imported copies are stored next to them, under this jug's names)." in last, stdout
        assert "Nothing in" not in stdout, stdout
    else:
        assert last.startswith("Nothing in "), stdout


@pytest.mark.parametrize("layout", ["shared", "separate", "packed"])
def test_migrate_a_file_store(tmp_path, original_jug, layout):
    setup_pipeline(tmp_path)
    run_original(original_jug, "execute", "pipeline.py", "--will-cite", cwd=tmp_path)
    tasks_logged = len(log_lines(tmp_path))
    expected = original_values(original_jug, tmp_path, OLD_JUGDIR)
    assert "final 14" in expected
    if layout == "packed":
        packed = run_original(original_jug, "pack", "pipeline.py", cwd=tmp_path)
        assert "Packed" in packed.stdout
    before = snapshot(tmp_path / OLD_JUGDIR)
    new_jugdir = "new.jugdata" if layout == "separate" else OLD_JUGDIR

    if layout != "separate":  # our status names the original's results in one line
        copy = tmp_path / "copy"  # (on a copy: its trace runs the CachedFunction)
        shutil.copytree(tmp_path, copy, ignore=shutil.ignore_patterns("copy"))
        status = run_jug("status", "pipeline.py", cwd=copy, check=1)
        notice = [line for line in status.stderr.splitlines() if "original jug" in line]
        assert len(notice) == 1 and "`jug migrate pipeline.py`" in notice[0], status.stderr

    dry = run_jug("migrate", "pipeline.py", "--from", OLD_JUGDIR, "--jugdir", new_jugdir,
                  "--dry-run", cwd=tmp_path, check=0)
    _, table = parse_summary_table(dry.stdout)
    assert sum(row["Importable"] for row in table.values()) == 68, dry.stdout
    assert sum(row["Missing"] + row["Failed"] for row in table.values()) == 0, dry.stdout
    assert len(log_lines(tmp_path)) == tasks_logged

    migrated = run_jug("migrate", "pipeline.py", "--from", OLD_JUGDIR, "--jugdir", new_jugdir,
                       cwd=tmp_path, check=0)
    _, table = parse_summary_table(migrated.stdout)
    assert table["pipeline.is_prime"]["Imported"] == 38
    assert sum(row["Imported"] for row in table.values()) == 68, migrated.stdout
    assert "68 of 68 tasks now have their result" in migrated.stdout
    assert_says_where_the_old_results_are(migrated.stdout, layout != "separate")
    # the inside of the finished CompoundTask maps to no task: listed, left alone
    assert "2 results of the original match no task" in migrated.stdout
    assert len(log_lines(tmp_path)) == tasks_logged

    after = snapshot(tmp_path / OLD_JUGDIR)
    assert {path: after.get(path) for path in before} == before  # nothing old changed
    assert_nothing_recomputed(tmp_path, new_jugdir, expected, tasks_logged)

    again = run_jug("migrate", "pipeline.py", "--from", OLD_JUGDIR, "--jugdir", new_jugdir,
                    cwd=tmp_path, check=0)
    _, table = parse_summary_table(again.stdout)
    assert sum(row["Present"] for row in table.values()) == 68, again.stdout


@pytest.mark.parametrize("layout", ["shared", "separate"])
def test_migrate_a_redis_store(tmp_path, original_jug, redis_url, layout):
    from conftest import flush_redis

    base = redis_url.rsplit("/", 1)[0]
    old_url, new_url = base + "/", base + ("/0" if layout == "shared" else "/1")
    flush_redis(base + "/0")
    flush_redis(base + "/1")
    try:
        setup_pipeline(tmp_path)
        run_original(original_jug, "execute", "pipeline.py", "--will-cite", "--jugdir", old_url,
                     cwd=tmp_path)
        tasks_logged = len(log_lines(tmp_path))
        expected = original_values(original_jug, tmp_path, old_url)
        before = redis_snapshot(base + "/0")
        assert len(before) == 70

        if layout == "shared":
            status = run_jug("status", "pipeline.py", "--jugdir", new_url, cwd=tmp_path)
            assert f"`jug migrate pipeline.py --jugdir {new_url}`" in status.stderr, status.stderr
            # its trace ran the CachedFunction, whose result is not imported then
            tasks_logged += 1
        migrated = run_jug("migrate", "pipeline.py", "--from", old_url, "--jugdir", new_url,
                           cwd=tmp_path, check=0)
        assert "(Redis store)" in migrated.stdout
        assert "68 of 68 tasks now have their result" in migrated.stdout, migrated.stdout
        assert_says_where_the_old_results_are(migrated.stdout, layout == "shared")
        assert len(log_lines(tmp_path)) == tasks_logged

        after = redis_snapshot(base + "/0")
        assert {key: after.get(key) for key in before} == before
        assert_nothing_recomputed(tmp_path, new_url, expected, tasks_logged)
    finally:
        flush_redis(base + "/0")
        flush_redis(base + "/1")


SMALL = """
from jug import TaskGenerator, barrier

@TaskGenerator
def double(x):
    return 2 * x

@TaskGenerator
def total(values):
    return sum(values)

doubled = [double(x) for x in range(N)]
barrier()
answer = total(doubled)
"""


def small_jugfile(n):
    return SMALL.replace("N)", f"{n})")


def test_dry_run_writes_nothing_and_names_the_tasks_without_a_result(tmp_path, original_jug):
    write(tmp_path / "jugfile.py", small_jugfile(4))
    run_original(original_jug, "execute", "jugfile.py", "--will-cite", cwd=tmp_path)
    write(tmp_path / "jugfile.py", small_jugfile(6))  # two more tasks, a new total
    before = snapshot(tmp_path)
    dry = run_jug("migrate", "jugfile.py", "--dry-run", cwd=tmp_path, check=0)
    assert snapshot(tmp_path) == before  # not even a manifest
    _, table = parse_summary_table(dry.stdout)
    assert table["jugfile.double"] == {"Importable": 4, "Present": 0, "Missing": 2,
                                       "Failed": 0}
    assert "jugfile.total" not in table  # not known yet: the trace stops at the barrier
    assert "2 tasks have no result in the original's store" in dry.stdout
    assert "stops at barrier()" in dry.stdout
    assert "1 result of the original matches no task" in dry.stdout  # the old total


def test_unmapped_results_are_listed_and_left_where_they_are(tmp_path, original_jug):
    write(tmp_path / "jugfile.py", small_jugfile(30))
    run_original(original_jug, "execute", "jugfile.py", "--will-cite", cwd=tmp_path)
    write(tmp_path / "jugfile.py", small_jugfile(30).replace("2 * x", "3 * x")
          .replace("range(30)", "range(100, 130)"))
    before = snapshot(tmp_path / "jugfile.jugdata")
    migrated = run_jug("migrate", "jugfile.py", cwd=tmp_path, check=1)
    assert "31 results of the original match no task" in migrated.stdout
    assert "... and 11 more (--list-unmapped lists them all)" in migrated.stdout
    assert "is this the jugfile" in migrated.stdout
    listed = run_jug("migrate", "jugfile.py", "--list-unmapped", cwd=tmp_path, check=1)
    keys = [line.strip() for line in listed.stdout.splitlines()
            if len(line.strip()) == 40 and line.startswith("  ")]
    assert len(keys) == 31
    after = snapshot(tmp_path / "jugfile.jugdata")
    assert {path: after.get(path) for path in before} == before
    for key in keys:
        assert (tmp_path / "jugfile.jugdata" / key[:2] / key[2:]).exists()


def test_the_notice_names_the_jugdir_and_arguments(tmp_path, original_jug):
    write(tmp_path / "jugfile.py", "import sys\n" + small_jugfile(3).replace(
        "range(3)", "range(int(sys.argv[1]))"))
    run_original(original_jug, "execute", "jugfile.py", "3", "--jugdir", "elsewhere",
                 "--will-cite", cwd=tmp_path)
    expected = "`jug migrate jugfile.py --jugdir elsewhere -- 3`"
    for command in ("status", "check", "execute"):
        proc = run_jug(command, "jugfile.py", "3", "--jugdir", "elsewhere", "--will-cite"
                       if command == "execute" else "--short", cwd=tmp_path)
        notices = [line for line in proc.stderr.splitlines() if "original jug 2.x" in line]
        assert len(notices) == 1 and expected in notices[0], (command, proc.stderr)
        if command == "execute":
            break  # it recomputed the stage: ours now has results, the notice is gone
    later = run_jug("status", "jugfile.py", "3", "--jugdir", "elsewhere", cwd=tmp_path)
    assert "original jug" not in later.stderr


def test_no_notice_on_a_store_of_ours(tmp_path):
    write(tmp_path / "jugfile.py", small_jugfile(3))
    status = run_jug("status", "jugfile.py", cwd=tmp_path, check=1)
    assert status.stderr == ""
    run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, check=0)
    write(tmp_path / "jugfile.py", small_jugfile(3).replace("range(3)", "range(10, 13)"))
    status = run_jug("status", "jugfile.py", cwd=tmp_path, check=1)  # 0 finished, results there
    assert "original jug" not in status.stderr


def test_bad_source_is_one_clear_line(tmp_path):
    write(tmp_path / "jugfile.py", small_jugfile(3))
    proc = run_jug("migrate", "jugfile.py", "--from", "nowhere", cwd=tmp_path, check=1)
    assert proc.stderr == ("jug: no jugdir nowhere: give the directory (or redis://HOST:PORT/) the "
                           "original jug wrote its results to with --from\n")
    assert not (tmp_path / "jugfile.jugdata").exists()


def test_help_has_an_example():
    proc = run_jug("migrate", "--help", cwd=".", check=0)
    assert "Example:" in proc.stdout and "jug migrate primes.py --dry-run" in proc.stdout


def test_a_jug_hash_written_with_hash_update_migrates(tmp_path, original_jug):
    # jug.hash.hash_update/new_hash_object, as a __jug_hash__ written for jug 2
    # calls them, are the original's while migrating: its results map
    shutil.copy(JUGFILES / "points.py", tmp_path / "jugfile.py")
    run_original(original_jug, "execute", "jugfile.py", "--will-cite", cwd=tmp_path)
    migrated = run_jug("migrate", "jugfile.py", cwd=tmp_path, check=0)
    _, table = parse_summary_table(migrated.stdout)
    assert table["jugfile.norm"]["Imported"] == 2, migrated.stdout
    execute = run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, check=0)
    assert executed_total(execute.stdout) == 0, execute.stdout

