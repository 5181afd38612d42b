"""The original jug's import paths and entry points, for scripts written
for it: each listed path imports, the scripts' usual calls work (the same
script prints the same under the original and here), and the original's
internals give a clear error naming what to use instead."""

import importlib
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from jugtest import REPO, jug_env, write

JUGFILE = """
import sys
from jug import TaskGenerator, barrier
from jug.mapreduce import map as jug_map, mapreduce
from jug.unsafe import NoHash

ARGV = list(sys.argv)

@TaskGenerator
def double(x):
    return 2 * x

@TaskGenerator
def add(a, b):
    return a + b

@TaskGenerator
def label(text, cpus):
    return text

total = mapreduce(add, double, list(range(8)))
mapped = jug_map(double, list(range(5)), map_step=2)
named = label("x", NoHash(4))
"""

SCRIPT = """
import sys
import jug
import jug.jug
import jug.options
from jug.backends.file_store import file_store
from jug.mapreduce import block_access
from jug.unsafe import NoHash

sys.argv[1:] = ["--my-option"]
argv = sys.argv
store, space = jug.init("jugfile.py", "jugfile.jugdata")
import jugfile
from jug.task import alltasks
print("argv untouched:", sys.argv is argv, sys.argv[1:], jugfile.ARGV[1:])
print("namespace:", space["total"] is jugfile.total)
print("tasks:", len(alltasks))
print("block_access:", isinstance(jugfile.mapped, block_access))
print("value:", jug.value(jugfile.total), jug.value(jugfile.named))
key = jugfile.total.hash()
print("init store:", store.can_load(key), store.load(key))
opened = file_store("jugfile.jugdata")
print("file_store:", opened.can_load(key), opened.load(key), len(opened.list()))
opened.dump(123, "0" * 40)
print("dump:", opened.load("0" * 40), opened.remove("0" * 40), opened.can_load("0" * 40))
lock = opened.getlock("1" * 40)
print("lock:", lock.get(), lock.is_locked(), lock.get())
lock.release()
print("released:", lock.is_locked())
print("set_jugdir:", jug.options.set_jugdir("jugfile.jugdata").can_load(key))
opened.close()
"""


def test_the_same_script_works_under_both(differential):
    scenario = differential.scenario({"jugfile.py": JUGFILE})
    scenario.execute()
    printed = assert_same_output(scenario.python(SCRIPT))
    assert "argv untouched: True ['--my-option'] ['--my-option']" in printed


def assert_same_output(printed):
    """Both ran the script without error and printed the same; what they printed."""
    original, ours = printed["original"], printed["ours"]
    assert original.returncode == 0, original.stderr
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout == original.stdout
    return ours.stdout


@pytest.mark.parametrize("how", ["main", "module", "jug-execute"])
def test_entry_points(differential, how):
    scenario = differential.scenario({"jugfile.py": JUGFILE})
    venv_bin = Path(differential.original.interpreter).parent
    for label, directory in scenario.dirs.items():
        python = differential.original.interpreter if label == "original" else sys.executable
        env = differential.original.env() if label == "original" else jug_env()
        if how == "main":
            command = [python, "-c", "import jug.jug; jug.jug.main(['jug', 'execute', "
                                     "'jugfile.py', '--will-cite'])"]
        elif how == "module":
            command = [python, "-m", "jug.jug", "execute", "jugfile.py", "--will-cite"]
        elif label == "original":
            command = [str(venv_bin / "jug-execute"), "jugfile.py", "--will-cite"]
        else:  # what the console script pip generates from pyproject.toml does
            command = [python, "-c", "import sys; from jug.jug import main_execute; "
                                     "sys.exit(main_execute())", "jugfile.py", "--will-cite"]
        proc = subprocess.run(command, cwd=directory, env=env, capture_output=True, text=True,
                              timeout=300)
        assert proc.returncode == 0, proc.stderr
        assert "Executed" in proc.stdout, proc.stdout
    scenario.assert_same_status()
    status = {label: subprocess.run(
        [differential.original.interpreter if label == "original" else sys.executable,
         "-m", "jug.jug", "status", "jugfile.py"], cwd=directory,
        env=differential.original.env() if label == "original" else jug_env(),
        capture_output=True, text=True, timeout=300)
        for label, directory in scenario.dirs.items()}
    from oracle import parse_summary_table

    assert (parse_summary_table(status["ours"].stdout)
            == parse_summary_table(status["original"].stdout))


