"""``jug webstatus``: the server against stores filled by real workers, the
event stream, one store listing per refresh whatever the number of pages,
the access token, no Redis password anywhere, and what it says when
something is missing (the web extra, Graphviz's dot)."""

import json
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

pytest.importorskip("starlette", reason="the web extra is not installed: pip install -e '.[web]'")
pytest.importorskip("uvicorn", reason="the web extra is not installed: pip install -e '.[web]'")

from jugtest import jug_env, run_jug, start_jug, write  # noqa: E402
from benchmarks.redis_server import RedisServer, redis_server_binary  # noqa: E402
from test_status import JUGFILE, validate  # noqa: E402
from webserver import WebStatus  # noqa: E402

# 24 tasks of SLEEP seconds each, then a sum: long enough for several refreshes
SLOW_JUGFILE = """
    import os
    import time
    from jug import TaskGenerator

    PAUSE = float(os.environ.get("SLEEP", "0"))

    @TaskGenerator
    def work(x):
        time.sleep(PAUSE)
        return x * x

    @TaskGenerator
    def total(xs):
        return sum(xs)

    total([work(i) for i in range(24)])
"""

TIME_DEPENDENT = ("generated_at",)


def comparable(document):
    """``document`` without what changes from one listing to the next."""
    document = {key: value for key, value in document.items() if key not in TIME_DEPENDENT}
    document["running"] = [{k: v for k, v in lock.items() if k != "running_seconds"}
                           for lock in document["running"]]
    return document


def test_json_and_events_follow_real_workers(tmp_path, shared_jugdir):
    write(tmp_path / "jugfile.py", SLOW_JUGFILE)
    args = ("jugfile.py", "--jugdir", shared_jugdir)
    env = jug_env(SLEEP=0.15)
    with WebStatus(*args, cwd=tmp_path, env=env, refresh=0.2) as server:
        first = validate(server.json("/api/status"))
        assert first["totals"]["finished"] == 0 and first["totals"]["ready"] == 24

        events = []
        stream_error = []

        def listen():
            try:
                for event in server.events():
                    events.append(event)
                    if event["status"]["all_finished"]:
                        return
            except Exception as error:  # reported by the main thread
                stream_error.append(error)

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        workers = [start_jug("execute", *args, "--will-cite", "--wait-cycle-time", "0.2",
                             cwd=tmp_path, env=env) for _ in range(2)]
        polled = []
        while any(worker.poll() is None for worker in workers):
            polled.append(validate(server.json("/api/status")))
            time.sleep(0.1)
        for worker in workers:
            _, stderr = worker.communicate()
            assert worker.returncode == 0, stderr
        listener.join(timeout=30)
        assert not stream_error, stream_error
        assert not listener.is_alive(), "the event stream never said all_finished"

        finished = [document["totals"]["finished"] for document in polled]
        assert finished == sorted(finished) and len(set(finished)) >= 3, finished
        pids = {worker.pid for worker in workers}
        seen_running = {(lock["host"], lock["pid"]) for document in polled
                        for lock in document["running"]}
        assert seen_running and {pid for _, pid in seen_running} <= pids
        assert {host for host, _ in seen_running} == {socket.gethostname()}

        versions = [event["version"] for event in events]
        assert versions == sorted(set(versions))
        event_finished = [event["status"]["totals"]["finished"] for event in events]
        assert event_finished == sorted(event_finished) and len(set(event_finished)) >= 3
        assert event_finished[-1] == 25
        for event in events:
            validate(event["status"])
        last = events[-1]
        assert last["progress"]["rate_per_minute"] > 0
        assert [group["name"] for group in last["groups"]] == ["jugfile.work", "jugfile.total"]
        assert {group["state"] for group in last["groups"]} == {"finished"}

        served = validate(server.json("/api/status"))
        printed = validate(json.loads(run_jug("status", *args, "--json", cwd=tmp_path,
                                              check=0).stdout))
        assert comparable(served) == comparable(printed)
    assert server.stop() == 0


class CountingStore:
    """A real file store that counts how often it is listed."""

    def __init__(self, path):
        from jug.store.file_store import FileStore

        self.store = FileStore(path)
        self.key_listings = 0
        self.lock_listings = 0

    def __getattr__(self, name):
        return getattr(self.store, name)

    def list_keys(self):
        self.key_listings += 1
        return self.store.list_keys()

    def list_locks(self):
        self.lock_listings += 1
        return self.store.list_locks()


