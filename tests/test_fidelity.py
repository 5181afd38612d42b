"""What a task sees: tasks run from the manifest compute what the original's
tasks compute, in the process the jugfile's top level prepared.

Each case is a jugfile whose top level changes the process (environment,
``sys.path``, working directory, a local module's state, interpreter and
library settings, random generators) or holds something a task reads (a
class, closures, a global changed after the task was created), or calls a
library configuration nothing can replay.  The case runs under jug 2.7.0
and under this project (``jug compile`` first, so that the worker runs
from the manifest without running the jugfile), ``jug execute`` exits the
same way under both, and a separate script (``jug.init`` + ``import
jugfile`` + ``jug.value``) loads the same values, which are also the
expected ones.
"""

import dataclasses
import textwrap

import pytest


@dataclasses.dataclass(frozen=True)
class Case:
    id: str
    files: dict
    expect: dict  # jugfile attribute -> repr of its value (or "missing")
    exit_code: int = 0
    execute_args: tuple = ()
    env: dict = dataclasses.field(default_factory=dict)
    compile_says: str = ""  # in ours' `jug compile` output
    replayed: tuple = ()  # (kind, name) in ours' `jug compile --json`
    runs_top_level: bool = False
    retraces: bool = False  # a barrier: execute traces the next stage itself


def jugfile(text):
    return textwrap.dedent(text).lstrip("\n")


