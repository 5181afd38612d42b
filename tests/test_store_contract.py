"""The Store contract, run against every store (file, redis, memory), plus
--jugdir selection and the multi-process guarantees (file and redis)."""

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from jug.errors import ResultMissing, StoreError
from jug.store import DEFAULT_LEASE, LockInfo, open_store

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
K1 = "a" * 40
K2 = "0123456789abcdef0123456789abcdef01234567"
K3 = "f" * 40


def key(i):
    return f"{i:040x}"


class Point:
    """A user class: pickled by reference, found again by module name."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __eq__(self, other):
        return type(other) is Point and (self.x, self.y) == (other.x, other.y)


# -- results -----------------------------------------------------------------

PLAIN_VALUES = {
    "zero": 0,
    "int": -12345,
    "bigint": 2 ** 200,
    "float": 3.25,
    "tiny float": 1e-300,
    "None": None,
    "True": True,
    "empty str": "",
    "str": "text with ünïcödé",
    "bytes": b"\x00\x01binary\xff",
    "empty bytes": b"",
    "dict": {"a": [1, 2.5, "x"], "b": (None, {"c": frozenset({1, 2})})},
    "list": list(range(100)),
    "set": {1, "two", (3,)},
    "user class": Point(1, 2),
    "compressible large": [f"item number {i}" for i in range(100_000)],  # zlib-compressed
    "incompressible large": np.random.default_rng(0).bytes(1_000_000),
}


@pytest.mark.parametrize("value", PLAIN_VALUES.values(), ids=PLAIN_VALUES.keys())
def test_round_trip(store, value):
    store.save(K1, value)
    assert store.load(K1) == value
    assert type(store.load(K1)) is type(value)


ARRAYS = {
    "float": lambda: np.linspace(0, 1, 11),
    "int": lambda: np.arange(24, dtype=np.int32).reshape(2, 3, 4),
    "bool": lambda: np.array([True, False, True]),
    "complex": lambda: np.array([1 + 2j, 3 - 4j]),
    "fortran": lambda: np.asfortranarray(np.arange(12.0).reshape(3, 4)),
    "non-contiguous": lambda: np.arange(20)[::3],
    "0-d": lambda: np.array(7.5),
    "empty": lambda: np.zeros((0, 3)),
    "datetime": lambda: np.array(["2024-01-01", "2025-06-30"], dtype="datetime64[D]"),
    "unicode": lambda: np.array(["ab", "cdé"]),
    "structured": lambda: np.array([(1, 2.5, b"x"), (3, 4.5, b"yz")],
                                   dtype=[("a", "<i4"), ("b", "<f8"), ("c", "S2")]),
    "object": lambda: np.array([1, "two", None, [3]], dtype=object),
    "structured with object": lambda: np.array([(1, "a")], dtype=[("n", "i8"), ("o", "O")]),
    "large": lambda: np.random.default_rng(1).random((1200, 600)),  # 5.8 MB: streamed
}


@pytest.mark.parametrize("make", ARRAYS.values(), ids=ARRAYS.keys())
def test_numpy_round_trip(store, make):
    array = make()
    store.save(K1, array)
    loaded = store.load(K1)
    assert type(loaded) is np.ndarray
    assert loaded.dtype == array.dtype
    assert loaded.shape == array.shape
    if array.dtype.hasobject:
        assert loaded.tolist() == array.tolist()
    else:
        np.testing.assert_array_equal(loaded, array)
        assert loaded.flags.writeable
        assert loaded.flags.aligned
    if array.flags.f_contiguous and not array.flags.c_contiguous:
        assert loaded.flags.f_contiguous


def test_array_subclass_keeps_its_type(store):
    masked = np.ma.array([1, 2, 3], mask=[False, True, False])
    store.save(K1, masked)
    loaded = store.load(K1)
    assert type(loaded) is np.ma.MaskedArray
    assert loaded.mask.tolist() == [False, True, False]


def test_save_replaces_and_keeps_a_copy(store):
    value = [1, 2]
    store.save(K1, value)
    value.append(3)
    assert store.load(K1) == [1, 2]
    store.save(K1, "new")
    assert store.load(K1) == "new"


def test_load_missing_raises_result_missing(store):
    with pytest.raises(ResultMissing) as raised:
        store.load(K1)
    assert K1 in str(raised.value)
    assert isinstance(raised.value, KeyError)


def test_unpicklable_value_is_refused_and_nothing_stored(store):
    with pytest.raises(StoreError) as raised:
        store.save(K1, lambda: 1)
    assert K1 in str(raised.value) and "pickle" in str(raised.value)
    assert not store.exists(K1)
    assert store.list_keys() == set()


def test_exists_list_keys_exists_many(store):
    assert store.list_keys() == set()
    assert not store.exists(K1)
    store.save(K1, 1)
    store.save(K2, None)
    assert store.exists(K1) and store.exists(K2) and not store.exists(K3)
    assert store.list_keys() == {K1, K2}
    assert store.exists_many([K3, K1, K2]) == [False, True, True]
    assert store.exists_many([]) == []
    many = [key(i) for i in range(300)]
    for k in many[::7]:
        store.save(k, 0)
    assert store.exists_many(many) == [i % 7 == 0 for i in range(300)]


def test_remove_and_remove_many(store):
    for k in (K1, K2, K3):
        store.save(k, k)
    assert store.remove(K1) is True
    assert store.remove(K1) is False
    assert store.remove_many([K1, K2, K3.encode()]) == {K2, K3}
    assert store.list_keys() == set()


def test_bytes_keys_equal_str_keys(store):
    store.save(K1.encode(), 5)
    assert store.load(K1) == 5
    assert store.exists(K1.encode())
    assert store.list_keys() == {K1}
    assert store.lock(K2.encode())
    assert not store.lock(K2)
    assert set(store.list_locks()) == {K2}
    assert store.unlock(K2.encode())


@pytest.mark.parametrize("bad", ["A" * 40, "abc", "../" + "a" * 37, "g" * 40, 12, "é" * 40])
def test_invalid_result_keys_are_refused(store, bad):
    with pytest.raises(StoreError):
        store.save(bad, 1)


def test_metadata(store):
    assert store.metadata(K1) == {"computed": False, "completed": None}
    store.save(K1, 1)
    meta = store.metadata(K1)
    assert meta["computed"] is True
    assert meta["completed"][:4].isdigit() and "T" in meta["completed"]


# -- locks --------------------------------------------------------------------

def test_lock_is_exclusive_until_unlocked(store):
    assert not store.is_locked(K1)
    assert store.lock(K1) is True
    assert store.lock(K1) is False
    assert store.is_locked(K1)
    assert not store.is_failed(K1)
    assert store.unlock(K1) is True
    assert not store.is_locked(K1)
    assert store.unlock(K1) is False
    assert store.lock(K1) is True


def test_named_locks(store):
    assert store.lock("retrace")
    assert store.lock("manifest:jugfile.py-1")
    assert not store.lock(b"retrace")
    assert set(store.list_locks()) == {"retrace", "manifest:jugfile.py-1"}
    with pytest.raises(StoreError):
        store.lock("no/slashes")
    with pytest.raises(StoreError):
        store.lock("..")


def test_fail_keeps_the_lock_held(store):
    assert store.fail(K1) is False  # not held
    assert not store.is_locked(K1)
    store.lock(K1)
    assert store.fail(K1) is True
    assert store.is_locked(K1)
    assert store.is_failed(K1)
    assert store.lock(K1) is False
    assert store.fail(K1) is True  # already failed
    assert store.heartbeat([K1]) == set()  # a failed lock is not refreshed, nor lost
    assert store.is_failed(K1)
    assert store.unlock(K1) is True  # the store that failed it may still release it
    assert not store.is_locked(K1) and not store.is_failed(K1)
    assert store.lock(K1)


def test_failed_lock_keeps_the_first_line_of_the_error(store):
    store.lock(K1)
    store.lock(K2)
    store.lock(K3)
    assert store.fail(K1, "ValueError: bad input 3\n  and a second line")
    assert store.fail(K2)  # no error given
    assert store.fail(K3, "x" * 2000)
    assert store.fail(K1, "TypeError: a later error") is True  # already failed: kept
    assert store.lock_info(K1).error == "ValueError: bad input 3"
    assert store.lock_info(K2).error == ""
    assert store.lock_info(K3).error == "x" * 497 + "..."
    locks = store.list_locks()
    assert (locks[K1].failed, locks[K1].error) == (True, "ValueError: bad input 3")
    assert locks[K1].token == store.lock_info(K1).token
    if not store.url.startswith("dict_store"):  # another process's view
        with open_store(store.url) as other:
            assert other.lock_info(K1).error == "ValueError: bad input 3"
            assert other.remove_locks(failed_only=True) == 3
    else:
        assert store.remove_locks(failed_only=True) == 3
    assert store.lock(K1)
    assert store.lock_info(K1).error == ""  # a new acquisition starts clean


def test_lock_records_of_older_versions_still_parse():
    from jug.store.base import parse_lock_record

    old = json.dumps({"host": "h", "pid": 7, "created": 5.0, "token": "t"}).encode()
    info = parse_lock_record(K1, old, 9.0, True)
    assert (info.host, info.pid, info.created, info.failed, info.error) == ("h", 7, 5.0, True, "")
    new = json.dumps({"host": "h", "pid": 7, "created": 5.0, "token": "t",
                      "error": "ValueError: v"}).encode()
    assert parse_lock_record(K1, new, 9.0, True).error == "ValueError: v"
    assert parse_lock_record(K1, b'["not", "an object"]', 9.0, True).host == ""


def test_exception_line():
    from jug.store.base import exception_line

    assert exception_line(ValueError("bad\nmore")) == "ValueError: bad"
    assert exception_line(KeyError("k")) == "KeyError: 'k'"
    assert exception_line(RuntimeError()) == "RuntimeError"


def test_list_locks_and_lock_info(store):
    store.lock(K1)
    store.lock(K2)
    store.fail(K2)
    locks = store.list_locks()
    assert set(locks) == {K1, K2}
    held = locks[K1]
    assert isinstance(held, LockInfo)
    assert (held.key, held.host, held.pid, held.failed) == (K1, socket.gethostname(),
                                                            os.getpid(), False)
    assert held.created > 1e9 and held.heartbeat > 1e9
    assert locks[K2].failed
    assert store.lock_info(K1) == held or store.lock_info(K1).token == held.token
    assert store.lock_info(K3) is None


def test_remove_locks(store):
    store.lock(K1)
    store.lock(K2)
    store.fail(K2)
    store.lock("retrace")
    assert store.remove_locks(stale_only=True) == 0  # their holder (we) is alive
    assert store.remove_locks(failed_only=True) == 1
    assert set(store.list_locks()) == {K1, "retrace"}
    assert store.remove_locks() == 2
    assert store.list_locks() == {}
    assert store.lock(K2)


def test_heartbeat_refreshes_and_reports_lost_locks(store):
    store.lock(K1)
    store.lock(K2)
    before = store.lock_info(K1)
    assert store.heartbeat([K1, K2, K3]) == set()
    after = store.lock_info(K1)
    assert after.token == before.token
    assert after.heartbeat >= before.heartbeat - 1
    assert store.unlock(K1)
    store.remove_locks()  # someone else broke K2
    assert store.heartbeat([K1, K2]) == {K2}
    assert store.unlock(K2) is False


def test_live_lock_is_not_stale_and_not_broken(store):
    store.lock(K1)
    info = store.lock_info(K1)
    assert not info.is_stale()
    assert info.is_stale(now=info.heartbeat + DEFAULT_LEASE + 1)
    assert store.break_stale_lock(K1) is False
    assert store.break_stale_lock(K2) is False  # not locked
    assert store.is_locked(K1)


def test_context_manager_closes(store):
    with store as same:
        assert same is store


# -- LockInfo.is_stale ----------------------------------------------------------

def dead_pid():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_is_stale_rules():
    now = 1_000_000.0
    here = socket.gethostname()
    alive = LockInfo(K1, here, os.getpid(), now, now)
    assert not alive.is_stale(now=now)
    assert alive.is_stale(now=now + DEFAULT_LEASE + 1)
    assert alive.is_stale(now=now + 11, lease=10)
    assert LockInfo(K1, here, dead_pid(), now, now).is_stale(now=now)
    elsewhere = LockInfo(K1, "another-host.example", 1, now, now)
    assert not elsewhere.is_stale(now=now + 5)
    assert elsewhere.is_stale(now=now + DEFAULT_LEASE + 1)
    failed = LockInfo(K1, here, dead_pid(), now, now, failed=True)
    assert not failed.is_stale(now=now + 10 * DEFAULT_LEASE)


# -- blobs ----------------------------------------------------------------------

def test_blobs(store):
    assert store.get_blob("manifest-abc") is None
    assert store.blob_info("manifest-abc") is None
    assert store.remove_blob("manifest-abc") is False
    store.put_blob("manifest-abc", b"first")
    assert store.get_blob("manifest-abc") == b"first"
    size, version = store.blob_info("manifest-abc")
    assert size == 5
    store.put_blob("manifest-abc", b"other")
    assert store.get_blob("manifest-abc") == b"other"
    assert store.blob_info("manifest-abc")[0] == 5
    assert store.blob_info("manifest-abc")[1] != version
    big = bytes(range(256)) * 40_000
    store.put_blob("big", big)
    assert store.get_blob("big") == big
    assert store.remove_blob("manifest-abc") is True
    assert store.get_blob("manifest-abc") is None
    assert store.list_keys() == set() and store.list_locks() == {}
    with pytest.raises(StoreError):
        store.put_blob("../escape", b"")


def test_blob_parts_are_read_one_by_one(store):
    """A blob of parts (the manifest's hash index) is read part by part:
    the parts asked for, None when it is missing or another blob; it is a
    blob like any other for get_blob, blob_info and remove_blob."""
    parts = [b"", b"one", bytes(range(256)) * 100, b"last"]
    assert store.get_blob_parts("hashidx-abc", [0]) is None
    store.put_blob_parts("hashidx-abc", parts, durable=False)
    assert store.get_blob_parts("hashidx-abc", [3, 1, 0]) == {0: b"", 1: b"one", 3: b"last"}
    assert store.get_blob_parts("hashidx-abc", []) == {}
    assert store.get_blob_parts("hashidx-abc", [4]) is None  # fewer parts
    assert store.get_blob_parts("hashidx-abc", list(range(4))) == dict(enumerate(parts))
    size, version = store.blob_info("hashidx-abc")
    assert size >= sum(map(len, parts))
    whole = store.get_blob("hashidx-abc")
    assert all(part in whole for part in parts)
    store.put_blob_parts("hashidx-abc", [b"new"])
    assert store.get_blob_parts("hashidx-abc", [0]) == {0: b"new"}
    assert store.blob_info("hashidx-abc")[1] != version
    store.put_blob("plain", b"JUGPARTS but not parts")
    assert store.get_blob_parts("plain", [0]) is None
    assert store.remove_blob("hashidx-abc") is True
    assert store.get_blob_parts("hashidx-abc", [0]) is None
    assert store.blob_info("hashidx-abc") is None


# -- --jugdir selection -----------------------------------------------------------

def test_open_store_selects_by_scheme(tmp_path, redis_url):
    from jug.store.file_store import FileStore
    from jug.store.memory_store import MemoryStore
    from jug.store.redis_store import RedisStore

    file_store = open_store(str(tmp_path / "data.jugdata") + "/")
    assert type(file_store) is FileStore
    assert file_store.describe() == str(tmp_path / "data.jugdata")
    assert type(open_store(tmp_path / "with:colon")) is FileStore
    assert type(open_store("dict_store")) is MemoryStore
    saved = open_store(f"dict_store:{tmp_path / 'saved.pickle'}")
    assert type(saved) is MemoryStore and saved.path == str(tmp_path / "saved.pickle")
    saved.close()
    with open_store(redis_url) as redis_store:
        assert type(redis_store) is RedisStore


@pytest.mark.parametrize("jugdir", ["s3://bucket/x", "foo://", "http://host/"])
def test_unknown_scheme_is_an_error(jugdir):
    with pytest.raises(StoreError) as raised:
        open_store(jugdir)
    message = str(raised.value)
    assert repr(jugdir.partition(":")[0]) in message
    assert "redis://" in message and "dict_store" in message


def test_opening_a_file_store_does_not_import_redis(tmp_path):
    code = ("import sys; from jug.store import open_store; "
            f"open_store({str(tmp_path / 'x')!r}).save('a' * 40, 1); "
            "print('redis' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == "False"


# -- several processes ------------------------------------------------------------

def spawn(script, *args):
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(script), *args],
                            cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)


RACE = """
    import json, sys
    from jug.store import open_store
    store = open_store(sys.argv[1])
    keys = [f"{i:040x}" for i in range(200)]
    print("ready", flush=True)
    sys.stdin.readline()
    print(json.dumps([k for k in keys if store.lock(k)]), flush=True)
    store.close()
"""


def test_racing_processes_lock_disjoint_sets(shared_jugdir):
    workers = [spawn(RACE, shared_jugdir) for _ in range(3)]
    for worker in workers:
        assert worker.stdout.readline().strip() == "ready"
    for worker in workers:
        worker.stdin.write("go\n")
        worker.stdin.flush()
    won = [set(json.loads(worker.communicate(timeout=60)[0])) for worker in workers]
    assert all(worker.returncode == 0 for worker in workers)
    assert sum(len(keys) for keys in won) == 200
    assert set().union(*won) == {key(i) for i in range(200)}


HOLD = """
    import sys, time
    from jug.store import open_store
    store = open_store(sys.argv[1])
    assert store.lock(sys.argv[2])
    print("locked", flush=True)
    time.sleep(120)
"""

RECLAIM = """
    import json, sys
    from jug.store import open_store
    store = open_store(sys.argv[1])
    print("ready", flush=True)
    sys.stdin.readline()
    broke = store.break_stale_lock(sys.argv[2])
    print(json.dumps(broke), flush=True)
"""


def test_killed_holder_leaves_a_stale_lock_that_is_reclaimed_once(shared_jugdir):
    holder = spawn(HOLD, shared_jugdir, K1)
    assert holder.stdout.readline().strip() == "locked"
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    holder.stdout.close()
    holder.stdin.close()
    with open_store(shared_jugdir) as store:
        info = store.lock_info(K1)
        assert info.pid == holder.pid and info.host == socket.gethostname()
        assert info.is_stale()
        assert store.lock(K1) is False
        reclaimers = [spawn(RECLAIM, shared_jugdir, K1) for _ in range(3)]
        for reclaimer in reclaimers:
            assert reclaimer.stdout.readline().strip() == "ready"
        for reclaimer in reclaimers:
            reclaimer.stdin.write("go\n")
            reclaimer.stdin.flush()
        broke = [json.loads(r.communicate(timeout=60)[0]) for r in reclaimers]
        assert sorted(broke) == [False, False, True]
        assert not store.is_locked(K1)
        assert store.lock(K1) is True
        assert not store.lock_info(K1).is_stale()
        assert store.break_stale_lock(K1) is False


def test_heartbeat_thread_alongside_lock_cycles(store):
    """The executor refreshes its lock from a thread while the main thread
    locks, saves and unlocks: neither may trip over the other."""
    import threading

    errors = []
    stop = threading.Event()

    def beat():
        while not stop.is_set():
            try:
                store.heartbeat([K1])
            except Exception as error:  # reported below
                errors.append(error)
                return

    thread = threading.Thread(target=beat)
    thread.start()
    try:
        for i in range(200):
            assert store.lock(K1)
            store.save(K1, i)
            assert store.unlock(K1)
    finally:
        stop.set()
        thread.join()
    assert errors == []
    assert store.load(K1) == 199 and not store.is_locked(K1)


def test_claim_takes_the_lock_only_when_there_is_no_result(store):
    from jug.store.base import BUSY, CLAIMED, DONE

    assert store.claim(K1) == CLAIMED
    assert store.is_locked(K1)
    assert store.claim(K1) == BUSY
    store.save_and_unlock(K1, {"x": 1})
    assert not store.is_locked(K1) and store.load(K1) == {"x": 1}
    assert store.claim(K1) == DONE
    assert not store.is_locked(K1)


def test_claim_is_exclusive_between_two_store_objects(store, tmp_path):
    from jug.store import open_store
    from jug.store.base import BUSY, CLAIMED

    if store.url.startswith("dict_store"):
        pytest.skip("a memory store is private to one store object")
    other = open_store(store.url)
    try:
        assert store.claim(K1) == CLAIMED
        assert other.claim(K1) == BUSY
        other.save_and_unlock(K1, 5)  # not its lock: saves, leaves ours alone
        assert store.is_locked(K1)
        store.unlock(K1)
        assert not store.is_locked(K1)
    finally:
        other.close()


def test_claim_many_and_save_and_unlock_many(store):
    from jug.store.base import BUSY, CLAIMED, DONE

    keys = [key(i) for i in range(5)]
    store.save(keys[0], "done before")
    assert store.lock(keys[1])
    assert store.claim_many(keys) == [DONE, BUSY, CLAIMED, CLAIMED, CLAIMED]
    assert all(store.is_locked(k) for k in keys[1:])
    store.save_and_unlock_many([(keys[2], 2), (keys[3], [3]), (keys[4], {"four": 4})])
    assert [store.load(k) for k in keys[2:]] == [2, [3], {"four": 4}]
    assert not any(store.is_locked(k) for k in keys[2:]) and store.is_locked(keys[1])


def test_load_many(store):
    keys = [key(i) for i in range(3)]
    for i, k in enumerate(keys):
        store.save(k, {"i": i})
    assert store.load_many(keys) == [{"i": 0}, {"i": 1}, {"i": 2}]
    with pytest.raises(ResultMissing):
        store.load_many([keys[0], key(99)])
