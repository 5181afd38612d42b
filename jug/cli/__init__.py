"""The ``jug`` command line.

Every built-in subcommand lives in its own module ``jug.cli.<name>`` exposing
a click command called ``command``; this module only knows their names and
one-line summaries (:data:`COMMANDS`), so ``jug --help`` imports nothing
heavy.  The summary is written here once: :func:`jug.cli.options.jug_command`
puts it at the head of the command's own ``--help``.  Commands are thin:
they parse options and call one library function.

Commands can be added from outside (:mod:`jug.cli.extensions`): a
``jug.subcommands.SubCommand`` in ``~/.config/jug/jug_user_commands.py``, as
the original jug's manual describes, or a click command (or SubCommand)
that an installed package declares in the entry-point group
``jug.commands``.  They are looked for only when ``jug --help`` lists the
commands or a command name is not a built-in one.
"""

import importlib
import sys

import click

from jug.version import __version__

# name -> (module, one-line summary).  The summary is the first line of the
# command's --help and its line in `jug --help`.
COMMANDS = {
    "execute": ("jug.cli.execute", "Run the tasks of a jugfile."),
    "status": ("jug.cli.status", "Print how many tasks are waiting, ready, running, finished, failed."),
    "check": ("jug.cli.check", "Exit 0 if every task is finished, 1 if not, 2 if it cannot tell."),
    "sleep-until": ("jug.cli.sleep_until", "Wait until every task is finished."),
    "compile": ("jug.cli.compile", "Trace a jugfile into a manifest (the task graph)."),
    "invalidate": ("jug.cli.invalidate", "Remove the results of matching tasks and everything downstream."),
    "graph": ("jug.cli.graph", "Draw the task graph (DOT, SVG, PNG, PDF, GraphML)."),
    "lint": ("jug.cli.lint", "Find task arguments that are not deterministic."),
    "shell": ("jug.cli.shell", "Open an IPython shell with the jugfile's tasks loaded."),
    "cleanup": ("jug.cli.cleanup", "Remove results no task refers to, and stale locks."),
    "count": ("jug.cli.count", "Count the tasks of a jugfile, per task name."),
    "demo": ("jug.cli.demo", "Write the primes example into a new folder jug-demo/."),
    "pack": ("jug.cli.pack", "Pack small results of a file store into one file."),
    "migrate": ("jug.cli.migrate", "Import the results of the original jug 2.x without recomputing."),
    "webstatus": ("jug.cli.webstatus", "Serve a live dashboard of the run to a browser."),
}

COMPLETION_SHELLS = ("bash", "zsh", "fish")

#: ``sys.path`` as this process had it when the command line was loaded,
#: before any jugfile changed it: what ``jug execute -j``'s workers get.
STARTUP_PATH = tuple(sys.path)


class LazyGroup(click.Group):
    """A group whose subcommands are imported only when invoked (built-in
    ones) or when a name is not built in (user and package commands)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except click.BadParameter as error:
            source = _value_source(error)
            if isinstance(source, str):
                error.message = f"{error.message} (the value comes from {source})"
            elif source is not None:  # a configuration file: named as an option would be
                error.param_hint = f"{source.key!r} in {source.path} ([{source.section}])"
            raise

    def list_commands(self, ctx):
        from jug.cli.extensions import extension_commands

        names = set(COMMANDS)
        names.update(extension_commands())
        return sorted(names)

    def get_command(self, ctx, name):
        if name in COMMANDS:
            return _builtin_command(name)
        from jug.cli.extensions import extension_command

        return extension_command(name)

    def format_commands(self, ctx, formatter):
        from jug.cli.extensions import extension_commands

        extensions = extension_commands()
        rows = [(name, COMMANDS[name][1]) for name in sorted(COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)
        if extensions:
            with formatter.section("Commands added by you or by installed packages"):
                formatter.write_dl([(name, extensions[name].summary)
                                    for name in sorted(extensions)])

    def parse_args(self, ctx, args):
        if not args and not ctx.resilient_parsing:  # (shell completion parses resiliently)
            # as the original: `jug` alone prints the usage and exits 1
            click.echo(ctx.get_help())
            ctx.exit(1)
        ctx.meta["jug.args"] = list(args)  # the whole command line (jug execute -j)
        return super().parse_args(ctx, args)


def _builtin_command(name):
    """The click command of built-in ``name``; a loud error when its module
    is missing (a broken install), never a silently shorter command list."""
    module_name = COMMANDS[name][0]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name != module_name:
            raise  # the module is there, something it imports is not
        raise click.ClickException(
            f"the command `jug {name}` is listed but its module {module_name} is missing: "
            "this jug installation is incomplete; reinstall it (pip install --force-reinstall "
            "jug)") from None
    return module.command


def _print_completion(ctx, param, shell):
    if shell is None or ctx.resilient_parsing:
        return
    from click.shell_completion import get_completion_class

    completion = get_completion_class(shell)
    click.echo(completion(ctx.command, {}, "jug", "_JUG_COMPLETE").source())
    ctx.exit(0)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"],
                                              "auto_envvar_prefix": "JUG"})
@click.version_option(__version__, prog_name="jug", message="%(prog)s %(version)s")
@click.option("--print-completion", type=click.Choice(COMPLETION_SHELLS), default=None,
              expose_value=False, is_eager=True, callback=_print_completion, metavar="SHELL",
              help="Print the shell completion script for bash, zsh or fish, and exit.")
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

    \b
    Shell completion (bash; zsh and fish alike):
        eval "$(jug --print-completion bash)"
    """
    from jug.config import default_map
    from jug.errors import JugError

    sources = ctx.meta["jug.config_sources"] = {}  # where each value came from
    try:
        ctx.default_map = default_map(list(COMMANDS), sources=sources)
    except JugError as error:
        click.echo(f"jug: {error}", err=True)
        raise SystemExit(1) from None
    name = ctx.invoked_subcommand
    if name in sources and name in COMMANDS and not ctx.resilient_parsing:
        command = _builtin_command(name)
        _by_parameter_names(command, ctx.default_map[name], sources[name])
        _warn_of_unknown_keys(name, command, sources[name])


