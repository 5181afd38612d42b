"""Helpers for tests that drive jug through its front door."""

import os
import shutil
import subprocess
import sys
import textwrap

from click.testing import CliRunner

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def write(path, text):
    """Write dedented ``text`` to ``path`` (parents created); returns the path."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(textwrap.dedent(text).lstrip("\n"))
    return str(path)


# What running an example writes next to it (examples/.gitignore, and the
# store): left out of copies of examples/, so that a test starts from the
# repository's files also after someone ran the example in the checkout, as
# README.md's quick start does.
EXAMPLE_OUTPUTS = ("*.jugdata", "__pycache__", "output.txt", "counts.txt", "jug-*.out", "*.dot")


def ignore_example_outputs(directory, names):
    """A ``shutil.copytree`` ``ignore`` for copies of examples/ or of one example."""
    ignored = set(shutil.ignore_patterns(*EXAMPLE_OUTPUTS)(directory, names))
    if os.path.basename(directory) == "images" and "images" in names:
        ignored.add("images")  # the pictures examples/images makes
    return ignored


def copy_example(name, target):
    """Copy ``examples/NAME`` to ``target`` without what a run left there."""
    shutil.copytree(os.path.join(REPO, "examples", name), target, ignore=ignore_example_outputs)
    return str(target)


def jug_env(**extra):
    """The environment of a jug subprocess: this tree first on PYTHONPATH,
    ``extra`` set (a value of None unsets the variable)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO + os.pathsep + env.get("PYTHONPATH", "")
    return with_variables(env, extra)


def with_variables(env, extra):
    """``env`` with ``extra`` set, a None value removing the variable."""
    for key, value in extra.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = str(value)
    return env


def jug_command(*args):
    return [sys.executable, "-c", "from jug.cli import run; run()", *map(str, args)]


def run_jug(*args, cwd, env=None, timeout=120, check=None):
    """Run ``jug ARGS`` in a fresh process; returns the CompletedProcess.
    ``check`` asserts the exit code, showing the output on failure."""
    proc = subprocess.run(jug_command(*args), cwd=cwd, env=env or jug_env(), capture_output=True,
                          text=True, timeout=timeout)
    if check is not None:
        assert proc.returncode == check, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    return proc


def start_jug(*args, cwd, env=None):
    return subprocess.Popen(jug_command(*args), cwd=cwd, env=env or jug_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run_workers(count, *args, cwd, env=None, timeout=300):
    """Run ``count`` concurrent ``jug execute ARGS --will-cite --wait-cycle-time
    0.2`` processes to completion; returns their stdouts (each must exit 0)."""
    workers = [start_jug("execute", *args, "--will-cite", "--wait-cycle-time", "0.2", cwd=cwd,
                         env=env) for _ in range(count)]
    outputs = [worker.communicate(timeout=timeout) for worker in workers]
    for worker, (_, stderr) in zip(workers, outputs):
        assert worker.returncode == 0, stderr
    return [stdout for stdout, _ in outputs]


def invoke(*args, cwd, expect=0):
    """Run ``jug ARGS`` in this process with click's CliRunner."""
    from jug.cli import main

    old = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    finally:
        os.chdir(old)
    if expect is not None:
        assert result.exit_code == expect, f"exit {result.exit_code}\n{result.output}"
    return result
