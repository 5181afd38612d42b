"""The original jug's extension point for user subcommands, kept working.

Put this in ``~/.config/jug/jug_user_commands.py``::

    from jug.subcommands import SubCommand

    class FancyReport(SubCommand):
        "Produces a fancy report of my results"

        name = "my-fancy-report"

        def parse(self, parser):
            parser.add_argument("--tofile", action="store", dest="report_tofile")

        def parse_defaults(self):
            return {"report_tofile": "report.txt"}

        def run(self, options, store, jugspace, *args, **kwargs):
            print(len(jugspace), options.report_tofile)

    fancy_report = FancyReport()

and ``jug my-fancy-report jugfile.py --tofile out.txt`` runs it; ``jug
--help`` lists it with the first line of the class docstring.  As in the
original, the jugfile is run first, and ``run`` receives ``options`` (the
common options, ``options.jugfile``, ``options.jugdir``..., and the
command's own, whose defaults come from ``parse_defaults()``, then a
jugrc section named after the ``dest`` prefix, ``[report] tofile=...``,
then the command line), ``store`` (the store, with the original's methods:
``load``, ``can_load``...) and ``jugspace`` (the jugfile's namespace); its
return value is the exit code.  ``parse(parser)`` receives an argparse
argument group.

Instantiating a subclass registers it with :data:`cmdapi`.  Commands can
also come from installed packages, through the entry-point group
``jug.commands`` (see :mod:`jug.cli.extensions`).  The built-in commands
are click commands in :mod:`jug.cli`; a user command cannot replace one.
"""

import logging
from abc import ABCMeta, abstractmethod

__all__ = ["cmdapi", "SubCommand", "SubCommandError", "NoSuchCommandError",
           "maybe_print_citation_info"]


class SubCommandError(Exception):
    """A subcommand does not follow the API (no docstring, a ``run`` that
    does not accept the keywords it is given)."""


class NoSuchCommandError(Exception):
    """No subcommand of that name is registered."""


def summary_of(command):
    """The first line of ``command``'s class docstring, shown by ``jug --help``."""
    doc = type(command).__doc__ if not isinstance(command, type) else command.__doc__
    lines = (doc or "").strip().splitlines()
    if not lines:
        raise SubCommandError(f"Command '{command}' is missing a documentation string")
    return lines[0].strip()


class SubCommand(metaclass=ABCMeta):
    """A subcommand: define ``name``, a docstring and ``run``; optionally
    ``parse(parser)`` and ``parse_defaults()``.  Instantiate it to register."""

    def __init__(self):
        cmdapi._register(self.name, self)

    def __call__(self, *args, **kwargs):
        return self.run(*args, **kwargs)

    @property
    @abstractmethod
    def name(self):
        """The command-line name."""

    def parse(self, parser):
        """Add argparse arguments to ``parser`` (an argument group)."""

    def parse_defaults(self):
        """``{dest: default}`` of the arguments :meth:`parse` adds (a
        jugrc value is cast to the type of its default)."""

    @abstractmethod
    def run(self, *args, **kwargs):
        """Do the work; receives ``options=``, ``store=``, ``jugspace=``
        (accept ``**kwargs``: more may come); returns the exit code."""


class SubCommandManager:
    """The registry of user subcommands (the original's ``cmdapi``)."""

    def __init__(self):
        self._commands = {}

    def _register(self, name, command):
        if name in self._commands and self._commands[name] is not command:
            logging.getLogger("jug").warning(
                "jug: command '%s' will be overridden with code from '%s'", name,
                type(command).__name__)
        self._commands[name] = command

    def get(self, name):
        try:
            return self._commands[name]
        except KeyError:
            raise NoSuchCommandError(f"Unknown subcommand '{name}'") from None

    def names(self):
        return sorted(self._commands)

    def run(self, name, *args, **kwargs):
        """Run registered command ``name`` with these arguments."""
        command = self.get(name)
        try:
            return command(*args, **kwargs)
        except TypeError as error:
            if "unexpected keyword" in str(error):
                raise SubCommandError(
                    f"Invalid subcommand structure: '{name}' does not accept the arguments "
                    f"jug gives it (define run(self, *args, **kwargs)); the error was: "
                    f"{error}") from error
            raise


def maybe_print_citation_info(options):
    """Print the citation request unless ``options.will_cite``."""
    if not getattr(options, "will_cite", False):
        from jug.project import CITATION

        print(CITATION)


cmdapi = SubCommandManager()