def serve_in_thread(app):
    """Run ``app`` with uvicorn in a thread; ``(base url, stop())``."""
    import asyncio

    from jug.web.server import bind, uvicorn_server

    sock = bind("127.0.0.1", 0)
    server = uvicorn_server(app)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])),
                              daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)

    def stop():
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()

    return f"http://127.0.0.1:{sock.getsockname()[1]}", stop


def test_one_store_listing_per_interval_whatever_the_number_of_pages(tmp_path, monkeypatch):
    import urllib.request

    from jug.cli.options import CommonOptions
    from jug.web.app import create_app
    from jug.web.live import LiveStatus

    write(tmp_path / "jugfile.py", SLOW_JUGFILE)
    run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, check=0)
    monkeypatch.chdir(tmp_path)
    store = CountingStore(tmp_path / "jugfile.jugdata")
    options = CommonOptions(jugfile="jugfile.py", jugdir=str(tmp_path / "jugfile.jugdata"),
                            argv=("jugfile.py",))
    interval = 0.5
    live = LiveStatus(options, store, interval=interval)
    base, stop = serve_in_thread(create_app(live))
    pages, duration = 12, 3.0
    stop_at = time.monotonic() + duration
    counts = {"requests": 0, "events": 0}
    lock = threading.Lock()

    def page():  # a page polling everything as fast as it can
        while time.monotonic() < stop_at:
            for path in ("/api/status", "/api/live", "/api/graph.svg"):
                with urllib.request.urlopen(base + path, timeout=30) as response:
                    assert response.status == 200
                    response.read()
                with lock:
                    counts["requests"] += 1

    def stream():  # a page following the event stream
        with urllib.request.urlopen(base + "/api/events", timeout=30) as response:
            for line in response:
                if line.startswith(b"data: "):
                    with lock:
                        counts["events"] += 1
                if time.monotonic() > stop_at:
                    return

    try:
        started = time.monotonic()
        threads = [threading.Thread(target=target, daemon=True)
                   for target in [page] * pages + [stream] * pages]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        elapsed = time.monotonic() - started
    finally:
        stop()
    allowed = elapsed / interval + 2
    assert counts["requests"] > 10 * allowed, counts  # many requests...
    assert counts["events"] >= pages, counts
    assert 2 <= store.key_listings <= allowed, (store.key_listings, elapsed)  # ...few listings
    assert store.lock_listings == store.key_listings
    assert live.listings == store.key_listings


def test_the_jugfile_does_not_run_while_the_manifest_is_fresh(tmp_path):
    write(tmp_path / "jugfile.py", SLOW_JUGFILE + """
    with open("traced.txt", "a") as marker:
        marker.write("traced\\n")
""")
    run_jug("compile", "jugfile.py", cwd=tmp_path, check=0)
    assert (tmp_path / "traced.txt").read_text() == "traced\n"
    with WebStatus("jugfile.py", cwd=tmp_path, refresh=0.1) as server:
        versions = set()
        for event in server.events():
            versions.add(event["version"])
            if len(versions) == 5:
                break
        run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, check=0)
        assert (tmp_path / "traced.txt").read_text() == "traced\n"
        # an edited jugfile is traced again, as `jug status` would
        with open(tmp_path / "jugfile.py", "a") as jugfile:
            jugfile.write("extra = work(100)\n")
        deadline = time.monotonic() + 30
        while server.json()["totals"]["tasks"] != 26:
            assert time.monotonic() < deadline
            time.sleep(0.1)
    # traced by compile, then by the server once the jugfile changed (execute ran from the
    # manifest)
    assert (tmp_path / "traced.txt").read_text() == "traced\n" * 2


def test_the_token_is_required_beyond_the_loopback_address(tmp_path):
    write(tmp_path / "jugfile.py", JUGFILE)
    # 127.0.0.2 is still this machine, but not the default address: a token is needed
    with WebStatus("jugfile.py", cwd=tmp_path, host="127.0.0.2") as server:
        assert server.token and len(server.token) >= 20
        server.wait_for_output("access token")
        for path in ("/", "/api/status", "/api/live", "/api/events", "/api/graph.svg"):
            status, headers, body = server.get(path, token=False)
            assert status == 401, (path, status)
            assert b"access token" in body
        assert server.get("/api/status", token=False,
                          headers={"Authorization": "Bearer wrong"})[0] == 401
        assert server.get("/api/status", token=False,
                          headers={"Authorization": f"Bearer {server.token}"})[0] == 200
        assert server.get("/api/status", token=False,
                          headers={"X-Jug-Token": server.token})[0] == 200
        status, headers, body = server.get("/")
        assert status == 200 and b"jug webstatus" in body
        assert "script-src 'self'" in headers["content-security-policy"]
        assert headers["referrer-policy"] == "no-referrer"
        assert server.get("/static/app.js", token=False)[0] == 200  # the same for everyone
        status, headers, _ = server.get("/api/status", method="POST")
        assert status == 405 and "GET" in headers["allow"]
        validate(server.json("/api/status"))


