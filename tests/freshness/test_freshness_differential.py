"""Freshness, differentially: for every way a jugfile's top level observes
the world, jug 2.7.0 (which re-runs the jugfile for every command) and this
jug report the same `jug status` table and `jug check` exit code after each
change; and ours re-traces exactly when it must (the jugfile appends a line
to traced.log each time its top level runs, in our copy only counted).

Each `same(...)` runs status and check under both (4 commands)."""

import os
import textwrap

import pytest

HEAD = '''
with open("traced.log", "a") as _log:   # one line per run of the top level
    _log.write("x\\n")
import glob, json, os, pathlib, random, subprocess, sys, time, uuid
from jug import TaskGenerator

@TaskGenerator
def f(*args):
    return repr(args)

@TaskGenerator
def g(*args):
    return len(args)
'''


def jugfile(body):
    """HEAD, then ``body`` from line 13 on."""
    return HEAD.lstrip("\n") + textwrap.dedent(body).strip("\n") + "\n"


def traces(scenario):
    path = scenario.dirs["ours"] / "traced.log"
    return len(path.read_text().split()) if path.exists() else 0


def same(scenario, *argv, env=None, retraces=None):
    """Status tables and check exit codes agree; ``retraces``: how many times
    our status and check ran the top level (1: status re-traced and check
    reused it; 0: both reused the manifest)."""
    before = traces(scenario)
    outcomes = scenario.assert_same_status("jugfile.py", *argv, env=env)
    ours = outcomes["ours"]
    if retraces is not None:
        assert traces(scenario) - before == retraces, ours
        if retraces == 0:
            assert "jug:" not in ours.stderr, ours
    return outcomes


def table(outcomes, name="jugfile.f"):
    return outcomes["original"].table().get(name)


def start(differential, body, files=None, env=None, execute=True):
    scenario = differential.scenario({"jugfile.py": jugfile(body), **(files or {})})
    if execute:
        scenario.execute("jugfile.py", env=env)
    return scenario


def shift_mtime(path, seconds=10):
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + int(seconds * 1e9)))


# -- environment variables ---------------------------------------------------------


def test_an_environment_variable_sets_the_task_count(differential):
    scenario = start(differential, """
        results = [f(i) for i in range(int(os.environ.get("N", "3")))]
    """, env={"N": "3"})
    same(scenario, env={"N": "3"}, retraces=0)
    out = same(scenario, env={"N": "5"}, retraces=1)
    assert "environment variable N changed ('3' -> '5')" in out["ours"].stderr
    assert table(out)["Ready"] == 2
    # alternating between the two environments re-traces neither again
    same(scenario, env={"N": "3"}, retraces=0)
    same(scenario, env={"N": "5"}, retraces=0)
    same(scenario, retraces=1)  # unset: the default, 3, traced once more


def test_getenv_as_an_argument(differential):
    scenario = start(differential, """
        greeting = f(os.getenv("GREETING", "hello"))
    """)
    same(scenario, retraces=0)
    out = same(scenario, env={"GREETING": "hi"}, retraces=1)
    assert table(out)["Ready"] == 1
    same(scenario, retraces=0)


def test_reading_a_missing_variable_is_an_observation(differential):
    scenario = start(differential, """
        results = [f(1)]
        if "EXTRA" in os.environ:
            results.append(f(2))
    """)
    out = same(scenario, env={"EXTRA": ""}, retraces=1)
    assert table(out)["Ready"] == 1


def test_reading_the_whole_environment_records_all_of_it(differential):
    scenario = start(differential, """
        settings = {k: v for k, v in os.environ.items() if k.startswith("APP_")}
        results = [f(k, v) for k, v in sorted(settings.items())]
    """)
    same(scenario, retraces=0)
    out = same(scenario, env={"APP_COLOR": "red"}, retraces=1)
    assert "APP_COLOR was set" in out["ours"].stderr and table(out)["Ready"] == 1


def test_a_variable_the_jugfile_sets_itself_is_not_an_input(differential):
    scenario = start(differential, """
        os.environ["MODE"] = "fast"
        result = f(os.environ["MODE"])
    """)
    same(scenario, env={"MODE": "slow"}, retraces=0)


