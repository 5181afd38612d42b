"""The task graph as networkx graphs, written as GraphML for analysis tools
(networkx, Gephi, yEd, igraph, Cytoscape).

* :func:`grouped_networkx`: nodes ``n0``, ``n1``, ... (one per task name and
  barrier stage) with attributes ``name``, ``stage``, ``tasks`` and, with
  status, ``state`` and one count per state (``waiting``, ``ready``,
  ``running``, ``finished``, ``failed``); edges with ``tasks``, the number of
  task dependencies they stand for.
* :func:`tasks_networkx`: :meth:`jug.graph.TaskGraph.to_networkx` (nodes are
  task indices with ``name``, ``hash``, ``stage``) plus ``state``.

GraphML cannot hold None: absent values are left out.
"""

from jug.graph import STATE_NAMES


def grouped_networkx(grouped, jugfile=None):
    """A ``networkx.DiGraph`` of a :class:`jug.graph.grouping.GroupedGraph`."""
    import networkx

    result = networkx.DiGraph()
    result.graph.update(_graph_attributes(jugfile, grouped.stopped_at, grouped.stage_count))
    for index, group in enumerate(grouped.groups):
        attrs = {"name": group.name, "stage": group.stage, "tasks": group.size}
        if group.counts is not None:
            attrs["state"] = STATE_NAMES[group.state].lower()
            attrs.update((state.lower(), count)
                         for state, count in zip(STATE_NAMES, group.counts))
        result.add_node(f"n{index}", **attrs)
    result.add_edges_from((f"n{tail}", f"n{head}", {"tasks": count})
                          for tail, head, count in grouped.edges)
    return result


def tasks_networkx(graph, tasks=None, states=None, stopped_at=None, jugfile=None):
    """A ``networkx.DiGraph`` of the tasks ``tasks`` (all when None), with
    a ``state`` attribute when ``states`` are given."""
    result = graph.to_networkx(nodes=tasks)
    result.graph.update(_graph_attributes(jugfile, stopped_at, graph.stage_count()))
    if states is not None:
        names = [state.lower() for state in STATE_NAMES]
        for node, attrs in result.nodes(data=True):
            attrs["state"] = names[states[node]]
    return result


def _graph_attributes(jugfile, stopped_at, stage_count):
    attrs = {"stages": stage_count}
    if jugfile is not None:
        attrs["jugfile"] = jugfile
    if stopped_at is not None:
        attrs["stopped_at"] = stopped_at
    return attrs


def graphml_bytes(nx_graph):
    """``nx_graph`` as GraphML (UTF-8 bytes)."""
    import io

    import networkx

    buffer = io.BytesIO()
    networkx.write_graphml(nx_graph, buffer)
    return buffer.getvalue()
