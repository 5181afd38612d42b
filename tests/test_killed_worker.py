"""A worker killed with ``kill -9`` in the middle of a task: its lock shows
as stale, ``jug cleanup --locks-only`` removes it, and another worker
finishes the run; without cleanup, the lease alone frees the task."""

import json
import os
import shutil
import signal
import subprocess
import time

import pytest

from jugtest import jug_command, jug_env, run_jug, write

JUGFILE = """
    import os
    import time
    from jug import TaskGenerator

    @TaskGenerator
    def slow(x):
        if x == 0 and not os.path.exists("released"):
            open("started", "w").close()
            while not os.path.exists("released"):  # killed in here
                time.sleep(0.05)
        return x

    @TaskGenerator
    def total(xs):
        return sum(xs)

    total([slow(i) for i in range(3)])
"""


def start_worker(tmp_path, jugdir, env, prefix=()):
    return subprocess.Popen([*prefix, *jug_command("execute", "jugfile.py", "--jugdir", jugdir,
                                                   "--will-cite", "--wait-cycle-time", "0.2")],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def kill_in_task(tmp_path, jugdir, env, prefix=()):
    """Start a worker, wait until it runs slow(0), kill -9 it."""
    worker = start_worker(tmp_path, jugdir, env, prefix)
    deadline = time.monotonic() + 60
    while not (tmp_path / "started").exists():
        assert worker.poll() is None, worker.communicate()
        assert time.monotonic() < deadline, "the worker never started the task"
        time.sleep(0.05)
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    (tmp_path / "released").touch()  # the task can finish now, in another worker


def status_document(tmp_path, jugdir, env):
    proc = run_jug("status", "jugfile.py", "--jugdir", jugdir, "--json", cwd=tmp_path, env=env)
    return json.loads(proc.stdout)


def test_status_shows_the_stale_lock_and_cleanup_removes_it(tmp_path, shared_jugdir):
    write(tmp_path / "jugfile.py", JUGFILE)
    env = jug_env()
    kill_in_task(tmp_path, shared_jugdir, env)
    document = status_document(tmp_path, shared_jugdir, env)
    # on Redis the worker may have claimed slow(1) with slow(0), in one batch
    stale = len(document["stale_locks"])
    assert {lock["name"] for lock in document["stale_locks"]} == {"jugfile.slow"}, document
    assert {lock["reason"] for lock in document["stale_locks"]} == {"the process is gone"}
    assert document["running"] == []
    table = run_jug("status", "jugfile.py", "--jugdir", shared_jugdir, cwd=tmp_path, env=env,
                    check=1)
    assert "`jug cleanup --locks-only`" in table.stdout
    dry = run_jug("cleanup", "jugfile.py", "--jugdir", shared_jugdir, "--locks-only",
                  "--dry-run", cwd=tmp_path, env=env, check=0)
    assert f"Would remove {stale} locks:" in dry.stdout
    assert "stale: the process is gone" in dry.stdout
    proc = run_jug("cleanup", "jugfile.py", "--jugdir", shared_jugdir, "--locks-only",
                   cwd=tmp_path, env=env, check=0)
    assert proc.stdout.splitlines()[0] == f"Removed {stale} locks", proc.stdout
    assert status_document(tmp_path, shared_jugdir, env)["stale_locks"] == []
    finish = start_worker(tmp_path, shared_jugdir, env)
    out, err = finish.communicate(timeout=120)
    assert finish.returncode == 0, err
    assert "reclaimed" not in err  # cleanup had removed the lock already
    run_jug("check", "jugfile.py", "--jugdir", shared_jugdir, cwd=tmp_path, env=env, check=0)


def _other_host_prefix():
    """A command prefix that runs the worker as if on another host (a UTS
    namespace with its own hostname), or None where that is not allowed."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    probe = subprocess.run([unshare, "-u", "sh", "-c", "hostname jug-other-host && hostname"],
                           capture_output=True, text=True)
    if probe.returncode != 0 or probe.stdout.strip() != "jug-other-host":
        return None
    return [unshare, "-u", "sh", "-c", 'hostname jug-other-host && exec "$0" "$@"']


def test_without_cleanup_the_lease_frees_a_task_of_a_worker_on_another_host(tmp_path,
                                                                             shared_jugdir):
    """The killed worker ran on another host (its pid means nothing here):
    its lock counts as running until the lease passes, then as stale, and a
    second worker reclaims it on its own."""
    prefix = _other_host_prefix()
    if prefix is None:
        pytest.skip("cannot run a worker under another hostname here (unshare -u needs "
                    "CAP_SYS_ADMIN)")
    write(tmp_path / "jugfile.py", JUGFILE)
    lease = 4.0
    env = jug_env(JUG_LEASE=lease)
    kill_in_task(tmp_path, shared_jugdir, env, prefix)
    killed_at = time.monotonic()
    document = status_document(tmp_path, shared_jugdir, env)
    if time.monotonic() - killed_at < lease - 1:
        assert {lock["host"] for lock in document["running"]} == {"jug-other-host"}, document
        assert document["stale_locks"] == []
    finish = start_worker(tmp_path, shared_jugdir, env)
    out, err = finish.communicate(timeout=120)
    assert finish.returncode == 0, err
    assert time.monotonic() - killed_at >= lease - 1  # it had to wait for the lease
    if not shared_jugdir.startswith("redis:"):  # on Redis the lock expires by itself
        assert "reclaimed the stale lock of jugfile.slow (held by jug-other-host" in err, err
    run_jug("check", "jugfile.py", "--jugdir", shared_jugdir, cwd=tmp_path, env=env, check=0)