def test_a_local_module_reading_the_environment(differential):
    scenario = start(differential, """
        from helpers import SCALE
        results = [f(i * SCALE) for i in range(3)]
    """, files={"helpers.py": "import os\nSCALE = int(os.environ.get('SCALE', '1'))\n"})
    out = same(scenario, env={"SCALE": "2"}, retraces=1)
    assert table(out)["Ready"] == 1  # 0 and 2 exist, 4 is new
    assert "environment variable SCALE changed (unset -> '2')" in out["ours"].stderr


# -- files, directories and stat questions -------------------------------------------


def test_timed_path_touched(differential):
    scenario = start(differential, """
        from jug.utils import timed_path
        result = f(timed_path("data.txt"))
    """, files={"data.txt": "1 2 3\n"})
    same(scenario, retraces=0)
    scenario.each(lambda d: shift_mtime(d / "data.txt"))
    out = same(scenario, retraces=1)
    assert table(out)["Ready"] == 1


def test_a_file_read_and_touched_does_not_retrace(differential):
    scenario = start(differential, """
        result = f(open("data.txt").read())
    """, files={"data.txt": "1 2 3\n"})
    scenario.each(lambda d: shift_mtime(d / "data.txt"))
    same(scenario, retraces=0)
    scenario.write({"data.txt": "4 5 6\n"})
    out = same(scenario, retraces=1)
    assert "data.txt modified" in out["ours"].stderr


def test_an_os_path_exists_branch(differential):
    scenario = start(differential, """
        result = f(1)
        if os.path.exists("flag"):
            extra = g(2)
    """)
    same(scenario, retraces=0)
    scenario.write({"flag": ""})
    out = same(scenario, retraces=1)
    assert "flag appeared" in out["ours"].stderr
    assert out["original"].table()["jugfile.g"]["Ready"] == 1


def test_a_pathlib_is_dir_branch(differential):
    scenario = start(differential, """
        results = [f(1)]
        if pathlib.Path("extra").is_dir():
            results.append(f(2))
    """, files={"extra": "a file, not a directory"})
    same(scenario, retraces=0)
    scenario.write({"extra": None, "extra/x": "now a directory"})
    out = same(scenario, retraces=1)
    assert table(out)["Ready"] == 1


def test_a_file_size_as_an_argument(differential):
    scenario = start(differential, """
        result = f(os.path.getsize("data.bin"))
    """, files={"data.bin": b"12345"})
    scenario.each(lambda d: shift_mtime(d / "data.bin"))
    same(scenario, retraces=0)  # same size
    scenario.write({"data.bin": b"123456789"})
    out = same(scenario, retraces=1)
    assert "data.bin changed size (5 -> 9 bytes)" in out["ours"].stderr


def test_an_mtime_as_an_argument(differential):
    scenario = start(differential, """
        result = f(os.path.getmtime("data.txt"))
    """, files={"data.txt": "x"})
    scenario.each(lambda d: shift_mtime(d / "data.txt"))
    out = same(scenario, retraces=1)
    assert table(out)["Ready"] == 1


def test_a_pathlib_glob_gaining_a_file(differential):
    scenario = start(differential, """
        results = [f(p.name) for p in sorted(pathlib.Path("in").glob("*.txt"))]
    """, files={"in/a.txt": "a", "in/b.txt": "b"})
    same(scenario, retraces=0)
    scenario.write({"in/c.txt": "c"})
    out = same(scenario, retraces=1)
    assert "in/ gained 1 file" in out["ours"].stderr and table(out)["Ready"] == 1


def test_a_file_added_two_levels_down_an_os_walk(differential):
    scenario = start(differential, """
        paths = sorted(os.path.join(root, name) for root, dirs, names in os.walk("tree")
                       for name in names)
        results = [f(p) for p in paths]
    """, files={"tree/top.txt": "", "tree/a/b/deep.txt": ""})
    same(scenario, retraces=0)
    scenario.write({"tree/a/b/new.txt": ""})
    out = same(scenario, retraces=1)
    assert "tree/a/b/ gained 1 file" in out["ours"].stderr and table(out)["Ready"] == 1


