"""``jug execute``: run tasks (start as many as you like, anywhere)."""

import click

from jug.cli.options import common_options, jugfile_arguments, report_errors


@click.command("execute")
@jugfile_arguments
@click.option("--wait-cycle-time", default=12.0, type=float, show_default=True,
              help="Longest sleep between checks when every runnable task is taken.")
@click.option("--nr-wait-cycles", default=150, type=int, show_default=True,
              help="Give up after this many wait cycles without progress.")
@click.option("--keep-going", is_flag=True, help="Go on after a task raises (exit 1 at the end).")
@click.option("--keep-failed", is_flag=True,
              help="Keep a failed task locked (marked failed) so no worker retries it "
                   "until `jug cleanup --failed-only`.")
@click.option("--no-check-environment", is_flag=True,
              help="Ignore JUG_MAX_* variables and __jug_please_stop_running.txt.")
@click.option("--name", "select_name", default=None, metavar="NAME",
              help="Run only tasks whose name matches NAME (a glob, matched on whole "
                   "dotted components: `double` matches `jugfile.double`).")
@click.option("--pattern", "select_pattern", default=None, metavar="PAT",
              help="Run only tasks whose name contains PAT (or matches /REGEX/).")
@click.option("--target", "select_target", default=None, hidden=True)
@report_errors
def command(wait_cycle_time, nr_wait_cycles, keep_going, keep_failed, no_check_environment,
            select_name, select_pattern, select_target, **params):
    """Run the tasks of a jugfile, saving every result in the store.

    Any number of `jug execute` processes, on any number of machines sharing
    the store, cooperate: each task runs once.

    \b
    Example:
        jug execute primes.py &
        jug execute primes.py &
        jug execute primes.py --jugdir redis://127.0.0.1:6379/0
    """
    from jug.execution import ExecuteOptions
    from jug.project import execute
    from jug.selection import matcher_from_options

    options = common_options(**params)
    select = matcher_from_options(select_name or select_target, select_pattern)
    execute_options = ExecuteOptions(
        wait_cycle_time=wait_cycle_time, nr_wait_cycles=nr_wait_cycles, keep_going=keep_going,
        keep_failed=keep_failed, aggressive_unload=options.aggressive_unload,
        debug=options.debug, pdb=options.pdb, select=select)
    raise SystemExit(execute(options, execute_options, check_environment=not no_check_environment))
