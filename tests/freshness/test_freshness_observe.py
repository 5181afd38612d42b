"""What the Observer records and what it leaves alone (this jug only: the
original has no manifest), on this Python and on the other CPython versions
this machine has (the wrapped functions differ between 3.10 and 3.13)."""

import glob
import json
import os
import socket
import subprocess
import sys
import textwrap
import threading

import pytest

from jugtest import REPO, jug_env, run_jug, write

# Runs as user code (a file outside the standard library and jug) inside an
# Observer; prints what was observed.
PROBE = r'''
import datetime, glob, json, os, pathlib, random, sys, time
from jug.compiler.observe import Observer

SOURCE = """
import datetime, glob, os, pathlib, random, time
os.path.exists("data/a.txt"); os.path.isfile("data/a.txt"); os.path.getsize("data/a.txt")
os.path.getmtime("data/a.txt"); os.path.isdir("data"); os.path.lexists("gone")
pathlib.Path("data/a.txt").exists(); pathlib.Path("data").is_dir(); pathlib.Path("p").stat
pathlib.Path("data/b.txt").is_file(); os.stat("data/a.txt")
open("data/a.txt").read(); pathlib.Path("data/b.txt").read_text()
list(os.walk("tree")); sorted(pathlib.Path("data").glob("*.txt")); glob.glob("tree/**", recursive=True)
os.environ.get("PROBE_SET"); os.getenv("PROBE_MISSING"); "PROBE_IN" in os.environ
os.environ["PROBE_MINE"] = "1"; os.environ["PROBE_MINE"]
random.seed(1); random.random(); random.Random(2).random()
after_seed = True
random.Random().random()
datetime.datetime.now()
"""
code = compile(SOURCE, os.path.abspath("user_code.py"), "exec")
stat_before = os.stat
with Observer() as seen:
    exec(code, {"__name__": "user_code"})
print(json.dumps({
    "files": sorted(os.path.relpath(p) for p in seen.files),
    "directories": sorted(os.path.relpath(p) for p in seen.directories),
    "stats": {os.path.relpath(p) + ("" if follow else " (lstat)"): sorted(answers)
              for (p, follow), (where, answers) in seen.stats.items()},
    "variables": {name: value for name, (value, where) in seen.variables.items()},
    "volatile": [[v.kind, v.source, v.where] for v in seen.volatile],
    "restored": os.stat is stat_before and "now" not in type(datetime.datetime).__dict__,
}))
'''

EXPECTED = {
    "files": ["data/a.txt", "data/b.txt"],
    "directories": ["data", "tree", "tree/a", "tree/a/b"],
    "variables": {"PROBE_SET": "yes", "PROBE_MISSING": None, "PROBE_IN": None},
    "volatile": [["random", "random.Random.random", "user_code.py:13"],
                 ["clock", "datetime.datetime.now", "user_code.py:14"]],
    "restored": True,
}


def _interpreters():
    found = {sys.executable}
    for path in sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.1[0-3]*/bin/python3"))):
        found.add(path)
    return sorted(found)


@pytest.mark.parametrize("python", _interpreters())
def test_what_the_observer_records_on_each_python(tmp_path, python):
    for name in ("data/a.txt", "data/b.txt", "tree/a/b/c.txt"):
        write(tmp_path / name, "x")
    env = dict(os.environ, PYTHONPATH=REPO, PROBE_SET="yes")
    env.pop("PROBE_IN", None)
    proc = subprocess.run([python, "-c", PROBE], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout)
    for key, value in EXPECTED.items():
        assert seen[key] == value, (key, seen)
    stats = seen["stats"]
    assert stats["data/a.txt"] == ["exists", "isfile", "mtime", "size", "stat"]
    assert "isdir" in stats["data"]  # 3.13: Path.glob also stats it
    assert stats["data/b.txt"] in (["isfile"], ["stat"])  # 3.13: Path.is_file asks os.stat
    assert stats["gone (lstat)"] == ["exists"]


def _status(tmp_path, env=None, *args):
    return run_jug("status", "jugfile.py", "--short", *args, cwd=tmp_path,
                   env=jug_env(**(env or {})))


