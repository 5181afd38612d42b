"""The ``jug`` script's exit (jug.cli.exit): after a large trace it skips
freeing every object, and still does what a normal exit does that anyone
can see."""

import subprocess
import sys
import textwrap

import pytest

from jug.cli.exit import LARGE_HEAP_BLOCKS
from tests.jugtest import jug_command, jug_env, write

# Two pymalloc blocks per entry (a tuple and an int): over the threshold.
LARGE = LARGE_HEAP_BLOCKS
SMALL = 1000

JUGFILE = """\
import atexit
import sys
import threading
import time

from jug import TaskGenerator

ballast = [(i + 1000,) for i in range({ballast})]


class Witness:
    def __del__(self):
        sys.stderr.write("freed at exit\\n")


witness = Witness()
log = open("log.txt", "w")  # never closed: the exit must flush it
log.write("written by the top level")
atexit.register(lambda: open("atexit.txt", "w").write("atexit ran"))


def late():
    time.sleep(0.5)
    open("thread.txt", "w").write("thread finished")


threading.Thread(target=late).start()


@TaskGenerator
def double(x):
    return 2 * x


result = double(21)
"""


def run(tmp_path, ballast, *args, command=None):
    write(tmp_path / "jugfile.py", JUGFILE.format(ballast=ballast))
    command = command or jug_command(*args)
    return subprocess.run(command, cwd=tmp_path, env=jug_env(), capture_output=True,
                          text=True, timeout=120)


def assert_exit_was_complete(tmp_path):
    assert (tmp_path / "log.txt").read_text() == "written by the top level"
    assert (tmp_path / "atexit.txt").read_text() == "atexit ran"
    assert (tmp_path / "thread.txt").read_text() == "thread finished"


def test_after_a_large_trace_objects_are_not_freed_but_the_exit_is_complete(tmp_path):
    proc = run(tmp_path, LARGE, "compile", "jugfile.py")
    assert proc.returncode == 0, proc.stderr
    assert "Compiled jugfile.py: 1 task" in proc.stdout
    assert "freed at exit" not in proc.stderr  # the objects were left to the OS
    assert_exit_was_complete(tmp_path)


def test_after_a_small_trace_the_exit_is_the_interpreters(tmp_path):
    proc = run(tmp_path, SMALL, "compile", "jugfile.py")
    assert proc.returncode == 0, proc.stderr
    assert "freed at exit" in proc.stderr
    assert_exit_was_complete(tmp_path)


@pytest.mark.parametrize("ballast", [SMALL, LARGE])
def test_the_exit_code_is_the_commands(tmp_path, ballast):
    proc = run(tmp_path, ballast, "check", "jugfile.py")
    assert proc.returncode == 1, proc.stderr  # not finished
    proc = run(tmp_path, ballast, "execute", "jugfile.py")
    assert proc.returncode == 0, proc.stderr
    proc = run(tmp_path, ballast, "check", "jugfile.py")
    assert proc.returncode == 0, proc.stderr


def test_python_m_jug_jug_leaves_the_same_way(tmp_path):
    proc = run(tmp_path, LARGE, command=[sys.executable, "-m", "jug.jug", "check", "jugfile.py"])
    assert proc.returncode == 1, proc.stderr
    assert "freed at exit" not in proc.stderr
    assert_exit_was_complete(tmp_path)


def test_a_script_calling_jug_main_goes_on_after_it(tmp_path):
    script = textwrap.dedent("""\
        import jug.jug
        try:
            jug.jug.main(["jug", "check", "jugfile.py"])
        except SystemExit as exit:
            print("the script goes on; jug said", exit.code)
    """)
    write(tmp_path / "script.py", script)
    proc = run(tmp_path, LARGE, command=[sys.executable, "script.py"])
    assert proc.returncode == 0, proc.stderr
    assert "the script goes on; jug said 1" in proc.stdout