def test_a_recursive_glob_gaining_a_file(differential):
    scenario = start(differential, """
        results = [f(p) for p in sorted(glob.glob("src/**/*.py", recursive=True))]
    """, files={"src/a.py": "", "src/pkg/b.py": ""})
    scenario.write({"src/pkg/deeper/c.py": ""})
    out = same(scenario, retraces=1)
    assert table(out)["Ready"] == 1


def test_a_deleted_input(differential):
    scenario = start(differential, """
        results = [f(open(p).read()) for p in sorted(glob.glob("in/*.txt"))]
    """, files={"in/a.txt": "a", "in/b.txt": "b", "in/c.txt": "c"})
    scenario.write({"in/b.txt": None})
    out = same(scenario, retraces=1)
    assert "in/b.txt was removed" in out["ours"].stderr
    assert table(out) == {"Failed": 0, "Waiting": 0, "Ready": 0, "Complete": 2, "Active": 0}


def test_a_json_config_read_with_pathlib(differential):
    scenario = start(differential, """
        config = json.loads(pathlib.Path("config.json").read_text())
        results = [f(i, config["scale"]) for i in range(config["n"])]
    """, files={"config.json": '{"n": 2, "scale": 1}'})
    same(scenario, retraces=0)
    scenario.write({"config.json": '{"n": 3, "scale": 1}'})
    out = same(scenario, retraces=1)
    assert "config.json modified" in out["ours"].stderr and table(out)["Ready"] == 1


def test_numpy_loadtxt(differential):
    scenario = start(differential, """
        import numpy
        results = [f(float(x)) for x in numpy.loadtxt("data.txt")]
    """, files={"data.txt": "1\n2\n"})
    same(scenario, retraces=0)
    scenario.write({"data.txt": "1\n2\n3\n"})
    out = same(scenario, retraces=1)
    assert table(out)["Ready"] == 1


def test_a_local_packages_submodule_edited(differential):
    scenario = start(differential, """
        from tools.sub.values import K
        results = [f(K, i) for i in range(2)]
    """, files={"tools/__init__.py": "", "tools/sub/__init__.py": "",
                "tools/sub/values.py": "K = 1\n"})
    same(scenario, retraces=0)
    scenario.write({"tools/sub/values.py": "K = 2\n"})
    out = same(scenario, retraces=1)
    assert "tools/sub/values.py modified" in out["ours"].stderr and table(out)["Ready"] == 2


def test_different_argv(differential):
    scenario = start(differential, """
        results = [f(a) for a in sys.argv[1:]]
    """, execute=False)
    # jug 2.7's argparse takes the jugfile's arguments only before its own options
    for outcome in scenario.run("execute", "jugfile.py", "one", "--will-cite").values():
        assert outcome.returncode == 0, outcome
    same(scenario, "one", retraces=0)
    out = same(scenario, "one", "two", retraces=1)
    assert table(out) == {"Failed": 0, "Waiting": 0, "Ready": 1, "Complete": 1, "Active": 0}
    same(scenario, "one", retraces=0)


def test_a_jugfile_writing_its_own_log_is_not_an_input(differential):
    scenario = start(differential, """
        os.makedirs("logs", exist_ok=True)
        with open("logs/run.log", "a") as log:
            log.write("traced\\n")
        results = [f(i) for i in range(2)]
    """)
    same(scenario, retraces=0)
    same(scenario, retraces=0)


# -- volatile traces ------------------------------------------------------------------


VOLATILE = {
    "random": ("result = f(random.random())", "draws unseeded random numbers (random.random)",
               "JUG101"),
    "random_instance": ("result = f(random.Random().randint(1, 10**9))",
                        "(random.Random.randint)", "JUG101"),
    "numpy": ("import numpy\nresult = f(float(numpy.random.rand()))",
              "(numpy.random.rand)", "JUG101"),
    "default_rng": ("import numpy\nresult = f(int(numpy.random.default_rng().integers(10**9)))",
                    "(numpy.random.default_rng())", "JUG101"),
    "clock": ("result = f(time.time())", "reads the clock (time.time)", "JUG102"),
    "datetime": ("import datetime\nresult = f(str(datetime.datetime.now()))",
                 "(datetime.datetime.now)", "JUG102"),
    "uuid4": ("result = f(str(uuid.uuid4()))", "(uuid.uuid4)", "JUG105"),
}


