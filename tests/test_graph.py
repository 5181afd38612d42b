"""`jug graph`: the grouped and full views as DOT, rendered by Graphviz's
`dot`, selection, GraphML, and what happens without `dot`."""

import os
import re
import shutil
import subprocess
import sys

import pytest

from jugtest import REPO, copy_example, invoke, jug_env, run_jug, write

DOT = shutil.which("dot")
needs_dot = pytest.mark.skipif(DOT is None, reason="Graphviz `dot` is not installed "
                               "(apt-get install graphviz); rendering tests skipped")

SMALL_JUGFILE = """
    from jug import TaskGenerator

    @TaskGenerator
    def double(x):
        return 2 * x

    @TaskGenerator
    def total(values):
        return sum(values)

    @TaskGenerator
    def report(value, label):
        return f"{label}: {value}"

    doubled = [double(i) for i in range(4)]
    result = total(doubled)
    final = report(result, "sum")
"""

BARRIER_JUGFILE = """
    from jug import TaskGenerator, barrier, bvalue, value

    @TaskGenerator
    def double(x):
        return 2 * x

    @TaskGenerator
    def plus(a, b):
        return a + b

    first = [double(i) for i in range(6)]
    barrier()
    second = [plus(v, 1) for v in value(first) if v % 4 == 0]
    third = double(bvalue(plus(second, [])))
"""

MAPREDUCE_JUGFILE = """
    from jug import CompoundTask, TaskGenerator
    from jug.mapreduce import mapreduce

    def square(x):
        return x * x

    def add(a, b):
        return a + b

    @TaskGenerator
    def scale(x, factor):
        return x * factor

    def sum_of_squares(numbers):
        return mapreduce(add, square, numbers, map_step=4, reduce_step=2)

    total = CompoundTask(sum_of_squares, list(range(40)))
    scaled = scale(total, 2)
"""

# a task name with characters DOT and HTML-like labels treat specially
ODD_NAMES_JUGFILE = """
    from jug import Task

    def first(x):
        return 2 * x

    def second(x):
        return x + 1

    first.__name__ = '<b>first</b> & "co"'
    second.__name__ = "second:port\\\\N{x}\\\\"

    a = Task(first, 3)
    b = Task(second, a)
"""

WAITING, READY, RUNNING, FINISHED, FAILED = "#e0e0e0", "#fdd49e", "#9ecae1", "#a1d99b", "#fc9272"


def graph_dot(directory, *args, jugfile="jugfile.py"):
    """`jug graph JUGFILE --dot ARGS` run in this process: the DOT text."""
    return invoke("graph", jugfile, "--dot", *args, cwd=directory).stdout


def grouped_nodes(dot_source):
    """``{task name: ((waiting, ready, running, finished, failed), fill)}``
    of a grouped --dot output, plus ``"ids"``: node id -> name."""
    nodes = {}
    ids = {}
    for node_id, label, attrs in re.findall(r"^\t+(n\d+) \[label=<(.*)> (.*)\]$", dot_source,
                                            re.M):
        name = re.search(r"<B>(.*?)</B>", label).group(1)
        last_row = label.rsplit("<TR>", 1)[1]
        counts = tuple(int(c) for c in re.findall(r">(\d+)<", last_row))
        fill = re.search(r'fillcolor="(#\w+)"', attrs).group(1)
        nodes[name] = (counts, fill)
        ids[node_id] = name
    return nodes, ids


def grouped_edges(dot_source, ids):
    """``{(dependency name, dependent name): task-level edge count}``."""
    return {(ids[tail], ids[head]): int(count)
            for tail, head, count in re.findall(r"^\t+(n\d+) -> (n\d+) \[label=(\d+) ",
                                                dot_source, re.M)}


def render_or_skip(sources):
    """Render each DOT text with `dot` (after the test's other checks have
    passed), or skip saying why."""
    if DOT is None:
        pytest.skip("Graphviz `dot` is not installed (apt-get install graphviz): "
                    "rendering not checked")
    return [accepted_by_dot(source) for source in sources]


