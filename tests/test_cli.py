"""The command line: help, version, argument passing, lazy imports."""

import subprocess
import sys

import pytest

from jugtest import jug_env, run_jug, write


def test_help_lists_commands_and_imports_nothing_heavy():
    script = ("import sys; from jug.cli import main\n"
              "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
              "heavy = [m for m in ('numpy', 'redis', 'libcst', 'graphviz', 'IPython', 'networkx',"
              " 'cloudpickle') if m in sys.modules]\nprint('HEAVY', heavy)")
    proc = subprocess.run([sys.executable, "-c", script], env=jug_env(), capture_output=True,
                          text=True, check=True)
    assert "HEAVY []" in proc.stdout
    for command in ("execute", "status", "check", "compile", "invalidate"):
        assert command in proc.stdout


def test_version(tmp_path):
    proc = run_jug("--version", cwd=tmp_path, check=0)
    assert proc.stdout.startswith("jug ")


@pytest.mark.parametrize("command", ["execute", "status", "check", "compile", "invalidate",
                                     "sleep-until"])
def test_every_command_has_help_with_an_example(tmp_path, command):
    proc = run_jug(command, "--help", cwd=tmp_path, check=0)
    assert "Example" in proc.stdout and "jug " + command.split()[0] in proc.stdout


def test_status_of_a_fresh_manifest_imports_nothing_heavy(tmp_path):
    write(tmp_path / "jugfile.py", """
        from jug import TaskGenerator

        @TaskGenerator
        def f(x):
            return x

        a = f(1)
    """)
    run_jug("compile", "jugfile.py", cwd=tmp_path, check=0)
    script = ("import sys; from jug.cli import main\n"
              "try:\n    main(['status', 'jugfile.py'])\nexcept SystemExit:\n    pass\n"
              "print('HEAVY', [m for m in ('numpy', 'redis', 'libcst', 'graphviz', 'cloudpickle')"
              " if m in sys.modules])")
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=jug_env(),
                          capture_output=True, text=True, check=True)
    assert "HEAVY []" in proc.stdout


ARGV_JUGFILE = """
    import sys
    from jug import TaskGenerator

    @TaskGenerator
    def record(args):
        return args

    with open("argv.txt", "a") as out:
        out.write(repr(sys.argv) + "\\n")
    r = record(sys.argv[1:])
"""


@pytest.mark.parametrize("args, expected", [
    (["execute"], ["jugfile.py"]),
    (["execute", "jugfile.py"], ["jugfile.py"]),
    (["execute", "--verbose=info", "jugfile.py"], ["jugfile.py"]),
    (["execute", "--verbose=info", "jugfile.py", "argument"], ["jugfile.py", "argument"]),
    (["execute", "--verbose=info", "jugfile.py", "argument", "--", "--arg", "--arg2=yes"],
     ["jugfile.py", "argument", "--arg", "--arg2=yes"]),
    (["execute", "jugfile.py", "a", "--jugdir", "other.jugdata", "b"], ["jugfile.py", "a", "b"]),
])
def test_sys_argv_as_in_the_manual_faq(tmp_path, args, expected):
    write(tmp_path / "jugfile.py", ARGV_JUGFILE)
    run_jug(args[0], "--will-cite", *args[1:], cwd=tmp_path, check=0)
    with open(tmp_path / "argv.txt") as handle:
        assert handle.read().splitlines()[-1] == repr(expected)


def test_jugdir_option_after_the_jugfile(tmp_path):
    write(tmp_path / "jugfile.py", ARGV_JUGFILE)
    run_jug("execute", "jugfile.py", "--jugdir", "elsewhere", "--will-cite", cwd=tmp_path, check=0)
    assert (tmp_path / "elsewhere").is_dir() and not (tmp_path / "jugfile.jugdata").exists()
    run_jug("status", "jugfile.py", "--jugdir", "elsewhere", cwd=tmp_path, check=0)
