"""Two worker hosts: two network namespaces joined by a veth pair, each
worker in its own UTS namespace (its own host name, set with ``hostname``)
and pid namespace (its own pids), sharing one Redis server that listens on
host A's address.  Made by the test as root; skipped otherwise.

* the run completes, each task once, both hosts taking part;
* a lock held by a live worker of the other host is never broken, although
  the pid it records means nothing here (in host B's pid namespace that pid
  is not a process): only the lease counts across hosts;
* a worker killed on host A has its lock reclaimed by host B once the lease
  has run out (``--lease 2``), not before."""

import os
import subprocess
import time

import pytest

from benchmarks.redis_server import redis_server_binary
from reliability_harness import two_hosts  # noqa: F401 (a fixture)
from reliability_harness import (Worker, done_counts, jugfile_with_log, read_log, record_figure,
                                 wait_for)

pytestmark = pytest.mark.skipif(redis_server_binary() is None,
                                reason="redis-server not installed; apt-get install redis-server")

LEASE = 2.0
PORT = 6391

JUGFILE = """
    import time
    from jug import TaskGenerator

    @TaskGenerator
    def long_task():
        log("start", "long")
        time.sleep(5)
        log("done", "long")
        return "long"

    @TaskGenerator
    def quick(i):
        time.sleep(0.05)
        log("done", i)
        return i

    @TaskGenerator
    def after(value, values):
        log("done", "after")
        return (value, sum(values))

    values = [quick(i) for i in range(40)]
    result = after(long_task(), values)
"""


