"""``jug shell``: IPython inside the traced jugfile."""

import click

from jug.cli.options import common_options, jug_command, jugfile_arguments, report_errors


@jug_command("shell")
@jugfile_arguments
@report_errors
def command(**params):
    """The shell runs in the jugfile's namespace, with its live tasks.

    Helpers: value(task), load_all(), invalidate(task) (with everything
    downstream), get_tasks(), get_filtered_tasks(loadable, failed, available).

    \b
    Example:
        jug shell primes.py
        In [1]: value(primes100)[:10]
    """
    from jug.shell import run_shell

    raise SystemExit(run_shell(common_options(**params)))
