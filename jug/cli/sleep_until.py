"""``jug sleep-until``: wait until every task is finished."""

import click

from jug.cli.options import common_options, jug_command, jugfile_arguments, report_errors


@jug_command("sleep-until")
@jugfile_arguments
@click.option("--poll-time", default=12.0, type=click.FloatRange(min=0), show_default=True,
              help="Seconds between checks.")
@report_errors
def command(poll_time, **params):
    """Exits 0 then, or 1 as soon as nothing can progress because tasks
    failed.

    \b
    Example:
        jug sleep-until primes.py && python show_results.py
    """
    from jug.project import sleep_until

    raise SystemExit(sleep_until(common_options(**params), poll_time))
