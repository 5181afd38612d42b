"""The original jug's ``jug.jug`` module, for scripts: ``main(argv)``,
``main_execute()``, ``init`` and ``is_jug_running``, and ``python -m
jug.jug SUBCOMMAND ...``.  They call this jug's command line (:mod:`jug.cli`)
and API (:mod:`jug.api`)."""

import sys

from jug.api import init, is_jug_running
from jug.compat import module_getattr

__all__ = ["main", "main_execute", "init", "is_jug_running"]


def main(argv=None):
    """Run a jug command and exit with its code, as the ``jug`` script does.

    ``argv`` is a whole command line, program name first
    (``['jug', 'status', 'primes.py']``); default ``sys.argv``."""
    from jug.cli import main as command_line

    argv = list(sys.argv if argv is None else argv)
    command_line.main(args=argv[1:], prog_name="jug")


def main_execute():
    """The ``jug-execute`` script: ``jug execute`` with the rest of the
    command line."""
    args = sys.argv[:]
    args.insert(1, "execute")
    return main(args)


_INTERNALS = "the executor is jug.execution (execute_graph), run through `jug execute`"
__getattr__ = module_getattr(__name__, {
    "execution_loop": _INTERNALS,
    "ExecutionState": _INTERNALS,
    "_is_jug_running": "call jug.is_jug_running()",
})


if __name__ == "__main__":
    from jug.cli.exit import leave

    try:
        main()
    except SystemExit as exit:
        leave(exit.code)
