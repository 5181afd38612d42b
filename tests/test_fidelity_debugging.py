"""Failing tasks as in the original: the traceback shows the jugfile's real
path, line and source; ``--pdb`` opens the debugger at the failing frame
(also when the jugfile itself raises) and leaving it never raises;
``--debug`` catches a task created inside a running task."""

import os
import re

import pytest

from jugtest import REPO, jug_env, run_jug, write

FAILING = """
    import os
    from jug import TaskGenerator
    from helpers import shrink
    os.chdir('sub')   # a relative path to the jugfile would now lead nowhere

    @TaskGenerator
    def boom(x):
        y = shrink(x)
        return 1 / (y - y)

    r = boom(3)
"""

HELPERS = """
    def shrink(x):
        return x - 1
"""


def failing_project(tmp_path):
    write(tmp_path / "jugfile.py", FAILING)
    write(tmp_path / "helpers.py", HELPERS)
    os.makedirs(tmp_path / "sub")
    run_jug("compile", "jugfile.py", cwd=tmp_path, check=0)


def test_a_failing_task_shows_the_jugfiles_path_line_and_source(tmp_path):
    failing_project(tmp_path)
    proc = run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, check=1)
    path = os.path.join(str(tmp_path), "jugfile.py")
    assert f'File "{path}", line 9, in boom\n    return 1 / (y - y)' in proc.stderr, proc.stderr
    assert "ZeroDivisionError: division by zero" in proc.stderr
    assert "<dynamic-code>" not in proc.stderr and "re-tracing" not in proc.stderr
    # the traceback starts at the task: jug's own frames say nothing about it
    assert os.path.join("jug", "execution.py") not in proc.stderr, proc.stderr


def test_a_failure_inside_a_local_module_shows_its_source(tmp_path):
    write(tmp_path / "helpers.py", """
        def check(x):
            if x > 2:
                raise ValueError(f"too large: {x}")
            return x
    """)
    write(tmp_path / "jugfile.py", """
        from jug import TaskGenerator
        from helpers import check

        @TaskGenerator
        def checked(x):
            return check(x)

        r = checked(5)
    """)
    run_jug("compile", "jugfile.py", cwd=tmp_path, check=0)
    proc = run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, check=1)
    assert re.search(r'jugfile\.py", line 6, in checked\n +return check\(x\)', proc.stderr)
    assert re.search(r'helpers\.py", line 3, in check\n +raise ValueError', proc.stderr), \
        proc.stderr


def _without_ipython(tmp_path):
    """An environment in which ``import IPython`` fails, so the debugger is pdb."""
    shim = tmp_path / "no-ipython"
    write(shim / "IPython" / "__init__.py", "raise ImportError('hidden for the test')\n")
    return jug_env(PYTHONPATH=os.pathsep.join([REPO, str(shim)]))


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _debugged(tmp_path, debugger, stdin, *args):
    import subprocess
    import sys

    env = _without_ipython(tmp_path) if debugger == "pdb" else jug_env()
    proc = subprocess.run([sys.executable, "-c", "import sys; from jug.cli import main; "
                           "sys.exit(main())", *args], cwd=tmp_path, env=env, input=stdin,
                          capture_output=True, text=True, timeout=120)
    return proc, ANSI.sub("", proc.stdout + proc.stderr)


@pytest.mark.parametrize("debugger", ["installed", "pdb"])
@pytest.mark.parametrize("stdin", ["q\n", "c\n", ""], ids=["q", "c", "end-of-input"])
def test_pdb_opens_at_the_failing_frame_and_leaving_never_raises(tmp_path, debugger, stdin):
    failing_project(tmp_path)
    proc, output = _debugged(tmp_path, debugger, "p y\n" + stdin, "execute", "jugfile.py",
                             "--will-cite", "--pdb")
    assert proc.returncode == 1, output
    path = os.path.join(str(tmp_path), "jugfile.py")
    assert f"{path}(9)boom()" in output, output
    assert "return 1 / (y - y)" in output  # the frame's source
    assert re.search(r"^(\(Pdb\)|ipdb>) 2$", output, re.M), output  # `p y` ran in the frame
    assert "BdbQuit" not in output and "AttributeError" not in output, output
    assert output.count("Traceback (most recent call last)") == 1, output


@pytest.mark.parametrize("debugger", ["installed", "pdb"])
def test_pdb_opens_on_an_exception_while_tracing_the_jugfile(tmp_path, debugger):
    write(tmp_path / "jugfile.py", """
        from jug import TaskGenerator
        limit = 3
        ratio = limit / (limit - 3)
    """)
    proc, output = _debugged(tmp_path, debugger, "p limit\nq\n", "execute", "jugfile.py",
                             "--will-cite", "--pdb")
    assert proc.returncode == 1, output
    assert f"{os.path.join(str(tmp_path), 'jugfile.py')}(3)<module>()" in output, output
    assert "ratio = limit / (limit - 3)" in output
    assert re.search(r"^(\(Pdb\)|ipdb>) 3$", output, re.M), output
    assert "raised ZeroDivisionError while it was being run (line 3)" in output
    assert "BdbQuit" not in output


TASK_IN_TASK = """
    from jug import TaskGenerator

    @TaskGenerator
    def inner(x):
        return x

    @TaskGenerator
    def outer(x):
        inner(x)   # a task created inside a running task
        return x + 1

    r = outer(1)
"""


def test_debug_catches_a_task_created_inside_a_task(differential):
    scenario = differential.scenario({"jugfile.py": TASK_IN_TASK})
    assert scenario.run("compile", "jugfile.py", only="ours")["ours"].returncode == 0
    executed = scenario.run("execute", "jugfile.py", "--will-cite", "--debug")
    for outcome in executed.values():
        assert outcome.returncode == 1, outcome
        assert "Creating tasks while executing another task is not supported" in \
            outcome.stderr, outcome
        assert "Error detected while running task `jugfile.outer`" in outcome.stderr, outcome
    # without --debug, both let it pass
    plain = scenario.run("execute", "jugfile.py", "--will-cite")
    assert plain["original"].returncode == plain["ours"].returncode == 0, plain


def test_debug_catches_a_task_created_inside_a_task_of_a_fresh_trace(tmp_path):
    write(tmp_path / "jugfile.py", TASK_IN_TASK)  # no compile: execute traces and runs live tasks
    proc = run_jug("execute", "jugfile.py", "--will-cite", "--debug", cwd=tmp_path, check=1)
    assert "Creating tasks while executing another task is not supported" in proc.stderr
