"""``jug compile``: trace a jugfile into its manifest."""

import click

from jug.cli.options import common_options, jug_command, jugfile_arguments, report_errors


@jug_command("compile")
@jugfile_arguments
@click.option("--json", "as_json", is_flag=True,
              help="Print the whole manifest as JSON on stdout (tasks with hash, name, "
                   "dependencies, stage and creating line).")
@click.option("--explain", is_flag=True,
              help="Do not compile: list everything the stored manifest depends on (files, "
                   "directories, path questions, environment variables, store answers, "
                   "volatility) and mark what differs now.  With --json, as JSON.")
@click.option("--check-determinism", is_flag=True,
              help="Trace twice in separate processes (different PYTHONHASHSEED, shifted "
                   "clock) and fail if any task hash differs.")
@report_errors
def command(as_json, explain, check_determinism, **params):
    """The manifest is saved in the store.  Other commands do this by
    themselves whenever the manifest is missing or stale; run it to see the
    summary, to get the graph as JSON, or to fail early in CI.

    \b
    Example:
        jug compile primes.py
        jug compile primes.py --json > graph.json
        N=5 jug compile primes.py --explain
    """
    if explain:
        from jug.project.explain import explain_command

        raise SystemExit(explain_command(common_options(**params), as_json=as_json))
    from jug.project.compile import compile_command

    raise SystemExit(compile_command(common_options(**params), as_json=as_json,
                                     check_determinism=check_determinism))
