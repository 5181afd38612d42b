"""A throw-away ``redis-server`` on a free loopback port.

No persistence (``--save ''``, no AOF), so a run measures jug and the
network round trips, not Redis writing snapshots.  ``flush()`` empties it
between runs.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time


class RedisServer:
    def __init__(self, executable, workdir):
        self.executable = executable
        self.workdir = workdir
        self.port = None
        self.process = None
        self.version = None

    @classmethod
    def find(cls, workdir, executable=None):
        """A server object, or None (with the reason) if redis-server is absent."""
        path = executable or shutil.which("redis-server")
        if not path:
            return None, "redis-server not found on PATH"
        return cls(path, workdir), None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout=10):
        try:
            import redis  # noqa: F401  (the runner flushes and measures the floor with redis-py)
        except ImportError as exc:
            raise RuntimeError(f"redis-py is not importable here: {exc}") from None
        self.port = _free_port()
        self.process = subprocess.Popen(
            [self.executable, "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.workdir),
             "--daemonize", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited: {self.process.stderr.read().decode()[:200]}")
            try:
                client = self.client()
                info = client.info("server")
                self.version = info.get("redis_version")
                return self
            except Exception:  # not accepting connections yet
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not answer on port {self.port} within {timeout} s")

    def client(self):
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, db=0)

    def flush(self):
        self.client().flushall()

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