def accepted_by_dot(dot_source):
    proc = subprocess.run([DOT, "-Tsvg"], input=dot_source.encode(), capture_output=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout.startswith(b"<?xml") and b"<svg" in proc.stdout
    return proc.stdout.decode()


# -- the grouped view ----------------------------------------------------------

EXPECTED_SMALL_DOT = """\
digraph jugfile {
\tgraph [compound=true fontname=Helvetica fontsize=14 label="jugfile.py: 6 tasks (2 waiting, 4 ready)" labelloc=t]
\tnode [fillcolor="#ffffff" fontname=Helvetica fontsize=11 shape=box style="rounded,filled"]
\tedge [color="#555555" fontname=Helvetica fontsize=10]
\tn0 [label=<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1"><TR><TD COLSPAN="5"><B>jugfile.double</B></TD></TR><TR><TD><FONT POINT-SIZE="9">waiting</FONT></TD><TD><FONT POINT-SIZE="9">ready</FONT></TD><TD><FONT POINT-SIZE="9">running</FONT></TD><TD><FONT POINT-SIZE="9">finished</FONT></TD><TD><FONT POINT-SIZE="9">failed</FONT></TD></TR><TR><TD><FONT COLOR="#808080">0</FONT></TD><TD>4</TD><TD><FONT COLOR="#808080">0</FONT></TD><TD><FONT COLOR="#808080">0</FONT></TD><TD><FONT COLOR="#808080">0</FONT></TD></TR></TABLE>> fillcolor="#fdd49e" tooltip="jugfile.double"]
\tn1 [label=<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1"><TR><TD COLSPAN="5"><B>jugfile.total</B></TD></TR><TR><TD><FONT POINT-SIZE="9">waiting</FONT></TD><TD><FONT POINT-SIZE="9">ready</FONT></TD><TD><FONT POINT-SIZE="9">running</FONT></TD><TD><FONT POINT-SIZE="9">finished</FONT></TD><TD><FONT POINT-SIZE="9">failed</FONT></TD></TR><TR><TD>1</TD><TD><FONT COLOR="#808080">0</FONT></TD><TD><FONT COLOR="#808080">0</FONT></TD><TD><FONT COLOR="#808080">0</FONT></TD><TD><FONT COLOR="#808080">0</FONT></TD></TR></TABLE>> fillcolor="#e0e0e0" tooltip="jugfile.total"]
\tn2 [label=<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1"><TR><TD COLSPAN="5"><B>jugfile.report</B></TD></TR><TR><TD><FONT POINT-SIZE="9">waiting</FONT></TD><TD><FONT POINT-SIZE="9">ready</FONT></TD><TD><FONT POINT-SIZE="9">running</FONT></TD><TD><FONT POINT-SIZE="9">finished</FONT></TD><TD><FONT POINT-SIZE="9">failed</FONT></TD></TR><TR><TD>1</TD><TD><FONT COLOR="#808080">0</FONT></TD><TD><FONT COLOR="#808080">0</FONT></TD><TD><FONT COLOR="#808080">0</FONT></TD><TD><FONT COLOR="#808080">0</FONT></TD></TR></TABLE>> fillcolor="#e0e0e0" tooltip="jugfile.report"]
\tn0 -> n1 [label=4 tooltip="jugfile.total depends on jugfile.double: 4 task dependencies"]
\tn1 -> n2 [label=1 tooltip="jugfile.report depends on jugfile.total: 1 task dependency"]
}
"""

EXPECTED_SMALL_NO_STATUS_DOT = """\
digraph jugfile {
\tgraph [compound=true fontname=Helvetica fontsize=14 label="jugfile.py: 6 tasks" labelloc=t]
\tnode [fillcolor="#ffffff" fontname=Helvetica fontsize=11 shape=box style="rounded,filled"]
\tedge [color="#555555" fontname=Helvetica fontsize=10]
\tn0 [label="jugfile.double\\n4 tasks" tooltip="jugfile.double"]
\tn1 [label="jugfile.total\\n1 task" tooltip="jugfile.total"]
\tn2 [label="jugfile.report\\n1 task" tooltip="jugfile.report"]
\tn0 -> n1 [label=4 tooltip="jugfile.total depends on jugfile.double: 4 task dependencies"]
\tn1 -> n2 [label=1 tooltip="jugfile.report depends on jugfile.total: 1 task dependency"]
}
"""


def test_grouped_dot_of_a_small_jugfile_whole_output(tmp_path):
    write(tmp_path / "jugfile.py", SMALL_JUGFILE)
    run_jug("compile", "jugfile.py", cwd=tmp_path, check=0)
    assert graph_dot(tmp_path) == EXPECTED_SMALL_DOT
    assert graph_dot(tmp_path, "--no-status") == EXPECTED_SMALL_NO_STATUS_DOT


def test_grouped_counts_colours_and_edges_through_execute_and_invalidate(tmp_path):
    write(tmp_path / "jugfile.py", SMALL_JUGFILE)
    edges = {("jugfile.double", "jugfile.total"): 4, ("jugfile.total", "jugfile.report"): 1}

    run_jug("compile", "jugfile.py", cwd=tmp_path, check=0)
    nodes, ids = grouped_nodes(graph_dot(tmp_path))
    assert nodes == {"jugfile.double": ((0, 4, 0, 0, 0), READY),
                     "jugfile.total": ((1, 0, 0, 0, 0), WAITING),
                     "jugfile.report": ((1, 0, 0, 0, 0), WAITING)}

    run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, check=0)
    source = graph_dot(tmp_path)
    nodes, ids = grouped_nodes(source)
    assert nodes == {"jugfile.double": ((0, 0, 0, 4, 0), FINISHED),
                     "jugfile.total": ((0, 0, 0, 1, 0), FINISHED),
                     "jugfile.report": ((0, 0, 0, 1, 0), FINISHED)}
    assert grouped_edges(source, ids) == edges
    assert 'label="jugfile.py: 6 tasks (6 finished)"' in source

    run_jug("invalidate", "jugfile.py", "--name", "total", cwd=tmp_path, check=0)
    source = graph_dot(tmp_path)
    nodes, ids = grouped_nodes(source)
    assert nodes == {"jugfile.double": ((0, 0, 0, 4, 0), FINISHED),
                     "jugfile.total": ((0, 1, 0, 0, 0), READY),
                     "jugfile.report": ((1, 0, 0, 0, 0), WAITING)}
    assert grouped_edges(source, ids) == edges

    # a worker holds the lock of `total`: running
    from jug.store import open_store

    total_hash = invoke("compile", "jugfile.py", "--json", cwd=tmp_path).stdout
    import json

    total_hash = [t["hash"] for t in json.loads(total_hash)["tasks"]
                  if t["name"] == "jugfile.total"][0]
    with open_store(str(tmp_path / "jugfile.jugdata")) as store:
        assert store.lock(total_hash)
        nodes, _ = grouped_nodes(graph_dot(tmp_path))
        store.unlock(total_hash)
    assert nodes["jugfile.total"] == ((0, 0, 1, 0, 0), RUNNING)
    assert nodes["jugfile.report"] == ((1, 0, 0, 0, 0), WAITING)