def _traced(tmp_path):
    path = tmp_path / "traced.log"
    return len(path.read_text().split()) if path.exists() else 0


MARKED = textwrap.dedent("""
    with open("traced.log", "a") as log:
        log.write("x\\n")
    import os
    from jug import TaskGenerator

    @TaskGenerator
    def f(x):
        return x
""")


def test_jugs_own_variables_do_not_make_manifests_churn(tmp_path):
    write(tmp_path / "jugfile.py", MARKED + "r = [f(i) for i in range(3)]\n")
    run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path,
            env=jug_env(JUG_MAX_TASKS=2, JUG_FSYNC=1), check=0)
    proc = _status(tmp_path, {"JUG_FSYNC": "0", "JUG_STATUS_SHORT": "1"})
    assert proc.stderr == "" and _traced(tmp_path) == 1, proc.stderr


def test_packages_reading_the_environment_while_imported_do_not_count(tmp_path):
    # an installed package (its directory is a site-packages) reading a
    # variable at import, and another one when the jugfile calls it
    write(tmp_path / "lib" / "site-packages" / "fakepkg" / "__init__.py", """
        import os
        OPTION = os.environ.get("FAKE_AT_IMPORT")

        def setting():
            return os.environ.get("FAKE_AT_CALL", "none")
    """)
    write(tmp_path / "jugfile.py", MARKED + "import fakepkg\nr = f(fakepkg.setting())\n")
    path = os.pathsep.join([REPO, str(tmp_path / "lib" / "site-packages")])
    env = {"PYTHONPATH": path}
    _status(tmp_path, env)
    _status(tmp_path, {**env, "FAKE_AT_IMPORT": "changed"})
    assert _traced(tmp_path) == 1
    proc = _status(tmp_path, {**env, "FAKE_AT_CALL": "changed"})
    assert "environment variable FAKE_AT_CALL changed" in proc.stderr and _traced(tmp_path) == 2


def test_reading_standard_input_is_volatile(tmp_path):
    write(tmp_path / "jugfile.py", MARKED + "import sys\nr = [f(w) for w in sys.stdin.read().split()]\n")
    for words in ("a b", "a b c"):
        proc = subprocess.run([sys.executable, "-c", "import sys; from jug.cli import main; "
                               "sys.exit(main())", "status", "jugfile.py", "--short"],
                              cwd=tmp_path, env=jug_env(), input=words, capture_output=True,
                              text=True, timeout=60)
        assert f"{len(words.split())} tasks waiting" in proc.stdout, proc
        assert "jugfile.py:10 reads standard input (sys.stdin.read)" in proc.stderr


def test_the_network_is_volatile(tmp_path):
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def answer():
        for _ in range(2):
            connection, _ = server.accept()
            connection.sendall(b"3")
            connection.close()

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    write(tmp_path / "jugfile.py", MARKED + textwrap.dedent(f"""
        import socket
        count = int(socket.create_connection(("127.0.0.1", {port})).recv(8))
        r = [f(i) for i in range(count)]
    """))
    try:
        for _ in range(2):
            proc = _status(tmp_path)
            assert "3 tasks waiting" in proc.stdout, proc
            assert "uses the network (socket.getaddrinfo)" in proc.stderr, proc.stderr
    finally:
        server.close()
    assert _traced(tmp_path) == 2


def test_a_trace_that_modifies_what_it_read_is_traced_again(tmp_path):
    # the original reads a different counter on every run
    write(tmp_path / "counter.txt", "0")
    write(tmp_path / "jugfile.py", MARKED + """
n = int(open("counter.txt").read())
open("counter.txt", "w").write(str(n + 1))
r = f(n)
""")
    _status(tmp_path)
    proc = _status(tmp_path)
    assert "counter.txt was modified while the jugfile ran" in proc.stderr


def test_the_observer_puts_everything_back(tmp_path):
    import builtins
    import datetime
    import pathlib
    import random
    import time

    from jug.compiler.observe import Observer

    before = (os.stat, os.path.exists, builtins.open, pathlib.Path.exists, time.time,
              random.random, os.environ.__class__.__getitem__, dict(vars(random._inst)),
              datetime.datetime.now, sys.stdin)
    with Observer():
        assert os.stat is not before[0] and time.time is not before[4]
    after = (os.stat, os.path.exists, builtins.open, pathlib.Path.exists, time.time,
             random.random, os.environ.__class__.__getitem__, dict(vars(random._inst)),
             datetime.datetime.now, sys.stdin)
    assert after == before