def test_jug_execute_is_a_console_script():
    with open(Path(REPO) / "pyproject.toml", "rb") as handle:
        scripts = tomllib.load(handle)["project"]["scripts"]
    assert scripts["jug-execute"] == "jug.jug:main_execute"
    module, _, name = scripts["jug-execute"].partition(":")
    assert callable(getattr(importlib.import_module(module), name))


ALIASES = [
    ("jug.jug", ["main", "main_execute", "init", "is_jug_running"]),
    ("jug.options", ["set_jugdir"]),
    ("jug.backends", ["select", "file_store", "dict_store", "redis_store"]),
    ("jug.backends.file_store", ["file_store", "file_keepalive_store", "file_based_lock",
                                 "fsync_dir"]),
    ("jug.backends.dict_store", ["dict_store"]),
    ("jug.backends.redis_store", ["redis_store"]),
    ("jug.backends.base", ["base_store", "base_lock"]),
    ("jug.backends.encode", ["encode", "decode", "encode_to", "decode_from"]),
    ("jug.unsafe", ["NoHash"]),
    ("jug.task", ["alltasks", "Task", "TaskGenerator", "value", "CachedFunction"]),
    ("jug.mapreduce", ["block_access", "block_access_slice"]),
    ("jug.jug_version", ["__version__", "CITATION"]),
    ("jug.backends.select", ["select"]),
    ("jug.hash", ["hash_update", "new_hash_object", "hash_one"]),
    ("jug.hooks.register", ["register_hook", "jug_hook"]),
    ("jug.subcommands", ["SubCommand", "SubCommandError", "NoSuchCommandError", "cmdapi",
                         "maybe_print_citation_info"]),
]


POINTS = (Path(__file__).parent / "compat_jugfiles" / "points.py").read_text()

# After a plain `import jug`, what the original made reachable from it.
ORIGINAL_NAMES_SCRIPT = """
import jug
print(jug.file_store.__name__, jug.dict_store.__name__, jug.redis_store.__name__)
print(jug.utils.identity(5), jug.jug.is_jug_running(), callable(jug.options.set_jugdir))
print(jug.backends.select is jug.backends.select, jug.jug_version.CITATION.splitlines()[0])
print(hasattr(jug.hooks, "exit_checks") or callable(jug.hooks.register_hook))
M = jug.hash.new_hash_object()
print(jug.hash.hash_update(M, [("a", 1), ("b", [2, 3])]) is M, len(M.hexdigest()))
from jug.backends.select import select
from jug.task import CachedFunction
print(CachedFunction is jug.CachedFunction, select("dict_store").can_load("0" * 40))
jug.init("jugfile.py", "jugfile.jugdata")
import jugfile
print(jug.value(jugfile.norms))
"""


def test_the_original_modules_reachable_from_a_plain_import_jug(differential):
    scenario = differential.scenario({"jugfile.py": POINTS})
    scenario.execute()
    scenario.assert_same_status()
    printed = assert_same_output(scenario.python(ORIGINAL_NAMES_SCRIPT))
    assert printed.splitlines()[-1] == "[2, 3]"


def test_import_jug_stays_light_with_the_original_names():
    code = ("import sys, jug; heavy = {'redis', 'jug.backends', 'jug.utils'} & set(sys.modules); "
            "print(sorted(heavy)); jug.redis_store; print('redis' in sys.modules or "
            "'jug.backends.redis_store' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], env=jug_env(), capture_output=True,
                          text=True, timeout=60)
    assert proc.stdout.split("\n")[:2] == ["[]", "True"], proc.stderr
    proc = subprocess.run([sys.executable, "-c", "import jug; jug.no_such_name"], env=jug_env(),
                          capture_output=True, text=True, timeout=60)
    assert "AttributeError: module 'jug' has no attribute 'no_such_name'" in proc.stderr


