"""The helpers of `jug shell` (the IPython embedding itself is interactive)."""

from jug.compiler.trace import trace_jugfile
from jug.store import open_store
from jug.shell import shell_namespace

from jugtest import write


def test_shell_helpers(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    write(tmp_path / "shelljug.py", """
        from jug import TaskGenerator

        @TaskGenerator
        def double(x):
            return 2 * x

        a = double(1)
        b = double(a)
        c = double(5)
    """)
    store = open_store("dict_store")
    trace = trace_jugfile("shelljug.py", store, persistent=True)
    ns = shell_namespace(trace)
    assert len(ns["get_tasks"]()) == 3
    assert ns["get_filtered_tasks"](available=True) == [ns["a"], ns["c"]]
    for task in ns["get_tasks"]():
        task.run()
    assert ns["value"]([ns["a"], ns["b"]]) == [2, 4]
    ns["invalidate"](ns["a"])
    assert "Invalidated 2 results (2 tasks)" in capsys.readouterr().out
    assert ns["get_filtered_tasks"](loadable=True) == [ns["c"]]
    ns["load_all"]()
    assert "Error while loading a" in capsys.readouterr().out