def test_a_failed_task_colours_its_group_red(tmp_path):
    write(tmp_path / "jugfile.py", """
        from jug import TaskGenerator

        @TaskGenerator
        def check(x):
            if x == 2:
                raise ValueError("two")
            return x

        @TaskGenerator
        def total(values):
            return sum(values)

        checked = [check(i) for i in range(4)]
        result = total(checked)
    """)
    proc = run_jug("execute", "jugfile.py", "--will-cite", "--keep-going", "--keep-failed",
                   cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    nodes, _ = grouped_nodes(graph_dot(tmp_path))
    assert nodes == {"jugfile.check": ((0, 0, 0, 3, 1), FAILED),
                     "jugfile.total": ((1, 0, 0, 0, 0), WAITING)}


def test_barrier_stages_are_clusters_with_more_tasks_after_the_barrier(tmp_path):
    write(tmp_path / "jugfile.py", BARRIER_JUGFILE)
    run_jug("compile", "jugfile.py", cwd=tmp_path, check=0)
    source = graph_dot(tmp_path)
    drawn = [source]
    assert "subgraph cluster_stage0 {" in source and "cluster_stage1" not in source
    assert 'more_tasks [label="more tasks after\\nbarrier() at line 12"' in source
    assert re.search(r"^\tn0 -> more_tasks \[ltail=cluster_stage0 style=dashed\]$", source, re.M)
    nodes, _ = grouped_nodes(source)
    assert nodes == {"jugfile.double": ((0, 6, 0, 0, 0), READY)}

    run_jug("execute", "jugfile.py", "--will-cite", "--name", "double", cwd=tmp_path, check=0)
    source = graph_dot(tmp_path)
    drawn.append(source)
    assert "subgraph cluster_stage0 {" in source and "subgraph cluster_stage1 {" in source
    assert 'label="more tasks after\\nbvalue() at line 14"' in source
    nodes, ids = grouped_nodes(source)
    assert nodes == {"jugfile.double": ((0, 0, 0, 6, 0), FINISHED),
                     "jugfile.plus": ((1, 3, 0, 0, 0), READY)}
    assert grouped_edges(source, ids) == {("jugfile.plus", "jugfile.plus"): 3}
    plus = [node for node, name in ids.items() if name == "jugfile.plus"][0]
    assert re.search(rf"^\t{plus} -> more_tasks \[ltail=cluster_stage1 style=dashed\]$",
                     source, re.M)

    run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, check=0)
    source = graph_dot(tmp_path)
    assert "more_tasks" not in source and "subgraph cluster_stage2 {" in source
    nodes, _ = grouped_nodes(source)
    assert set(colour for _, colour in nodes.values()) == {FINISHED}
    render_or_skip(drawn + [source])


