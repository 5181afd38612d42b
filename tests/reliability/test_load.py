"""Load: many workers on one store (a directory, one Redis server), tasks of
random durations (2% a hundred times longer than the rest), 5% failures, a
``jug status`` loop all along and a ``jug invalidate`` in the middle.

Afterwards, from the append-only execution log: every successful task ran
exactly once, or twice when its result was removed by the invalidation
after it had run (never more); every failing task ran once (--keep-failed);
no task depending on a failure ran; every result loads; the status counts
add up at every moment; the slow tasks are spread over the workers.

Full size (5,000 tasks, 8 workers) with --run-slow; 1,000 tasks on 4 workers
otherwise."""

import collections
import os
import re
import threading
import time

import pytest

from reliability_harness import Worker, jugfile_with_log, read_log, record_figure, run_jug, \
    wait_for

JUGFILE = """
    import random, time
    from jug import TaskGenerator

    LEAVES = {leaves}
    MIDS = LEAVES // 10
    TOPS = MIDS // 9
    rng = random.Random(12)
    SLOW = {{i for i in range(LEAVES) if rng.random() < 0.02}}

    @TaskGenerator
    def leaf(i):
        time.sleep(0.1 if i in SLOW else 0.001)
        if i % 18 == 7:
            log("fail", f"leaf{{i}}")
            raise ValueError(f"leaf {{i}} fails on purpose")
        log("done", f"leaf{{i}}")
        return i

    @TaskGenerator
    def mid(values, j):
        log("done", f"mid{{j}}")
        return sum(values)

    @TaskGenerator
    def top(values, t):
        log("done", f"top{{t}}")
        return sum(values)

    leaves = [leaf(i) for i in range(LEAVES)]
    mids = [mid([leaves[j + MIDS * k] for k in range(10)], j) for j in range(MIDS)]
    tops = [top([mids[t + TOPS * k] for k in range(9)], t) for t in range(TOPS)]
"""

SIZES = [pytest.param((4, 900), id="1000-tasks-4-workers"),
         pytest.param((8, 4500), id="5000-tasks-8-workers", marks=pytest.mark.slow)]

SHORT = re.compile(r"(\d+) tasks waiting to be run, (\d+) failed, (\d+) complete, "
                   r"\((none|\d+) active\)\.|All tasks complete \((\d+) tasks\)\.")


def expected_outcome(leaves):
    """Which tasks fail, which are blocked by a failure, which succeed."""
    mids, tops = leaves // 10, leaves // 90
    failing = {f"leaf{i}" for i in range(leaves) if i % 18 == 7}
    blocked_mids = {j for j in range(mids)
                    if any(f"leaf{j + mids * k}" in failing for k in range(10))}
    blocked = {f"mid{j}" for j in blocked_mids}
    blocked |= {f"top{t}" for t in range(tops)
                if any(t + tops * k in blocked_mids for k in range(9))}
    everything = ({f"leaf{i}" for i in range(leaves)} | {f"mid{j}" for j in range(mids)}
                  | {f"top{t}" for t in range(tops)})
    return failing, blocked, everything - failing - blocked


def slow_leaves(leaves):
    import random

    rng = random.Random(12)
    return {f"leaf{i}" for i in range(leaves) if rng.random() < 0.02}


class StatusLoop(threading.Thread):
    """``jug status --short`` over and over while the workers run; every
    answer must be a table whose counts add up to the total."""

    def __init__(self, directory, jugdir, total):
        super().__init__(daemon=True)
        self.directory, self.jugdir, self.total = directory, jugdir, total
        self.stop = threading.Event()
        self.answers = 0
        self.problems = []

    def run(self):
        while not self.stop.is_set():
            proc = run_jug("status", "jugfile.py", "--short", "--jugdir", self.jugdir,
                           cwd=self.directory, timeout=300)
            match = SHORT.match(proc.stdout.strip())
            if proc.returncode not in (0, 1) or "Traceback" in proc.stderr or not match:
                self.problems.append((proc.returncode, proc.stdout, proc.stderr))
                continue
            if match.group(5):
                counted = int(match.group(5))
            else:
                active = 0 if match.group(4) == "none" else int(match.group(4))
                counted = sum(int(match.group(k)) for k in (1, 2, 3)) + active
            if counted != self.total:
                self.problems.append(("counts", proc.stdout))
            self.answers += 1


