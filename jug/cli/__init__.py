"""The ``jug`` command line.

Every subcommand lives in its own module ``jug.cli.<name>`` exposing a click
command called ``command``; this module only knows their names, so ``jug
--help`` imports nothing heavy.  Commands are thin: they parse options and
call one library function.
"""

import importlib
import importlib.util

import click

from jug.version import __version__

# name -> (module, one-line help).  The help is repeated here so that
# ``jug --help`` lists commands without importing them.
COMMANDS = {
    "execute": ("jug.cli.execute", "Run the tasks of a jugfile."),
    "status": ("jug.cli.status", "Print how many tasks are waiting, ready, running, finished, failed."),
    "check": ("jug.cli.check", "Exit 0 if every task is finished, 1 otherwise."),
    "sleep-until": ("jug.cli.sleep_until", "Wait until every task is finished."),
    "compile": ("jug.cli.compile", "Trace a jugfile into a manifest (the task graph)."),
    "invalidate": ("jug.cli.invalidate", "Remove the results of matching tasks and everything downstream."),
    "graph": ("jug.cli.graph", "Draw the task graph (DOT, SVG, PNG, PDF, GraphML)."),
    "lint": ("jug.cli.lint", "Find task arguments that are not deterministic."),
    "shell": ("jug.cli.shell", "Open an IPython shell with the jugfile's tasks loaded."),
    "cleanup": ("jug.cli.cleanup", "Remove results no task refers to, and stale locks."),
    "migrate": ("jug.cli.migrate", "Import the results of the original jug 2.x without recomputing."),
    "webstatus": ("jug.cli.webstatus", "Serve a live dashboard of the run to a browser."),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported only when invoked."""

    def list_commands(self, ctx):
        return [name for name in sorted(COMMANDS) if _module_exists(COMMANDS[name][0])]

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        module_name, _ = COMMANDS[name]
        if not _module_exists(module_name):
            return None
        return importlib.import_module(module_name).command

    def format_commands(self, ctx, formatter):
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _module_exists(module_name):
    return importlib.util.find_spec(module_name) is not None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"],
                                              "auto_envvar_prefix": "JUG"})
@click.version_option(__version__, prog_name="jug", message="%(prog)s %(version)s")
@click.pass_context
def main(ctx):
    """jug: run the tasks of a jugfile in parallel, reproducibly.

    \b
    Usage: jug SUBCOMMAND [JUGFILE] [OPTIONS] [ARGS]... [-- ARGS...]

    Arguments after the jugfile (and everything after --) reach the jugfile
    as sys.argv.  Example:

    \b
        jug execute primes.py &
        jug execute primes.py &
        jug status primes.py

    Defaults come from ~/.config/jugrc and a local .jugrc (INI sections
    [main], [execute], [status]...), then from JUG_<COMMAND>_<OPTION>
    environment variables (JUG_EXECUTE_JUGDIR=...), then the command line.
    """
    from jug.config import default_map

    ctx.default_map = default_map(list(COMMANDS))

