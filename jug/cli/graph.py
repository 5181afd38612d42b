"""``jug graph``: the task graph as DOT, SVG, PNG, PDF or GraphML."""

import click

from jug.cli.options import common_options, jug_command, jugfile_arguments, report_errors
from jug.project.draw import DEFAULT_MAX_NODES, FORMATS


@jug_command("graph")
@jugfile_arguments
@click.option("--dot", "dot_to_stdout", is_flag=True, default=False,
              help="Write DOT to standard output (needs no Graphviz installed).")
@click.option("-o", "--output", default=None, metavar="FILE",
              help="Write to FILE ('-': standard output); its extension (.dot, .svg, "
                   ".png, .pdf, .graphml) chooses the format unless --format says it.")
@click.option("--format", "--file-format", "file_format", type=click.Choice(FORMATS),
              default=None, help="Output format; svg, png and pdf need Graphviz's `dot`.")
@click.option("--full", is_flag=True, default=False,
              help="One node per task (name and short hash) instead of one per task name.")
@click.option("--max-nodes", type=click.IntRange(min=1), default=DEFAULT_MAX_NODES,
              show_default=True, help="Largest number of tasks --full draws.")
@click.option("--name", default=None, metavar="NAME",
              help="Keep the tasks whose name matches NAME (a glob on whole dotted "
                   "components) and what they depend on.")
@click.option("--pattern", default=None, metavar="PAT",
              help="Keep the tasks whose name contains PAT, or matches /REGEX/, and what "
                   "they depend on.")
@click.option("--downstream", is_flag=True, default=False,
              help="With --name/--pattern: keep what depends on the matching tasks instead.")
@click.option("--no-status", is_flag=True, default=False,
              help="Draw the structure only: no task states, no store listing.")
@report_errors
def command(dot_to_stdout, output, file_format, full, max_nodes, name, pattern, downstream,
            no_status, **params):
    """From the manifest: by default one node per task
    name, coloured by state and labelled with how many of its tasks are
    waiting, ready, running, finished and failed; edges labelled with the
    number of task dependencies they stand for; one cluster per barrier stage.

    Without --dot or -o, writes JUGFILE's stem + .dot next to the jugfile and,
    when Graphviz's `dot` is installed, renders it as stem + .png (or the
    --format given), as jug does.

    \b
    Colours: grey waiting, orange ready, blue running, green finished,
    red failed (a group takes red if any task failed, else blue if any runs,
    else green if all finished, else orange if any is ready, else grey).

    \b
    Example:
        jug graph primes.py --dot | dot -Tsvg -o primes.svg
        jug graph primes.py -o primes.png
        jug graph jugfile.py --full --name count_words -o part.svg
        jug graph jugfile.py --format graphml -o tasks.graphml --full
    """
    from jug.project.draw import STDOUT, GraphRequest, draw_graph

    if dot_to_stdout:
        if output not in (None, STDOUT):
            raise click.UsageError("--dot writes to standard output; to write a file "
                                   "use -o FILE.dot")
        if file_format not in (None, "dot"):
            raise click.UsageError(f"--dot and --format {file_format} disagree")
        output, file_format = STDOUT, "dot"
    if downstream and name is None and pattern is None:
        raise click.UsageError("--downstream needs --name NAME or --pattern PAT")
    request = GraphRequest(output=output, file_format=file_format, full=full,
                           max_nodes=max_nodes, status=not no_status, name=name,
                           pattern=pattern, downstream=downstream)
    raise SystemExit(draw_graph(common_options(**params), request))
