"""``jug webstatus`` as a subprocess for tests: started on a free port,
read from with urllib, stopped with Ctrl-C (SIGINT).

    with WebStatus("jugfile.py", cwd=tmp_path) as server:
        document = server.json("/api/status")
        for event in server.events(count=3):
            ...
"""

import json
import re
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request

from jugtest import jug_command, jug_env

_URL = re.compile(r"at (http://\S+)")


class WebStatus:
    """One ``jug webstatus`` process; ``url`` is where it serves (with the
    token, if it printed one)."""

    def __init__(self, *args, cwd, env=None, refresh=0.2, host=None, startup_timeout=60):
        extra = ["--port", "0", "--refresh", str(refresh)]
        if host is not None:
            extra += ["--host", host]
        self.command = jug_command("webstatus", *args, *extra)
        self.cwd = cwd
        self.env = env or jug_env()
        self.startup_timeout = startup_timeout
        self.process = None
        self.url = None
        self.token = None
        self.stdout = ""
        self.stderr = ""
        self._lines = []

    def start(self):
        self.process = subprocess.Popen(self.command, cwd=self.cwd, env=self.env,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True)
        self._stderr_lines = []
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        deadline = time.monotonic() + self.startup_timeout
        while self.url is None:
            line = self.process.stdout.readline()
            if not line:
                self.process.wait(timeout=10)
                raise RuntimeError(f"jug webstatus exited {self.process.returncode}:\n"
                                   + "".join(self._stderr_lines))
            self._lines.append(line)
            match = _URL.search(line)
            if match:
                self.url = match.group(1)
            if time.monotonic() > deadline:
                raise RuntimeError("jug webstatus printed no address")
        token = re.search(r"\?token=(\S+)", self.url)
        self.token = token.group(1) if token else None
        self.base = self.url.split("?", 1)[0].rstrip("/")
        threading.Thread(target=self._drain_stdout, daemon=True).start()
        return self

    def _drain_stdout(self):
        for line in self.process.stdout:
            self._lines.append(line)

    def _drain_stderr(self):
        for line in self.process.stderr:
            self._stderr_lines.append(line)

    def wait_for_output(self, text, timeout=30):
        """Wait until ``text`` is in what the server printed on stdout."""
        deadline = time.monotonic() + timeout
        while text not in "".join(self._lines):
            assert time.monotonic() < deadline, f"{text!r} not in {''.join(self._lines)!r}"
            time.sleep(0.05)

    def address(self, path, token=True):
        url = self.base + path
        if token and self.token:
            url += ("&" if "?" in url else "?") + f"token={self.token}"
        return url

    def get(self, path, token=True, headers=None, method="GET"):
        """``(status, headers, body bytes)`` of one request."""
        request = urllib.request.Request(self.address(path, token), headers=headers or {},
                                         method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def json(self, path="/api/status"):
        status, _, body = self.get(path)
        assert status == 200, (status, body)
        return json.loads(body)

    def events(self, timeout=60):
        """The ``data`` of each server-sent event, as it arrives (a generator
        over one connection)."""
        request = urllib.request.Request(self.address("/api/events"),
                                         headers={"Accept": "text/event-stream"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            assert response.headers["Content-Type"].startswith("text/event-stream")
            data = []
            for raw in response:
                line = raw.decode().rstrip("\n")
                if line.startswith("data: "):
                    data.append(line[len("data: "):])
                elif line == "" and data:
                    yield json.loads("\n".join(data))
                    data = []

    def stop(self):
        """Ctrl-C; returns the exit code (stdout and stderr are then kept)."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        time.sleep(0.1)  # let the drain threads read the last lines
        self.stdout = "".join(self._lines)
        self.stderr = "".join(self._stderr_lines)
        return self.process.returncode

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