@pytest.fixture
def redis_on_host_a(two_hosts):
    address = two_hosts.addresses["a"]
    directory = f"/tmp/jug-netns-redis-{os.getpid()}"
    os.makedirs(directory, exist_ok=True)
    server = subprocess.Popen(
        ["ip", "netns", "exec", two_hosts.names["a"], redis_server_binary(), "--bind", address,
         "--port", str(PORT), "--save", "", "--appendonly", "no", "--protected-mode", "no",
         "--dir", directory], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://{address}:{PORT}/0"
    try:
        wait_for(lambda: subprocess.run(
            ["ip", "netns", "exec", two_hosts.names["b"], "redis-cli", "-h", address, "-p",
             str(PORT), "ping"], capture_output=True, text=True).stdout.strip() == "PONG",
            30, poll=0.1, what="redis-server in namespace a, from namespace b")
        yield url
    finally:
        server.terminate()
        server.wait()


def host_worker(hosts, host, directory, url, extra_pids=0):
    """``jug execute`` on ``host``: its own network, host name and pids.
    ``extra_pids`` short-lived processes first, so that its pid (in its
    namespace) is one the other host's namespace does not have."""
    burn = "for i in $(seq %d); do /bin/true; done; " % extra_pids if extra_pids else ""
    prefix = [*hosts.prefix(host), "sh", "-c",
              f'hostname {hosts.hostnames[host]}; {burn}"$@"', "sh"]
    return Worker(directory, "--jugdir", url, "--wait-cycle-time", "0.2", "--lease", str(LEASE),
                  prefix=prefix)


def kill_host(worker):
    """SIGKILL the pid namespace's first process: the kernel then kills every
    process of that namespace, the worker too, with no cleanup."""
    unshare = worker.pid  # `ip netns exec` ran unshare in its place
    with open(f"/proc/{unshare}/task/{unshare}/children") as handle:
        (init,) = handle.read().split()
    os.kill(int(init), 9)
    worker.wait()


def verify_from_host_b(hosts, directory, url):
    """``jug check --verify`` from host B (the server is not reachable from
    the test's own namespace)."""
    from jugtest import jug_command, jug_env

    proc = subprocess.run([*hosts.prefix("b", own_pids=False),
                           *jug_command("check", "jugfile.py", "--verify", "--jugdir", url)],
                          cwd=directory, env=jug_env(), capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_two_hosts_complete_a_run_and_a_live_holder_is_never_reclaimed(tmp_path, two_hosts,
                                                                       redis_on_host_a):
    jugfile_with_log(tmp_path, JUGFILE)
    a = host_worker(two_hosts, "a", tmp_path, redis_on_host_a, extra_pids=40)
    wait_for(lambda: any(t == "long" for tag, t, _, _ in read_log(tmp_path) if tag == "start"),
             60, what="host A to start the long task")
    b = host_worker(two_hosts, "b", tmp_path, redis_on_host_a)
    assert a.wait() == 0, a.stderr
    assert b.wait() == 0, b.stderr
    counts = done_counts(tmp_path)
    assert counts == {"long": 1, "after": 1, **{str(i): 1 for i in range(40)}}
    hosts = {host for _, _, _, host in read_log(tmp_path)}
    assert hosts == {"jug-host-a", "jug-host-b"}  # both took part, under their own names
    assert "reclaimed" not in b.stderr  # the lease (2 s) was renewed through the 5 s task
    long_pid = next(pid for tag, t, pid, _ in read_log(tmp_path) if t == "long")
    assert int(long_pid) > 10  # in B's pid namespace (pids 1, 2, 3...) no such process
    verify_from_host_b(two_hosts, tmp_path, redis_on_host_a)


def test_a_killed_host_lock_is_reclaimed_after_the_lease(tmp_path, two_hosts, redis_on_host_a):
    jugfile_with_log(tmp_path, JUGFILE)
    a = host_worker(two_hosts, "a", tmp_path, redis_on_host_a, extra_pids=40)
    wait_for(lambda: any(t == "long" for tag, t, _, _ in read_log(tmp_path) if tag == "start"),
             60, what="host A to start the long task")
    b = host_worker(two_hosts, "b", tmp_path, redis_on_host_a)
    wait_for(lambda: len(done_counts(tmp_path)) >= 40, 60, what="the quick tasks")
    kill_host(a)
    killed_at = time.monotonic()

    def b_started_long():
        return [pid for tag, t, pid, host in read_log(tmp_path)
                if tag == "start" and t == "long" and host == "jug-host-b"]

    wait_for(b_started_long, 30, poll=0.02, what="host B to take the long task over")
    reclaimed_after = time.monotonic() - killed_at
    assert b.wait() == 0, b.stderr
    # the lock outlived its dead holder by the rest of its lease, no more
    assert LEASE * 0.5 < reclaimed_after < LEASE + 2.5, reclaimed_after
    counts = done_counts(tmp_path)
    assert counts == {"long": 1, "after": 1, **{str(i): 1 for i in range(40)}}
    verify_from_host_b(two_hosts, tmp_path, redis_on_host_a)
    record_figure(f"two hosts: lock of a killed host reclaimed after (lease {LEASE} s)",
                  reclaimed_after)


def test_another_hosts_dead_worker_is_judged_by_the_lease_not_its_pid(tmp_path):
    """Without namespaces: JUG_HOSTNAME makes a worker of this machine record
    another host name; once it is dead, its lock stays live until the lease
    runs out (the pid is only trusted on the host that wrote it)."""
    import sys

    from jug.store import open_store
    from jug.store.base import StoreSettings
    from jugtest import jug_env

    jugdir = tmp_path / "jugdata"
    key = "e" * 40
    code = ("import sys; from jug.store import open_store; "
            "assert open_store(sys.argv[1]).lock(sys.argv[2])")
    subprocess.run([sys.executable, "-c", code, str(jugdir), key], check=True,
                   env=jug_env(JUG_HOSTNAME="elsewhere-7"))
    with open_store(jugdir, StoreSettings(lease=LEASE)) as store:
        info = store.lock_info(key)
        assert info.host == "elsewhere-7"  # its pid is dead here, and would be stale at once
        assert not info.is_stale(lease=LEASE) and not store.break_stale_lock(key)
        time.sleep(LEASE + 0.2)
        assert store.lock_info(key).is_stale(lease=LEASE) and store.break_stale_lock(key)
