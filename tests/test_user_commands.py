"""Commands added from outside jug: the original's user subcommands
(``~/.config/jug/jug_user_commands.py``) and the ``jug.commands`` entry
points of installed packages."""

import os
import textwrap

from jugtest import jug_env, run_jug, write

JUGFILE = """
    from jug import TaskGenerator

    @TaskGenerator
    def double(x):
        return 2 * x

    result = double(21)
"""

USER_COMMANDS = """
    import jug
    from jug.subcommands import SubCommand

    open(__file__ + ".imported", "a").close()

    class FancyReport(SubCommand):
        "Produces a fancy report of my results"

        name = "my-fancy-report"

        def parse(self, parser):
            parser.add_argument("--tofile", action="store", dest="report_tofile")
            parser.add_argument("--twice", action="store_const", const=True,
                                dest="report_twice")

        def parse_defaults(self):
            return {"report_tofile": "report.txt", "report_twice": False}

        def run(self, options, store, jugspace, *args, **kwargs):
            result = jugspace["result"]
            print("file", options.report_tofile, "twice", options.report_twice)
            print("jugfile", options.jugfile, "done", store.can_load(result.hash()))
            if store.can_load(result.hash()):
                print("value", jug.value(result))
            options.print_out("tasks " + str(len(jug.task.alltasks)))
            return 3

    fancy_report = FancyReport()
"""


def home_with_commands(tmp_path, text=USER_COMMANDS):
    home = tmp_path / "home"
    write(home / ".config" / "jug" / "jug_user_commands.py", text)
    return home


def test_user_subcommand_as_in_the_original(differential, tmp_path):
    home = home_with_commands(tmp_path)
    scenario = differential.scenario({"jugfile.py": JUGFILE})
    env = {"HOME": str(home)}
    before = scenario.run("my-fancy-report", "jugfile.py", env=env)
    scenario.execute(env=env)
    cases = [
        ("my-fancy-report", "jugfile.py"),
        ("my-fancy-report", "jugfile.py", "--tofile", "out.txt", "--twice"),
        ("my-fancy-report", "--tofile", "out.txt", "jugfile.py"),
    ]
    outcomes = [before] + [scenario.run(*case, env=env) for case in cases]
    scenario.write({".jugrc": "[report]\ntofile = from-config.txt\ntwice = yes\n"})
    outcomes.append(scenario.run("my-fancy-report", "jugfile.py", env=env))
    for outcome in outcomes:
        original, ours = outcome["original"], outcome["ours"]
        assert original.returncode == ours.returncode == 3, outcome
        assert ours.stdout == original.stdout, outcome
    assert "value 42" in outcomes[1]["ours"].stdout
    assert "file from-config.txt twice True" in outcomes[-1]["ours"].stdout
    # both list it, with the first line of its docstring
    listing = scenario.run("--help", env=env)
    for outcome in listing.values():
        assert "my-fancy-report" in outcome.stdout, outcome
        assert "Produces a fancy report of my results" in outcome.stdout, outcome
    # without a jugfile both fail: the original runs the jugfile first
    missing = scenario.run("my-fancy-report", "nothing.py", env=env)
    assert missing["original"].returncode == missing["ours"].returncode == 1, missing


def test_user_commands_are_not_imported_by_other_commands(tmp_path):
    home = home_with_commands(tmp_path)
    write(tmp_path / "jugfile.py", JUGFILE)
    marker = home / ".config" / "jug" / "jug_user_commands.py.imported"
    env = jug_env(HOME=home)
    run_jug("status", "jugfile.py", cwd=tmp_path, env=env, check=1)
    run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, env=env, check=0)
    assert not marker.exists()
    run_jug("--help", cwd=tmp_path, env=env, check=0)
    assert marker.exists()


def test_a_user_command_cannot_take_a_built_in_name_and_a_broken_file_is_reported(tmp_path):
    home = home_with_commands(tmp_path, USER_COMMANDS.replace('"my-fancy-report"', '"status"'))
    write(tmp_path / "jugfile.py", JUGFILE)
    proc = run_jug("--help", cwd=tmp_path, env=jug_env(HOME=home), check=0)
    assert "defines a command `status`, which is a built-in command of jug: it is ignored" \
        in proc.stderr
    broken = home_with_commands(tmp_path / "b", "raise RuntimeError('oops')\n")
    proc = run_jug("--help", cwd=tmp_path, env=jug_env(HOME=broken), check=0)
    assert "could not load the user commands of" in proc.stderr and "oops" in proc.stderr
    assert "execute" in proc.stdout


PLUGIN = """
    import click
    from jug.subcommands import SubCommand

    @click.command()
    @click.argument("who", default="world")
    def hello(who):
        \"\"\"Say hello from a package.\"\"\"
        click.echo(f"hello {who}")

    class Count(SubCommand):
        \"\"\"Count the jugfile's tasks, the original's way.\"\"\"

        name = "plugin-count"

        def run(self, options, jugspace, *args, **kwargs):
            import jug

            print(len(jug.task.alltasks), options.jugfile)
"""


def install_plugin(tmp_path, entry_points):
    site = tmp_path / "site"
    write(site / "jugplugin.py", PLUGIN)
    write(site / "jugplugin-1.0.dist-info" / "METADATA", "Name: jugplugin\nVersion: 1.0\n")
    write(site / "jugplugin-1.0.dist-info" / "entry_points.txt",
          "[console_scripts]\nx = y:z\n\n[jug.commands]\n" + textwrap.dedent(entry_points))
    env = jug_env()
    env["PYTHONPATH"] = f"{site}{os.pathsep}{env['PYTHONPATH']}"
    env["HOME"] = str(tmp_path)
    return env


def test_package_commands_through_the_entry_point_group(tmp_path):
    env = install_plugin(tmp_path, """
        hello = jugplugin:hello
        plugin-count = jugplugin:Count
        broken = jugplugin:missing
    """)
    write(tmp_path / "jugfile.py", JUGFILE)
    listing = run_jug("--help", cwd=tmp_path, env=env, check=0)
    assert "Commands added by you or by installed packages" in listing.stdout
    assert "hello" in listing.stdout and "Say hello from a package." in listing.stdout
    assert "plugin-count" in listing.stdout
    assert "could not load the command `broken` of the package jugplugin-1.0" in listing.stderr
    assert run_jug("hello", "jug", cwd=tmp_path, env=env, check=0).stdout == "hello jug\n"
    counted = run_jug("plugin-count", "jugfile.py", cwd=tmp_path, env=env, check=0)
    assert counted.stdout == "1 jugfile.py\n"
    assert "Say hello from a package." in run_jug("hello", "--help", cwd=tmp_path, env=env,
                                                  check=0).stdout


def test_entry_points_are_read_without_importing_importlib_metadata(tmp_path):
    env = install_plugin(tmp_path, "hello = jugplugin:hello\n")
    import subprocess
    import sys

    script = ("import sys\nfrom jug.cli.extensions import entry_points\n"
              "print(entry_points())\nprint('importlib.metadata' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, check=True)
    assert "('hello', 'jugplugin:hello', 'jugplugin-1.0')" in proc.stdout
    assert proc.stdout.splitlines()[-1] == "False"
