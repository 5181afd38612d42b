"""``jug check``: exit 0 when every task is finished."""

import click

from jug.cli.options import common_options, jugfile_arguments, report_errors


@click.command("check")
@jugfile_arguments
@report_errors
def command(**params):
    """Exit 0 if every task of the jugfile has its result, 1 otherwise.
    Prints nothing.

    \b
    Example:
        jug check primes.py && echo done
    """
    from jug.project import check

    raise SystemExit(0 if check(common_options(**params)) else 1)
