"""``jug check``: exit 0 when every task is finished, 1 when not, 2 when it
cannot tell."""

import click

from jug.cli.options import common_options, jug_command, jugfile_arguments, report_errors

#: exit codes: every task finished; some are not; the question could not be
#: answered (the store is unreachable, the jugfile does not compile...)
FINISHED, UNFINISHED, UNKNOWN = 0, 1, 2


@jug_command("check")
@jugfile_arguments
@click.option("--verify", is_flag=True, default=False,
              help="Also load every stored result; those that cannot be loaded (damaged, "
                   "or needing code this process cannot import) are named on stderr and "
                   "do not count as finished.")
@report_errors(exit_code=UNKNOWN)
def command(verify, **params):
    """Exit 0 if every task of the jugfile has its result, 1 if some have
    not, 2 if that cannot be told (the store cannot be reached, the jugfile
    raises or does not parse...: the reason is on stderr).  Prints nothing
    else.

    A result counts when the store lists it: a damaged result is only found
    when loaded, by `jug execute` (which computes it again) or by --verify
    (which loads every result).

    \b
    Example:
        jug check primes.py && echo done
        jug check primes.py --verify || jug execute primes.py
    """
    from jug.project import check

    raise SystemExit(FINISHED if check(common_options(**params), verify=verify) else UNFINISHED)
