"""Slow tasks after many fast ones (issue 12, item 1): on Redis, where fast
tasks are claimed in batches, the slow ones that follow are spread over the
workers (never claimed in a batch behind others), and a worker killed in the
slow phase loses no result it had finished (results are saved as each task
finishes).  The file store, which claims one task at a time, for comparison.
``benchmarks/slow_after_fast.py`` measures the same at full size."""

import collections
import time

import pytest

from reliability_harness import Worker, done_counts, finish_and_verify, jugfile_with_log, \
    read_log, record_figure, wait_for

SLOW_AFTER_FAST = """
    import os, time
    from jug import TaskGenerator

    @TaskGenerator
    def fast(i):
        return i

    @TaskGenerator
    def total(values):
        return sum(values)

    @TaskGenerator
    def slow(i, after):
        time.sleep({seconds})
        log("done", i)
        return os.getpid()

    summed = total([fast(i) for i in range({fast})])
    slows = [slow(i, summed) for i in range({slow})]
"""

SIZES = [pytest.param((4, 2000, 32, 0.25), id="small"),
         pytest.param((4, 2000, 64, 0.5), id="full", marks=pytest.mark.slow)]


@pytest.mark.parametrize("size", SIZES)
def test_slow_tasks_after_fast_ones_are_spread_over_the_workers(tmp_path, shared_jugdir, size):
    workers, fast, slow, seconds = size
    jugfile_with_log(tmp_path, SLOW_AFTER_FAST.format(fast=fast, slow=slow, seconds=seconds))
    started = time.monotonic()
    procs = [Worker(tmp_path, "--jugdir", shared_jugdir, "--wait-cycle-time", "0.2")
             for _ in range(workers)]
    for proc in procs:
        assert proc.wait() == 0, proc.stderr
    wall = time.monotonic() - started
    per_worker = collections.Counter(pid for tag, _, pid, _ in read_log(tmp_path))
    assert sum(per_worker.values()) == slow and set(done_counts(tmp_path).values()) == {1}
    fair = slow / workers
    # spread: every worker took its share, give or take (the issue: one worker ran all 64)
    assert len(per_worker) == workers, per_worker
    assert max(per_worker.values()) <= 2 * fair, per_worker
    finish_and_verify(tmp_path, shared_jugdir)
    kind = "redis" if shared_jugdir.startswith("redis") else "file"
    record_figure(f"slow after fast {size}: wall ({kind})", wall)
    record_figure(f"slow after fast {size}: most slow tasks on one worker ({kind})",
                  max(per_worker.values()))


def test_a_worker_killed_among_slow_tasks_loses_none_it_finished(tmp_path, redis_server):
    redis_server.flush()
    jugdir = redis_server.url
    jugfile_with_log(tmp_path, SLOW_AFTER_FAST.format(fast=500, slow=24, seconds=0.3))
    procs = [Worker(tmp_path, "--jugdir", jugdir, "--wait-cycle-time", "0.2") for _ in range(2)]
    victim = procs[0]
    wait_for(lambda: sum(1 for _, _, pid, _ in read_log(tmp_path) if pid == str(victim.pid)) >= 3,
             120, what="the first worker to finish some slow tasks")
    time.sleep(0.15)  # into its next slow task
    victim.kill()
    finished_by_victim = {task for _, task, pid, _ in read_log(tmp_path) if pid == str(victim.pid)}
    assert procs[1].wait() == 0, procs[1].stderr
    finish_and_verify(tmp_path, jugdir)
    counts = done_counts(tmp_path)
    assert set(counts) == {str(i) for i in range(24)}
    rerun = {task for task in finished_by_victim if counts[task] > 1}
    assert rerun == set(), f"finished by the killed worker and run again: {rerun}"
