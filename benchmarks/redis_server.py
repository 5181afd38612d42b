"""A throw-away ``redis-server``, shared by the tests (``tests/conftest.py``)
and the benchmarks: started on a free loopback port (and a unix socket) as a
child process, without persistence (``--save ''``, no AOF), so it measures
jug and the round trips rather than Redis writing snapshots; stopped, and its
directory removed, when done.

    with RedisServer() as server:
        store = open_store(server.url)

``flush()`` empties it between runs; ``client()`` is a redis-py client.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time

INSTALL_HINT = "redis-server not installed; apt-get install redis-server"


def redis_server_binary():
    """The path of redis-server, or None."""
    return shutil.which("redis-server")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """One redis-server process.  ``extra_args`` are passed on (e.g.
    ``["--requirepass", "secret"]``); ``executable`` defaults to the
    redis-server on PATH."""

    def __init__(self, extra_args=(), startup_timeout=15.0, executable=None):
        self.binary = executable or redis_server_binary()
        if self.binary is None:
            raise RuntimeError(INSTALL_HINT)
        self.extra_args = list(extra_args)
        self.startup_timeout = startup_timeout
        self.process = None
        self.port = None
        self.directory = None
        self._log = None

    @classmethod
    def find(cls, executable=None):
        """``(server, None)``, or ``(None, why)`` when redis-server is absent."""
        path = executable or redis_server_binary()
        if not path:
            return None, "redis-server not found on PATH"
        return cls(executable=path), None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def socket_path(self):
        return os.path.join(self.directory, "redis.sock")

    @property
    def version(self):
        """``7.0.15``, from ``redis-server --version``."""
        output = subprocess.run([self.binary, "--version"], capture_output=True, text=True,
                                timeout=30).stdout
        for word in output.split():
            if word.startswith("v="):
                return word[2:]
        return output.strip()

    def start(self):
        self.directory = tempfile.mkdtemp(prefix="jug-redis-")
        # a file, not a pipe: a pipe nobody reads would block the server once full
        self._log = open(os.path.join(self.directory, "redis.log"), "wb")
        for _ in range(5):  # another process may grab the free port before redis does
            self.port = free_port()
            self._spawn()
            if self._wait_until_ready():
                return self
            self._kill()
        output = self._output()
        self.stop()
        raise RuntimeError(f"redis-server did not start: {output}")

    def _spawn(self):
        # later arguments win: extra_args may turn persistence back on
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--daemonize", "no",
             "--dir", self.directory, "--unixsocket", self.socket_path,
             "--unixsocketperm", "700", *self.extra_args],
            stdout=self._log, stderr=subprocess.STDOUT)

    def pause(self):
        """Stop the server process (SIGTERM: it saves what its persistence
        settings say), keeping its port and directory for :meth:`resume`."""
        self._kill()

    def resume(self):
        """Start the server again on the same port and directory (after
        :meth:`pause`); it reloads what it persisted."""
        self._spawn()
        if not self._wait_until_ready():
            raise RuntimeError(f"redis-server did not restart: {self._output()}")

    def _wait_until_ready(self):
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                    conn.sendall(b"PING\r\n")
                    reply = conn.recv(64)
                if reply.startswith((b"+PONG", b"-NOAUTH")):
                    return True
            except OSError:
                pass
            time.sleep(0.02)
        return False

    def _output(self):
        with open(os.path.join(self.directory, "redis.log"), "rb") as log:
            return log.read()[-2000:].decode(errors="replace")

    def client(self):
        """A redis-py client of database 0 (redis-py is imported here)."""
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, db=0)

    def flush(self):
        self.client().flushall()

    def _kill(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def stop(self):
        self._kill()
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
