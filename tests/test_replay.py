"""The parts of "what a task sees": recording what a top level changed,
replaying it and undoing it, carrying modules in the payload, deciding when
workers must run the top level, and `jug execute --run-jugfile`."""

import os
import sys

import pytest

from jugtest import jug_env, run_jug, write


def test_path_edits_turn_one_list_into_the_other_and_apply_elsewhere():
    from jug.compiler.replay import apply_path_edits, path_edits

    before = ["/jug", "/stdlib", "/site"]
    cases = [
        ["lib", "/jug", "/stdlib", "/site"],            # sys.path.insert(0, ...)
        ["/jug", "/stdlib", "/site", "extra"],          # append
        ["/jug", "/site"],                              # remove
        ["/jug", "/other", "/site"],                    # replace
        ["lib", "/jug", "/stdlib", "lib", "/site"],     # a duplicate
    ]
    for after in cases:
        edits = path_edits(before, after)
        replayed = list(before)
        apply_path_edits(replayed, edits)
        assert replayed == after, (after, edits)
    # in a worker whose sys.path has one more entry the edits still apply
    elsewhere = ["/venv-bin", "/jug", "/stdlib", "/site"]
    apply_path_edits(elsewhere, path_edits(before, cases[0]))
    assert elsewhere == ["/venv-bin", "lib", "/jug", "/stdlib", "/site"]


@pytest.fixture
def pristine_process(tmp_path, monkeypatch):
    """Whatever a test changes in the process is put back afterwards."""
    import decimal
    import random
    import warnings

    from jug.compiler.replay import ProcessSnapshot

    monkeypatch.chdir(tmp_path)
    snapshot = ProcessSnapshot.capture(watches=False)
    context = decimal.getcontext().copy()
    with warnings.catch_warnings():
        yield snapshot
    snapshot.restore()
    decimal.setcontext(context)
    random.seed()


def _top_level():
    import decimal
    import random
    import warnings

    os.environ["REPLAY_TEST_MODE"] = "on"
    sys.path.insert(0, "replay-test-lib")
    os.makedirs("inner", exist_ok=True)
    os.chdir("inner")
    sys.setrecursionlimit(4321)
    warnings.simplefilter("error")
    decimal.getcontext().prec = 33
    random.seed(5)


def test_changes_are_recorded_replayed_and_undone(pristine_process):
    import decimal
    import random
    import warnings

    from jug.compiler.replay import ProcessSnapshot, Replay, record_changes

    before = ProcessSnapshot.capture()
    _top_level()
    expected_draw = random.Random(5).random()
    changes, values = record_changes(before, "jugfile.py")
    assert ("REPLAY_TEST_MODE", "on") in changes.environ
    assert ("insert", "replay-test-lib", before.path[0]) in changes.path_edits
    assert changes.cwd == os.path.join(before.cwd, "inner")
    names = [name for name, _ in values]
    assert names == ["sys.setrecursionlimit", "warnings filters", "decimal context",
                     "random (global generator state)"]
    assert not changes.top_level
    before.restore()  # as a fresh worker
    assert os.getcwd() == before.cwd and "REPLAY_TEST_MODE" not in os.environ
    assert sys.getrecursionlimit() != 4321 and decimal.getcontext().prec != 33

    replay = Replay(changes, "jugfile.py", ["jugfile.py"])
    replay.apply_process()
    replay.apply_settings(values)
    assert os.environ["REPLAY_TEST_MODE"] == "on" and "replay-test-lib" in sys.path
    assert os.getcwd() == os.path.join(before.cwd, "inner")
    assert sys.getrecursionlimit() == 4321 and decimal.getcontext().prec == 33
    assert warnings.filters[0][0] == "error"
    assert random.random() == expected_draw
    replay.restore()
    assert os.getcwd() == before.cwd and "REPLAY_TEST_MODE" not in os.environ
    assert sys.getrecursionlimit() != 4321 and decimal.getcontext().prec != 33
    assert sys.argv == before.argv


