"""Configuration files and environment variables as command defaults."""

import pytest

from jugtest import invoke, jug_env, run_jug, write
from jug.config import default_map, local_config_files

JUGFILE = """
    from jug import TaskGenerator

    @TaskGenerator
    def f(x):
        return x

    a = [f(i) for i in range(3)]
"""


def test_local_jugrc_sets_jugdir_and_short(tmp_path):
    write(tmp_path / "jugfile.py", JUGFILE)
    write(tmp_path / ".jugrc", """
        [main]
        jugdir=%(jugfile)s.results

        [status]
        short=yes

        [execute]
        will-cite=true
    """)
    proc = run_jug("execute", "jugfile.py", cwd=tmp_path, check=0)
    assert "please cite" not in proc.stdout
    assert (tmp_path / "jugfile.results").is_dir() and not (tmp_path / "jugfile.jugdata").exists()
    proc = run_jug("status", "jugfile.py", cwd=tmp_path, check=0)
    assert proc.stdout.strip() == "All tasks complete (3 tasks)."
    # the command line wins over the file
    proc = run_jug("status", "jugfile.py", "--jugdir", "other", cwd=tmp_path, check=1)
    assert proc.stdout.strip().startswith("3 tasks waiting")


def test_environment_beats_the_file_and_loses_to_the_command_line(tmp_path):
    write(tmp_path / "jugfile.py", JUGFILE)
    write(tmp_path / "jugrc", "[main]\njugdir=from-file\n")
    run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path,
            env=jug_env(JUG_EXECUTE_JUGDIR="from-env"), check=0)
    assert (tmp_path / "from-env").is_dir() and not (tmp_path / "from-file").exists()


def test_global_file_and_nearest_local_file_win(tmp_path, monkeypatch):
    home = tmp_path / "home"
    write(home / ".config" / "jugrc", "[execute]\nwait-cycle-time=3\nnr-wait-cycles=7\n")
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    write(project / ".jugrc", "[execute]\nwait-cycle-time=5\n")
    write(project / "sub" / "jugrc", "[execute]\nwait-cycle-time=9\n")
    monkeypatch.setenv("HOME", str(home))
    assert local_config_files(project / "sub") == [str(project / "sub" / "jugrc"),
                                                   str(project / ".jugrc")]
    defaults = default_map(["execute", "status", "invalidate"], start=project / "sub")
    assert defaults["execute"] == {"wait_cycle_time": "9", "nr_wait_cycles": "7"}
    assert "status" not in defaults


def test_outside_git_only_the_current_directory_counts(tmp_path):
    write(tmp_path / ".jugrc", "[main]\njugdir=x\n")
    (tmp_path / "inner").mkdir()
    assert local_config_files(tmp_path / "inner") == []
    assert local_config_files(tmp_path) == [str(tmp_path / ".jugrc")]


def test_a_config_file_cannot_choose_what_invalidate_deletes(tmp_path):
    write(tmp_path / ".jugrc", "[invalidate]\nname=f\n")
    assert "name" not in default_map(["invalidate"], start=tmp_path).get("invalidate", {})


def bad_value(param):
    """A value ``param`` refuses, or None for one whose every value is valid
    (a plain string)."""
    import click

    from jug.cli.options import Seconds

    if param.is_flag:
        return "maybe"
    kind = param.type
    if isinstance(kind, Seconds):
        return "-3"
    if isinstance(kind, (click.IntRange, click.FloatRange)):
        return "-5"
    if isinstance(kind, (click.types.IntParamType, click.types.FloatParamType)):
        return "x"
    if isinstance(kind, click.Choice):
        return "no-such-choice"
    return None


def config_keys():
    """``(command, key, bad value)`` for every option of every built-in
    command that can be given a bad value in a jugrc."""
    import click

    from jug.cli import COMMANDS, _builtin_command

    cases = []
    for name in sorted(COMMANDS):
        for param in _builtin_command(name).params:
            value = bad_value(param) if isinstance(param, click.Option) else None
            if value is not None and not param.hidden:
                cases.append((name, param.opts[-1].lstrip("-"), value))
    return cases


