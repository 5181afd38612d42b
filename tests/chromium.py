"""Headless Chromium for tests, driven over the DevTools protocol on a pipe.

``--remote-debugging-pipe`` makes Chromium read protocol commands from file
descriptor 3 and write replies and events to 4, as NUL-terminated JSON: the
standard library is enough (no websocket client, no Node), and real input
events (``Input.dispatchMouseEvent``) click the page as a user would.

    with Chromium() as browser:
        browser.open("http://127.0.0.1:8080/")
        browser.wait_for("document.body.dataset.version")
        rows = browser.evaluate("document.querySelectorAll('tr').length")
        browser.click(120, 300)
        png = browser.screenshot()
"""

import base64
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

INSTALL_HINT = ("Chromium is not installed (apt-get install chromium; .ci/run installs it "
                "when it can)")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--hide-scrollbars", "--mute-audio")


def chromium_binary():
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


# Puts the pipe ends given as argv[1:3] on descriptors 3 and 4 (through
# copies above 9, so that neither overwrites the other), then becomes
# Chromium.  Debian's /usr/bin/chromium is a shell script, and dash cannot
# redirect descriptors above 9 itself.
_PLACE_PIPES = """
import fcntl, os, sys
read_end, write_end = (fcntl.fcntl(int(fd), fcntl.F_DUPFD, 10) for fd in sys.argv[1:3])
os.dup2(read_end, 3)
os.dup2(write_end, 4)
os.execv(sys.argv[3], sys.argv[3:])
"""


class BrowserError(RuntimeError):
    pass


class Chromium:
    """One headless Chromium with one page (a tab) attached."""

    def __init__(self, width=1280, height=900, binary=None, timeout=30.0):
        self.binary = binary or chromium_binary()
        if self.binary is None:
            raise BrowserError(INSTALL_HINT)
        self.width, self.height = width, height
        self.timeout = timeout
        self.process = None
        self.session = None
        self.events = []
        self._next_id = 0
        self._buffer = b""
        self._profile = None

    # -- process and protocol --------------------------------------------------

    def start(self):
        self._profile = tempfile.mkdtemp(prefix="jug-chromium-")
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()
        self._log = open(os.path.join(self._profile, "chromium.log"), "wb")
        args = [*FLAGS, f"--user-data-dir={self._profile}", "--remote-debugging-pipe",
                f"--window-size={self.width},{self.height}", "about:blank"]
        self.process = subprocess.Popen(
            [sys.executable, "-c", _PLACE_PIPES, str(to_browser_read), str(from_browser_write),
             self.binary, *args],
            pass_fds=(to_browser_read, from_browser_write), stdin=subprocess.DEVNULL,
            stdout=self._log, stderr=subprocess.STDOUT)
        os.close(to_browser_read)
        os.close(from_browser_write)
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target,
                                                            "flatten": True})["sessionId"]
        self.send("Page.enable")
        self.send("Runtime.enable")
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": self.width, "height": self.height, "deviceScaleFactor": 1,
                   "mobile": False})
        return self

    def send(self, method, params=None, session=True, timeout=None):
        """Send one command; its result (BrowserError for a protocol error)."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session and self.session is not None:
            message["sessionId"] = self.session
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self._to_browser, data):]
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            reply = self._read(deadline, method)
            if reply.get("id") == message["id"]:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def _read(self, deadline, waiting_for):
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BrowserError(f"no answer from Chromium to {waiting_for}{self._log_tail()}")
            ready, _, _ = select.select([self._from_browser], [], [], remaining)
            if ready:
                chunk = os.read(self._from_browser, 1 << 20)
                if not chunk:
                    raise BrowserError(f"Chromium exited{self._log_tail()}")
                self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def _log_tail(self):
        try:
            self._log.flush()
            with open(self._log.name, "rb") as log:
                tail = log.read()[-1500:].decode(errors="replace")
        except OSError:
            return ""
        return f"; its output ends with:\n{tail}" if tail else ""

    def close(self):
        if self.process is not None:
            try:
                self.send("Browser.close", session=False, timeout=5)
            except (BrowserError, OSError):
                pass
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
            for fd in (self._to_browser, self._from_browser):
                os.close(fd)
            self._log.close()
        if self._profile is not None:
            shutil.rmtree(self._profile, ignore_errors=True)
            self._profile = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.close()

    # -- the page ----------------------------------------------------------------

    def open(self, url):
        """Load ``url`` and wait for its load event."""
        self.events = [event for event in self.events if event["method"] != "Page.loadEventFired"]
        result = self.send("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise BrowserError(f"cannot open {url}: {result['errorText']}")
        deadline = time.monotonic() + self.timeout
        while not any(event["method"] == "Page.loadEventFired" for event in self.events):
            reply = self._read(deadline, f"the load of {url}")
            if "method" in reply:
                self.events.append(reply)

    def evaluate(self, expression):
        """The JSON value of a JavaScript expression (promises are awaited)."""
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                 "awaitPromise": True})
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise BrowserError(f"JavaScript failed: {text}")
        return result["result"].get("value")

    def wait_for(self, expression, timeout=None, interval=0.1):
        """Evaluate ``expression`` until it is truthy; its value."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise BrowserError(f"timed out waiting for {expression}")
            time.sleep(interval)

    def click(self, x, y):
        """A left click at viewport coordinates, as a mouse makes it."""
        for kind, extra in (("mouseMoved", {}),
                            ("mousePressed", {"button": "left", "clickCount": 1}),
                            ("mouseReleased", {"button": "left", "clickCount": 1})):
            self.send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, **extra})

    def screenshot(self, full_page=True):
        """The page as PNG bytes (the whole page, not only the viewport)."""
        params = {"format": "png"}
        if full_page:
            size = self.evaluate("[document.documentElement.scrollWidth, "
                                 "document.documentElement.scrollHeight]")
            params.update(captureBeyondViewport=True,
                          clip={"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1})
        return base64.b64decode(self.send("Page.captureScreenshot", params)["data"])