def test_an_unseeded_numpy_generator_is_not_recorded():
    pytest.importorskip("numpy")
    import subprocess

    script = """
from jug.compiler.replay import ProcessSnapshot, record_changes
before = ProcessSnapshot.capture()
import numpy as np
np.random.default_rng(1).random()
np.random.random()  # drawn from the system's entropy: every trace would differ
print(sorted(dict(record_changes(before, "jugfile.py")[1])))
np.random.seed(7)
print(sorted(dict(record_changes(before, "jugfile.py")[1])))
"""
    proc = subprocess.run([sys.executable, "-c", script], env=jug_env(), capture_output=True,
                          text=True, timeout=60)
    assert proc.stdout.splitlines() == ["[]", "['numpy.random (global generator state)']"], proc


def test_a_change_nothing_can_replay_is_a_reason_to_run_the_top_level(pristine_process):
    import logging

    from jug.compiler.replay import ProcessSnapshot, record_changes

    before = ProcessSnapshot.capture()
    root = logging.getLogger()
    handler = logging.NullHandler()
    root.addHandler(handler)
    try:
        changes, _ = record_changes(before, "jugfile.py")
    finally:
        root.removeHandler(handler)
    assert [r.what for r in changes.top_level] == [
        "the top level changed the logging configuration (handlers, level or disable() of "
        "the root logger), which cannot be replayed"]


@pytest.mark.parametrize("name, kind", [
    ("matplotlib.use", "configures"),
    ("logging.basicConfig", "configures"),
    ("locale.setlocale", "configures"),
    ("os.putenv", "configures"),
    ("builtins.exec", "configures"),
    ("os.environ.setdefault", "replayed"),
    ("sys.path.insert", "replayed"),
    ("numpy.seterr", "replayed"),
    ("numpy.arange", "safe"),
    ("pandas.read_csv", "safe"),
    ("os.path.join", "safe"),
    ("collections.OrderedDict", "safe"),
    ("config.setup", "safe"),
    ("jug.barrier", "safe"),
    ("somelib.configure", "unknown"),
])
def test_top_level_calls_are_classified(name, kind):
    from jug.compiler.toplevel import classify

    assert classify(name, {"config"}).kind == kind


def test_calling_a_class_of_another_package_configures_nothing(monkeypatch):
    import types

    from jug.compiler.toplevel import classify

    module = types.ModuleType("somelib")
    module.Client = type("Client", (), {})
    module.connect = lambda: None
    monkeypatch.setitem(sys.modules, "somelib", module)
    assert classify("somelib.Client", set()).kind == "safe"
    assert classify("somelib.connect", set()).kind == "unknown"


def test_only_calls_made_while_importing_are_reasons(tmp_path):
    from jug.compiler.toplevel import unreplayable_calls

    path = write(tmp_path / "jugfile.py", """
        import matplotlib
        from jug import TaskGenerator

        @TaskGenerator
        def plot(values):
            matplotlib.use("Agg")   # inside a task: what the original does too
            return values

        def configure():
            matplotlib.rcParams["font.size"] = 8

        configure()
        figure = plot([1])
    """)
    reasons = unreplayable_calls(path, {}, "jugfile")
    assert [(r.line, r.what.split(",")[0]) for r in reasons] == [
        (10, "assigns to matplotlib.rcParams")]


def test_a_jugfile_of_the_standard_library_is_not_analysed(tmp_path):
    from jug.compiler.toplevel import _worth_analysing

    plain = write(tmp_path / "plain.py", """
        import os, sys, glob
        import numpy as np
        from jug import TaskGenerator
        os.environ["X"] = "1"
        sys.path.insert(0, "lib")
        files = sorted(glob.glob("*.txt"))
        data = np.arange(3)
    """)
    assert not _worth_analysing([plain], {"plain"})
    for text in ("import logging\nlogging.basicConfig()\n", "import somelib\n",
                 "from os import putenv\nputenv('A', 'b')\n", "import sys\nsys.stdout = None\n",
                 "exec('x = 1')\n"):
        path = write(tmp_path / "other.py", text)
        assert _worth_analysing([path], {"other"}), text


