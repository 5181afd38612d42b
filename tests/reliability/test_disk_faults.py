"""Disk faults, on a real small tmpfs made by the test (root only; skipped
with the reason elsewhere): a disk that fills up in the middle of a run.
Each task that cannot be saved is reported failed in one line; no truncated
result or temporary file remains; the results saved before are intact; with
``--keep-going`` the worker goes on, without it stops cleanly.  A read-only
--jugdir is one sentence too."""

import os

from reliability_harness import assert_one_sentence, jugfile_with_log, run_jug, tmpfs  # noqa: F401 (a fixture)

FILLING = """
    import random
    from jug import TaskGenerator

    @TaskGenerator
    def chunk(i):
        log("done", i)
        return random.Random(i).randbytes(300_000)  # incompressible: 300 KB stored

    chunks = [chunk(i) for i in range(30)]
"""


def _leftovers(jugdir):
    tempfiles = [name for name in os.listdir(jugdir / "tempfiles")] \
        if (jugdir / "tempfiles").exists() else []
    locks = [name for name in os.listdir(jugdir / "locks")
             if not name.startswith("retrace-")] if (jugdir / "locks").exists() else []
    return tempfiles, locks


def _check_saved_results(tmp_path, jugdir):
    """Every result file in place loads (check --verify names none), and
    there are some but not all."""
    proc = run_jug("check", "jugfile.py", "--verify", "--jugdir", jugdir, cwd=tmp_path, check=1)
    assert "cannot be loaded" not in proc.stderr, proc.stderr
    saved = list(jugdir.glob("??/*"))
    assert 0 < len(saved) < 30
    for path in saved:
        assert path.stat().st_size > 300_000  # whole, never truncated
    return len(saved)


def test_full_disk_with_keep_going_fails_each_task_in_one_line(tmp_path, tmpfs):
    disk = tmpfs("4m")
    jugdir = disk / "jugdata"
    jugfile_with_log(tmp_path, FILLING)
    proc = run_jug("execute", "jugfile.py", "--will-cite", "--keep-going", "--jugdir", jugdir,
                   cwd=tmp_path, timeout=300)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    failures = [line for line in proc.stderr.splitlines() if line.startswith("jug: task ")]
    assert failures and all("disk is full" in line and "free some space" in line
                            for line in failures), proc.stderr
    saved = _check_saved_results(tmp_path, jugdir)
    assert len(failures) + saved == 30  # the worker went on to the last task
    assert _leftovers(jugdir) == ([], [])


def test_full_disk_without_keep_going_stops_cleanly(tmp_path, tmpfs):
    disk = tmpfs("4m")
    jugdir = disk / "jugdata"
    jugfile_with_log(tmp_path, FILLING)
    proc = run_jug("execute", "jugfile.py", "--will-cite", "--jugdir", jugdir, cwd=tmp_path,
                   timeout=300)
    assert proc.returncode == 1
    assert_one_sentence(proc.stderr, "disk is full")
    _check_saved_results(tmp_path, jugdir)
    assert _leftovers(jugdir) == ([], [])
    status = run_jug("status", "jugfile.py", "--jugdir", jugdir, cwd=tmp_path, check=1)
    assert "Traceback" not in status.stderr


def test_read_only_jugdir_is_one_sentence(tmp_path, tmpfs):
    disk = tmpfs("1m", "ro")
    jugfile_with_log(tmp_path, FILLING)
    for command in ("execute", "status", "check"):
        proc = run_jug(command, "jugfile.py", "--jugdir", disk / "jugdata", cwd=tmp_path)
        assert proc.returncode == (2 if command == "check" else 1), proc.stderr
        assert_one_sentence(proc.stderr, "read-only", str(disk / "jugdata"))
