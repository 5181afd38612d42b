"""Commands added from outside jug: user subcommands and package commands.

* **User subcommands**, the original jug's extension point: a
  :class:`jug.subcommands.SubCommand` instantiated in
  ``~/.config/jug/jug_user_commands.py`` (that directory is put on
  ``sys.path``).  It runs as in the original: its options are parsed with
  argparse (common options, then what its ``parse(parser)`` adds), the
  jugfile is run, and ``run(options=, store=, jugspace=)`` returns the exit
  code.
* **Package commands**: an installed distribution declares, in its
  ``pyproject.toml``::

      [project.entry-points."jug.commands"]
      my-report = "my_package.report:command"

  where the object is a click command, or a ``SubCommand`` (instance or
  class).

Both are looked for only when ``jug --help`` lists the commands or a name is
not a built-in one, so ``jug status`` never imports them.  The entry points
are found by reading the ``entry_points.txt`` of each distribution on
``sys.path`` (about 2 ms for 130 distributions here, where
``importlib.metadata.entry_points`` costs about 30 ms); a name is imported
only when its command runs or ``jug --help`` needs its summary.  A
built-in command's name cannot be taken; the first of two extensions
with one name wins.  An extension that fails to load is reported in one
line on stderr and left out.
"""

import collections
import os
import sys

import click

ENTRY_POINT_GROUP = "jug.commands"
USER_COMMANDS_DIR = "~/.config/jug"
USER_COMMANDS_MODULE = "jug_user_commands"


#: An added command: its name, where it comes from (the file or the
#: distribution, for messages), its summary, and ``load()`` giving its click
#: command.  A named tuple: ``jug --help`` need not import dataclasses.
Extension = collections.namedtuple("Extension", "name origin summary load")


_found = None


def extension_commands():
    """``{name: Extension}`` of every added command (looked for once per
    process)."""
    global _found
    if _found is None:
        _found = {}
        for extension in [*_user_commands(), *_package_commands()]:
            _add(_found, extension)
    return _found


def extension_command(name):
    """The click command of added command ``name``, or None."""
    extension = extension_commands().get(name)
    return None if extension is None else extension.load()


def _add(found, extension):
    from jug.cli import COMMANDS

    if extension.name in COMMANDS:
        _warn(f"{extension.origin} defines a command `{extension.name}`, which is a built-in "
              "command of jug: it is ignored; give it another name")
    elif extension.name in found:
        _warn(f"{extension.origin} defines a command `{extension.name}`, already defined by "
              f"{found[extension.name].origin}: the first one is kept")
    else:
        found[extension.name] = extension


def _warn(message):
    print(f"jug: warning: {message}", file=sys.stderr)


# -- user subcommands -------------------------------------------------------------


def _user_commands():
    directory = os.path.expanduser(USER_COMMANDS_DIR)
    path = os.path.join(directory, USER_COMMANDS_MODULE + ".py")
    if not os.path.isfile(path):
        return []
    from jug.subcommands import SubCommandError, cmdapi, summary_of

    if directory not in sys.path:
        sys.path.insert(0, directory)
    before = set(cmdapi.names())
    try:
        __import__(USER_COMMANDS_MODULE)
    except Exception as error:  # the user's code: anything may be raised
        _warn(f"could not load the user commands of {path} ({type(error).__name__}: {error})")
        return []
    extensions = []
    for name in cmdapi.names():
        if name in before:
            continue
        subcommand = cmdapi.get(name)
        try:
            summary = summary_of(subcommand)
        except SubCommandError as error:
            _warn(f"{path}: {error}")
            continue
        extensions.append(Extension(name, path, summary,
                                    lambda subcommand=subcommand: subcommand_command(subcommand)))
    return extensions


# -- package commands ------------------------------------------------------------


def entry_points(group=ENTRY_POINT_GROUP):
    """``[(name, "module:attribute", distribution directory)]`` declared in
    ``group`` by the distributions on ``sys.path``, first on the path first."""
    import configparser

    found = []
    seen = set()
    for entry in sys.path:
        try:
            listing = os.scandir(entry or ".")
        except OSError:
            continue
        with listing:
            names = sorted(e.name for e in listing if e.name.endswith((".dist-info", ".egg-info")))
        for name in names:
            path = os.path.join(entry or ".", name, "entry_points.txt")
            try:
                with open(path, encoding="utf-8") as handle:
                    text = handle.read()
            except OSError:
                continue
            if f"[{group}]" not in text:
                continue
            parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
            parser.optionxform = str
            try:
                parser.read_string(text, source=path)
            except configparser.Error as error:
                _warn(f"cannot read {path} ({error})")
                continue
            distribution = name.rsplit(".", 1)[0]
            if distribution in seen:
                continue  # an older copy further down the path
            seen.add(distribution)
            for command, target in parser.items(group):
                found.append((command, target.strip(), distribution))
    return found


def _package_commands():
    extensions = []
    for name, target, distribution in entry_points():
        origin = f"the package {distribution} (entry point {name} = {target})"
        try:
            command = _load_target(name, target)
        except Exception as error:  # a third party's code: anything may be raised
            _warn(f"could not load the command `{name}` of {origin} ({type(error).__name__}: "
                  f"{error})")
            continue
        summary = command.get_short_help_str(limit=120)
        extensions.append(Extension(name, origin, summary, lambda command=command: command))
    return extensions