# -- the manual's examples render ----------------------------------------------

def example_dirs(tmp_path):
    """(directory, jugfile, env) of each manual example plus the mapreduce,
    barrier and odd-names jugfiles."""
    for name, jugfile in (("primes", "primes.py"), ("text", "jugfile.py"),
                          ("decrypt", "jugfile.py")):
        target = tmp_path / name
        copy_example(name, target)
        yield name, target, jugfile
    for name, text in (("mapreduce", MAPREDUCE_JUGFILE), ("barrier", BARRIER_JUGFILE),
                       ("odd_names", ODD_NAMES_JUGFILE)):
        write(tmp_path / name / "jugfile.py", text)
        yield name, tmp_path / name, "jugfile.py"


@needs_dot
def test_dot_output_of_the_examples_renders(tmp_path):
    env = jug_env(PRIMES_SLEEP=0, TEXT_SLEEP=0)
    for name, directory, jugfile in example_dirs(tmp_path):
        for args in ((), ("--full", "--max-nodes", "1000"), ("--no-status",)):
            proc = run_jug("graph", jugfile, "--dot", *args, cwd=directory, env=env, check=0)
            svg = accepted_by_dot(proc.stdout)
            assert "<title>" in svg, name


def test_mapreduce_and_compound_task_groups(tmp_path):
    write(tmp_path / "jugfile.py", MAPREDUCE_JUGFILE)
    run_jug("compile", "jugfile.py", cwd=tmp_path, check=0)
    nodes, ids = grouped_nodes(graph_dot(tmp_path))
    assert nodes == {
        "jug.mapreduce._jug_map_reduce": ((0, 10, 0, 0, 0), READY),
        "jug.mapreduce._jug_reduce": ((11, 0, 0, 0, 0), WAITING),
        "jug.compound.compound_task_execute": ((1, 0, 0, 0, 0), WAITING),
        "jugfile.scale": ((1, 0, 0, 0, 0), WAITING),
    }
    assert grouped_edges(graph_dot(tmp_path), ids) == {
        ("jug.mapreduce._jug_map_reduce", "jug.mapreduce._jug_reduce"): 10,
        ("jug.mapreduce._jug_reduce", "jug.mapreduce._jug_reduce"): 10,
        ("jug.mapreduce._jug_reduce", "jug.compound.compound_task_execute"): 1,
        ("jug.compound.compound_task_execute", "jugfile.scale"): 1,
    }