@pytest.mark.parametrize("kind", sorted(VOLATILE))
def test_unseeded_sources_make_every_command_trace(differential, kind):
    body, source, rule = VOLATILE[kind]
    scenario = start(differential, body)
    out = same(scenario, retraces=2)  # status and check both ran the top level
    line = out["ours"].stderr.strip().splitlines()[-1]
    assert line.startswith("jug: jugfile.py:") and source in line, line
    assert line.endswith(f"its tasks change on every run, so its manifest is not reused; "
                         f"see jug lint --explain {rule}"), line
    assert table(out)["Ready"] == 1  # the executed task is not the one traced now


def test_subprocess_output(differential):
    scenario = start(differential, """
        count = int(subprocess.check_output(["cat", "count.txt"]))
        results = [f(i) for i in range(count)]
    """, files={"count.txt": "2\n"})
    out = same(scenario, retraces=2)
    assert "runs a command (subprocess.Popen)" in out["ours"].stderr
    scenario.write({"count.txt": "3\n"})  # read by cat: only tracing again sees it
    out = same(scenario)
    assert table(out)["Ready"] == 1


def test_seeded_generators_stay_fresh(differential):
    scenario = start(differential, """
        import numpy
        random.seed(12)
        numpy.random.seed(3)
        rng = numpy.random.default_rng(42)
        own = random.Random(7)
        results = [f(random.random(), float(numpy.random.rand()), int(rng.integers(100)),
                     own.randint(1, 100), i) for i in range(3)]
    """)
    same(scenario, retraces=0)
    same(scenario, retraces=0)


def test_a_seed_after_a_draw_is_too_late(differential):
    scenario = start(differential, """
        first = f(random.random())
        random.seed(1)
        second = f(random.random())
    """)
    out = same(scenario, retraces=2)
    assert "jugfile.py:13 draws unseeded random numbers" in out["ours"].stderr
    assert table(out) == {"Failed": 0, "Waiting": 0, "Ready": 1, "Complete": 1, "Active": 0}


# -- the Redis store ----------------------------------------------------------------


def _same_on_redis(scenario, url, env=None):
    """Status and check agree between the original (its file store) and ours
    on Redis."""
    original = scenario.run("status", "jugfile.py", env=env, only="original")["original"]
    ours = scenario.run("status", "jugfile.py", "--jugdir", url, env=env, only="ours")["ours"]
    assert ours.returncode == original.returncode and ours.table() == original.table(), \
        (original, ours)
    checks = [scenario.run("check", "jugfile.py", *extra, env=env, only=label)[label].returncode
              for label, extra in (("original", ()), ("ours", ("--jugdir", url)))]
    assert checks[0] == checks[1], checks
    return ours


def _execute_on_redis(scenario, url, env=None):
    scenario.run("execute", "jugfile.py", "--will-cite", env=env, only="original")
    proc = scenario.run("execute", "jugfile.py", "--will-cite", "--jugdir", url, env=env,
                        only="ours")["ours"]
    assert proc.returncode == 0, proc


@pytest.fixture
def redis_jugdir(redis_url):
    from conftest import flush_redis

    flush_redis(redis_url)
    return redis_url


def test_environments_on_the_redis_store(differential, redis_jugdir):
    scenario = start(differential, """
        results = [f(i) for i in range(int(os.environ.get("N", "3")))]
    """, execute=False)
    _execute_on_redis(scenario, redis_jugdir, env={"N": "3"})
    before = traces(scenario)
    ours = _same_on_redis(scenario, redis_jugdir, env={"N": "5"})
    assert "N changed ('3' -> '5')" in ours.stderr
    _same_on_redis(scenario, redis_jugdir, env={"N": "3"})
    _same_on_redis(scenario, redis_jugdir, env={"N": "5"})
    assert traces(scenario) - before == 1  # only the first N=5 status traced


def test_a_volatile_trace_on_the_redis_store(differential, redis_jugdir):
    scenario = start(differential, "result = f(time.time_ns())", execute=False)
    _execute_on_redis(scenario, redis_jugdir)
    before = traces(scenario)
    ours = _same_on_redis(scenario, redis_jugdir)
    assert "reads the clock (time.time_ns)" in ours.stderr
    assert traces(scenario) - before == 2