def test_loopback_without_token_refuses_other_host_names(tmp_path):
    write(tmp_path / "jugfile.py", JUGFILE)
    with WebStatus("jugfile.py", cwd=tmp_path) as server:
        assert server.token is None and server.base.startswith("http://127.0.0.1:")
        assert server.get("/api/status")[0] == 200
        port = server.base.rsplit(":", 1)[1]
        assert server.get("/api/status", headers={"Host": f"localhost:{port}"})[0] == 200
        # a page of another site reaching us through DNS rebinding sends its own name
        status, _, body = server.get("/api/status", headers={"Host": f"evil.example:{port}"})
        assert status == 421 and b"loopback" in body
        assert server.get("/", method="DELETE")[0] == 405


@pytest.mark.skipif(redis_server_binary() is None, reason="redis-server not installed")
def test_no_redis_password_in_the_page_or_the_logs(tmp_path):
    password = "pw-Ahc7quee-do-not-leak"
    write(tmp_path / "jugfile.py", JUGFILE)
    with RedisServer(extra_args=["--requirepass", password]) as redis_server:
        url = f"redis://:{password}@127.0.0.1:{redis_server.port}/0"
        run_jug("execute", "jugfile.py", "--jugdir", url, "--will-cite", "--keep-going",
                "--keep-failed", cwd=tmp_path, check=1)
        printed = run_jug("status", "jugfile.py", "--jugdir", url, "--json", cwd=tmp_path,
                          check=1)
        assert password not in printed.stdout + printed.stderr
        assert validate(json.loads(printed.stdout))["store"] == \
            f"redis://127.0.0.1:{redis_server.port}/0"
        with WebStatus("jugfile.py", "--jugdir", url, cwd=tmp_path) as server:
            bodies = [server.get(path)[2] for path in
                      ("/", "/static/app.js", "/static/app.css", "/api/status", "/api/live",
                       "/api/graph.svg")]
            bodies.append(json.dumps(next(server.events())).encode())
            assert json.loads(bodies[3])["failed"][0]["error"] == "ValueError: bad input 3"
            for body in bodies:
                assert password.encode() not in body
        assert server.stop() == 0
        assert password not in server.stdout + server.stderr
        assert f"redis://127.0.0.1:{redis_server.port}/0" in server.stdout

        wrong = f"redis://:not-{password}@127.0.0.1:{redis_server.port}/0"
        refused = run_jug("webstatus", "jugfile.py", "--jugdir", wrong, "--port", "0",
                          cwd=tmp_path, check=1)
        assert "refused the credentials" in refused.stderr
        assert password not in refused.stdout + refused.stderr


def test_without_graphviz_the_page_says_what_to_install(tmp_path):
    write(tmp_path / "jugfile.py", JUGFILE)
    env = jug_env(PATH=str(tmp_path / "no-such-bin"))  # no dot, and python is called by path
    with WebStatus("jugfile.py", cwd=tmp_path, env=env) as server:
        server.wait_for_output("Graphviz's `dot`")
        status, _, body = server.get("/api/graph.svg")
        assert status == 503 and b"install Graphviz" in body
        live = server.json("/api/live")
        assert live["graph"]["available"] is False and "apt-get install graphviz" in \
            live["graph"]["error"]
        assert [group["name"] for group in live["groups"]] == [
            "jugfile.square", "jugfile.total", "jugfile.boom"]
        validate(server.json("/api/status"))


def test_without_the_web_extra_it_says_what_to_install(tmp_path):
    write(tmp_path / "jugfile.py", JUGFILE)
    script = ("import sys; sys.modules['starlette'] = None; sys.modules['uvicorn'] = None\n"
              "from jug.cli import main; main(['webstatus', 'jugfile.py'])")
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=jug_env(),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.strip() == ("jug: jug webstatus needs the optional web dependencies "
                                   "(starlette and uvicorn): pip install 'jug[web]'")


