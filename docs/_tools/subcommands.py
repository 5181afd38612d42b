"""The subcommand reference, rendered from the click commands themselves.

``docs/subcommands.md`` holds the prose and the marker line ``<!-- jug:subcommands -->``;
the MkDocs hook (``hooks.py``) replaces the marker with :func:`render` at
build time, so the page always shows what ``jug COMMAND --help`` prints (at 80
columns) and lists every command ``jug --help`` lists: it cannot drift.
``python docs/_tools/subcommands.py`` prints the generated part.
"""

import os
import sys

MARKER = "<!-- jug:subcommands -->"
WIDTH = 80


def help_text(*args):
    """What ``jug ARGS --help`` prints in an 80-column terminal, with no
    configuration file in sight (defaults from a jugrc would show in it)."""
    import tempfile

    from click.testing import CliRunner

    from jug.cli import main

    with tempfile.TemporaryDirectory() as home:
        old = os.getcwd()
        os.chdir(home)
        try:
            result = CliRunner().invoke(main, [*args, "--help"], prog_name="jug",
                                        env={"COLUMNS": str(WIDTH), "HOME": home})
        finally:
            os.chdir(old)
    if result.exit_code != 0:
        raise RuntimeError(f"jug {' '.join(args)} --help failed:\n{result.output}")
    return result.output.rstrip("\n")


def command_names():
    """The subcommands, in the order ``jug --help`` lists them."""
    import click

    from jug.cli import main

    return main.list_commands(click.Context(main, info_name="jug"))


def render():
    """Markdown for every subcommand: a heading, its summary and its --help."""
    from jug.cli import COMMANDS

    lines = ["## `jug`", "", "```text", help_text(), "```", ""]
    for name in command_names():
        lines += [f"## `jug {name}`", "", COMMANDS[name][1], "", "```text", help_text(name),
                  "```", ""]
    return "\n".join(lines)


def expand(markdown):
    """``markdown`` with the marker line replaced by :func:`render`."""
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, render())


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    print(render())
