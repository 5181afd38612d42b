"""Make the screenshot of ``jug webstatus`` in docs/webstatus.md: the primes
example half-way through a run, taken by headless Chromium.

    python tests/web_screenshot.py docs/images/webstatus-primes.png

In a copy of examples/primes (with its one-second pause per task): the
server starts and the page is opened, three workers start, one of them is
killed (kill -9) after 15 s, which leaves a stale lock, and the page is
photographed 35 s after the workers started.  Takes about 40 s.
"""

import os
import shutil
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from chromium import Chromium  # noqa: E402
from jugtest import REPO, jug_env, run_jug, start_jug  # noqa: E402
from webserver import WebStatus  # noqa: E402


def main(output):
    with tempfile.TemporaryDirectory(prefix="jug-screenshot-") as directory:
        shutil.copy(os.path.join(REPO, "examples", "primes", "primes.py"), directory)
        run_jug("compile", "primes.py", cwd=directory, env=jug_env(PRIMES_SLEEP=1), check=0)
        with WebStatus("primes.py", cwd=directory, refresh=1) as server, \
                Chromium(width=1280, height=900) as browser:
            browser.open(server.url)
            browser.wait_for("document.querySelectorAll('#graph g.node').length === 3")
            started = time.monotonic()
            workers = [start_jug("execute", "primes.py", "--will-cite", cwd=directory,
                                 env=jug_env(PRIMES_SLEEP=1)) for _ in range(3)]
            try:
                time.sleep(15)
                workers[0].send_signal(signal.SIGKILL)
                time.sleep(max(0.0, 35 - (time.monotonic() - started)))
                version = int(browser.evaluate("document.body.dataset.version"))
                browser.wait_for(f"Number(document.body.dataset.version) > {version}")
                time.sleep(0.5)  # the graph of that version
                png = browser.screenshot()
            finally:
                for worker in workers:
                    if worker.poll() is None:
                        worker.send_signal(signal.SIGTERM)
                    worker.communicate()
    with open(output, "wb") as handle:
        handle.write(png)
    print(f"wrote {output} ({len(png)} bytes)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "webstatus-primes.png")
