"""The task graph as Graphviz: DOT source, and SVG/PNG/PDF through ``dot``.

Graphs are built with the ``graphviz`` package, which quotes identifiers and
attribute values.  Task names only ever appear in labels and tooltips, never
as node identifiers: HTML-like labels escape them with :func:`html.escape`
(and backslashes doubled), plain ones with ``graphviz.escape`` (backslashes doubled, never taken as
HTML), so no name can break the DOT or change the drawing.

Two views:

* :func:`grouped_dot`: one node per task name (and barrier stage) with its
  counts per state, filled with the colour of its :func:`summary_state`;
  edges labelled with the number of task dependencies they stand for; one
  cluster per barrier stage and a "more tasks after ..." node when tracing
  stopped at a barrier.
* :func:`full_dot`: one node per task (name and short hash), for small
  graphs or a selected part.

Fill colours: :data:`STATE_COLOURS` (documented in ``docs/graph.md``); the
counts are always written out too, so colour is never the only clue.
"""

import html
import shutil

from jug.errors import JugError
from jug.graph import FAILED, FINISHED, READY, RUNNING, STATE_NAMES, WAITING

STATE_COLOURS = {
    WAITING: "#e0e0e0",   # grey: cannot start yet
    READY: "#fdd49e",     # light orange: can start now
    RUNNING: "#9ecae1",   # light blue: locked by a worker
    FINISHED: "#a1d99b",  # light green: result stored
    FAILED: "#fc9272",    # salmon red: failed (see `jug cleanup --failed-only`)
}
NO_STATUS_COLOUR = "#ffffff"  # --no-status: structure only
ZERO_COLOUR = "#808080"  # zero counts, so the others stand out
RENDER_FORMATS = ("svg", "png", "pdf")
SHORT_HASH = 8

_GRAPH_ATTR = {"fontname": "Helvetica", "labelloc": "t", "fontsize": "14",
               "compound": "true"}
_NODE_ATTR = {"shape": "box", "style": "rounded,filled", "fillcolor": NO_STATUS_COLOUR,
              "fontname": "Helvetica", "fontsize": "11"}
_EDGE_ATTR = {"fontname": "Helvetica", "fontsize": "10", "color": "#555555"}
_CLUSTER_ATTR = {"style": "rounded,dashed", "color": "#888888", "fontcolor": "#555555"}
_MORE_NODE = "more_tasks"


def grouped_dot(grouped, title=None, name="jug"):
    """A ``graphviz.Digraph`` of a :class:`jug.graph.grouping.GroupedGraph`."""
    from graphviz import escape

    nodes = []
    for index, group in enumerate(grouped.groups):
        attrs = {"label": _group_label(group), "tooltip": escape(group.name)}
        if group.counts is not None:
            attrs["fillcolor"] = STATE_COLOURS[group.state]
        nodes.append((f"n{index}", group.stage, attrs))
    edges = []
    for tail, head, count in grouped.edges:
        tooltip = (f"{grouped.groups[head].name} depends on {grouped.groups[tail].name}: "
                   f"{count} task {'dependency' if count == 1 else 'dependencies'}")
        edges.append((f"n{tail}", f"n{head}", {"label": str(count), "tooltip": escape(tooltip)}))
    return _digraph(name, title, nodes, edges, grouped.stage_count, grouped.stopped_at)


def full_dot(graph, tasks, states=None, stopped_at=None, title=None, name="jug"):
    """A ``graphviz.Digraph`` with one node per task in ``tasks`` (indices,
    in order); edges between them.  ``states`` as in
    :func:`jug.graph.compute_states`, or None for the structure only."""
    from graphviz import escape, nohtml

    kept = set(tasks)
    hashes = graph.hashes
    nodes = []
    edges = []
    for i in tasks:
        digest = hashes[i]
        task_name = escape(graph.name(i))
        attrs = {"label": nohtml(f"{task_name}\\n{digest[:SHORT_HASH]}"),
                 "tooltip": nohtml(f"{task_name} {digest}")}
        if states is not None:
            attrs["fillcolor"] = STATE_COLOURS[states[i]]
            attrs["tooltip"] = nohtml(f"{task_name} {digest} ({STATE_NAMES[states[i]].lower()})")
        nodes.append((digest, graph.stages[i], attrs))
        for dep in graph.dependencies(i):
            if dep in kept:
                edges.append((hashes[dep], digest, {}))
    return _digraph(name, title, nodes, edges, graph.stage_count(), stopped_at)


