"""The command line around the commands: the registry and ``jug --help``,
``jug`` alone, shell completion, ``count``, ``demo``, task selection
(``--target``, ``--name`` with ``--pattern``), ``write_task_out``'s
metadata, and jugfiles Python cannot compile; against the original where
it has the behaviour."""

import json
import os
import re
import subprocess
import sys
import time

import pytest

from jugtest import REPO, invoke, jug_env, run_jug, write

JUGFILE = """
    from jug import TaskGenerator

    @TaskGenerator
    def double(x):
        return 2 * x

    @TaskGenerator
    def double_other(x):
        return 2 * x

    @TaskGenerator
    def total(xs):
        return sum(xs)

    total([double(i) for i in range(3)] + [double_other(i) for i in range(2)])
"""


# -- the registry ---------------------------------------------------------------------------


def test_every_listed_command_imports_and_its_summary_is_written_once():
    from jug.cli import COMMANDS, _builtin_command

    for name, (module, summary) in COMMANDS.items():
        command = _builtin_command(name)
        assert command.name == name and command.short_help == summary
        assert command.help.startswith(summary + "\n")
        rest = command.help[len(summary):]
        assert summary not in rest, f"jug {name}: the summary is repeated in its help"
        assert "Example" in command.help, f"jug {name} --help has no example"


def test_a_listed_command_whose_module_is_missing_fails_loudly(tmp_path, monkeypatch):
    import jug.cli

    monkeypatch.setitem(jug.cli.COMMANDS, "vanished", ("jug.cli.vanished", "Gone."))
    listing = invoke("--help", cwd=tmp_path)
    assert "vanished" in listing.stdout  # listed, not hidden
    result = invoke("vanished", cwd=tmp_path, expect=1)
    assert ("the command `jug vanished` is listed but its module jug.cli.vanished is missing"
            in result.output)


def test_jug_alone_prints_the_help_and_exits_1_as_the_original(differential):
    scenario = differential.scenario({"jugfile.py": JUGFILE})
    outcomes = scenario.run()
    assert outcomes["original"].returncode == outcomes["ours"].returncode == 1, outcomes
    for command in ("execute", "status", "cleanup", "count", "demo", "pack"):
        assert command in outcomes["original"].stdout and command in outcomes["ours"].stdout


def test_help_stays_fast_and_light(tmp_path):
    script = ("import sys, time; t = time.perf_counter(); from jug.cli import main\n"
              "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
              "print('SECONDS', time.perf_counter() - t)\n"
              "print('LOADED', sorted(m for m in ('importlib.metadata', 'jug.cli.execute', "
              "'jug.cli.cleanup', 'tqdm') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", script], env=jug_env(HOME=tmp_path),
                          capture_output=True, text=True, check=True)
    assert "LOADED []" in proc.stdout, proc.stdout


# -- shell completion --------------------------------------------------------------------


@pytest.mark.parametrize("shell, marker", [("bash", "complete -o nosort -F _jug_completion jug"),
                                           ("zsh", "#compdef jug"),
                                           ("fish", "complete --no-files --command jug")])
def test_print_completion(tmp_path, shell, marker):
    proc = run_jug("--print-completion", shell, cwd=tmp_path, check=0)
    assert marker in proc.stdout and "_JUG_COMPLETE" in proc.stdout


def test_completion_completes_commands_and_options(tmp_path):
    env = jug_env(_JUG_COMPLETE="bash_complete", COMP_WORDS="jug cle", COMP_CWORD="1")
    proc = subprocess.run([sys.executable, "-c", "from jug.cli import main; main(prog_name='jug')"],
                          cwd=tmp_path, env=env, capture_output=True, text=True)
    assert "plain,cleanup" in proc.stdout.splitlines(), proc
    env.update(COMP_WORDS="jug cleanup --dr", COMP_CWORD="2")
    proc = subprocess.run([sys.executable, "-c", "from jug.cli import main; main(prog_name='jug')"],
                          cwd=tmp_path, env=env, capture_output=True, text=True)
    assert "plain,--dry-run" in proc.stdout.splitlines(), proc


