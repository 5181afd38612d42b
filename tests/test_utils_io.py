"""jug.utils, jug.io and jug.hooks.exit_checks through real jugfiles."""

import json
import os
import re

import yaml

from jugtest import run_jug, write


def test_write_task_out_json_yaml_and_numpy(tmp_path):
    write(tmp_path / "jugfile.py", """
        import numpy as np
        from jug import TaskGenerator
        from jug.io import write_task_out, write_metadata

        @TaskGenerator
        def make(n):
            return np.arange(n)

        @TaskGenerator
        def label(x):
            return {"sum": int(x.sum())}

        arr = make(4)
        info = label(arr)
        write_task_out(arr, "arr.npy", "arr.meta.json", "json")
        write_task_out(info, "info.pkl", "info.meta.yaml")
        write_metadata(info, "only.meta.yaml")
    """)
    run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, check=0)
    import numpy as np
    import pickle

    assert np.load(tmp_path / "arr.npy").tolist() == [0, 1, 2, 3]
    with open(tmp_path / "info.pkl", "rb") as handle:
        assert pickle.load(handle) == {"sum": 6}
    meta = json.loads((tmp_path / "arr.meta.json").read_text())
    assert meta["name"] == "jugfile.make" and meta["args"] == [4]
    assert meta["meta"]["computed"] is True
    for name in ("info.meta.yaml", "only.meta.yaml"):
        meta = yaml.safe_load((tmp_path / name).read_text())
        assert meta["name"] == "jugfile.label" and meta["args"][0]["name"] == "jugfile.make"


def test_jug_execute_run_after_and_check_exit(tmp_path):
    write(tmp_path / "jugfile.py", """
        from jug import TaskGenerator
        from jug.utils import jug_execute

        @TaskGenerator
        def produce(path):
            with open(path, "w") as out:
                out.write("data")
            return path

        token = produce("made.txt")
        copied = jug_execute(["cp", "made.txt", "copy.txt"], run_after=token, return_value="ok")
    """)
    run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, check=0)
    assert (tmp_path / "copy.txt").read_text() == "data"
    write(tmp_path / "failing.py", """
        from jug.utils import jug_execute
        bad = jug_execute(["false"])
        ignored = jug_execute(["false"], check_exit=False, return_value=7)
    """)
    proc = run_jug("execute", "failing.py", "--will-cite", "--keep-going", cwd=tmp_path, check=1)
    assert "Command ['false'] failed with exit code 1" in proc.stderr
    assert "1 tasks failed" in proc.stderr


def test_cached_glob_and_identity_dependency(tmp_path):
    write(tmp_path / "data" / "b.txt", "bb")
    write(tmp_path / "data" / "a.txt", "a")
    write(tmp_path / "jugfile.py", """
        from jug import TaskGenerator
        from jug.utils import cached_glob, identity

        def value_after(val, token):
            return identity([val, token])[0]

        @TaskGenerator
        def size(path):
            return len(open(path).read())

        @TaskGenerator
        def report(sizes, name):
            with open(name, "w") as out:
                out.write(repr(sizes))

        files = cached_glob("data/*.txt")
        sizes = [size(f) for f in files]
        report(sizes, value_after("report.txt", sizes[0]))
    """)
    proc = run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, check=0)
    assert (tmp_path / "report.txt").read_text() == "[1, 2]"
    assert re.search(r"jug\.utils\.glob_sort", run_jug("status", "jugfile.py", cwd=tmp_path,
                                                     check=0).stdout)
    assert "identity" in proc.stdout


def test_exit_hooks_registered_in_the_jugfile(tmp_path):
    write(tmp_path / "jugfile.py", """
        from jug import TaskGenerator
        from jug.hooks.exit_checks import exit_after_n_tasks

        exit_after_n_tasks(2)

        @TaskGenerator
        def f(x):
            return x

        values = [f(i) for i in range(5)]
    """)
    run_jug("compile", "jugfile.py", cwd=tmp_path, check=0)
    # the worker does not run the jugfile: the manifest carries its hooks
    run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, check=0)
    status = run_jug("status", "jugfile.py", "--short", cwd=tmp_path, check=1)
    assert "2 complete" in status.stdout


def test_hooks_belong_to_the_context_that_traced_the_jugfile(tmp_path):
    from jug.compiler.trace import trace_jugfile
    from jug.context import JugContext, using_context
    from jug.hooks import has_hooks, jug_hook
    from jug.store import open_store

    jugfile = write(tmp_path / "jugfile.py", """
        from jug.hooks import register_hook

        register_hook("execute.finished_pre_status", lambda: "from the jugfile")
    """)
    outer = JugContext(store=open_store("dict_store"))
    with using_context(outer):
        trace = trace_jugfile(jugfile, outer.store)
        assert trace.context is not outer and trace.context.hooks is outer.hooks
        assert jug_hook("execute.finished_pre_status") == ["from the jugfile"]
    with using_context(JugContext()):  # another program's context: no hooks
        assert not has_hooks("execute.finished_pre_status")
    assert outer.hooks.has("execute.finished_pre_status")


def test_sync_move(tmp_path):
    from jug.utils import sync_move

    (tmp_path / "a").write_text("x")
    sync_move(str(tmp_path / "a"), str(tmp_path / "b"))
    assert not os.path.exists(tmp_path / "a") and (tmp_path / "b").read_text() == "x"