def test_names_are_escaped(tmp_path):
    write(tmp_path / "jugfile.py", ODD_NAMES_JUGFILE)
    run_jug("compile", "jugfile.py", cwd=tmp_path, check=0)
    source = graph_dot(tmp_path)
    assert ("<B>jugfile.&lt;b&gt;first&lt;/b&gt; &amp; &quot;co&quot;</B>" in source), source
    assert 'tooltip="jugfile.<b>first</b> & \\"co\\""' in source
    assert "<B>jugfile.second:port\\\\N{x}\\\\</B>" in source
    assert 'tooltip="jugfile.second:port\\\\N{x}\\\\"' in source
    full = graph_dot(tmp_path, "--full", "--no-status")
    assert 'label="jugfile.<b>first</b> & \\"co\\"\\n' in full, full
    for svg in render_or_skip([source, full]):  # the names are drawn as they are
        texts = re.findall(r"<text [^>]*>([^<]*)</text>", svg)
        assert "jugfile.&lt;b&gt;first&lt;/b&gt; &amp; &quot;co&quot;" in texts, texts
        assert "jugfile.second:port\\N{x}\\" in texts, texts


# -- the full view and selection -----------------------------------------------

def test_full_view_one_node_per_task(tmp_path):
    write(tmp_path / "jugfile.py", SMALL_JUGFILE)
    tasks = {t["hash"]: t for t in _manifest_tasks(tmp_path)}
    source = graph_dot(tmp_path, "--full")
    nodes = dict(re.findall(r'^\t"?([0-9a-f]{40})"? \[label="(.*?)" ', source, re.M))
    assert nodes == {h: f"{t['name']}\\n{h[:8]}" for h, t in tasks.items()}
    edges = set(re.findall(r'^\t"?([0-9a-f]{40})"? -> "?([0-9a-f]{40})"?$', source, re.M))
    assert edges == {(dep, h) for h, t in tasks.items() for dep in t["dependencies"]}
    assert source.count(f'fillcolor="{READY}"') == 4  # the four `double` tasks


def test_full_view_refuses_large_graphs_and_suggests_a_selection(tmp_path):
    write(tmp_path / "jugfile.py", SMALL_JUGFILE)
    run_jug("compile", "jugfile.py", cwd=tmp_path, check=0)
    result = invoke("graph", "jugfile.py", "--dot", "--full", "--max-nodes", "5", cwd=tmp_path,
                    expect=1)
    assert result.stdout == ""
    assert result.stderr == (
        "jug graph --full: 6 tasks are too many to draw one node each (the limit is 5); "
        "draw a part with --name NAME or --pattern PAT (what it depends on, or --downstream), "
        "the grouped view without --full, or raise the limit with --max-nodes 6\n")
    # a selection under the limit is drawn
    source = graph_dot(tmp_path, "--full", "--max-nodes", "5", "--name", "total")
    assert source.count("\\n") == 5 and "jugfile.report" not in source


def test_selection_upstream_and_downstream(tmp_path):
    write(tmp_path / "jugfile.py", SMALL_JUGFILE)
    run_jug("compile", "jugfile.py", cwd=tmp_path, check=0)
    nodes, _ = grouped_nodes(graph_dot(tmp_path, "--name", "total"))
    assert set(nodes) == {"jugfile.double", "jugfile.total"}
    source = graph_dot(tmp_path, "--name", "total", "--downstream")
    nodes, ids = grouped_nodes(source)
    assert set(nodes) == {"jugfile.total", "jugfile.report"}
    assert grouped_edges(source, ids) == {("jugfile.total", "jugfile.report"): 1}
    assert 'label="jugfile.py: 2 of 6 tasks selected (2 waiting)"' in source
    nodes, _ = grouped_nodes(graph_dot(tmp_path, "--pattern", "/rep.rt/"))
    assert set(nodes) == {"jugfile.double", "jugfile.total", "jugfile.report"}
    result = invoke("graph", "jugfile.py", "--dot", "--name", "nothing", cwd=tmp_path, expect=1)
    assert result.stderr == ("jug graph: no task matches --name 'nothing' (task names: "
                             "jugfile.double, jugfile.report, jugfile.total)\n")
    result = invoke("graph", "jugfile.py", "--dot", "--downstream", cwd=tmp_path, expect=2)
    assert "--downstream needs --name NAME or --pattern PAT" in result.stderr


# -- where the drawing goes ----------------------------------------------------

