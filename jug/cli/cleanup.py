"""``jug cleanup``: remove results no task refers to, and stale locks."""

import click

from jug.cli.options import common_options, jug_command, jugfile_arguments, report_errors


@jug_command("cleanup")
@jugfile_arguments
@click.option("--dry-run", is_flag=True, default=False,
              help="List what would be removed, with sizes, and remove nothing.")
@click.option("--locks-only", is_flag=True, default=False,
              help="Remove only locks: stale ones (their worker is dead) and failed ones; "
                   "a live worker's lock is left alone.  Results are untouched.")
@click.option("--failed-only", is_flag=True, default=False,
              help="Remove only the locks of failed tasks (kept by --keep-failed), so that "
                   "they run again.")
@click.option("--keep-locks", is_flag=True, default=False,
              help="Remove unreferenced results and leave every lock.")
@click.option("--current-only", is_flag=True, default=False,
              help="Keep only what this jugfile's manifest (with these arguments) refers "
                   "to; the other manifests in the store, and what only they need, go.")
@click.option("--remove-jug2-results", "remove_jug2", is_flag=True, default=False,
              help="Also remove results written by the original jug 2.x into this store "
                   "(kept by default: `jug migrate` can import them).")
@report_errors
def command(dry_run, locks_only, failed_only, keep_locks, current_only, remove_jug2, **params):
    """Kept: the results of this manifest's tasks and those the other
    manifests in the store refer to (the same jugfile with other arguments
    or in other environments, other jugfiles); every result while a manifest is stopped at a barrier
    (the tasks after it are not known yet); results of the original jug 2.x;
    locks of live workers.  Removed: the rest, temporary files of crashed
    saves, stale and failed locks.  Each line says what and why.

    \b
    Example:
        jug cleanup primes.py --dry-run
        jug cleanup primes.py
        jug cleanup primes.py --locks-only
        jug cleanup primes.py --failed-only
    """
    from jug.project.cleanup import CleanupRequest, cleanup

    chosen = [flag for flag, on in (("--locks-only", locks_only), ("--failed-only", failed_only),
                                    ("--keep-locks", keep_locks)) if on]
    if len(chosen) > 1:  # as the original: one of them at most
        raise click.UsageError(f"argument {chosen[1]}: not allowed with argument {chosen[0]}")
    request = CleanupRequest(locks_only=locks_only, failed_only=failed_only,
                             keep_locks=keep_locks, dry_run=dry_run, current_only=current_only,
                             remove_jug2=remove_jug2)
    raise SystemExit(cleanup(common_options(**params), request))