CASES = [
    Case("sys-path-helper", {
        "lib/helper.py": "def triple(x):\n    return 3 * x\n",
        "jugfile.py": jugfile("""
            import sys
            from jug import TaskGenerator
            sys.path.insert(0, 'lib')

            @TaskGenerator
            def use_helper(x):
                import helper  # found through the sys.path the top level set
                return helper.triple(x)

            r = use_helper(2)
        """)}, {"r": "6"}, replayed=(("sys.path", "lib"),)),
    Case("environment-set-and-removed", {"jugfile.py": jugfile("""
            import os
            from jug import TaskGenerator
            os.environ['PIPELINE_MODE'] = 'configured'
            del os.environ['FIDELITY_DROPPED']

            @TaskGenerator
            def environment():
                return os.environ.get('PIPELINE_MODE'), 'FIDELITY_DROPPED' in os.environ

            r = environment()
        """)}, {"r": "('configured', False)"}, env={"FIDELITY_DROPPED": "1"},
         replayed=(("environment", "PIPELINE_MODE"), ("environment", "FIDELITY_DROPPED"))),
    Case("numpy-seterr-raise", {"jugfile.py": jugfile("""
            import numpy as np
            from jug import TaskGenerator
            np.seterr(all='raise')

            @TaskGenerator
            def guarded():
                try:
                    return float(np.float64(1.0) / np.float64(0.0))
                except FloatingPointError:
                    return 'raised'

            @TaskGenerator
            def divide():
                return float(np.float64(1.0) / np.float64(0.0))

            g = guarded()
            d = divide()
        """)}, {"g": "'raised'", "d": "missing"}, exit_code=1, execute_args=("--keep-going",),
         replayed=(("setting", "numpy.seterr"),)),
    Case("chdir", {
        "data/input.txt": "read from data/\n",
        "jugfile.py": jugfile("""
            import os
            from jug import TaskGenerator
            os.chdir('data')

            @TaskGenerator
            def read(name):
                with open(name) as handle:
                    return handle.read().strip(), os.path.basename(os.getcwd())

            r = read('input.txt')
        """)}, {"r": "('read from data/', 'data')"}),
    Case("local-module-state", {
        "config.py": "LEVEL = 1\n\ndef level():\n    return LEVEL\n",
        "jugfile.py": jugfile("""
            import config
            from jug import TaskGenerator
            config.LEVEL = 5

            @TaskGenerator
            def levels():
                import config as again
                return again.LEVEL, again.level(), again is config

            r = levels()
        """)}, {"r": "(5, 5, True)"}, replayed=(("module", "config"),)),
    Case("package-submodule-state", {
        "pkg/__init__.py": "",
        "pkg/settings.py": "MODE = 'slow'\n",
        "jugfile.py": jugfile("""
            from pkg import settings
            from jug import TaskGenerator
            settings.MODE = 'fast'

            @TaskGenerator
            def mode():
                from pkg import settings
                import pkg.settings
                return settings.MODE, pkg.settings.MODE

            r = mode()
        """)}, {"r": "('fast', 'fast')"}),
    Case("recursion-limit", {"jugfile.py": jugfile("""
            import sys
            from jug import TaskGenerator
            sys.setrecursionlimit(5000)

            def depth(n):
                return 0 if n == 0 else 1 + depth(n - 1)

            @TaskGenerator
            def deep(n):
                return depth(n)

            r = deep(3000)
        """)}, {"r": "3000"}, replayed=(("setting", "sys.setrecursionlimit"),)),
    Case("warnings-error", {"jugfile.py": jugfile("""
            import warnings
            from jug import TaskGenerator
            warnings.simplefilter('error')

            @TaskGenerator
            def warn():
                try:
                    warnings.warn('careful')
                except UserWarning:
                    return 'raised'
                return 'warned'

            r = warn()
        """)}, {"r": "'raised'"}, replayed=(("setting", "warnings filters"),)),
    Case("decimal-precision", {"jugfile.py": jugfile("""
            import decimal
            from jug import TaskGenerator
            decimal.getcontext().prec = 40

            @TaskGenerator
            def seventh():
                return str(decimal.Decimal(1) / decimal.Decimal(7))

            r = seventh()
        """)}, {"r": "'0.1428571428571428571428571428571428571429'"},
         replayed=(("setting", "decimal context"),)),
    Case("random-seed", {"jugfile.py": jugfile("""
            import random
            from jug import TaskGenerator
            random.seed(11)

            @TaskGenerator
            def draw():
                return random.random()

            r = draw()
        """)}, {"r": repr(__import__("random").Random(11).random())},
         replayed=(("setting", "random (global generator state)"),)),
    Case("numpy-random-seed-and-printoptions", {"jugfile.py": jugfile("""
            import numpy as np
            from jug import TaskGenerator
            np.random.seed(3)
            np.set_printoptions(precision=3)

            @TaskGenerator
            def draw():
                return round(float(np.random.rand()), 12), repr(np.array([1 / 3]))

            r = draw()
        """)}, {"r": "(0.550797902575, 'array([0.333])')"},
         replayed=(("setting", "numpy.set_printoptions"),
                   ("setting", "numpy.random (global generator state)"))),
    Case("umask-gc-and-timezone", {"jugfile.py": jugfile("""
            import gc, os, stat, time
            from jug import TaskGenerator
            os.umask(0o077)
            gc.disable()
            os.environ['TZ'] = 'JST-9'
            time.tzset()

            @TaskGenerator
            def process():
                with open('made.txt', 'w') as handle:
                    handle.write('x')
                mode = oct(stat.S_IMODE(os.stat('made.txt').st_mode))
                return mode, gc.isenabled(), time.strftime('%H', time.localtime(0))

            r = process()
        """)}, {"r": "('0o600', False, '09')"},
         replayed=(("setting", "os.umask"), ("setting", "time.tzset"))),
    Case("class-result", {"jugfile.py": jugfile("""
            from jug import TaskGenerator

            class Point:
                def __init__(self, x, y):
                    self.x, self.y = x, y

                def norm1(self):
                    return abs(self.x) + abs(self.y)

                def __repr__(self):
                    return f'Point({self.x}, {self.y}, norm1={self.norm1()})'

            @TaskGenerator
            def make(x, y):
                return Point(x, y)

            @TaskGenerator
            def shifted(p):
                return Point(p.x + 1, p.y)

            p = make(1, -2)
            q = shifted(p)
        """)}, {"p": "Point(1, -2, norm1=3)", "q": "Point(2, -2, norm1=4)"}),
    Case("closures-and-helpers", {"jugfile.py": jugfile("""
            import functools
            from jug import Task, TaskGenerator

            def make_scaler(k):
                def scale(x):
                    return k * x
                return scale

            triple = make_scaler(3)
            add_hundred = lambda v: v + 100

            def helper(x):
                return add_hundred(triple(x))

            @functools.lru_cache(maxsize=None)
            def cached_square(x):
                return x * x

            @TaskGenerator
            def apply(x):
                return helper(x) + cached_square(x)

            def power(x, exponent):
                return x ** exponent

            r = apply(2)
            s = Task(functools.partial(power, exponent=3), 2)
        """)}, {"r": "110", "s": "8"}),
    Case("global-changed-after-the-task", {"jugfile.py": jugfile("""
            from jug import TaskGenerator

            SCALE = 2
            OPTIONS = {'offset': 1}

            @TaskGenerator
            def scaled(x):
                return SCALE * x + OPTIONS['offset']

            @TaskGenerator
            def own_module():
                import jugfile
                return jugfile.SCALE

            r = scaled(3)
            m = own_module()
            SCALE = 10           # the original's task sees the final values
            OPTIONS['offset'] = 7
        """)}, {"r": "37", "m": "10"}),
    Case("unpicklable-global-unused", {
        "names.txt": "ada grace\n",
        "jugfile.py": jugfile("""
            from jug import TaskGenerator

            with open('names.txt') as handle:   # `handle` stays in the namespace
                names = handle.read().split()

            @TaskGenerator
            def greet(name):
                return 'hello ' + name

            r = [greet(n) for n in names]
        """)}, {"r": "['hello ada', 'hello grace']"}, compile_says="Not carried to workers"),
    Case("unpicklable-global-used", {"jugfile.py": jugfile("""
            import threading
            from jug import TaskGenerator

            LOCK = threading.Lock()

            @TaskGenerator
            def guarded(x):
                with LOCK:
                    return x + 1

            r = guarded(1)
        """)}, {"r": "2"}, runs_top_level=True, compile_says="jugfile.LOCK cannot be pickled"),
    Case("unknown-third-party-configuration", {
        "vendor/site-packages/vendorlib/__init__.py": jugfile("""
            _LEVEL = [0]

            def configure(level):
                _LEVEL[0] = level

            def level():
                return _LEVEL[0]
        """),
        "jugfile.py": jugfile("""
            import sys
            sys.path.insert(0, 'vendor/site-packages')   # stands for an installed package
            import vendorlib
            from jug import TaskGenerator
            vendorlib.configure(3)

            @TaskGenerator
            def level():
                return vendorlib.level()

            r = level()
        """)}, {"r": "3"}, runs_top_level=True,
         compile_says="jugfile.py:5: calls vendorlib.configure()"),
    Case("signal-handler", {"jugfile.py": jugfile("""
            import signal
            from jug import TaskGenerator

            def on_usr1(signum, frame):
                pass

            signal.signal(signal.SIGUSR1, on_usr1)

            @TaskGenerator
            def handler():
                current = signal.getsignal(signal.SIGUSR1)
                return getattr(current, '__name__', str(current))

            r = handler()
        """)}, {"r": "'on_usr1'"}, runs_top_level=True, compile_says="jugfile.py:7: calls signal.signal()"),
    Case("barrier-stages-see-the-environment", {"jugfile.py": jugfile("""
            import os
            from jug import TaskGenerator, barrier, value
            os.environ['STAGE_MODE'] = 'replayed'

            @TaskGenerator
            def first(i):
                return (i, os.environ['STAGE_MODE'])

            @TaskGenerator
            def second(pairs):
                return [p[0] for p in pairs], os.environ['STAGE_MODE'], os.path.exists('jugfile.py')

            pairs = [first(i) for i in range(3)]
            barrier()
            r = second(value(pairs))
        """)}, {"r": "([0, 1, 2], 'replayed', True)", "pairs": "[(0, 'replayed'), (1, 'replayed'), "
                                                             "(2, 'replayed')]"},
         retraces=True),
]