@needs_dot
def test_default_writes_the_dot_file_and_a_png_next_to_the_jugfile(tmp_path):
    write(tmp_path / "work" / "analysis.py", SMALL_JUGFILE)
    result = invoke("graph", "work/analysis.py", cwd=tmp_path)
    assert result.stdout == (
        "Wrote work/analysis.dot (DOT: 3 task-name nodes, 2 edges, 6 tasks).\n"
        "Wrote work/analysis.png (PNG: 3 task-name nodes, 2 edges, 6 tasks).\n")
    text = (tmp_path / "work" / "analysis.dot").read_text()
    assert text.startswith("digraph analysis {\n") and "analysis.double" in text
    assert (tmp_path / "work" / "analysis.png").read_bytes().startswith(b"\x89PNG")
    invoke("graph", "work/analysis.py", "--format", "svg", cwd=tmp_path)
    assert (tmp_path / "work" / "analysis.svg").read_bytes().startswith(b"<?xml")


def test_default_without_graphviz_says_so_as_the_original(differential):
    scenario = differential.scenario({"jugfile.py": SMALL_JUGFILE})
    outcomes = scenario.run("graph", "jugfile.py", env={"PATH": os.path.dirname(sys.executable)})
    for label, outcome in outcomes.items():
        assert outcome.returncode == 0, outcome
        assert outcome.stderr.endswith(
            "Couldn't render graph file. Is graphviz installed?\nYou will have to manually "
            "render the dotfile: jugfile.dot\n"), outcome
        assert (scenario.dirs[label] / "jugfile.dot").exists()
        assert not (scenario.dirs[label] / "jugfile.png").exists()


@needs_dot
def test_output_extension_chooses_the_format(tmp_path):
    write(tmp_path / "jugfile.py", SMALL_JUGFILE)
    run_jug("compile", "jugfile.py", cwd=tmp_path, check=0)
    magic = {"svg": b"<?xml", "png": b"\x89PNG", "pdf": b"%PDF", "dot": b"digraph"}
    for extension, start in magic.items():
        result = invoke("graph", "jugfile.py", "-o", f"out.{extension}", cwd=tmp_path)
        assert result.stdout.startswith(f"Wrote out.{extension} ({extension.upper()}: ")
        assert (tmp_path / f"out.{extension}").read_bytes().startswith(start)
    invoke("graph", "jugfile.py", "-o", "picture.img", "--format", "png", cwd=tmp_path)
    assert (tmp_path / "picture.img").read_bytes().startswith(b"\x89PNG")
    result = invoke("graph", "jugfile.py", "--format", "svg", "-o", "-", cwd=tmp_path)
    assert result.stdout.startswith("<?xml") and "jugfile.double" in result.stdout
    result = invoke("graph", "jugfile.py", "-o", "picture.img", cwd=tmp_path, expect=1)
    assert "cannot tell the format of 'picture.img'" in result.stderr
    assert "say it with --format" in result.stderr
    result = invoke("graph", "jugfile.py", "-o", "no/such/dir/out.svg", cwd=tmp_path, expect=1)
    assert result.stderr == ("jug graph: cannot write no/such/dir/out.svg: "
                             "No such file or directory\n")
    result = invoke("graph", "jugfile.py", "--dot", "-o", "out.svg", cwd=tmp_path, expect=2)
    assert "--dot writes to standard output" in result.stderr


def test_missing_dot_is_one_line_and_dot_output_still_works(tmp_path, monkeypatch):
    write(tmp_path / "jugfile.py", SMALL_JUGFILE)
    run_jug("compile", "jugfile.py", cwd=tmp_path, check=0)
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    result = invoke("graph", "jugfile.py", "-o", "out.svg", cwd=tmp_path, expect=1)
    assert result.stderr == (
        "jug graph: rendering SVG needs the Graphviz `dot` program, which is not on PATH; "
        "install Graphviz (apt-get install graphviz, brew install graphviz or conda install "
        "graphviz), or write DOT with --dot\n")
    assert not (tmp_path / "out.svg").exists()
    assert graph_dot(tmp_path) == EXPECTED_SMALL_DOT


