"""``jug invalidate``: remove results of matching tasks and all downstream."""

import click

from jug.cli.options import common_options, jugfile_arguments, report_errors


@click.command("invalidate")
@jugfile_arguments
@click.option("--target", "--invalid", "target", default=None, metavar="NAME",
              help="Same as --name.")
@click.option("--name", default=None, metavar="NAME",
              help="Tasks whose name matches NAME (a glob on whole dotted components: "
                   "`double` matches `jugfile.double`, not `jugfile.double_other`).")
@click.option("--pattern", default=None, metavar="PAT",
              help="Tasks whose name contains PAT, or matches /REGEX/.")
@report_errors
def command(target, name, pattern, **params):
    """Remove the results of the matching tasks and of every task that
    depends on them, directly or not (computed on the manifest's graph).

    \b
    Example:
        jug invalidate primes.py --target is_prime
        jug invalidate jugfile.py --pattern '/^jugfile\\.(fit|score)$/'
    """
    from jug.errors import JugError
    from jug.project import invalidate

    if (target or name) is None and pattern is None:
        raise JugError("jug invalidate: say which tasks with --target NAME, --name NAME or "
                       "--pattern PAT")
    raise SystemExit(invalidate(common_options(**params), name=target or name, pattern=pattern))
