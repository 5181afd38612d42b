"""`jug execute` with several real processes: no task runs twice, stale
locks of killed workers are reclaimed, early exits are clean."""

import os
import re
import signal
import time

from jugtest import jug_env, run_jug, run_workers, start_jug, write

LOGGING_JUGFILE = """
    import os
    import time
    from jug import TaskGenerator

    @TaskGenerator
    def work(i):
        with open("runs.log", "a") as log:     # O_APPEND: one line per execution
            log.write(f"{i}\\n")
        time.sleep(float(os.environ.get("WORK_SLEEP", "0")))
        return i * i

    @TaskGenerator
    def total(values):
        return sum(values)

    result = total([work(i) for i in range(int(os.environ.get("N", "40")))])
"""


def runs(directory):
    path = os.path.join(directory, "runs.log")
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        return [int(line) for line in handle.read().split()]


def finished_value(directory, jugdir, env):
    import subprocess
    import sys

    script = (f"import jug; jug.init('jugfile.py', {jugdir!r}); import jugfile; "
              "print(jug.value(jugfile.result))")
    proc = subprocess.run([sys.executable, "-c", script], cwd=directory, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return int(proc.stdout.split()[-1])


def test_concurrent_workers_run_each_task_once(tmp_path, shared_jugdir):
    write(tmp_path / "jugfile.py", LOGGING_JUGFILE)
    env = jug_env(N=60, WORK_SLEEP=0.005)
    run_jug("compile", "jugfile.py", "--jugdir", shared_jugdir, cwd=tmp_path, env=env, check=0)
    run_workers(3, "jugfile.py", "--jugdir", shared_jugdir, cwd=tmp_path, env=env)
    assert sorted(runs(tmp_path)) == list(range(60))
    assert finished_value(tmp_path, shared_jugdir, env) == sum(i * i for i in range(60))


def test_jug_max_tasks_stops_cleanly(tmp_path):
    write(tmp_path / "jugfile.py", LOGGING_JUGFILE)
    proc = run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path,
                   env=jug_env(JUG_MAX_TASKS=3), check=0)
    assert len(runs(tmp_path)) == 3
    status = run_jug("status", "jugfile.py", "--short", cwd=tmp_path, check=1)
    assert "3 complete, (none active)" in status.stdout
    assert os.listdir(tmp_path / "jugfile.jugdata" / "locks") == []
    assert proc.returncode == 0


def test_stop_file_stops_before_the_next_task(tmp_path):
    write(tmp_path / "jugfile.py", LOGGING_JUGFILE)
    write(tmp_path / "__jug_please_stop_running.txt", "")
    run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, check=0)
    assert runs(tmp_path) == []
    run_jug("execute", "jugfile.py", "--will-cite", "--no-check-environment", cwd=tmp_path, check=0)
    assert len(runs(tmp_path)) == 40


def _wait_for_runs(directory, count, timeout=30):
    deadline = time.monotonic() + timeout
    while len(runs(directory)) < count:
        assert time.monotonic() < deadline, "the worker did not start its task"
        time.sleep(0.05)


def test_killed_worker_leaves_a_lock_that_the_next_worker_reclaims(tmp_path):
    write(tmp_path / "jugfile.py", LOGGING_JUGFILE)
    env = jug_env(N=1, WORK_SLEEP=60)
    worker = start_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, env=env)
    _wait_for_runs(tmp_path, 1)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    status = run_jug("status", "jugfile.py", "--short", cwd=tmp_path, env=env, check=1)
    # the lock is still there, shown as stale (its holder is dead), not active
    assert "(none active)" in status.stdout and "1 task has a stale lock" in status.stderr
    proc = run_jug("execute", "jugfile.py", "--will-cite", "--wait-cycle-time", "0.2", cwd=tmp_path,
                   env=jug_env(N=1, WORK_SLEEP=0), check=0)
    assert "stale lock" in proc.stderr
    assert runs(tmp_path) == [0, 0]
    run_jug("check", "jugfile.py", cwd=tmp_path, env=env, check=0)


def test_sigterm_releases_the_lock(tmp_path):
    write(tmp_path / "jugfile.py", LOGGING_JUGFILE)
    env = jug_env(N=1, WORK_SLEEP=60)
    worker = start_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, env=env)
    _wait_for_runs(tmp_path, 1)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=10) == 1
    status = run_jug("status", "jugfile.py", "--short", cwd=tmp_path, env=env, check=1)
    assert status.stdout.strip() == "2 tasks waiting to be run, 0 failed, 0 complete, (none active)."


