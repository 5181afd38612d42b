"""Configuration files and environment variables as command defaults."""

from jugtest import jug_env, run_jug, write
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
