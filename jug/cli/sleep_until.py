"""``jug sleep-until``: wait until every task is finished."""

import click

from jug.cli.options import common_options, jugfile_arguments, report_errors


@click.command("sleep-until")
@jugfile_arguments
@click.option("--poll-time", default=12.0, type=float, show_default=True,
              help="Seconds between checks.")
@report_errors
def command(poll_time, **params):
    """Wait until every task of the jugfile is finished (exit 0), or until
    nothing can progress because tasks failed (exit 1).

    \b
    Example:
        jug sleep-until primes.py && python show_results.py
    """
    from jug.project import sleep_until

    raise SystemExit(sleep_until(common_options(**params), poll_time))
