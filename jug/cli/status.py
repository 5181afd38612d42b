"""``jug status``: the state of every task, per task name."""

import click

from jug.cli.options import common_options, jugfile_arguments, report_errors


@click.command("status", context_settings={"ignore_unknown_options": False})
@jugfile_arguments
@report_errors
def command(**params):
    """Print how many tasks are waiting, ready, running, finished and failed.

    Exit code 0 when every task is finished, 1 otherwise.

    \b
    Example:
        jug status primes.py
        jug status primes.py --short
    """
    from jug.project import print_status

    raise SystemExit(print_status(common_options(**params)))
