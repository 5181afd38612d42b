"""``jug execute``: run tasks (start as many as you like, anywhere)."""

import click

from jug.cli.options import (common_options, jug_command, jugfile_arguments, report_errors,
                             selected_names, selection_arguments)


@jug_command("execute")
@jugfile_arguments
@click.option("--wait-cycle-time", default=12.0, type=click.FloatRange(min=0), show_default=True,
              help="Longest sleep between checks when every runnable task is taken.")
@click.option("--nr-wait-cycles", default=150, type=click.IntRange(min=0), show_default=True,
              help="Give up after this many wait cycles without progress.")
@click.option("--keep-going", is_flag=True, help="Go on after a task raises (exit 1 at the end).")
@click.option("--keep-failed", is_flag=True,
              help="Keep a failed task locked (marked failed) so no worker retries it "
                   "until `jug cleanup --failed-only`.")
@click.option("--no-check-environment", is_flag=True,
              help="Ignore JUG_MAX_* variables and __jug_please_stop_running.txt.")
@selection_arguments("Run only tasks")
@click.option("-j", "--jobs", default=1, type=click.IntRange(min=1), show_default=True,
              metavar="N", help="Start N worker processes here; they share the work through "
                                "the store, as separately started workers do.  Ctrl-C stops "
                                "them all and releases their locks.")
@click.option("--worker-events", is_flag=True, hidden=True,
              help="(for -j) Write events for the parent on stdout instead of the table.")
@click.option("--run-jugfile", is_flag=True,
              help="Run the jugfile's top level before the tasks, as jug 2 does, instead of "
                   "replaying what it did to the process (config key `run-jugfile` in "
                   "[execute]; see docs/manifest.md, \"What a task sees\").")
@report_errors
def command(wait_cycle_time, nr_wait_cycles, keep_going, keep_failed, no_check_environment,
            select_name, select_pattern, select_target, select_invalid, jobs, worker_events,
            run_jugfile, **params):
    """Every result is saved in the store.

    Any number of `jug execute` processes, on any number of machines sharing
    the store, cooperate: each task runs once.

    On a terminal, a progress line shows the tasks done, the rate, the time
    left and the failures (drawn by tqdm when installed: pip install
    'jug[progress]').  --verbose info logs each task started and finished.

    Exit code: 0 when every (selected) task is finished or a JUG_MAX_* limit
    or the stop file ended the run; 1 when a task failed here, or on an error
    (the reason is on stderr); 3 when tasks remain that this worker gave up
    on: held by other workers for longer than the wait, or waiting on tasks
    that failed elsewhere or were not selected (see `jug status`).  With
    -j N, 1 when any worker exits 1, else 128+S when a worker was killed by
    signal S (named on stderr), else the highest code of the workers; 130
    after Ctrl-C.

    \b
    Example:
        jug execute primes.py &
        jug execute primes.py &
        jug execute primes.py -j 4
        jug execute primes.py --jugdir redis://127.0.0.1:6379/0
        jug execute plots.py --run-jugfile
    """
    from jug.execution import ExecuteOptions
    from jug.project import execute
    from jug.project.progress import observers_for
    from jug.selection import matcher_from_options

    options = common_options(**params)
    name, pattern = selected_names(select_name, select_pattern, select_target, select_invalid)
    select = matcher_from_options(name, pattern)
    if jobs > 1:
        from jug.project.workers import run_workers

        raise SystemExit(run_workers(options, click.get_current_context().meta["jug.args"],
                                     jobs, select))
    if worker_events:
        import signal

        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us with SIGTERM
    execute_options = ExecuteOptions(
        wait_cycle_time=wait_cycle_time, nr_wait_cycles=nr_wait_cycles, keep_going=keep_going,
        keep_failed=keep_failed, aggressive_unload=options.aggressive_unload,
        debug=options.debug, pdb=options.pdb, select=select)
    raise SystemExit(execute(options, execute_options, check_environment=not no_check_environment,
                             observer=observers_for(options, worker_events),
                             report=not worker_events, run_jugfile=run_jugfile))