def _payload_round_trip(tmp_path, jugfile_text, modules=None):
    """Trace ``jugfile_text`` here, encode its payload, forget the modules,
    decode it: ``(payload, encoded, the rebuilt jugfile module)``."""
    from jug.compiler.build import process_changes
    from jug.compiler.freshness import user_modules
    from jug.compiler.manifest import decode_payload, encode_payload
    from jug.compiler.trace import trace_jugfile
    from jug.store.memory_store import MemoryStore

    for name, text in (modules or {}).items():
        write(tmp_path / f"{name}.py", text)
    path = write(tmp_path / "replayjug.py", jugfile_text)
    before = set(sys.modules)
    store = MemoryStore()
    trace = trace_jugfile(path, store)
    local = user_modules(path, before)
    _, settings = process_changes(trace, local)
    encoded = encode_payload(trace.module, trace.tasks, trace.graph, local, (), settings,
                             store=store)
    trace.before.restore()
    for name in ["replayjug", *local]:
        sys.modules.pop(name, None)
    payload, _ = decode_payload(encoded.data, trace.graph, store)
    return payload, encoded, sys.modules["replayjug"]


def test_carried_functions_share_their_modules_namespace(tmp_path, pristine_process):
    payload, encoded, module = _payload_round_trip(tmp_path, """
        import functools
        import settingsmod
        from jug import TaskGenerator
        COUNT = 1

        @functools.lru_cache(maxsize=None)
        def cached(x):
            return x * COUNT

        @TaskGenerator
        def bump():
            global COUNT
            COUNT += 1
            return settingsmod.read() + cached(2)

        t = bump()
        settingsmod.VALUE = 40
        COUNT = 10
    """, {"settingsmod": "VALUE = 0\n\ndef read():\n    return VALUE\n"})
    try:
        function = payload.functions[0]
        assert function.__globals__ is vars(module)  # not a copy of the names it uses
        assert sys.modules["settingsmod"].read.__globals__ is vars(sys.modules["settingsmod"])
        assert payload.call(0).compute() == 40 + 22 and module.COUNT == 11
        assert module.t.key == payload_task_key(payload)  # a stub of the task
        assert encoded.not_carried == () and encoded.top_level == ()
    finally:
        sys.modules.pop("replayjug", None)
        sys.modules.pop("settingsmod", None)


def payload_task_key(payload):
    return payload.call(0) and sys.modules["replayjug"].t.key


def test_an_unpicklable_global_is_left_out_unless_code_uses_it(tmp_path, pristine_process):
    _, encoded, module = _payload_round_trip(tmp_path, """
        import threading
        from jug import TaskGenerator
        unused = threading.Lock()
        LOCK = threading.Lock()

        @TaskGenerator
        def locked(x):
            with LOCK:
                return x
        t = locked(1)
    """)
    try:
        assert [name for name, _ in encoded.not_carried] == ["replayjug.unused"]
        assert [r.what.split(" (")[0] for r in encoded.top_level] == [
            "replayjug.LOCK cannot be pickled"]
        assert not hasattr(module, "unused")
    finally:
        sys.modules.pop("replayjug", None)


def test_collections_of_tasks_no_code_names_are_decoded_when_read(tmp_path, pristine_process):
    payload, _, module = _payload_round_trip(tmp_path, """
        from jug import TaskGenerator

        @TaskGenerator
        def square(x):
            return x * x

        @TaskGenerator
        def total(values):
            return sum(values)

        class Point:
            def __init__(self, x):
                self.x = x

        squares = [square(i) for i in range(5)]       # no code names it
        used = [square(i) for i in range(3)]          # a task's argument: decoded anyway
        result = total(used)
        origin = Point(0)                             # data of the module's own class
        table = {"square": square, "Point": Point}    # its code, by name

        @TaskGenerator
        def peek():
            import replayjug
            return len(getattr(replayjug, "squa" + "res"))
        p = peek()
    """)
    try:
        assert "squares" not in vars(module) and "used" in vars(module)
        assert [t.key for t in module.squares] == [t.key for t in module.squares]
        assert len(module.squares) == 5 and "squares" in vars(module)
        assert type(module.origin) is module.Point and module.origin.x == 0
        assert module.table == {"square": module.square, "Point": module.Point}
        assert payload.call(len(payload) - 1).compute() == 5
    finally:
        sys.modules.pop("replayjug", None)


COUNTED = """
    with open("top-level-runs.txt", "a") as log:
        log.write("x\\n")
    from jug import TaskGenerator

    @TaskGenerator
    def double(x):
        return 2 * x

    r = [double(i) for i in range(3)]
"""


def _runs(directory):
    return len((directory / "top-level-runs.txt").read_text().split())


