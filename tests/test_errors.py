"""Bad input gets a clear, one-paragraph error naming file, line or task,
a non-zero exit, and loses no finished result."""

import re
import socket

from jugtest import run_jug, write


def test_syntax_error_names_file_line_and_caret(tmp_path):
    write(tmp_path / "jugfile.py", """
        from jug import TaskGenerator
        x = (1,
        y = 2 +
    """)
    proc = run_jug("status", "jugfile.py", cwd=tmp_path, check=1)
    assert 'File "jugfile.py", line' in proc.stderr and "SyntaxError" in proc.stderr
    assert "^" in proc.stderr and "Traceback" not in proc.stderr


def test_jugfile_that_raises_while_traced(tmp_path):
    write(tmp_path / "jugfile.py", """
        from jug import TaskGenerator

        @TaskGenerator
        def f(x):
            return x

        a = f(1)
        b = {}["missing"]
    """)
    proc = run_jug("execute", "jugfile.py", cwd=tmp_path, check=1)
    assert "KeyError: 'missing'" in proc.stderr
    assert 'jugfile.py", line 8' in proc.stderr
    assert "raised KeyError while it was being run (line 8)" in proc.stderr
    assert "jug/compiler" not in proc.stderr  # the traceback shows the user's frames


def test_missing_jugfile(tmp_path):
    proc = run_jug("status", "nothere.py", cwd=tmp_path, check=1)
    assert "jugfile not found: nothere.py" in proc.stderr


def test_task_that_raises_shows_traceback_and_keeps_other_results(tmp_path):
    write(tmp_path / "jugfile.py", """
        from jug import TaskGenerator

        @TaskGenerator
        def f(x):
            if x == 3:
                raise ValueError("three is bad")
            return x

        @TaskGenerator
        def total(xs):
            return sum(xs)

        values = [f(i) for i in range(6)]
        final = total(values)
    """)
    proc = run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, check=1)
    assert "task jugfile.f" in proc.stderr and "ValueError: three is bad" in proc.stderr
    assert 'jugfile.py", line 6, in f' in proc.stderr
    proc = run_jug("execute", "jugfile.py", "--will-cite", "--keep-going", cwd=tmp_path, check=1)
    assert "ValueError: three is bad" in proc.stderr
    status = run_jug("status", "jugfile.py", "--short", cwd=tmp_path, check=1)
    assert status.stdout.strip() == "2 tasks waiting to be run, 0 failed, 5 complete, (none active)."


def test_keep_failed_marks_the_task_failed(tmp_path):
    write(tmp_path / "jugfile.py", """
        from jug import TaskGenerator

        @TaskGenerator
        def f(x):
            if x == 1:
                raise RuntimeError("no")
            return x

        values = [f(i) for i in range(3)]
    """)
    run_jug("execute", "jugfile.py", "--will-cite", "--keep-going", "--keep-failed",
            cwd=tmp_path, check=1)
    status = run_jug("status", "jugfile.py", "--short", cwd=tmp_path, check=1)
    assert status.stdout.strip() == "0 tasks waiting to be run, 1 failed, 2 complete, (none active)."
    # another worker does not retry it, says why it stopped, and exits 3: tasks remain
    proc = run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, check=3)
    assert "RuntimeError" not in proc.stderr
    assert "some tasks could not be run" in proc.stderr


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_redis(tmp_path):
    write(tmp_path / "jugfile.py", "from jug import Task\n")
    port = _closed_port()
    proc = run_jug("status", "jugfile.py", "--jugdir", f"redis://127.0.0.1:{port}/0",
                   cwd=tmp_path, check=1, timeout=60)
    assert f"127.0.0.1:{port}" in proc.stderr and "Traceback" not in proc.stderr
    assert "redis-server" in proc.stderr


def test_unknown_jugdir_scheme(tmp_path):
    write(tmp_path / "jugfile.py", "from jug import Task\n")
    proc = run_jug("status", "jugfile.py", "--jugdir", "s3://bucket/x", cwd=tmp_path, check=1)
    assert "s3" in proc.stderr and "redis://" in proc.stderr and "Traceback" not in proc.stderr


def test_damaged_result_is_recomputed(tmp_path):
    write(tmp_path / "jugfile.py", """
        from jug import TaskGenerator

        @TaskGenerator
        def f(x):
            return x

        @TaskGenerator
        def g(x):
            return x + 1

        a = f(1)
        b = g(a)
    """)
    run_jug("execute", "jugfile.py", "--will-cite", "--name", "f", cwd=tmp_path, check=0)
    store = tmp_path / "jugfile.jugdata"
    (result,) = [p for p in store.glob("??/*")]
    result.write_bytes(result.read_bytes()[:-1] + b"X")  # a torn or damaged write
    proc = run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, check=0)
    assert "jugfile.f" in proc.stderr and result.name in proc.stderr
    assert "damaged" in proc.stderr and "computing it again" in proc.stderr
    assert re.search(r"^\s+2\s+1\s+Total$", proc.stdout, re.M), proc.stdout  # f loaded, then redone
    run_jug("check", "jugfile.py", cwd=tmp_path, check=0)
