"""``jug webstatus``: a live dashboard of the run, in the browser."""

import click

from jug.cli.options import common_options, jug_command, jugfile_arguments, report_errors


@jug_command("webstatus")
@jugfile_arguments
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True,
              help="TCP port to listen on (0: any free port).")
@click.option("--host", "--ip", "host", default="127.0.0.1", show_default=True,
              help="Address to listen on; any other than 127.0.0.1, localhost or ::1 "
                   "requires the access token printed at start.")
@click.option("--refresh", type=click.FloatRange(min=0.1), default=2.0, show_default=True,
              metavar="SECONDS",
              help="List the store at most this often (for all open pages together).")
@report_errors
def command(port, host, refresh, **params):
    """The page follows the run live: progress per task name,
    throughput and ETA, running tasks, stale locks, failures with their
    error, and the task graph coloured by state (click a group to filter).

    Read-only, from the manifest and the store: it never runs the jugfile
    while the manifest is fresh.  /api/status serves the document of
    `jug status --json`.  Needs the web extra: pip install 'jug[web]'.

    \b
    Example:
        jug webstatus primes.py            # then open http://127.0.0.1:8080/
        jug webstatus primes.py --port 9000 --jugdir redis://node1:6379/0
        jug webstatus primes.py --host 0.0.0.0   # other machines, with a token
    """
    from jug.web import INSTALL_HINT, missing_dependencies

    if missing_dependencies():
        click.echo(f"jug: {INSTALL_HINT}", err=True)
        raise SystemExit(1)
    from jug.web.server import serve

    raise SystemExit(serve(common_options(**params), host, port, refresh))
