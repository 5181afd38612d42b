"""Helpers of the reliability tests: jugfiles whose tasks log every execution
to an append-only file, workers started as real processes, the checks made
after every run, and the machinery some tests need as root (a small tmpfs, a
read-only mount, network namespaces), skipped with the reason otherwise.

The execution log: each task appends one line ``<tag> <task id> <pid> <host>``
with a single ``write`` on a file opened with ``O_APPEND`` (atomic for lines
this short), ``tag`` being ``start`` or ``done``.  ``done`` is written just
before the task returns, so "ran exactly once" means one ``done`` line.
"""

import collections
import os
import shutil
import signal
import subprocess
import textwrap
import time

import pytest

from jugtest import jug_command, jug_env, run_jug, write

LOG_HELPER = '''
import os, socket

_LOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "executions.log")


def log(tag, task_id):
    # the host is asked each time: workers get this module's state from the trace
    host = os.environ.get("JUG_HOSTNAME") or socket.gethostname()
    line = f"{tag} {task_id} {os.getpid()} {host}\\n".encode()
    fd = os.open(_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
'''


def jugfile_with_log(directory, body, name="jugfile.py"):
    """Write a jugfile: ``from executionlog import log`` works in ``body``."""
    write(os.path.join(directory, "executionlog.py"), LOG_HELPER)
    body = textwrap.dedent(body).lstrip("\n")
    return write(os.path.join(directory, name), "from executionlog import log\n" + body)


def read_log(directory):
    """``[(tag, task id, pid, host)]`` of every logged line, in order."""
    try:
        with open(os.path.join(directory, "executions.log")) as handle:
            lines = handle.read().splitlines()
    except FileNotFoundError:
        return []
    return [tuple(line.split(" ", 3)) for line in lines]


def done_counts(directory):
    """``Counter(task id -> executions that finished)``."""
    return collections.Counter(task for tag, task, _, _ in read_log(directory) if tag == "done")


def record_figure(what, value):
    """Keep a measured figure (seconds, counts) for the closing report: one
    JSON line appended to ``$JUG_RELIABILITY_FIGURES`` when it is set."""
    path = os.environ.get("JUG_RELIABILITY_FIGURES")
    if path:
        import json

        with open(path, "a") as handle:
            handle.write(json.dumps({"what": what, "value": round(value, 3)}) + "\n")


def wait_for(predicate, timeout, poll=0.005, what="the condition"):
    """Poll ``predicate`` until it returns something true; that value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Worker:
    """One ``jug execute`` process (its output kept in files, so that a
    worker printing a lot never blocks on a full pipe)."""

    def __init__(self, directory, *args, env=None, prefix=(), jugfile="jugfile.py"):
        self.directory = directory
        self.out_path = os.path.join(directory, f"worker-{time.monotonic_ns()}.out")
        self.err_path = self.out_path[:-4] + ".err"
        self._out = open(self.out_path, "w")
        self._err = open(self.err_path, "w")
        command = [*prefix, *jug_command("execute", jugfile, "--will-cite", *args)]
        self.process = subprocess.Popen(command, cwd=directory, env=env or jug_env(),
                                        stdout=self._out, stderr=self._err)
        self.pid = self.process.pid

    def kill(self):
        """SIGKILL: no cleanup of any kind."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def wait(self, timeout=300):
        try:
            return self.process.wait(timeout=timeout)
        finally:
            self._out.close()
            self._err.close()

    @property
    def stdout(self):
        with open(self.out_path) as handle:
            return handle.read()

    @property
    def stderr(self):
        with open(self.err_path) as handle:
            return handle.read()


def finish_and_verify(directory, jugdir, jugfile="jugfile.py", env=None):
    """Run one more worker to the end, then ``jug check --verify`` (every
    result loads); returns the worker's stderr."""
    worker = run_jug("execute", jugfile, "--will-cite", "--jugdir", jugdir,
                     "--wait-cycle-time", "0.2", cwd=directory, env=env, check=0, timeout=600)
    run_jug("check", jugfile, "--verify", "--jugdir", jugdir, cwd=directory, env=env, check=0,
            timeout=600)
    return worker.stderr


def assert_one_sentence(stderr, *must_contain):
    """The error output is ``jug: ...`` lines (click's ``Error: ...`` for a
    bad option value), no Python traceback."""
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines, "nothing on stderr"
    assert all(line.startswith(("jug: ", "Error: ", "Usage: ", "Try ")) for line in lines), stderr
    for text in must_contain:
        assert text in stderr, stderr




