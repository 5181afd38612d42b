"""``jug status``: the state of every task, per task name."""

import click

from jug.cli.options import common_options, jug_command, jugfile_arguments, report_errors

NO_CACHE = ("jug: status needs no cache (--cache, --cache-file, --clear): it always works "
            "from the manifest, which is checked against the jugfile every time")


@jug_command("status", context_settings={"ignore_unknown_options": False})
@jugfile_arguments
@click.option("--json", "as_json", is_flag=True, default=False,
              help="Print the status as one JSON document (schema: docs/status.md).")
@click.option("--cache", is_flag=True, default=False,
              help="Accepted for jug 2 compatibility; status always works from the manifest.")
@click.option("--cache-file", default=None, metavar="FILE",
              help="Accepted for jug 2 compatibility (no cache file is used).")
@click.option("--clear", is_flag=True, default=False,
              help="Accepted for jug 2 compatibility: with --cache, exits 0 at once.")
@report_errors
def command(as_json, cache, cache_file, clear, **params):
    """Tasks whose lock was left by a dead worker (stale locks) count as Ready
    and are listed below the table, as are failed tasks with the first line
    of their error.  Exit code 0 when every task is finished, 1 otherwise.

    \b
    Example:
        jug status primes.py
        jug status primes.py --short
        jug status primes.py --json | python -m json.tool
    """
    from jug.project import print_status

    if as_json and params.get("short"):
        raise click.UsageError("--json and --short cannot be combined")
    if cache or cache_file is not None or clear:
        click.echo(NO_CACHE, err=True)
        if cache and clear:
            raise SystemExit(0)  # jug 2 deletes its cache file and stops here
    raise SystemExit(print_status(common_options(**params), as_json=as_json))
