"""`jug invalidate`: the matching tasks and everything downstream, from the
manifest's graph, with the manual's table."""

import re

from jugtest import run_jug, write

JUGFILE = """
    from jug import TaskGenerator

    @TaskGenerator
    def sum_2(x):
        return x + 2

    @TaskGenerator
    def sum_23(x):
        return x + 23

    @TaskGenerator
    def total(xs):
        return sum(xs)

    a = [sum_2(i) for i in range(3)]
    b = [sum_23(i) for i in range(2)]
    t = total(a)
"""


def test_invalidate_removes_downstream_and_prints_the_table(tmp_path):
    write(tmp_path / "jugfile.py", JUGFILE)
    run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, check=0)
    proc = run_jug("invalidate", "jugfile.py", "--name", "sum_2", cwd=tmp_path, check=0)
    assert proc.stdout.splitlines()[0].split() == ["Invalidated", "Task", "name"]
    assert re.search(r"^\s+3  jugfile.sum_2$", proc.stdout, re.M)
    assert re.search(r"^\s+1  jugfile.total$", proc.stdout, re.M)
    assert "sum_23" not in proc.stdout  # --target/--name is strict: sum_2 is not sum_23
    assert re.search(r"^\s+4  Total$", proc.stdout, re.M)
    status = run_jug("status", "jugfile.py", "--short", cwd=tmp_path, check=1)
    assert status.stdout.strip() == "4 tasks waiting to be run, 0 failed, 2 complete, (none active)."


def test_pattern_is_loose_and_messages_when_nothing_happens(tmp_path):
    write(tmp_path / "jugfile.py", JUGFILE)
    run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, check=0)
    proc = run_jug("invalidate", "jugfile.py", "--pattern", "sum_2", cwd=tmp_path, check=0)
    assert re.search(r"^\s+6  Total$", proc.stdout, re.M)
    proc = run_jug("invalidate", "jugfile.py", "--pattern", "sum_2", cwd=tmp_path, check=0)
    assert proc.stdout.strip() == "Tasks invalidated, but no results removed"
    proc = run_jug("invalidate", "jugfile.py", "--name", "nothing_like_this", cwd=tmp_path, check=0)
    assert proc.stdout.strip() == "No results invalidated."


def test_invalidate_needs_a_selection(tmp_path):
    write(tmp_path / "jugfile.py", JUGFILE)
    proc = run_jug("invalidate", "jugfile.py", cwd=tmp_path, check=2)
    assert "one of the arguments --name --pattern --target --invalid is required" in proc.stderr


def test_invalidate_a_20000_task_chain_is_iterative(tmp_path):
    write(tmp_path / "jugfile.py", """
        from jug import TaskGenerator

        @TaskGenerator
        def step(x):
            return x

        t = step(0)
        for _ in range(20000):
            t = step(t)
    """)
    run_jug("compile", "jugfile.py", cwd=tmp_path, check=0, timeout=300)
    proc = run_jug("invalidate", "jugfile.py", "--name", "step", cwd=tmp_path, check=0)
    assert proc.stdout.strip() == "Tasks invalidated, but no results removed"