def _load_target(name, target):
    """The click command an entry point ``module:attribute`` names."""
    import importlib

    from jug.subcommands import SubCommand

    module_name, _, attribute = target.partition(":")
    obj = importlib.import_module(module_name.strip())
    for part in filter(None, attribute.strip().split(".")):
        obj = getattr(obj, part)
    if isinstance(obj, type) and issubclass(obj, SubCommand):
        obj = obj()
    if isinstance(obj, SubCommand):
        return subcommand_command(obj, name=name)
    if isinstance(obj, click.Command):
        if obj.name != name:
            obj.name = name
        return obj
    raise TypeError(f"{target} is a {type(obj).__name__}, not a click command or a "
                    "jug.subcommands.SubCommand")


# -- running a SubCommand --------------------------------------------------------------


def subcommand_command(subcommand, name=None):
    """A click command that parses its arguments as the original did
    (argparse) and runs ``subcommand``."""
    from jug.subcommands import summary_of

    summary = summary_of(subcommand)

    def callback(args):
        raise SystemExit(run_subcommand(subcommand, list(args), name or subcommand.name))

    return click.Command(
        name or subcommand.name, callback=callback, help=summary, short_help=summary,
        add_help_option=False,
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
        params=[click.Argument(["args"], nargs=-1, type=click.UNPROCESSED)])


class UserOptions:
    """The ``options`` a user subcommand receives: attributes for the common
    options (``jugfile``, ``jugdir``, ``verbose``, ``short``, ``debug``,
    ``pdb``, ``will_cite``, ``aggressive_unload``, ``argv``, ``subcommand``)
    and for every ``dest`` the command's ``parse`` added."""

    def __init__(self, **values):
        self.__dict__.update(values)

    def print_out(self, text):
        print(text)

    def __repr__(self):
        return f"UserOptions({self.__dict__!r})"


_COMMON_FLAGS = ("short", "debug", "pdb", "will_cite", "aggressive_unload")


def _parser(subcommand, name):
    import argparse

    from jug.subcommands import summary_of

    parser = argparse.ArgumentParser(prog=f"jug {name}", description=summary_of(subcommand),
                                     argument_default=None)
    parser.add_argument("jugfile", nargs="?", help="the jugfile (default jugfile.py)")
    parser.add_argument("user_args", nargs="*", help="arguments passed to the jugfile")
    parser.add_argument("--jugdir", help="where results live (default JUGFILE.jugdata)")
    parser.add_argument("--verbose", help="logging level: quiet, info or debug")
    for flag in _COMMON_FLAGS:
        parser.add_argument("--" + flag.replace("_", "-"), action="store_const", const=True,
                            dest=flag)
    subcommand.parse(parser.add_argument_group(name))
    return parser


def parse_subcommand_options(subcommand, args, name):
    """:class:`UserOptions` from the command line ``args`` (as the original:
    the command line wins over a jugrc, which wins over ``parse_defaults``)."""
    from jug.cli.options import default_jugdir

    if "--" in args:
        cut = args.index("--")
        args, after = args[:cut], args[cut + 1:]
    else:
        after = []
    parser = _parser(subcommand, name)
    parsed = vars(parser.parse_intermixed_args(args))
    defaults = {"verbose": "quiet", "jugdir": "%(jugfile)s.jugdata", "jugfile": "jugfile.py",
                **dict.fromkeys(_COMMON_FLAGS, False), **(subcommand.parse_defaults() or {})}
    values = _configured(defaults)
    values.update({key: value for key, value in parsed.items() if value is not None})
    jugfile = values["jugfile"]
    user_args = list(parsed.get("user_args") or []) + after
    values.update(jugfile=jugfile, jugdir=default_jugdir(jugfile, values["jugdir"]),
                  user_args=user_args, argv=[jugfile, *user_args], subcommand=name)
    values["debug"] = bool(values["debug"] or values["pdb"])
    return UserOptions(**values)


def _configured(defaults):
    """``defaults`` overridden by the jugrc files: ``[main]`` key ``k`` sets
    ``k``, section ``S`` key ``k`` sets ``S_k`` (dashes become
    underscores), cast to the type of the default."""
    from jug.config import global_config_file, local_config_files, read_config

    values = dict(defaults)
    files = [path for path in [global_config_file()] if path]
    files.extend(reversed(local_config_files()))
    for path in files:
        for section, entries in read_config(path).items():
            for key, text in entries.items():
                dest = key.replace("-", "_")
                if section != "main":
                    dest = f"{section.replace('-', '_')}_{dest}"
                values[dest] = _cast(text, defaults.get(dest))
    return values


def _cast(text, default):
    if isinstance(default, bool):
        return text.strip().lower() not in ("", "0", "false", "off", "no", "n")
    if isinstance(default, (int, float)) and default is not None:
        try:
            return type(default)(text)
        except ValueError:
            return text
    return text


def run_subcommand(subcommand, args, name):
    """Parse ``args``, run the jugfile and the subcommand; its exit code."""
    from jug.api import init
    from jug.cli.options import _configure_logging
    from jug.subcommands import SubCommandError, cmdapi

    options = parse_subcommand_options(subcommand, args, name)
    _configure_logging(options.verbose)
    saved_argv = sys.argv
    sys.argv = list(options.argv)  # the jugfile sees what the original gives it
    try:
        store, jugspace = init(options.jugfile, options.jugdir, on_error="exit")
    finally:
        sys.argv = saved_argv
    try:
        if cmdapi._commands.get(name) is not subcommand:
            cmdapi._register(name, subcommand)  # an entry point's, run by its own name
        try:
            code = cmdapi.run(name, options=options, store=store, jugspace=jugspace)
        except SubCommandError as error:
            print(f"jug: {error}", file=sys.stderr)
            return 1
    finally:
        store.close()
    return 0 if code is None else code
