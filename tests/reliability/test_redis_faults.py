"""Redis faults: the server restarted for 5 s in the middle of a run (the
workers wait, say so, and go on; nothing is lost or run twice), and a server
unreachable at start (a clear error and a non-zero exit within seconds)."""

import socket
import time

import pytest

from benchmarks.redis_server import RedisServer, redis_server_binary
from reliability_harness import (Worker, assert_one_sentence, done_counts, finish_and_verify,
                                 jugfile_with_log, read_log, record_figure, run_jug, wait_for)

pytestmark = pytest.mark.skipif(redis_server_binary() is None,
                                reason="redis-server not installed; apt-get install redis-server")

STEADY = """
    import time
    from jug import TaskGenerator

    @TaskGenerator
    def step(i):
        time.sleep(0.02)
        log("done", i)
        return i

    @TaskGenerator
    def total(values):
        log("done", "total")
        return sum(values)

    result = total([step(i) for i in range(600)])
"""


def test_server_restarted_for_5_s_mid_run(tmp_path):
    # appendfsync always: what the server acknowledged survives the restart
    server = RedisServer(extra_args=["--appendonly", "yes", "--appendfsync", "always"]).start()
    try:
        jugfile_with_log(tmp_path, STEADY)
        workers = [Worker(tmp_path, "--jugdir", server.url, "--wait-cycle-time", "0.2")
                   for _ in range(3)]
        wait_for(lambda: len(read_log(tmp_path)) >= 100, 120, what="the run to be under way")
        server.pause()
        down_at = time.monotonic()
        done_before = len(read_log(tmp_path))
        time.sleep(5)
        server.resume()
        outage = time.monotonic() - down_at
        for worker in workers:
            assert worker.wait() == 0, worker.stderr
        for worker in workers:
            assert "does not answer" in worker.stderr and "answers again" in worker.stderr, \
                worker.stderr
            assert "Traceback" not in worker.stderr
        counts = done_counts(tmp_path)
        assert set(counts) == {str(i) for i in range(600)} | {"total"}
        assert set(counts.values()) == {1}, [t for t, c in counts.items() if c > 1]
        finish_and_verify(tmp_path, server.url)
        record_figure("Redis outage ridden out (s)", outage)
        record_figure("tasks finished before the outage", done_before)
    finally:
        server.stop()


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("command", ["execute", "status", "check"])
def test_unreachable_at_start_is_a_clear_error_within_seconds(tmp_path, command):
    jugfile_with_log(tmp_path, "from jug import Task\n")
    url = f"redis://127.0.0.1:{_closed_port()}/0"
    started = time.monotonic()
    proc = run_jug(command, "jugfile.py", "--jugdir", url, cwd=tmp_path, timeout=60)
    took = time.monotonic() - started
    assert proc.returncode == (2 if command == "check" else 1), proc.stderr
    assert took < 10, f"{took:.1f} s"
    assert_one_sentence(proc.stderr, "could not connect to Redis at 127.0.0.1:", "redis-server")
    record_figure(f"unreachable Redis at start: {command} exits after", took)


def test_server_gone_for_longer_than_the_retry_time_ends_the_worker_clearly(tmp_path):
    server = RedisServer().start()
    try:
        jugfile_with_log(tmp_path, STEADY)
        worker = Worker(tmp_path, "--jugdir", server.url, "--wait-cycle-time", "0.2",
                        "--redis-retry", "2")
        wait_for(lambda: len(read_log(tmp_path)) >= 20, 120, what="the run to be under way")
        server.pause()
        started = time.monotonic()
        assert worker.wait(timeout=60) == 1
        took = time.monotonic() - started
    finally:
        server.stop()
    assert 1.5 < took < 15, f"{took:.1f} s"
    assert "retrying for up to 2 s" in worker.stderr
    assert "retried for 2 s (--redis-retry)" in worker.stderr
    assert "Traceback" not in worker.stderr