LOADER = """
    import jug
    jug.init('jugfile.py', 'jugfile.jugdata')
    import jugfile
    for name in {names!r}:
        try:
            print(name, '=', repr(jug.value(getattr(jugfile, name))))
        except Exception:
            print(name, '=', 'missing')
"""


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_tasks_from_the_manifest_compute_what_the_original_computes(differential, case):
    scenario = differential.scenario(case.files)
    compiled = scenario.run("compile", "jugfile.py", env=case.env, only="ours")["ours"]
    assert compiled.returncode == 0, compiled
    assert case.compile_says in compiled.stdout, compiled
    assert ("workers run the top level" in compiled.stdout) == case.runs_top_level, compiled
    if case.replayed:
        import json

        manifest = json.loads(scenario.run("compile", "jugfile.py", "--json", env=case.env,
                                           only="ours")["ours"].stdout)
        replayed = {(item["kind"], item["name"]) for item in manifest["replayed"]}
        assert set(case.replayed) <= replayed, manifest["replayed"]
    executed = scenario.run("execute", "jugfile.py", "--will-cite", *case.execute_args,
                            env=case.env)
    original, ours = executed["original"], executed["ours"]
    assert original.returncode == ours.returncode == case.exit_code, (original, ours)
    if not case.retraces:
        assert "re-tracing" not in ours.stderr, ours  # the worker ran from the compiled manifest
    loaded = scenario.python(LOADER.format(names=sorted(case.expect)), env=case.env)
    assert loaded["original"].returncode == loaded["ours"].returncode == 0, loaded
    expected = "".join(f"{name} = {case.expect[name]}\n" for name in sorted(case.expect))
    assert loaded["original"].stdout == expected, loaded["original"]
    assert loaded["ours"].stdout == expected, loaded["ours"]
