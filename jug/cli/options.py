"""Options shared by every subcommand, declared once.

``jug SUBCOMMAND [JUGFILE] [OPTIONS] [ARGS]... [-- ARGS...]``: jug's own
options are recognised wherever they stand before ``--``; the positional
arguments after the jugfile, and everything after ``--``, become the jugfile's
``sys.argv[1:]``.
"""

import dataclasses
import datetime
import errno

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
    lease: float | None = None  # --lease (None: JUG_LEASE or the default)
    redis_retry: float | None = None  # --redis-retry (None: JUG_REDIS_RETRY or the default)


def default_jugdir(jugfile, template="%(jugfile)s.jugdata", source=None):
    """Expand a --jugdir template as jug does: ``%(jugfile)s`` is the jugfile
    path without its ``.py`` and ``%(date)s`` is today's date.  ``source``:
    the configuration file that set it (:class:`jug.config.ConfigSource`),
    named in an error."""
    stem = jugfile[:-3] if jugfile.endswith(".py") else jugfile
    try:
        return template % {"jugfile": stem, "date": datetime.date.today().isoformat()}
    except (KeyError, ValueError, TypeError) as error:
        from jug.errors import ConfigError

        what = "the --jugdir template" if source is None else "the jugdir template"
        where = "" if source is None else f" set by {source}"
        raise ConfigError(f"cannot expand {what} {template!r}{where} ({error!r}): "
                          "only %(jugfile)s and %(date)s may appear in it (write %% for a "
                          "literal %)") from None


def config_source(ctx, name):
    """The :class:`jug.config.ConfigSource` of parameter ``name`` of the
    command of ``ctx`` when its value came from a configuration file, else
    None."""
    from click.core import ParameterSource

    if ctx.get_parameter_source(name) not in (ParameterSource.DEFAULT_MAP, None):
        return None
    return ctx.meta.get("jug.config_sources", {}).get(ctx.info_name, {}).get(name)


class Seconds(click.ParamType):
    """A number of seconds: above 0 (or, ``zero_ok``, 0 too), finite.  A bad
    value is a usage error naming where it was set (the command line, the
    environment or a configuration file)."""

    name = "seconds"

    def __init__(self, zero_ok=False):
        self.zero_ok = zero_ok

    def convert(self, value, param, ctx):
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            seconds = float("nan")
        if not (seconds >= 0 if self.zero_ok else seconds > 0) or seconds == float("inf"):
            bound = "0 or more" if self.zero_ok else "above 0"
            self.fail(f"{value!r} is not a number of seconds ({bound})", param, ctx)
        return seconds


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
        click.option("--lease", default=None, type=Seconds(), metavar="SECONDS",
                     help="A lock without a heartbeat for this long is stale (its worker "
                          "is presumed dead and the task is run again); every worker of a "
                          "store should use the same.  [default: JUG_LEASE or 900]"),
        click.option("--redis-retry", default=None, type=Seconds(zero_ok=True), metavar="SECONDS",
                     help="How long a Redis call is retried while the server cannot be "
                          "reached before jug gives up.  [default: JUG_REDIS_RETRY or 60]"),
    ]
    for decorator in reversed(decorators):
        f = decorator(f)
    return f


def common_options(jugfile, user_args, jugdir, verbose, short, debug, pdb, will_cite,
                   aggressive_unload, lease=None, redis_retry=None, **_ignored):
    """Build :class:`CommonOptions` from the click parameters of
    :func:`jugfile_arguments`."""
    jugfile = jugfile or "jugfile.py"
    if jugdir is None:
        jugdir = default_jugdir(jugfile)
    elif "%(" in jugdir:
        ctx = click.get_current_context(silent=True)
        source = config_source(ctx, "jugdir") if ctx is not None else None
        jugdir = default_jugdir(jugfile, jugdir, source)
    _configure_logging(verbose)
    return CommonOptions(
        jugfile=jugfile, jugdir=jugdir, argv=(jugfile,) + tuple(user_args),
        verbose=verbose, short=short, debug=debug or pdb, pdb=pdb,
        will_cite=will_cite, aggressive_unload=aggressive_unload, lease=lease,
        redis_retry=redis_retry,
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


def report_errors(function=None, exit_code=None):
    """Run a command body, turning a JugError (or an OSError nothing caught
    before) into one ``jug: ...`` message on stderr and a non-zero exit:
    ``exit_code``, or the error's own (library code raises; only the CLI
    decides exit codes).  ``@report_errors`` or ``@report_errors(exit_code=2)``.
    With ``--pdb``, an exception the jugfile raised while it was traced opens
    the debugger at its frame first, as in jug 2."""
    import functools

    if function is None:
        return functools.partial(report_errors, exit_code=exit_code)

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        from jug.errors import JugError, JugfileError

        try:
            return function(*args, **kwargs)
        except JugError as error:
            cause = error.__cause__
            click.echo(error_message(error), err=True)
            if kwargs.get("pdb") and isinstance(error, JugfileError) and cause is not None:
                from jug.execution import post_mortem, user_traceback

                post_mortem(user_traceback(cause.__traceback__))
            raise SystemExit(exit_code or error.exit_code) from None
        except OSError as error:
            if error.errno == errno.EPIPE:
                raise  # stdout closed early (`| head`): click exits quietly
            click.echo(os_error_message(error), err=True)
            raise SystemExit(exit_code or 1) from None

    return wrapper


def error_message(error):
    """What the user reads for JugError ``error``: its message, led by
    ``jug: `` unless it reads like Python's own (a jugfile's traceback)."""
    from jug.errors import JugfileError

    message = str(error)
    if (isinstance(error, JugfileError) or message.startswith(("jug:", "jug ", "Traceback"))
            or message.lstrip(" ").startswith('File "')):
        return message  # already says who speaks ("jug graph: ..."), or Python does
    return f"jug: {message}"


def os_error_message(error):
    """One sentence for an OSError no layer below explained."""
    where = f" ({error.filename})" if error.filename else ""
    reason = error.strerror or str(error)
    return (f"jug: {reason}{where}: check that the path exists, is of the right kind (a "
            "directory for --jugdir) and is writable, and that the disk is not full")