def log_mark(directory, tag):
    with open(os.path.join(directory, "executions.log"), "a") as handle:
        handle.write(f"{tag} - - -\n")


@pytest.mark.parametrize("size", SIZES)
def test_many_workers_random_durations_failures_status_and_invalidate(tmp_path, shared_jugdir,
                                                                      size):
    workers, leaves = size
    total = leaves + leaves // 10 + leaves // 90
    jugfile_with_log(tmp_path, JUGFILE.format(leaves=leaves))
    run_jug("compile", "jugfile.py", "--jugdir", shared_jugdir, cwd=tmp_path, check=0)
    status = StatusLoop(tmp_path, shared_jugdir, total)
    status.start()
    started = time.monotonic()
    procs = [Worker(tmp_path, "--jugdir", shared_jugdir, "--keep-going", "--keep-failed",
                    "--wait-cycle-time", "0.2") for _ in range(workers)]
    # the invalidation, once the middle layer is well under way
    wait_for(lambda: sum(1 for _, task, _, _ in read_log(tmp_path) if task.startswith("mid"))
             >= leaves // 40, 600, poll=0.05, what="the middle layer to be under way")
    log_mark(tmp_path, "invalidate-start")
    run_jug("invalidate", "jugfile.py", "--name", "jugfile.mid", "--jugdir", shared_jugdir,
            cwd=tmp_path, check=0)
    log_mark(tmp_path, "invalidate-end")
    for proc in procs:
        code = proc.wait(timeout=1200)
        assert code in (0, 1, 3), proc.stderr
        # tracebacks only of the tasks failing on purpose
        assert proc.stderr.count("Traceback") == proc.stderr.count("ValueError: leaf"), \
            proc.stderr
    # what the invalidation removed and nobody needed again: one more worker
    final = Worker(tmp_path, "--jugdir", shared_jugdir, "--keep-going", "--wait-cycle-time", "0.2")
    assert final.wait(timeout=600) in (0, 3), final.stderr
    wall = time.monotonic() - started
    status.stop.set()
    status.join(timeout=300)
    assert status.problems == [] and status.answers > 0, status.problems[:3]

    lines = read_log(tmp_path)
    marks = [k for k, line in enumerate(lines) if line[0].startswith("invalidate")]
    invalidate_end = marks[-1]
    done = collections.defaultdict(list)  # task -> positions of its "done" lines
    fails = collections.Counter()
    for position, (tag, task, _, _) in enumerate(lines):
        if tag == "done":
            done[task].append(position)
        elif tag == "fail":
            fails[task] += 1
    failing, blocked, succeeding = expected_outcome(leaves)
    assert fails == collections.Counter({task: 1 for task in failing})
    assert not blocked & set(done), sorted(blocked & set(done))[:5]
    assert set(done) == succeeding
    twice = []
    for task, positions in done.items():
        if task.startswith(("mid", "top")) and len(positions) == 2:
            assert positions[0] < invalidate_end, task  # its first result was removed
            twice.append(task)
        else:
            assert len(positions) == 1, (task, positions)
    # every result loads; the counts add up
    check = run_jug("check", "jugfile.py", "--verify", "--jugdir", shared_jugdir, cwd=tmp_path,
                    check=1, timeout=600)
    assert "cannot be loaded" not in check.stderr
    short = run_jug("status", "jugfile.py", "--short", "--jugdir", shared_jugdir, cwd=tmp_path,
                    check=1).stdout
    assert short.startswith(f"{len(blocked)} tasks waiting to be run, {len(failing)} failed, "
                            f"{len(succeeding)} complete"), short
    # the slow tasks were spread over the workers
    slow = slow_leaves(leaves) - failing
    by_worker = collections.Counter(pid for tag, task, pid, _ in lines
                                    if tag == "done" and task in slow)
    assert len(by_worker) >= workers - 1, by_worker
    assert max(by_worker.values()) <= 3 * len(slow) / workers, by_worker
    kind = "redis" if shared_jugdir.startswith("redis") else "file"
    record_figure(f"load {total} tasks x {workers} workers ({kind}): wall", wall)
    record_figure(f"load {total} ({kind}): executions logged", sum(map(len, done.values()))
                  + sum(fails.values()))
    record_figure(f"load {total} ({kind}): run twice after the invalidation", len(twice))
    record_figure(f"load {total} ({kind}): status answers checked", status.answers)
    record_figure(f"load {total} ({kind}): most slow tasks on one worker",
                  max(by_worker.values()))
