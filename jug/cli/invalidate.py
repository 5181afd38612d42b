"""``jug invalidate``: remove results of matching tasks and all downstream."""

import click

from jug.cli.options import (common_options, jug_command, jugfile_arguments, report_errors,
                             selected_names, selection_arguments)


@jug_command("invalidate")
@jugfile_arguments
@selection_arguments("Tasks")
@report_errors
def command(select_name, select_pattern, select_target, select_invalid, **params):
    """Downstream means every task that depends on a matching one, directly
    or not (computed on the manifest's graph).

    \b
    Example:
        jug invalidate primes.py --name is_prime
        jug invalidate jugfile.py --pattern '/^jugfile\\.(fit|score)$/'
    """
    from jug.project import invalidate

    name, pattern = selected_names(select_name, select_pattern, select_target, select_invalid)
    if name is None and pattern is None:  # as the original: a usage error
        raise click.UsageError("one of the arguments --name --pattern --target --invalid is "
                               "required (say which tasks to invalidate)")
    raise SystemExit(invalidate(common_options(**params), name=name, pattern=pattern))