def test_run_jugfile_runs_the_top_level_once_per_worker(tmp_path):
    write(tmp_path / "jugfile.py", COUNTED)
    run_jug("compile", "jugfile.py", cwd=tmp_path, check=0)
    assert _runs(tmp_path) == 1
    run_jug("execute", "jugfile.py", "--will-cite", "--run-jugfile", cwd=tmp_path, check=0)
    assert _runs(tmp_path) == 2
    run_jug("invalidate", "jugfile.py", "--target", "double", cwd=tmp_path, check=0)
    run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, check=0)
    assert _runs(tmp_path) == 2  # replayed, not run
    run_jug("invalidate", "jugfile.py", "--target", "double", cwd=tmp_path, check=0)
    run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, check=0,
            env=jug_env(JUG_EXECUTE_RUN_JUGFILE="1"))
    assert _runs(tmp_path) == 3
    write(tmp_path / ".jugrc", "[execute]\nrun-jugfile=true\n")
    run_jug("invalidate", "jugfile.py", "--target", "double", cwd=tmp_path, check=0)
    proc = run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, check=0)
    assert _runs(tmp_path) == 4 and "Executed" in proc.stdout


def test_a_top_level_that_disagrees_with_the_manifest_is_retraced(tmp_path, pristine_process,
                                                                 capsys):
    from jug.cli.options import CommonOptions
    from jug.compiler.build import compile_jugfile
    from jug.project.worker import prepared_worker
    from jug.store.memory_store import MemoryStore

    write(tmp_path / "jugfile.py", COUNTED)
    store = MemoryStore()
    manifest = compile_jugfile("jugfile.py", store).manifest
    compile_jugfile("jugfile.py", store).trace.before.restore()
    write(tmp_path / "jugfile.py", COUNTED.replace("range(3)", "range(4)"))
    options = CommonOptions(jugfile="jugfile.py", jugdir="dict_store", argv=("jugfile.py",))
    try:
        with prepared_worker(options, store, manifest, None, run_jugfile=True) as (graph, _):
            assert len(graph) == 4
        assert "created other tasks than its manifest lists (4 tasks, the manifest has 3)" \
            in capsys.readouterr().err
        with prepared_worker(options, store, manifest, None, run_jugfile=True):
            pass
    finally:
        sys.modules.pop("jugfile", None)


def test_compile_explain_lists_what_a_worker_replays_or_why_it_runs_the_top_level(tmp_path):
    import json

    write(tmp_path / "config.py", "LEVEL = 1\n")
    write(tmp_path / "jugfile.py", """
        import os, sys
        import config
        from jug import TaskGenerator
        sys.path.insert(0, 'lib')
        os.environ['PIPELINE_MODE'] = 'configured'
        config.LEVEL = 5

        @TaskGenerator
        def level():
            return config.LEVEL

        r = level()
    """)
    text = run_jug("compile", "jugfile.py", "--explain", cwd=tmp_path, check=0).stdout
    section = text.split("What a worker replays:\n", 1)[1].split("\n\n", 1)[0]
    assert "environment PIPELINE_MODE: set to 'configured'" in section, text
    assert "sys.path lib: inserted before" in section, text
    assert "module config: config.py (as the top level left it)" in section, text
    assert "run the top level" not in text, text
    explained = json.loads(run_jug("compile", "jugfile.py", "--explain", "--json", cwd=tmp_path,
                                   check=0).stdout)
    replayed = {section["key"]: section for section in explained["sections"]}["replayed"]
    assert "environment PIPELINE_MODE" in {item["what"] for item in replayed["items"]}

    write(tmp_path / "jugfile.py", """
        import signal
        from jug import TaskGenerator

        signal.signal(signal.SIGUSR1, signal.SIG_IGN)

        @TaskGenerator
        def one():
            return 1

        r = one()
    """)
    run_jug("compile", "jugfile.py", cwd=tmp_path, check=0)  # --explain explains what is stored
    text = run_jug("compile", "jugfile.py", "--explain", cwd=tmp_path, check=0).stdout
    section = text.split("What a worker replays:\n", 1)[1].split("\n\n", 1)[0]
    assert "calls signal.signal()" in section and "(jugfile.py:4)" in section, text
    assert "workers run the top level of jugfile.py before their tasks" in section, text