def _option_names(command):
    """``{key: parameter}``: the configuration keys ``command`` reads, its
    parameters' names and its options' long names (``json`` for ``--json``,
    whose parameter is ``as_json``), dashes as underscores."""
    names = {}
    for param in command.params:
        names[param.name] = param.name
        for option in getattr(param, "opts", ()):
            if option.startswith("--"):
                names.setdefault(option[2:].replace("-", "_"), param.name)
    return names


def _by_parameter_names(command, defaults, sources):
    """Key ``defaults`` and ``sources`` by the parameter each configuration
    key sets (a jugrc may name an option as on the command line)."""
    names = _option_names(command)
    for key in list(defaults):
        param = names.get(key, key)
        if param != key and param not in defaults:
            defaults[param] = defaults.pop(key)
            sources[param] = sources.pop(key)


def _warn_of_unknown_keys(name, command, sources):
    """One warning per configuration key that ``jug NAME`` reads
    (``sources``: parameter -> :class:`jug.config.ConfigSource`) and that
    is no option of it (a key of ``[main]`` only when no command has it:
    ``[main]`` serves them all); the key is ignored, as jug 2 does."""
    known = {param.name for param in command.params}
    unknown = {key: source for key, source in sources.items() if key not in known}
    if any(source.section == "main" for source in unknown.values()):
        known_somewhere = {key for other in COMMANDS if other != name
                           for key in _option_names(_builtin_command(other))}
        unknown = {key: source for key, source in unknown.items()
                   if source.section != "main" or key not in known_somewhere}
    for source in unknown.values():
        where = "jug's commands" if source.section == "main" else f"jug {name}"
        click.echo(f"jug: warning: {source.path}: [{source.section}] {source.key} is not an "
                   f"option of {where}; it is ignored (see `jug {name} --help`)", err=True)


def _value_source(error):
    """Where the bad value of a BadParameter came from when not from the
    command line: the environment variable (a sentence), a configuration
    file (its :class:`jug.config.ConfigSource`), or None."""
    import os
    import sys

    param, ctx = error.param, error.ctx
    if param is None or ctx is None or any(arg.split("=")[0] in param.opts for arg in sys.argv):
        return None
    names = list(param.envvar) if isinstance(param.envvar, (list, tuple)) else [param.envvar]
    if ctx.auto_envvar_prefix and param.name:
        names.append(f"{ctx.auto_envvar_prefix}_{param.name.upper()}")
    for name in names:
        if name and os.environ.get(name):
            return f"the environment variable {name}"
    if ctx.default_map and param.name in ctx.default_map:
        from jug.cli.options import config_source

        source = config_source(ctx, param.name)
        return source if source is not None else \
            f"a jugrc file (key {param.name.replace('_', '-')})"
    return None


def run():
    """The ``jug`` script: the command line, then :func:`jug.cli.exit.leave`
    (the exit without freeing every object after a large trace)."""
    from jug.cli.exit import leave

    try:
        main()
    except SystemExit as exit:
        leave(exit.code)
    leave(0)