def test_bash_loads_the_completion_script(tmp_path):
    bash = "/bin/bash"
    if not os.path.exists(bash):
        pytest.skip("no bash")
    script = (f"eval \"$({sys.executable} -c 'from jug.cli import main; main(prog_name=\"jug\")'"
              " --print-completion bash)\"; complete -p jug")
    proc = subprocess.run([bash, "-c", script], cwd=tmp_path, env=jug_env(), capture_output=True,
                          text=True)
    assert proc.returncode == 0 and "_jug_completion" in proc.stdout, proc


def test_an_unknown_shell_is_a_usage_error(tmp_path):
    proc = run_jug("--print-completion", "tcsh", cwd=tmp_path, check=2)
    assert "'tcsh' is not one of 'bash', 'zsh', 'fish'" in proc.stderr


# -- count and demo ----------------------------------------------------------------------------


@pytest.mark.parametrize("extra", [[], ["--short"]])
def test_count_as_the_original(differential, extra):
    scenario = differential.scenario({"jugfile.py": JUGFILE})
    outcomes = scenario.run("count", "jugfile.py", *extra)
    original, ours = outcomes["original"], outcomes["ours"]
    assert original.returncode == ours.returncode == 0, outcomes
    if extra:
        assert ours.stdout == original.stdout == "Count:  6 tasks\n** Total: 6 tasks.\n", outcomes
    else:
        assert ours.table() == original.table(), outcomes
        assert ours.table()["jugfile.double"]["Count"] == 3


def test_count_of_a_jugfile_stopped_at_a_barrier_says_more_may_come(tmp_path, shared_jugdir):
    write(tmp_path / "jugfile.py", """
        from jug import TaskGenerator, barrier

        @TaskGenerator
        def double(x):
            return 2 * x

        a = double(1)
        barrier()
        b = double(a)
    """)
    proc = run_jug("count", "jugfile.py", "--jugdir", shared_jugdir, cwd=tmp_path, check=0)
    assert re.search(r"^\s+1  jugfile.double$", proc.stdout, re.M), proc.stdout
    assert "more tasks will appear once the tasks before it are finished" in proc.stdout
    run_jug("execute", "jugfile.py", "--jugdir", shared_jugdir, "--will-cite", cwd=tmp_path,
            check=0)
    proc = run_jug("count", "jugfile.py", "--jugdir", shared_jugdir, cwd=tmp_path, check=0)
    assert re.search(r"^\s+2  jugfile.double$", proc.stdout, re.M), proc.stdout
    assert "more tasks will appear" not in proc.stdout


def test_demo_as_the_original(differential):
    scenario = differential.scenario({})
    first = scenario.run("demo")
    for label, outcome in first.items():
        assert outcome.returncode == 0, outcome
        assert "jug execute primes.py" in outcome.stdout
        assert (scenario.dirs[label] / "jug-demo" / "primes.py").exists()
    again = scenario.run("demo")
    for outcome in again.values():
        assert outcome.returncode == 0, outcome
        assert outcome.stdout.rstrip().endswith("Jug-demo previously created"), outcome
    # ours is ready to run, and finds what the original's finds
    env = jug_env(PRIMES_SLEEP=0)
    demo = scenario.dirs["ours"] / "jug-demo"
    run_jug("execute", "primes.py", "-j", "2", "--will-cite", cwd=demo, env=env, check=0)
    assert (demo / "output.txt").read_text() == "Found 25 primes <= 100.\n"


def test_the_demo_is_the_primes_example():
    from jug.project.demo import PRIMES

    with open(os.path.join(REPO, "examples", "primes", "primes.py")) as handle:
        assert handle.read() == PRIMES


# -- task selection ------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["execute", "invalidate"])
@pytest.mark.parametrize("flag", ["--target", "--invalid"])
def test_target_warns_that_it_is_deprecated_as_the_original(differential, command, flag):
    scenario = differential.scenario({"jugfile.py": JUGFILE})
    scenario.execute()
    outcomes = scenario.run(command, "jugfile.py", flag, "double", "--will-cite")
    for outcome in outcomes.values():
        assert outcome.returncode == 0, outcome
    warning = [line for line in outcomes["original"].stderr.splitlines() if "deprecated" in line]
    assert warning and warning[0].startswith(f"jug: warning: {flag} is deprecated")
    assert warning[0] in outcomes["ours"].stderr.splitlines(), outcomes
    if command == "invalidate":
        assert outcomes["ours"].table() == outcomes["original"].table()
        scenario.assert_same_status()


