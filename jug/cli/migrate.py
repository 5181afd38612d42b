"""``jug migrate``: import the results of the original jug 2.x."""

import click

from jug.cli.options import common_options, jug_command, jugfile_arguments, report_errors


@jug_command("migrate")
@jugfile_arguments
@click.option("--from", "source", default=None, metavar="DIR|URL",
              help="Where the original jug 2.x wrote its results: its --jugdir "
                   "(a directory, redis://HOST:PORT/, dict_store:FILE). "
                   "Default: the --jugdir, so that both share it.")
@click.option("--dry-run", is_flag=True,
              help="Only report how many results would be imported and which tasks "
                   "have none; write nothing.")
@click.option("--list-unmapped", is_flag=True,
              help="List every result of the original that no task maps to.")
@report_errors
def command(source, dry_run, list_unmapped, **params):
    """Task hashes differ between the original jug and this one, so its results
    are not found directly.  For every task of the jugfile, this computes the
    hash jug 2.x gave it, reads that result from the old store (every format
    the original wrote, the pack file included) and saves it under this jug's
    hash.  No task is run; nothing in the old store is changed or deleted,
    also when both share one directory.  Run it with the jugfile (and the
    arguments) the original ran.

    \b
    Example:
        jug migrate primes.py --dry-run
        jug migrate primes.py
        jug migrate primes.py --from old.jugdata --jugdir primes.jugdata
        jug migrate primes.py --from redis://127.0.0.1:6379/ --jugdir redis://127.0.0.1:6379/1
    """
    from jug.compat.migration import run

    raise SystemExit(run(common_options(**params), source, dry_run, list_unmapped))