def _run(*command):
    return subprocess.run(command, capture_output=True, text=True)


def can_use_network_namespaces():
    """None, or why network namespaces cannot be made here."""
    if os.geteuid() != 0:
        return "not root: network namespaces need CAP_SYS_ADMIN"
    if shutil.which("ip") is None:
        return "iproute2 (`ip`) is not installed"
    if shutil.which("unshare") is None:
        return "util-linux `unshare` is not installed"
    probe = f"jugprobe{os.getpid()}"
    proc = _run("ip", "netns", "add", probe)
    if proc.returncode != 0:
        return f"`ip netns add` failed: {proc.stderr.strip()}"
    _run("ip", "netns", "del", probe)
    return None


class TwoHosts:
    """Two network namespaces joined by a veth pair: ``a`` (10.213.N.1) and
    ``b`` (10.213.N.2).  ``prefix(host)`` runs a command inside one, in its
    own UTS and pid namespaces (its own host name and pids)."""

    def __init__(self):
        tag = os.getpid() % 200 + 20
        self.names = {"a": f"juga{os.getpid()}", "b": f"jugb{os.getpid()}"}
        self.addresses = {"a": f"10.213.{tag}.1", "b": f"10.213.{tag}.2"}
        self.hostnames = {"a": "jug-host-a", "b": "jug-host-b"}
        self._made = []

    def create(self):
        a, b = self.names["a"], self.names["b"]
        veth_a, veth_b = f"va{os.getpid()}"[:15], f"vb{os.getpid()}"[:15]
        steps = [("ip", "netns", "add", a), ("ip", "netns", "add", b),
                 ("ip", "link", "add", veth_a, "type", "veth", "peer", "name", veth_b),
                 ("ip", "link", "set", veth_a, "netns", a),
                 ("ip", "link", "set", veth_b, "netns", b),
                 ("ip", "-n", a, "addr", "add", f"{self.addresses['a']}/24", "dev", veth_a),
                 ("ip", "-n", b, "addr", "add", f"{self.addresses['b']}/24", "dev", veth_b),
                 ("ip", "-n", a, "link", "set", veth_a, "up"),
                 ("ip", "-n", b, "link", "set", veth_b, "up"),
                 ("ip", "-n", a, "link", "set", "lo", "up"),
                 ("ip", "-n", b, "link", "set", "lo", "up")]
        for step in steps:
            proc = _run(*step)
            if proc.returncode != 0:
                self.destroy()
                pytest.skip(f"cannot make network namespaces: `{' '.join(step)}` failed "
                            f"({proc.stderr.strip()})")
            if step[:3] == ("ip", "netns", "add"):
                self._made.append(step[3])
        return self

    def prefix(self, host, own_pids=True):
        """The command prefix that runs inside namespace ``host``."""
        command = ["ip", "netns", "exec", self.names[host], "unshare", "--uts"]
        if own_pids:
            command += ["--pid", "--fork", "--mount-proc"]
        return command

    def destroy(self):
        for name in self._made:
            _run("ip", "netns", "del", name)
        self._made = []


# -- fixtures (imported by the test modules that use them: a conftest.py here
# would shadow tests/conftest.py for `from conftest import ...`) ----------------


@pytest.fixture
def tmpfs(tmp_path):
    """``tmpfs(size, options="")``: a new tmpfs mounted in tmp_path (root
    only; skipped with the reason elsewhere), unmounted after the test."""
    mounted = []

    def mount(size, options=""):
        target = tmp_path / f"tmpfs{len(mounted)}"
        target.mkdir()
        opts = f"size={size}" + (f",{options}" if options else "")
        proc = _run("mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(target))
        if proc.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here ({proc.stderr.strip() or 'not root'}); "
                        "run as root to test a full disk")
        mounted.append(target)
        return target

    yield mount
    for target in reversed(mounted):
        _run("umount", "-l", str(target))


@pytest.fixture
def two_hosts():
    """Two network namespaces joined by a veth pair (:class:`TwoHosts`),
    removed after the test; skipped with the reason where they cannot be made."""
    reason = can_use_network_namespaces()
    if reason:
        pytest.skip(reason)
    hosts = TwoHosts().create()
    yield hosts
    hosts.destroy()