def test_explain_marks_what_differs(tmp_path):
    write(tmp_path / "data.txt", "1")
    write(tmp_path / "jugfile.py", MARKED + """
n = int(os.environ.get("N", "2"))
exists = os.path.exists("flag")
r = [f(open("data.txt").read()) for i in range(n)]
""")
    run_jug("compile", "jugfile.py", cwd=tmp_path, check=0)
    proc = run_jug("compile", "jugfile.py", "--explain", cwd=tmp_path, check=0)
    assert "Manifest of jugfile.py: fresh" in proc.stdout
    assert "    N (jugfile.py:10): unset" in proc.stdout
    assert "    flag (jugfile.py:11): exists: False" in proc.stdout
    write(tmp_path / "flag", "")
    proc = run_jug("compile", "jugfile.py", "--explain", "--json", cwd=tmp_path,
                   env=jug_env(N="4"), check=0)
    document = json.loads(proc.stdout)
    assert not document["fresh"] and document["reason"] == (
        "environment variable N changed (unset -> '4')")
    differs = {item["what"]: item["now"] for section in document["sections"]
               for item in section["items"] if item["differs"]}
    assert differs == {"N": "environment variable N changed (unset -> '4')",
                       "flag": "flag appeared"}
    assert _traced(tmp_path) == 1  # explaining ran no user code


def test_explain_after_editing_the_jugfile_says_first_that_the_manifest_is_stale(tmp_path):
    write(tmp_path / "jugfile.py", MARKED + "r = [f(i) for i in range(3)]\n")
    run_jug("compile", "jugfile.py", cwd=tmp_path, check=0)
    write(tmp_path / "jugfile.py", MARKED + "r = [f(i) for i in range(5)]\n")
    proc = run_jug("compile", "jugfile.py", "--explain", cwd=tmp_path, check=0)
    lines = proc.stdout.splitlines()
    assert lines[0] == ("Manifest of jugfile.py: stale: the next command re-traces it "
                        "(jugfile.py modified)"), proc.stdout
    assert [line for line in lines if line.startswith("  * ")] == [
        lines[lines.index("Files and directories read:") + 1]]
    assert "->  now: jugfile.py modified" in lines[lines.index("Files and directories read:") + 1]
    assert _traced(tmp_path) == 1  # the stored manifest is described: nothing ran
    status = run_jug("status", "jugfile.py", "--short", cwd=tmp_path, check=1)
    assert status.stderr == "jug: re-traced jugfile.py: jugfile.py modified\n"  # the same reason


@pytest.mark.parametrize("kind", ["file", "redis"])
def test_concurrent_workers_of_two_environments_each_find_their_manifest(tmp_path, kind,
                                                                         request):
    if kind == "file":
        jugdir = str(tmp_path / "jugdata")
    else:
        from conftest import flush_redis

        jugdir = request.getfixturevalue("redis_url")
        flush_redis(jugdir)
    write(tmp_path / "jugfile.py", MARKED + "r = [f(i) for i in range(int(os.environ['N']))]\n")
    command = [sys.executable, "-c", "import sys; from jug.cli import main; sys.exit(main())",
               "status", "jugfile.py", "--short", "--jugdir", jugdir]
    workers = [subprocess.Popen(command, cwd=tmp_path, env=jug_env(N=n), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
               for n in ("3", "5", "3", "5", "7", "7")]
    outputs = [worker.communicate(timeout=120) for worker in workers]
    assert [out.split()[0] for out, _ in outputs] == ["3", "5", "3", "5", "7", "7"], outputs
    traced = _traced(tmp_path)
    assert 3 <= traced <= 6  # once per environment, plus races between equal ones
    for n in ("3", "5", "7", "5", "3"):
        proc = run_jug(*command[3:], cwd=tmp_path, env=jug_env(N=n), check=1)
        assert proc.stdout.startswith(f"{n} tasks waiting") and proc.stderr == "", proc
    assert _traced(tmp_path) == traced