def _digraph(name, title, nodes, edges, stage_count, stopped_at):
    """Nodes ``(id, stage, attrs)`` (grouped in one cluster per stage when
    there are barriers), edges ``(tail, head, attrs)`` and the "more tasks"
    node."""
    import graphviz

    graph_attr = dict(_GRAPH_ATTR)
    if title:
        graph_attr["label"] = graphviz.escape(title)
    digraph = graphviz.Digraph(name=name, graph_attr=graph_attr, node_attr=_NODE_ATTR,
                               edge_attr=_EDGE_ATTR)
    clustered = stage_count > 1 or stopped_at is not None
    last_in_stage = {}
    if clustered:
        by_stage = {}
        for node_id, stage, attrs in nodes:
            by_stage.setdefault(stage, []).append((node_id, attrs))
        for stage in sorted(by_stage):
            with digraph.subgraph(name=f"cluster_stage{stage}") as cluster:
                cluster.attr(label=f"stage {stage}", **_CLUSTER_ATTR)
                for node_id, attrs in by_stage[stage]:
                    cluster.node(node_id, **attrs)
                    last_in_stage[stage] = node_id
    else:
        for node_id, _, attrs in nodes:
            digraph.node(node_id, **attrs)
    for tail, head, attrs in edges:
        digraph.edge(tail, head, **attrs)
    if stopped_at is not None:
        digraph.node(_MORE_NODE, label=graphviz.nohtml(f"more tasks after\\n"
                                                       f"{graphviz.escape(stopped_at)}"),
                     style="rounded,dashed", fillcolor=NO_STATUS_COLOUR)
        last_stage = stage_count - 1
        if last_stage in last_in_stage:
            digraph.edge(last_in_stage[last_stage], _MORE_NODE,
                         ltail=f"cluster_stage{last_stage}", style="dashed")
    return digraph


def _group_label(group):
    """The node label: the name, then the counts per state (an HTML-like
    table), or the task count without status."""
    from graphviz import escape, nohtml

    tasks = f"{group.size} task" + ("" if group.size == 1 else "s")
    if group.counts is None:
        return nohtml(f"{escape(group.name)}\\n{tasks}")
    heads = "".join(f'<TD><FONT POINT-SIZE="9">{state.lower()}</FONT></TD>'
                    for state in STATE_NAMES)
    zero = f'<TD><FONT COLOR="{ZERO_COLOUR}">0</FONT></TD>'
    values = "".join(f"<TD>{count}</TD>" if count else zero for count in group.counts)
    return ('<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">'
            f'<TR><TD COLSPAN="{len(STATE_NAMES)}"><B>{_html_text(group.name)}</B></TD></TR>'
            f"<TR>{heads}</TR><TR>{values}</TR></TABLE>>")


def _html_text(text):
    """``text`` for an HTML-like label: markup escaped, and backslashes
    doubled (Graphviz expands ``\\N``, ``\\G``... even there, and entities
    before that)."""
    return html.escape(text).replace("\\", "\\\\")


class GraphvizMissing(JugError):
    """Rendering needs Graphviz's ``dot`` program and it is not installed."""

    def __init__(self, file_format):
        super().__init__(
            f"jug graph: rendering {file_format.upper()} needs the Graphviz `dot` program, "
            "which is not on PATH; install Graphviz (apt-get install graphviz, "
            "brew install graphviz or conda install graphviz), or write DOT with --dot")


def check_renderer(file_format):
    """Raise :class:`GraphvizMissing` early, before any work, when
    ``file_format`` needs ``dot`` and it is not installed."""
    if file_format in RENDER_FORMATS and shutil.which("dot") is None:
        raise GraphvizMissing(file_format)


def render(digraph, file_format):
    """The bytes of ``digraph`` rendered by ``dot`` as ``file_format``
    (svg, png or pdf)."""
    import graphviz

    try:
        return digraph.pipe(format=file_format)
    except graphviz.ExecutableNotFound:
        raise GraphvizMissing(file_format) from None
    except graphviz.CalledProcessError as error:
        detail = (error.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        raise JugError(f"jug graph: Graphviz `dot` could not render {file_format.upper()}"
                       + (f": {detail[0]}" if detail else f" (exit {error.returncode})")) from None
