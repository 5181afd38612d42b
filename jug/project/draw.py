"""``jug graph``: draw a jugfile's task graph from its manifest.

:func:`draw_graph` is the one library function behind the command: it
resolves where the drawing goes and in which format, loads the manifest (and,
unless told not to, the state of every task from one listing of results and
one of locks), keeps the selected part, builds the grouped or full view and
writes DOT, SVG, PNG, PDF or GraphML.

Importing this module imports neither graphviz nor networkx.
"""

import dataclasses
import os
import shlex
import sys

from jug.errors import JugError

FORMATS = ("dot", "svg", "png", "pdf", "graphml")
EXTENSIONS = {".dot": "dot", ".gv": "dot", ".svg": "svg", ".png": "png", ".pdf": "pdf",
              ".graphml": "graphml"}
STDOUT = "-"
DEFAULT_MAX_NODES = 300


@dataclasses.dataclass(frozen=True)
class GraphRequest:
    """What to draw and where (the options of ``jug graph``).

    ``output``: a path, ``"-"`` for standard output, or None for the default
    (``<jugfile stem>.<format>`` next to the jugfile; standard output for
    GraphML).  ``file_format``: one of :data:`FORMATS`, or None to take it
    from the output's extension (DOT when there is none)."""

    output: str | None = None
    file_format: str | None = None
    full: bool = False
    max_nodes: int = DEFAULT_MAX_NODES
    status: bool = True
    name: str | None = None
    pattern: str | None = None
    downstream: bool = False


def resolve_output(jugfile, output, file_format):
    """``(format, destination)``: the destination is a path or ``"-"``."""
    if file_format is None:
        if output is None or output == STDOUT:
            file_format = "dot"
        else:
            extension = os.path.splitext(output)[1].lower()
            file_format = EXTENSIONS.get(extension)
            if file_format is None:
                known = ", ".join(sorted(EXTENSIONS))
                raise JugError(f"jug graph: cannot tell the format of {output!r} from its "
                               f"extension (known: {known}); say it with --format")
    elif file_format not in FORMATS:
        raise JugError(f"jug graph: unknown format {file_format!r} (known: {', '.join(FORMATS)})")
    if output is None:
        if file_format == "graphml":
            output = STDOUT
        else:
            output = os.path.splitext(jugfile)[0] + "." + file_format
    return file_format, output


def draw_graph(options, request, out=None):
    """``jug graph``: write the drawing; returns the exit code (0).

    Raises :class:`jug.errors.JugError` for an unknown format, a missing
    ``dot`` (before loading anything), a selection that matches no task, and
    a full view larger than ``request.max_nodes``."""
    from jug.graph.dot import check_renderer
    from jug.project import load_manifest, manifest_and_results, open_project_store

    out = out or sys.stdout
    also_render = None
    if request.output is None and request.file_format != "graphml":
        # as the original: <stem>.dot, then <stem>.png (or --format) when `dot` exists
        also_render = request.file_format or "png"
        request = dataclasses.replace(request, file_format="dot")
    file_format, destination = resolve_output(options.jugfile, request.output,
                                              request.file_format)
    if also_render is None:
        check_renderer(file_format)
    with open_project_store(options) as store:
        if request.status:
            manifest, keys = manifest_and_results(options, store)
            locks = store.list_locks()
        else:
            manifest, _ = load_manifest(options, store)
    graph = manifest.graph
    stopped_at = manifest.header.stopped_at
    states = None
    if request.status:
        from jug.graph import compute_states

        states = compute_states(graph, keys, locks)
    tasks = _selected_tasks(graph, request)
    shown = len(graph) if tasks is None else len(tasks)
    title = _title(options.jugfile, len(graph), shown, tasks, states)
    name = os.path.splitext(os.path.basename(options.jugfile))[0] or "jug"

    if file_format == "graphml":
        from jug.graph.graphml import graphml_bytes, grouped_networkx, tasks_networkx

        if request.full:
            nx_graph = tasks_networkx(graph, tasks, states, stopped_at, options.jugfile)
        else:
            nx_graph = grouped_networkx(_grouped(graph, states, tasks, stopped_at),
                                        options.jugfile)
        data = graphml_bytes(nx_graph)
        summary = (f"{_count(nx_graph.number_of_nodes(), 'node')}, "
                   f"{_count(nx_graph.number_of_edges(), 'edge')}")
    else:
        from jug.graph.dot import full_dot, grouped_dot, render

        if request.full:
            if shown > request.max_nodes:
                raise JugError(
                    f"jug graph --full: {shown} tasks are too many to draw one node each "
                    f"(the limit is {request.max_nodes}); draw a part with --name NAME or "
                    "--pattern PAT (what it depends on, or --downstream), the grouped view "
                    f"without --full, or raise the limit with --max-nodes {shown}")
            digraph = full_dot(graph, range(len(graph)) if tasks is None else tasks, states,
                               stopped_at, title, name)
            summary = _count(shown, "task node")
        else:
            grouped = _grouped(graph, states, tasks, stopped_at)
            digraph = grouped_dot(grouped, title, name)
            summary = (f"{_count(len(grouped.groups), 'task-name node')}, "
                       f"{_count(len(grouped.edges), 'edge')}, {_count(shown, 'task')}")
        if file_format == "dot":
            data = digraph.source.encode("utf-8")
        else:
            data = render(digraph, file_format)

    return _deliver(data, destination, file_format, summary, digraph if also_render else None,
                    also_render, out)


