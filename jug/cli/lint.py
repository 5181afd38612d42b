"""``jug lint [PATHS]...``: find task arguments that are not deterministic.

A thin command: options in, :func:`jug.compiler.lint.lint_paths` (or
:func:`~jug.compiler.lint.fix_paths` for ``--fix``/``--diff``) called, the
report rendered.  libcst and the analysis are imported only when the command
runs.  Exit status: 0 clean, 1 findings, 2 a file could not be checked (or a
bad configuration).
"""

import sys

import click

from jug.cli.options import jug_command

FORMATS = ("text", "json", "sarif", "github")


@jug_command("lint", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "--output-format", "output_format", type=click.Choice(FORMATS),
              default="text", show_default=True,
              help="text (path:line:col: CODE message), json, sarif (GitHub code scanning) "
                   "or github (workflow annotations).  --output-format is the same option "
                   "(ruff's spelling).")
@click.option("--select", metavar="CODES",
              help="Comma-separated codes or prefixes to run (replaces [tool.jug.lint] select).")
@click.option("--ignore", metavar="CODES",
              help="Comma-separated codes or prefixes not to run (added to the configuration).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Write the report to this file instead of stdout.")
@click.option("--fix", is_flag=True,
              help="Apply the safe fixes (wrap listings and set iterations in sorted()) to "
                   "the files and the local modules they import, then report what is left.")
@click.option("--diff", is_flag=True,
              help="Show the fixes --fix would make as a unified diff on stdout; change "
                   "nothing.")
@click.option("--explain", metavar="CODE", default=None,
              help="Explain a rule (e.g. JUG101) with its examples, and exit.")
def command(paths, output_format, select, ignore, output, fix, diff, explain):
    """Unseeded random
    numbers, clock time, unsorted directory listings, set iteration order,
    process identities; and tasks created inside tasks, lambda task
    functions, arguments hashed by pickling, top-level configuration calls.

    PATHS are jugfiles or directories (their *.py files); default jugfile.py.
    The jugfile and the local modules it imports are parsed, never run.

    \b
    Examples:
        jug lint                              # lint jugfile.py
        jug lint pipeline.py --format sarif -o lint.sarif
        jug lint --diff                       # what --fix would change
        jug lint --fix                        # change it, then report the rest

    \b
    Configure:    [tool.jug.lint] in pyproject.toml (select, ignore,
                  per-file-ignores)
    Suppress:     # noqa  or  # noqa: JUG101  on the reported line
    Exit status:  0 clean, 1 findings, 2 a file could not be checked
    """
    from jug.compiler.lint import LintConfigError, fix_paths, lint_paths, parse_codes, render
    from jug.compiler.lint import rule_for

    if explain is not None:
        from jug.compiler.lint.docs import explain as explain_rule

        rule = rule_for(explain)
        if rule is None:
            click.echo(f"jug lint: unknown rule {explain!r}; see docs/lint.md for the list",
                       err=True)
            sys.exit(2)
        click.echo(explain_rule(rule).rstrip("\n"))
        return

    outcome = None
    try:
        if fix or diff:
            outcome = fix_paths(paths, parse_codes(select), parse_codes(ignore), write=not diff)
            report = outcome.report
        else:
            report = lint_paths(paths, select=parse_codes(select), ignore=parse_codes(ignore))
    except LintConfigError as error:
        click.echo(f"jug lint: {error}", err=True)
        sys.exit(2)

    for error in report.errors:
        click.echo(error.caret_display(), err=True)
    if diff:
        click.echo("".join(fixed.diff() for fixed in outcome.fixes), nl=False)
        _fix_summary(outcome, applied=False)
        sys.exit(1 if outcome.fixes or report.findings else report.exit_code)
    rendered = render(report, output_format)
    if output is not None:
        with open(output, "w", encoding="utf-8") as file:
            file.write(rendered)
    else:
        click.echo(rendered, nl=False)
    if fix:
        _fix_summary(outcome, applied=True)
    if output_format == "text" or output is not None:
        click.echo(_summary(report), err=True)
    sys.exit(report.exit_code)


def _fix_summary(outcome, applied: bool):
    count = sum(fixed.count for fixed in outcome.fixes)
    files = ", ".join(fixed.path for fixed in outcome.fixes)
    if count:
        verb = "fixed" if applied else "would fix"
        click.echo(f"jug lint: {verb} {count} place{'s' if count != 1 else ''} in {files}",
                   err=True)
    else:
        click.echo("jug lint: nothing to fix automatically", err=True)
    for finding in outcome.report.findings:
        if finding.suggestion:
            click.echo(f"{finding.path}:{finding.line}:{finding.column}: {finding.code} "
                       f"not fixed automatically; suggestion: {finding.suggestion}", err=True)
    if not applied and outcome.report.findings:
        left = len(outcome.report.findings)
        click.echo(f"jug lint: {left} finding{'s' if left != 1 else ''} would remain after "
                   f"the fixes", err=True)


def _summary(report) -> str:
    files = len(report.files)
    checked = f"{files} file{'s' if files != 1 else ''}"
    if not report.findings and not report.errors:
        return f"jug lint: {checked} checked, no problems found."
    errors = sum(1 for f in report.findings if f.severity == "error")
    warnings = len(report.findings) - errors
    parts = [f"{errors} error{'s' if errors != 1 else ''}",
             f"{warnings} warning{'s' if warnings != 1 else ''}"]
    unchecked = sum(1 for e in report.errors if e.code is None)
    if unchecked:
        parts.append(f"{unchecked} file{'s' if unchecked != 1 else ''} not checked")
    return f"jug lint: {checked}: {', '.join(parts)}."
