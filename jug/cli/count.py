"""``jug count``: how many tasks the jugfile has, per task name."""

from jug.cli.options import common_options, jug_command, jugfile_arguments, report_errors


@jug_command("count")
@jugfile_arguments
@report_errors
def command(**params):
    """From the manifest (the jugfile is traced only when it is stale); a
    jugfile stopped at a barrier shows the tasks known so far and says so.

    \b
    Example:
        jug count primes.py
        jug count primes.py --short
    """
    from jug.project import count_tasks

    raise SystemExit(count_tasks(common_options(**params)))
