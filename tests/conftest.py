"""Fixtures shared by the test modules.

* ``redis_server`` / ``redis_url``: one real redis-server for the session
  (tests needing it are skipped, with the reason, when it is not installed);
* ``store``: a fresh, empty store of each kind (file, redis, memory);
* ``shared_jugdir``: a ``--jugdir`` string several processes can share (a
  directory, or a flushed Redis database);
* ``original_jug`` / ``differential``: jug 2.7.0 in a cached venv, and
  scenarios run under it and under this project (``tests/oracle.py``).

Tests marked ``slow`` (full-size reliability runs) are skipped, with the
reason shown, unless ``--run-slow`` is given; ``.ci/run`` gives it.
"""

import signal
import sys

import pytest

from jugtest import REPO

if REPO not in sys.path:
    sys.path.append(REPO)  # the redis-server fixture is shared with the benchmarks

from benchmarks.redis_server import INSTALL_HINT, RedisServer, redis_server_binary  # noqa: E402


# Started in the background by a non-interactive shell, the test run inherits
# SIGINT ignored, and so would every jug it starts: Python then keeps Ctrl-C
# ignored, and the tests that press Ctrl-C (execute -j, webstatus, the docs
# check's servers) would wait for nothing.  A Python handler here is reset to
# the default in every child at exec, as in a terminal.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_addoption(parser):
    parser.addoption("--run-slow", action="store_true", default=False,
                     help="also run the tests marked slow (the full-size reliability runs; "
                          ".ci/run passes it)")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="slow: a full-size reliability run; pytest --run-slow "
                                   "(as .ci/run does) runs it")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def redis_server():
    """A redis-server running for the whole session."""
    if redis_server_binary() is None:
        pytest.skip(INSTALL_HINT)
    with RedisServer() as server:
        yield server


@pytest.fixture(scope="session")
def redis_url(redis_server):
    """``redis://127.0.0.1:PORT/0`` of the session's redis-server."""
    return redis_server.url


def flush_redis(url):
    """Empty the database ``url`` names."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


@pytest.fixture(params=["file", "redis", "memory"])
def store(request, tmp_path):
    """A fresh, empty store of each kind, closed after the test."""
    if request.param == "file":
        from jug.store.file_store import FileStore

        opened = FileStore(tmp_path / "jugdata")
    elif request.param == "redis":
        from jug.store.redis_store import RedisStore

        url = request.getfixturevalue("redis_url")
        flush_redis(url)
        opened = RedisStore(url)
    else:
        from jug.store.memory_store import MemoryStore

        opened = MemoryStore()
    yield opened
    opened.close()


@pytest.fixture(params=["file", "redis"])
def shared_jugdir(request, tmp_path):
    """A --jugdir string for a store other processes can open too."""
    if request.param == "file":
        return str(tmp_path / "jugdata")
    url = request.getfixturevalue("redis_url")
    flush_redis(url)
    return url


@pytest.fixture(scope="session")
def original_jug():
    """jug 2.7.0 from the package index, in a cached venv (tests/oracle.py)."""
    import os

    from oracle import INSTALL_HINT, ensure_original, original_implementation

    try:
        venv = ensure_original()
    except Exception as error:  # no index reachable, pip failed...
        if os.environ.get("JUG_ORACLE_REQUIRED"):
            raise
        pytest.skip(f"{INSTALL_HINT}: {error}")
    return original_implementation(venv)


@pytest.fixture
def differential(tmp_path, original_jug):
    """Runs scenarios under the original jug and this one (tests/oracle.py)."""
    from oracle import Differential, ours_implementation

    return Differential(tmp_path, original_jug, ours_implementation())
