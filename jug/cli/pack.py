"""``jug pack``: pack the small results of a file store into one file."""

import click

from jug.cli.options import common_options, jug_command, jugfile_arguments, report_errors
from jug.store.pack import DEFAULT_MAX_SIZE


@jug_command("pack")
@jugfile_arguments
@click.option("--max-size", default=DEFAULT_MAX_SIZE, type=click.IntRange(min=1),
              show_default=True, metavar="BYTES",
              help="Pack the result files of at most this many bytes.")
@report_errors
def command(max_size, **params):
    """Every command, and every worker, reads packed results as if they were
    files; `jug invalidate` and `jug cleanup` remove them from the pack;
    results saved later go to files again (run it again to pack them).
    Only file stores (a --jugdir directory) can be packed.  Does not run the
    jugfile.

    \b
    Example:
        jug pack primes.py
        jug pack primes.py --max-size 512
    """
    from jug.project.pack import pack_store

    raise SystemExit(pack_store(common_options(**params), max_size))
