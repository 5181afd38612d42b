"""``jug check``: exit 0 when every task is finished."""

import click

from jug.cli.options import common_options, jug_command, jugfile_arguments, report_errors


@jug_command("check")
@jugfile_arguments
@report_errors
def command(**params):
    """Prints nothing: the exit code says whether every task of the jugfile
    has its result.

    \b
    Example:
        jug check primes.py && echo done
    """
    from jug.project import check

    raise SystemExit(0 if check(common_options(**params)) else 1)