def test_bad_addresses_and_stores_fail_with_one_line(tmp_path):
    write(tmp_path / "jugfile.py", JUGFILE)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        busy = run_jug("webstatus", "jugfile.py", "--port", port, cwd=tmp_path, check=1)
    assert busy.stderr.startswith(f"jug webstatus: cannot listen on 127.0.0.1:{port} ")
    assert "--port" in busy.stderr and "Traceback" not in busy.stderr
    memory = run_jug("webstatus", "jugfile.py", "--jugdir", "dict_store", cwd=tmp_path, check=1)
    assert "a dict_store lives inside one process" in memory.stderr
    broken = tmp_path / "broken.py"
    broken.write_text("def broken(:\n")
    syntax = run_jug("webstatus", "broken.py", "--port", "0", cwd=tmp_path, check=1)
    assert syntax.stderr == run_jug("status", "broken.py", cwd=tmp_path, check=1).stderr
    assert 'File "broken.py", line 1' in syntax.stderr and syntax.stdout == ""


def test_help_has_an_example_and_help_imports_no_web_library(tmp_path):
    proc = run_jug("webstatus", "--help", cwd=tmp_path, check=0)
    assert "Example" in proc.stdout and "jug webstatus primes.py" in proc.stdout
    assert "--port" in proc.stdout and "--host" in proc.stdout
    script = ("import sys; from jug.cli import main\n"
              "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
              "print('WEB', [m for m in ('starlette', 'uvicorn') if m in sys.modules])")
    listing = subprocess.run([sys.executable, "-c", script], env=jug_env(), capture_output=True,
                             text=True, check=True)
    assert "webstatus" in listing.stdout and "WEB []" in listing.stdout


def test_ctrl_c_ends_open_event_streams_and_stops_at_once(tmp_path):
    write(tmp_path / "jugfile.py", JUGFILE)
    ended = []
    with WebStatus("jugfile.py", cwd=tmp_path) as server:
        def follow():
            for _ in server.events():
                pass
            ended.append("cleanly")  # the response ended, no connection error

        streams = [threading.Thread(target=follow, daemon=True) for _ in range(3)]
        for stream in streams:
            stream.start()
        deadline = time.monotonic() + 30
        while server.json("/api/live")["version"] < 3:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        started = time.monotonic()
        assert server.stop() == 0
        stopped_in = time.monotonic() - started
    for stream in streams:
        stream.join(timeout=10)
    assert ended == ["cleanly"] * 3
    assert stopped_in < 4, stopped_in
    assert "Traceback" not in server.stderr and server.stdout.endswith("jug webstatus: stopped\n")


def test_ctrl_c_as_soon_as_it_says_it_listens_stops_it_cleanly(tmp_path):
    # the banner says "Ctrl-C stops it": it used to come before uvicorn and
    # the app were imported, and a Ctrl-C then ended in click's "Aborted!"
    write(tmp_path / "jugfile.py", JUGFILE)
    server = WebStatus("jugfile.py", cwd=tmp_path).start()
    while "Ctrl-C stops it" not in "".join(server._lines):
        time.sleep(0.01)
    assert server.stop() == 0, server.stdout + server.stderr
    assert "Aborted" not in server.stderr and server.stdout.endswith("jug webstatus: stopped\n")


@pytest.mark.skipif(redis_server_binary() is None, reason="redis-server not installed")
def test_a_store_that_goes_away_is_reported_and_the_last_status_kept(tmp_path):
    write(tmp_path / "jugfile.py", JUGFILE)
    redis_server = RedisServer().start()
    try:
        with WebStatus("jugfile.py", "--jugdir", redis_server.url, "--redis-retry", "1",
                       cwd=tmp_path, refresh=0.2) as server:
            before = validate(server.json("/api/status"))
            redis_server.stop()
            deadline = time.monotonic() + 30
            while (live := server.json("/api/live"))["error"] is None:
                assert time.monotonic() < deadline, "the failed refresh was never reported"
                time.sleep(0.2)
            assert "Redis" in live["error"] and "redis-server" in live["error"]
            assert comparable(live["status"]) == comparable(before)
            assert comparable(server.json("/api/status")) == comparable(before)
        assert server.stop() == 0
        assert "jug webstatus: " in server.stderr and "Traceback" not in server.stderr
    finally:
        redis_server.stop()