def test_graphml_grouped_and_full(tmp_path):
    import io

    import networkx

    write(tmp_path / "jugfile.py", SMALL_JUGFILE)
    run_jug("execute", "jugfile.py", "--will-cite", "--name", "double", cwd=tmp_path, check=0)
    result = invoke("graph", "jugfile.py", "--format", "graphml", cwd=tmp_path)
    grouped = networkx.read_graphml(io.BytesIO(result.stdout.encode()))
    by_name = {attrs["name"]: attrs for _, attrs in grouped.nodes(data=True)}
    assert by_name["jugfile.double"] == {"name": "jugfile.double", "stage": 0, "tasks": 4,
                                         "state": "finished", "waiting": 0, "ready": 0,
                                         "running": 0, "finished": 4, "failed": 0}
    assert by_name["jugfile.total"]["state"] == "ready"
    edges = {(grouped.nodes[a]["name"], grouped.nodes[b]["name"]): attrs["tasks"]
             for a, b, attrs in grouped.edges(data=True)}
    assert edges == {("jugfile.double", "jugfile.total"): 4,
                     ("jugfile.total", "jugfile.report"): 1}
    assert (grouped.graph["stages"], grouped.graph["jugfile"]) == (1, "jugfile.py")

    result = invoke("graph", "jugfile.py", "--full", "--no-status", "-o", "tasks.graphml",
                    cwd=tmp_path)
    assert result.stdout.startswith("Wrote tasks.graphml (GRAPHML: 6 nodes, 5 edges).")
    tasks = networkx.read_graphml(tmp_path / "tasks.graphml")
    assert networkx.is_directed_acyclic_graph(tasks) and len(tasks) == 6
    assert sorted(attrs["name"] for _, attrs in tasks.nodes(data=True)) == \
        ["jugfile.double"] * 4 + ["jugfile.report", "jugfile.total"]
    assert all("state" not in attrs for _, attrs in tasks.nodes(data=True))


def test_to_networkx_of_a_selection(tmp_path):
    from jug.graph import TaskGraphBuilder

    builder = TaskGraphBuilder()
    #   a   b
    #    \ / \
    #     c   d
    builder.add("a" * 40, "f.a", [])
    builder.add("b" * 40, "f.b", [])
    builder.add("c" * 40, "f.c", ["a" * 40, "b" * 40])
    builder.add("d" * 40, "f.d", ["b" * 40])
    graph = builder.build()
    whole = graph.to_networkx()
    assert sorted(whole.edges) == [(0, 2), (1, 2), (1, 3)]
    assert whole.nodes[3] == {"name": "f.d", "hash": "d" * 40, "stage": 0}
    part = graph.to_networkx(nodes=[1, 3])
    assert sorted(part.nodes) == [1, 3] and sorted(part.edges) == [(1, 3)]


def test_graph_command_module_imports_neither_graphviz_nor_networkx():
    import sys

    script = ("import sys, jug.cli.graph, jug.project.draw; "
              "print(sorted(m for m in ('graphviz', 'networkx') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", script], env=jug_env(), capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def _manifest_tasks(directory):
    import json

    return json.loads(invoke("compile", "jugfile.py", "--json", cwd=directory).stdout)["tasks"]


def test_select_tasks_follows_dependencies_or_dependents():
    #   f.a   f.b
    #     \   / \
    #      f.c   g.d
    #        \
    #        g.e
    from jug.graph import TaskGraphBuilder, select_tasks

    builder = TaskGraphBuilder()
    for letter, name, deps in (("a", "f.a", ""), ("b", "f.b", ""), ("c", "f.c", "ab"),
                               ("d", "g.d", "b"), ("e", "g.e", "c")):
        builder.add(letter * 40, name, [d * 40 for d in deps])
    graph = builder.build()
    assert select_tasks(graph, lambda name: name == "f.c", downstream=False) == [0, 1, 2]
    assert select_tasks(graph, lambda name: name == "f.c", downstream=True) == [2, 4]
    assert select_tasks(graph, lambda name: name.startswith("g."), downstream=False) == [0, 1, 2, 3, 4]
    assert select_tasks(graph, lambda name: name == "f.b", downstream=True) == [1, 2, 3, 4]
    assert select_tasks(graph, lambda name: False, downstream=True) == []