def test_every_typed_option_is_checked():
    keys = {(command, key) for command, key, _ in config_keys()}
    assert {("execute", "lease"), ("status", "redis-retry"), ("execute", "wait-cycle-time"),
            ("execute", "nr-wait-cycles"), ("sleep-until", "poll-time"), ("status", "short"),
            ("graph", "file-format"), ("webstatus", "port"), ("pack", "max-size")} <= keys


@pytest.mark.parametrize("section", ["main", "command"])
@pytest.mark.parametrize("command,key,value", config_keys())
def test_a_bad_value_in_a_jugrc_names_the_file_and_the_key(tmp_path, monkeypatch, command, key,
                                                          value, section):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no global jugrc of this machine
    rc = write(tmp_path / ".jugrc", f"[{command if section == 'command' else 'main'}]\n"
                                    f"{key}={value}\n")
    result = invoke(command, cwd=tmp_path, expect=2)
    shown = "main" if section == "main" else command
    assert f"Invalid value for {key!r} in {rc} ([{shown}]): " in result.output, result.output


def test_a_bad_lease_in_a_jugrc_is_a_usage_error_naming_the_file(tmp_path):
    write(tmp_path / "jugfile.py", JUGFILE)
    rc = write(tmp_path / "jugrc", "[main]\nlease=-3\n")
    proc = run_jug("status", "jugfile.py", cwd=tmp_path, check=2)
    assert proc.stderr.splitlines()[-1] == (
        f"Error: Invalid value for 'lease' in {rc} ([main]): '-3' is not a number of seconds "
        "(above 0)"), proc.stderr
    # the same value elsewhere names where it came from too
    proc = run_jug("status", "jugfile.py", "--lease", "-3", cwd=tmp_path / "..", check=2)
    assert "Invalid value for '--lease': '-3' is not a number of seconds" in proc.stderr
    proc = run_jug("status", "jugfile.py", cwd=tmp_path, env=jug_env(JUG_STATUS_LEASE="0"),
                   check=2)
    assert "(the value comes from the environment variable JUG_STATUS_LEASE)" in proc.stderr


def test_a_bad_jugdir_template_in_a_jugrc_names_the_file(tmp_path):
    write(tmp_path / "jugfile.py", JUGFILE)
    rc = write(tmp_path / ".jugrc", "[status]\njugdir=%(jugfile)s.%(host)s\n")
    proc = run_jug("status", "jugfile.py", cwd=tmp_path, check=1)
    assert proc.stderr.startswith(f"jug: cannot expand the jugdir template "
                                  f"'%(jugfile)s.%(host)s' set by {rc} ([status] jugdir) ("), \
        proc.stderr


def test_an_unknown_key_in_a_jugrc_is_named_and_ignored(tmp_path):
    write(tmp_path / "jugfile.py", JUGFILE)
    rc = write(tmp_path / ".jugrc", """
        [main]
        leas=5
        wait-cycle-time=3

        [status]
        shrot=yes
    """)
    proc = run_jug("status", "jugfile.py", "--short", cwd=tmp_path, check=1)
    assert proc.stderr.splitlines() == [
        f"jug: warning: {rc}: [main] leas is not an option of jug's commands; it is ignored "
        "(see `jug status --help`)",
        f"jug: warning: {rc}: [status] shrot is not an option of jug status; it is ignored "
        "(see `jug status --help`)"], proc.stderr
    assert "3 tasks waiting" in proc.stdout


def test_a_jugrc_key_may_name_an_option_as_the_command_line_does(tmp_path):
    # --json's parameter is as_json, --remove-jug2-results's remove_jug2
    import json

    write(tmp_path / "jugfile.py", JUGFILE)
    write(tmp_path / ".jugrc", "[status]\njson=yes\n")
    proc = run_jug("status", "jugfile.py", cwd=tmp_path, check=1)
    assert json.loads(proc.stdout)["format"] == "jug-status" and not proc.stderr, proc.stderr