def _deliver(data, destination, file_format, summary, digraph, also_render, out):
    """Write ``data`` to ``destination`` and say so (rendering ``digraph``
    next to it when the default output asks for ``also_render``)."""
    if destination == STDOUT:
        _write_stdout(out, data, file_format)
        return 0
    try:
        with open(destination, "wb") as handle:
            handle.write(data)
    except OSError as error:
        raise JugError(f"jug graph: cannot write {destination}: {error.strerror}") from None
    line = f"Wrote {destination} ({file_format.upper()}: {summary})."
    if also_render not in (None, "dot"):
        print(line, file=out)
        return _render_next_to(digraph, destination, also_render, summary, out)
    if file_format == "dot":
        image = os.path.splitext(destination)[0] + ".svg"
        line += (f" Render it with: dot -Tsvg {shlex.quote(destination)} -o "
                 f"{shlex.quote(image)}")
    print(line, file=out)
    return 0


def _render_next_to(digraph, dotfile, file_format, summary, out):
    """Render ``digraph`` as ``<stem>.<file_format>`` beside ``dotfile``, or
    say on stderr (in the original's words) that it could not; 0 either way."""
    import shutil

    from jug.graph.dot import render

    image = os.path.splitext(dotfile)[0] + "." + file_format
    if shutil.which("dot") is not None:
        try:
            data = render(digraph, file_format)
            with open(image, "wb") as handle:
                handle.write(data)
        except (JugError, OSError):
            pass
        else:
            print(f"Wrote {image} ({file_format.upper()}: {summary}).", file=out)
            return 0
    print("Couldn't render graph file. Is graphviz installed?\nYou will have to manually "
          f"render the dotfile: {dotfile}", file=sys.stderr)
    return 0


def _count(number, noun):
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _write_stdout(out, data, file_format):
    if file_format in ("dot", "svg", "graphml"):
        out.write(data.decode("utf-8"))
        out.flush()
        return
    out.flush()
    buffer = getattr(out, "buffer", None)
    if buffer is None:
        raise JugError(f"jug graph: cannot write {file_format.upper()} (binary) to this "
                       "output; use -o FILE")
    buffer.write(data)
    buffer.flush()


def _selected_tasks(graph, request):
    """Sorted task indices kept by ``--name``/``--pattern`` with their
    upstream (or ``--downstream``) closure; None when there is no selection."""
    from jug.graph import select_tasks
    from jug.selection import matcher_from_options

    matches = matcher_from_options(request.name, request.pattern)
    if matches is None:
        return None
    tasks = select_tasks(graph, matches, downstream=request.downstream)
    if not tasks:
        given = " ".join(f"{flag} {value!r}" for flag, value in
                         (("--name", request.name), ("--pattern", request.pattern))
                         if value is not None)
        names = ", ".join(sorted(graph.names)) or "none"
        raise JugError(f"jug graph: no task matches {given} (task names: {names})")
    return tasks


def _grouped(graph, states, tasks, stopped_at):
    from jug.graph.grouping import group_by_name

    selected = None
    if tasks is not None:
        selected = bytearray(len(graph))
        for i in tasks:
            selected[i] = 1
    return group_by_name(graph, states, selected, stopped_at)


def _title(jugfile, total, shown, tasks, states):
    """``primes.py: 101 tasks (99 finished, 2 ready)``."""
    from jug.graph import STATE_NAMES

    if tasks is None:
        title = f"{jugfile}: {_count(total, 'task')}"
    else:
        title = f"{jugfile}: {shown} of {_count(total, 'task')} selected"
    if states is not None:
        from collections import Counter

        per_state = Counter(states if tasks is None else map(states.__getitem__, tasks))
        parts = [f"{per_state[state]} {label.lower()}" for state, label in enumerate(STATE_NAMES)
                 if per_state[state]]
        if parts:
            title += " (" + ", ".join(parts) + ")"
    return title