def test_reverse_edges_computed_or_given_are_the_same():
    #   a   b
    #    \ / \
    #     c   d
    from array import array

    from jug.graph import TaskGraph, TaskGraphBuilder

    builder = TaskGraphBuilder()
    for letter, deps in (("a", ""), ("b", ""), ("c", "ab"), ("d", "b")):
        builder.add(letter * 40, f"f.{letter}", [d * 40 for d in deps])
    computed = builder.build()
    assert list(computed.rev_indptr) == [0, 1, 3, 3, 3]
    assert list(computed.rev_indices) == [2, 2, 3]
    given = TaskGraph(computed.hashes, computed.names, computed.name_ids, computed.stages,
                      computed.dep_indptr, computed.dep_indices,
                      array("i", [0, 1, 3, 3, 3]), array("i", [2, 2, 3]))
    assert [list(given.dependents(i)) for i in range(4)] == [[2], [2, 3], [], []]
    assert given.index_of("d" * 40) == 3 and given.index_of("e" * 40) is None


def test_build_graph_keeps_the_first_of_tasks_created_twice_and_refuses_unknown_dependencies():
    import pytest

    from jug import TaskGenerator
    from jug.compiler.trace import _build_graph_deduplicating, build_graph
    from jug.context import JugContext, using_context
    from jug.errors import GraphError

    @TaskGenerator
    def f(*args):
        return args

    with using_context(JugContext()) as context:
        a, b = f(1), f(2)
        c = f(a, b, a)
        d = f([b, c], "x")
    graph, tasks = build_graph(context.tasks)  # the comprehension way
    same, _ = _build_graph_deduplicating(tuple(context.tasks))  # the loop
    for built in (graph, same):
        assert list(built.hashes) == [t.key for t in (a, b, c, d)]
        assert [list(built.dependencies(i)) for i in range(4)] == [[], [], [0, 1], [1, 2]]
        assert list(built.stages) == [0] * 4 and list(built.names) == [f"{__name__}.f"]
    assert tasks == (a, b, c, d)

    with using_context(JugContext()) as context:
        a, again, b = f(1), f(1), f(a)
    graph, tasks = build_graph(context.tasks)
    assert tasks == (a, b) and [list(graph.dependencies(i)) for i in range(2)] == [[], [0]]

    with using_context(JugContext()) as context:
        a = f(1)
        b = f(a)
        context.tasks.remove(a)  # b's dependency is not in the graph
    with pytest.raises(GraphError, match="never created"):
        build_graph(context.tasks)


def test_build_graph_writes_the_same_columns_as_the_general_builder():
    # build_graph writes runs of one name or stage, and the tasks without
    # dependencies between two with, a run at a time: every shape must give
    # the columns of the task-by-task builder
    from jug import TaskGenerator
    from jug.compiler.trace import _build_graph_deduplicating, build_graph
    from jug.context import JugContext, using_context

    @TaskGenerator
    def leaf(i):
        return i

    @TaskGenerator
    def pair(a, b):
        return a, b

    @TaskGenerator
    def total(values):
        return values

    def same_columns(tasks):
        fast, kept = build_graph(tasks)
        general, _ = _build_graph_deduplicating(tuple(tasks))
        assert kept == tuple(tasks)
        assert list(fast.hashes) == list(general.hashes) == [t.key for t in tasks]
        assert list(fast.names) == list(general.names)
        for column in ("name_ids", "stages", "dep_indptr", "dep_indices"):
            assert list(getattr(fast, column)) == list(getattr(general, column)), column

    shapes = {
        "a map and its reduce": lambda: total([leaf(i) for i in range(100)]),
        "leaves only": lambda: [leaf(i) for i in range(50)],
        "no task": lambda: None,
        "interleaved names": lambda: [pair(leaf(i), i) for i in range(100)],
        "dependencies first and last": lambda: [pair(leaf(0), 0), *map(leaf, range(1, 40)),
                                                total([leaf(-1), leaf(-2)])],
        "reversed reduce": lambda: total([leaf(i) for i in range(30)][::-1]),
    }
    for shape, make in shapes.items():
        with using_context(JugContext()) as context:
            make()
            same_columns(context.tasks)
    with using_context(JugContext()) as context:  # stages, as barriers make them
        first = [leaf(i) for i in range(40)]
        context.stage = 1
        middle = total(first)
        context.stage = 2
        [pair(middle, i) for i in range(40)]
        same_columns(context.tasks)
