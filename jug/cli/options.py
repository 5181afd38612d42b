"""Options shared by every subcommand, declared once.

``jug SUBCOMMAND [JUGFILE] [OPTIONS] [ARGS]... [-- ARGS...]``: jug's own
options are recognised wherever they stand before ``--``; the positional
arguments after the jugfile, and everything after ``--``, become the jugfile's
``sys.argv[1:]``.
"""

import dataclasses
import datetime

import click


@dataclasses.dataclass(frozen=True)
class CommonOptions:
    """What every command receives: which jugfile, which store, how loud."""

    jugfile: str
    jugdir: str
    argv: tuple
    verbose: str = "quiet"
    short: bool = False
    debug: bool = False
    pdb: bool = False
    will_cite: bool = False
    aggressive_unload: bool = False


def default_jugdir(jugfile, template="%(jugfile)s.jugdata"):
    """Expand a --jugdir template as jug does: ``%(jugfile)s`` is the jugfile
    path without its ``.py`` and ``%(date)s`` is today's date."""
    stem = jugfile[:-3] if jugfile.endswith(".py") else jugfile
    return template % {"jugfile": stem, "date": datetime.date.today().isoformat()}


def jugfile_arguments(f):
    """The ``[JUGFILE] [ARGS]...`` positionals plus the common options."""
    decorators = [
        click.argument("jugfile", required=False, default=None),
        click.argument("user_args", nargs=-1, type=click.UNPROCESSED),
        click.option("--jugdir", default=None, metavar="DIR|URL",
                     help="Where results live: a directory (default JUGFILE.jugdata), "
                          "redis://host:port/db, or dict_store[:FILE]."),
        click.option("--verbose", default="quiet", metavar="LEVEL",
                     help="Logging level: quiet, info or debug."),
        click.option("--short", is_flag=True, default=False, help="One-line output."),
        click.option("--debug", is_flag=True, default=False,
                     help="Extra checks (e.g. a task must not change its arguments)."),
        click.option("--pdb", is_flag=True, default=False,
                     help="Open a debugger when a task raises (implies --debug)."),
        click.option("--will-cite", is_flag=True, default=False,
                     help="Do not print the citation request."),
        click.option("--aggressive-unload", is_flag=True, default=False,
                     help="Drop results from memory as soon as they are not needed."),
    ]
    for decorator in reversed(decorators):
        f = decorator(f)
    return f


def common_options(jugfile, user_args, jugdir, verbose, short, debug, pdb, will_cite,
                   aggressive_unload, **_ignored):
    """Build :class:`CommonOptions` from the click parameters of
    :func:`jugfile_arguments`."""
    jugfile = jugfile or "jugfile.py"
    if jugdir is None:
        jugdir = default_jugdir(jugfile)
    elif "%(" in jugdir:
        jugdir = default_jugdir(jugfile, jugdir)
    _configure_logging(verbose)
    return CommonOptions(
        jugfile=jugfile, jugdir=jugdir, argv=(jugfile,) + tuple(user_args),
        verbose=verbose, short=short, debug=debug or pdb, pdb=pdb,
        will_cite=will_cite, aggressive_unload=aggressive_unload,
    )


def _configure_logging(verbose):
    if verbose.lower() not in ("info", "debug"):
        return  # importing logging costs start-up time: only when asked for
    import logging

    level = logging.INFO if verbose.lower() == "info" else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s:%(name)s:%(message)s")


TARGET_DEPRECATED = (
    "jug: warning: {flag} is deprecated and will be removed in a future version. It now "
    "behaves like --name (strict match on the task name, '*' is a wildcard). Use --pattern "
    "for loose matching (substring or /regex/ match).")
BOTH_SELECTORS = (
    "jug: warning: both a name and a pattern are set (one of them may come from a "
    "configuration file). Only tasks which match both will be selected.")


def selection_arguments(what):
    """``--name``, ``--pattern`` and the deprecated ``--target``/``--invalid``
    (``what``: "Run only tasks", "Tasks"...)."""
    decorators = [
        click.option("--name", "select_name", default=None, metavar="NAME",
                     help=f"{what} whose name matches NAME (a glob, matched on whole dotted "
                          "components: `double` matches `jugfile.double`, not "
                          "`jugfile.double_other`)."),
        click.option("--pattern", "select_pattern", default=None, metavar="PAT",
                     help=f"{what} whose name contains PAT (or matches /REGEX/)."),
        click.option("--target", "select_target", default=None, metavar="NAME",
                     help="Deprecated: the same as --name."),
        click.option("--invalid", "select_invalid", default=None, metavar="NAME", hidden=True),
    ]

    def apply(f):
        for decorator in reversed(decorators):
            f = decorator(f)
        return f
    return apply


def selected_names(select_name, select_pattern, select_target, select_invalid):
    """``(name, pattern)`` from the selection options, as the original reads
    them: given on the command line they exclude each other (a usage error);
    ``--target``/``--invalid`` warn that they are deprecated; a name and a
    pattern both set (one from a configuration file) select the tasks that
    match both, with a warning."""
    from click.core import ParameterSource

    ctx = click.get_current_context()
    given = {"select_name": "--name", "select_pattern": "--pattern",
             "select_target": "--target", "select_invalid": "--invalid"}
    on_command_line = [flag for param, flag in given.items()
                       if ctx.get_parameter_source(param) == ParameterSource.COMMANDLINE]
    if len(on_command_line) > 1:
        raise click.UsageError(f"argument {on_command_line[1]}: not allowed with argument "
                               f"{on_command_line[0]}")
    for flag, value in (("--target", select_target), ("--invalid", select_invalid)):
        if value is not None:
            click.echo(TARGET_DEPRECATED.format(flag=flag), err=True)
            select_name = value
    if select_name is not None and select_pattern is not None:
        click.echo(BOTH_SELECTORS, err=True)
    return select_name, select_pattern


def jug_command(name, **settings):
    """``click.command(name)`` for a built-in command: its one-line summary
    is the one :data:`jug.cli.COMMANDS` lists (written only there), followed
    by the function's docstring."""
    import inspect

    from jug.cli import COMMANDS

    summary = COMMANDS[name][1]

    def decorate(function):
        details = inspect.cleandoc(function.__doc__ or "")
        text = f"{summary}\n\n{details}" if details else summary
        return click.command(name, help=text, short_help=summary, **settings)(function)

    return decorate


def report_errors(function):
    """Run a command body, turning a JugError into its message on stderr and
    a non-zero exit (library code raises; only the CLI decides exit codes).
    With ``--pdb``, an exception the jugfile raised while it was traced opens
    the debugger at its frame first, as in jug 2."""
    import functools

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        from jug.errors import JugError, JugfileError

        try:
            return function(*args, **kwargs)
        except JugError as error:
            cause = error.__cause__
            if kwargs.get("pdb") and isinstance(error, JugfileError) and cause is not None:
                from jug.execution import post_mortem, user_traceback

                click.echo(str(error), err=True)
                post_mortem(user_traceback(cause.__traceback__))
            else:
                click.echo(str(error), err=True)
            raise SystemExit(error.exit_code) from None

    return wrapper