def test_dict_store_file_keeps_results_between_runs(tmp_path):
    write(tmp_path / "jugfile.py", LOGGING_JUGFILE)
    env = jug_env(N=5)
    run_jug("execute", "jugfile.py", "--jugdir", "dict_store:results.pickle", "--will-cite",
            cwd=tmp_path, env=env, check=0)
    assert os.path.exists(tmp_path / "results.pickle")
    status = run_jug("status", "jugfile.py", "--jugdir", "dict_store:results.pickle", "--short",
                     cwd=tmp_path, env=env, check=0)
    assert status.stdout.strip() == "All tasks complete (6 tasks)."


def test_name_and_pattern_select_tasks(tmp_path):
    write(tmp_path / "jugfile.py", LOGGING_JUGFILE)
    proc = run_jug("execute", "jugfile.py", "--will-cite", "--name", "work", cwd=tmp_path, check=0)
    assert re.search(r"^\s+40\s+0  jugfile.work$", proc.stdout, re.M)
    assert "jugfile.total" not in proc.stdout
    proc = run_jug("execute", "jugfile.py", "--will-cite", "--pattern", "/tot.l$/", cwd=tmp_path,
                   check=0)
    assert re.search(r"^\s+1\s+0  jugfile.total$", proc.stdout, re.M)


def test_debug_catches_a_task_that_modifies_its_argument(tmp_path):
    write(tmp_path / "jugfile.py", """
        from jug import TaskGenerator

        @TaskGenerator
        def sneaky(values):
            values.append(1)
            return len(values)

        r = sneaky([1, 2])
    """)
    run_jug("execute", "jugfile.py", "--will-cite", "--debug", cwd=tmp_path, check=1)
    proc = run_jug("execute", "jugfile.py", "--will-cite", "--debug", cwd=tmp_path, check=1)
    assert "changed unexpectedly" in proc.stderr and "jugfile.sneaky" in proc.stderr
    run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, check=0)


def test_fast_tasks_on_redis_are_batched_and_still_run_once(tmp_path, redis_url):
    from conftest import flush_redis

    flush_redis(redis_url)
    write(tmp_path / "jugfile.py", LOGGING_JUGFILE)
    env = jug_env(N=400)
    run_jug("compile", "jugfile.py", "--jugdir", redis_url, cwd=tmp_path, env=env, check=0)
    run_workers(2, "jugfile.py", "--jugdir", redis_url, cwd=tmp_path, env=env)
    assert sorted(runs(tmp_path)) == list(range(400))
    assert finished_value(tmp_path, redis_url, env) == sum(i * i for i in range(400))


def test_a_failure_inside_a_batch_keeps_the_other_results(tmp_path, redis_url):
    from conftest import flush_redis

    flush_redis(redis_url)
    write(tmp_path / "jugfile.py", """
        from jug import TaskGenerator

        @TaskGenerator
        def f(x):
            with open("runs.log", "a") as log:
                log.write(f"{x}\\n")
            if x == 150:
                raise ValueError("bad")
            return x

        values = [f(i) for i in range(300)]
    """)
    proc = run_jug("execute", "jugfile.py", "--jugdir", redis_url, "--will-cite", cwd=tmp_path,
                   check=1)
    assert "ValueError: bad" in proc.stderr
    status = run_jug("status", "jugfile.py", "--jugdir", redis_url, "--short", cwd=tmp_path,
                     check=1)
    done = int(re.search(r"(\d+) complete", status.stdout).group(1))
    # every task that ran before the failure, in the same batch or not, was saved
    assert done == len(runs(tmp_path)) - 1
    assert "(none active)" in status.stdout  # no lock left behind
    run_jug("execute", "jugfile.py", "--jugdir", redis_url, "--will-cite", "--keep-going",
            cwd=tmp_path, check=1)
    status = run_jug("status", "jugfile.py", "--jugdir", redis_url, "--short", cwd=tmp_path,
                     check=1)
    assert status.stdout.strip() == "1 tasks waiting to be run, 0 failed, 299 complete, (none active)."