@pytest.mark.parametrize("module,names", ALIASES, ids=[m for m, _ in ALIASES])
def test_every_listed_path_imports(module, names):
    imported = importlib.import_module(module)
    for name in names:
        assert getattr(imported, name) is not None, f"{module}.{name}"


INTERNALS = [
    ("import jug.internal", "--pdb"),
    ("import jug.backends.memoize_store", "jug.backends.select"),
    ("import jug.backends.file_keepalive_monitor", "heartbeat"),
    ("from jug.options import parse", "jug.jug.main"),
    ("from jug.options import default_options", "jugrc"),
    ("from jug.jug import execution_loop", "jug.execution"),
    ("from jug.backends import memoize_store", "jug.backends.select"),
]


@pytest.mark.parametrize("statement,instead", INTERNALS, ids=[s for s, _ in INTERNALS])
def test_internals_of_the_original_say_what_to_use_instead(statement, instead):
    proc = subprocess.run([sys.executable, "-c", statement], env=jug_env(), capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert "original jug 2.x" in last and instead in last and "docs/migrating.md" in last, last


def test_internal_errors_are_import_errors_and_unknown_names_attribute_errors():
    import jug.options

    from jug.compat import OriginalOnlyError

    with pytest.raises(ImportError):
        jug.options.parse  # noqa: B018
    assert issubclass(OriginalOnlyError, ImportError)
    assert not hasattr(jug.options, "no_such_name")


def test_init_leaves_argv_alone_and_returns_the_store_and_namespace(tmp_path, monkeypatch):
    write(tmp_path / "jugfile.py", """
        import sys
        from jug import TaskGenerator, barrier
        SEEN = list(sys.argv)
        @TaskGenerator
        def one():
            return 1
        x = one()
        barrier()
        y = one()
    """)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    argv = ["script.py", "--flag"]
    monkeypatch.setattr(sys, "argv", argv)
    import jug

    store, namespace = jug.init("jugfile.py", "dict_store")
    assert sys.argv is argv and argv == ["script.py", "--flag"]
    assert namespace["SEEN"] == ["script.py", "--flag"]
    assert namespace["__jug__hasbarrier__"] is True
    assert not store.can_load(namespace["x"].hash())
    assert store.list() == [] and store.exists(namespace["x"].hash()) is False
    from jug.task import alltasks

    assert alltasks == [namespace["x"]]
    sys.modules.pop("jugfile", None)


def test_nohash_leaves_its_value_out_of_the_hash(tmp_path):
    from jug import Task, value
    from jug.context import JugContext, using_context
    from jug.unsafe import NoHash

    def label(text, cpus):
        return text, cpus

    with using_context(JugContext()):
        four, eight = Task(label, "x", NoHash(4)), Task(label, "x", NoHash(8))
        assert four.hash() == eight.hash()
        assert four.hash() != Task(label, "y", NoHash(4)).hash()
        assert value(NoHash([1, 2])) == [1, 2]


READ_EVERYTHING = """
from jug.backends.file_store import file_store
store = file_store("jugfile.jugdata")
for key in sorted(store.list()):
    print(key.decode(), repr(store.load(key)), store.can_load(key))
"""


def test_a_store_opened_by_a_script_reads_what_the_original_wrote(differential):
    scenario = differential.scenario({"jugfile.py": JUGFILE})
    scenario.run("execute", "jugfile.py", "--will-cite", only="original")
    directory = scenario.dirs["original"]
    printed = {}
    for label, python, env in (("original", differential.original.interpreter,
                                differential.original.env()),
                               ("ours", sys.executable, jug_env())):
        proc = subprocess.run([python, "-c", READ_EVERYTHING], cwd=directory, env=env,
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        printed[label] = proc.stdout
    assert printed["ours"] == printed["original"]
    assert len(printed["ours"].splitlines()) == 7