@pytest.mark.parametrize("command", ["execute", "invalidate"])
def test_name_and_pattern_on_the_command_line_exclude_each_other(differential, command):
    scenario = differential.scenario({"jugfile.py": JUGFILE})
    outcomes = scenario.run(command, "jugfile.py", "--name", "double", "--pattern", "total")
    for outcome in outcomes.values():
        assert outcome.returncode == 2, outcome
        assert "argument --pattern: not allowed with argument --name" in outcome.stderr, outcome


def test_name_from_a_config_file_and_pattern_select_tasks_matching_both(differential):
    """The original's only way to give both: one from a configuration file
    (a warning, then tasks matching both)."""
    scenario = differential.scenario({"jugfile.py": JUGFILE,
                                      ".jugrc": "[execute]\nname = double*\n"})
    outcomes = scenario.run("execute", "jugfile.py", "--pattern", "other", "--will-cite")
    for outcome in outcomes.values():
        assert outcome.returncode == 0, outcome
        assert "jug: warning: both a name and a pattern are set" in outcome.stderr, outcome
    assert outcomes["ours"].table() == outcomes["original"].table(), outcomes
    assert outcomes["ours"].table()["jugfile.double_other"]["Executed"] == 2
    assert "jugfile.double" not in outcomes["ours"].table() or \
        outcomes["ours"].table()["jugfile.double"]["Executed"] == 0
    scenario.assert_same_status()


# -- write_task_out's metadata -----------------------------------------------------------------

WRITE_OUT = """
    from jug import TaskGenerator
    from jug.io import write_task_out

    @TaskGenerator
    def double(x):
        return 2 * x

    t = double(double(21))
    write_task_out(t, "out.pkl", "meta.json", "json")
"""


def _without_times(description):
    if isinstance(description, dict):
        return {key: (None if key == "completed" else _without_times(value))
                for key, value in description.items()}
    if isinstance(description, list):
        return [_without_times(item) for item in description]
    return description


def test_write_task_out_metadata_keeps_the_args_of_tasks_computed_earlier(differential):
    scenario = differential.scenario({"jugfile.py": WRITE_OUT})
    scenario.execute("jugfile.py", "--name", "double")  # the tasks described: an earlier run
    scenario.execute()
    metadata = {label: json.loads((directory / "meta.json").read_text())
                for label, directory in scenario.dirs.items()}
    assert _without_times(metadata["ours"]) == _without_times(metadata["original"]), metadata
    assert metadata["ours"]["args"][0]["args"] == [21]


# -- jugfiles Python cannot compile ---------------------------------------------------------------


@pytest.mark.parametrize("command", ["compile", "execute", "status"])
def test_a_jugfile_python_cannot_compile_gets_a_jug_line(tmp_path, command):
    write(tmp_path / "rk.py", """
        from jug import TaskGenerator



        x = dict(a=1, a=2)
    """)
    proc = run_jug(command, "rk.py", cwd=tmp_path, check=1)
    python = "%d.%d" % sys.version_info[:2]
    assert proc.stderr.splitlines()[0] == (
        f"jug: rk.py:5:15: cannot compile the jugfile (Python {python}): keyword argument "
        "repeated: a"), proc.stderr
    assert '  File "rk.py", line 5' in proc.stderr
    assert proc.stderr.rstrip().endswith("SyntaxError: keyword argument repeated: a")


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="Python 3.12 accepts the f-string")
def test_a_newer_python_f_string_names_the_python_that_refused_it(tmp_path):
    write(tmp_path / "fs.py", """
        names = ["a"]
        label = f"{", ".join(names)}"
    """)
    proc = run_jug("compile", "fs.py", cwd=tmp_path, check=1)
    assert re.match(r"jug: fs.py:2:\d+: cannot compile the jugfile \(Python 3\.\d+\): f-string",
                    proc.stderr), proc.stderr
