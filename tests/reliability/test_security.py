"""Security: a Redis password never shows in any output (every command, with
``--verbose debug``, including the error paths), files are created at the
user's umask, and a manifest written for another jugfile path is not used."""

import os
import signal
import stat
import subprocess
import time

import pytest

from benchmarks.redis_server import RedisServer, redis_server_binary
from jugtest import jug_command, jug_env
from reliability_harness import jugfile_with_log, run_jug

PASSWORD = "s3cr3t-Pa55word-never-shown"

JUGFILE = """
    from jug import TaskGenerator, barrier

    @TaskGenerator
    def double(x):
        log("done", x)
        return 2 * x

    values = [double(i) for i in range(3)]
"""

COMMANDS = [
    ["compile"], ["compile", "--json"], ["status"], ["status", "--json"], ["status", "--short"],
    ["check"], ["check", "--verify"], ["execute", "--will-cite"], ["status"],
    ["check", "--verify"], ["sleep-until"], ["graph", "--dot"], ["invalidate", "--name", "double"],
    ["migrate", "--dry-run"], ["execute", "--will-cite", "--keep-going"],
    ["count"], ["cleanup", "--dry-run"], ["pack"], ["execute", "--will-cite", "-j", "2"],
]


@pytest.fixture(scope="module")
def protected_redis():
    if redis_server_binary() is None:
        pytest.skip("redis-server not installed; apt-get install redis-server")
    with RedisServer(extra_args=["--requirepass", PASSWORD]) as server:
        yield server


def test_a_redis_password_is_never_printed(tmp_path, protected_redis):
    jugfile_with_log(tmp_path, JUGFILE)
    port = protected_redis.port
    good = f"redis://:{PASSWORD}@127.0.0.1:{port}/0"
    outputs = []
    for args in COMMANDS:
        proc = run_jug(*args[:1], "jugfile.py", *args[1:], "--jugdir", good, "--verbose", "debug",
                       cwd=tmp_path, timeout=120)
        assert "Traceback" not in proc.stderr, (args, proc.stderr)
        outputs.append((args, proc.stdout + proc.stderr))
    # the error paths: a wrong password, an unreachable server, a bad URL, a bad scheme
    for jugdir in (f"redis://:{PASSWORD}x@127.0.0.1:{port}/0",
                   f"redis://user:{PASSWORD}@127.0.0.1:1/0",
                   f"redis://:{PASSWORD}@127.0.0.1:notaport/0",
                   f"redis+tls://:{PASSWORD}@127.0.0.1:{port}/0"):
        for command in ("execute", "status", "check"):
            proc = run_jug(command, "jugfile.py", "--jugdir", jugdir, "--verbose", "debug",
                           cwd=tmp_path, timeout=120)
            assert proc.returncode != 0
            outputs.append(([command, jugdir.split("@")[-1]], proc.stdout + proc.stderr))
    outputs.append((["webstatus"], _webstatus_output(tmp_path, good)))
    leaks = [args for args, text in outputs if PASSWORD in text]
    assert leaks == [], leaks
    assert all(text for _, text in outputs[:3])  # the commands did print something


def _webstatus_output(directory, jugdir):
    proc = subprocess.Popen(jug_command("webstatus", "jugfile.py", "--jugdir", jugdir, "--port",
                                        "0", "--verbose", "debug"),
                            cwd=directory, env=jug_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    time.sleep(3)
    proc.send_signal(signal.SIGINT)
    try:
        output, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        output, _ = proc.communicate()
    return output


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o077])
def test_files_are_created_at_the_users_umask(tmp_path, umask):
    jugfile_with_log(tmp_path, JUGFILE)
    code = (f"import os, sys; os.umask({umask:#o}); from jug.cli import main; "
            "sys.exit(main())")
    for args in (["execute", "jugfile.py", "--will-cite", "--keep-failed"],
                 ["execute", "jugfile.py", "--will-cite", "--jugdir", "dict_store:saved.pickle"]):
        subprocess.run(["python", "-c", code, *args], cwd=tmp_path, env=jug_env(), check=True,
                       capture_output=True)
    created = [tmp_path / "saved.pickle"]
    for root, directories, files in os.walk(tmp_path / "jugfile.jugdata"):
        created += [os.path.join(root, name) for name in directories + files]
    assert len(created) > 5
    for path in created:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        default = 0o777 if os.path.isdir(path) else 0o666
        assert mode == default & ~umask, (path, oct(mode))


def test_a_manifest_written_for_another_jugfile_path_is_not_used(tmp_path):
    """Two jugfiles of one name sharing a store: each gets its own tasks."""
    store = tmp_path / "shared.jugdata"
    for name, first, count in (("a", 100, 2), ("b", 0, 5)):
        jugfile_with_log(tmp_path / name, f"""
            from jug import TaskGenerator

            @TaskGenerator
            def work(i):
                log("done", i)
                return i

            values = [work(i) for i in range({first}, {first + count})]
        """)
    run_jug("compile", "jugfile.py", "--jugdir", store, cwd=tmp_path / "a", check=0)
    proc = run_jug("status", "jugfile.py", "--jugdir", store, "--short", cwd=tmp_path / "b",
                   check=1)
    assert f"the manifest in the store was written for {tmp_path / 'a' / 'jugfile.py'}" \
        in proc.stderr
    assert proc.stdout.startswith("5 tasks waiting")
    run_jug("execute", "jugfile.py", "--will-cite", "--jugdir", store, cwd=tmp_path / "b",
            check=0)
    proc = run_jug("status", "jugfile.py", "--jugdir", store, "--short", cwd=tmp_path / "a",
                   check=1)
    assert proc.stdout.startswith("2 tasks waiting")  # not b's five
