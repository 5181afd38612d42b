"""What is particular to the file store: its layout, the checksum that catches
torn or damaged result files, the one-scan listing, fsync settings."""

import json
import os
import socket

import numpy as np
import pytest

from jug.errors import CorruptResult, StoreError
from jug.store.base import HEADER
from jug.store.file_store import FileStore

K1 = "ab" + "c" * 38
K2 = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def jugdir(tmp_path):
    return tmp_path / "jugdata"


@pytest.fixture
def store(jugdir):
    return FileStore(jugdir)


def files_under(path):
    return sorted(os.path.relpath(os.path.join(root, name), path)
                  for root, _, names in os.walk(path) for name in names)


def test_layout(store, jugdir):
    assert not jugdir.exists()  # nothing is created before it is needed
    store.save(K1, 1)
    store.lock(K2)
    store.lock("retrace")
    store.put_blob("manifest", b"m")
    assert files_under(jugdir) == [f"{K1[:2]}/{K1[2:]}", "blobs/manifest",
                                   f"locks/{K2}.lock", "locks/retrace.lock"]
    assert os.listdir(jugdir / "tempfiles") == []
    record = json.loads((jugdir / "locks" / f"{K2}.lock").read_bytes())
    assert record["host"] == socket.gethostname() and record["pid"] == os.getpid()
    assert {"created", "token"} <= set(record)


def test_result_file_format(store, jugdir):
    store.save(K1, None)
    assert (jugdir / K1[:2] / K1[2:]).read_bytes()[:4] == b"JUGR"
    assert (jugdir / K1[:2] / K1[2:]).stat().st_size == HEADER.size
    store.save(K2, np.arange(4, dtype="<i8"))
    data = (jugdir / K2[:2] / K2[2:]).read_bytes()
    assert data[HEADER.size:HEADER.size + 6] == b"\x93NUMPY"  # the payload is plain .npy


def damage_truncate(data):
    return data[:len(data) // 2]


def damage_flip_bit(data):
    return data[:-10] + bytes([data[-10] ^ 0x04]) + data[-9:]


def damage_empty(data):
    return b""


def damage_header(data):
    return data[:12] + bytes([data[12] ^ 0x01]) + data[13:]


def damage_foreign(data):
    return b"\x78\x9c" + data  # e.g. a file of the original jug


@pytest.mark.parametrize("damage", [damage_truncate, damage_flip_bit, damage_empty,
                                    damage_header, damage_foreign])
@pytest.mark.parametrize("value", [list(range(1000)), np.arange(1000.0),
                                   np.random.default_rng(2).random(700_000)],
                         ids=["pickle", "npy", "streamed npy"])
def test_damaged_result_is_corrupt_never_loaded(store, jugdir, damage, value):
    store.save(K1, value)
    path = jugdir / K1[:2] / K1[2:]
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(CorruptResult) as raised:
        store.load(K1)
    message = str(raised.value)
    assert str(path) in message and K1 in message and "jug invalidate" in message
    assert path.exists()  # left for `jug invalidate` or a new save to replace
    store.save(K1, "recomputed")
    assert store.load(K1) == "recomputed"


def test_list_keys_is_one_scan_of_result_directories_only(store, jugdir):
    store.save(K1, 1)
    store.save(K2, 2)
    store.lock(K1)
    store.put_blob("manifest", b"x")
    (jugdir / "tempfiles").mkdir(exist_ok=True)
    (jugdir / "tempfiles" / ("e" * 38)).write_bytes(b"half written")
    (jugdir / "ee").mkdir()
    (jugdir / "ee" / "not-a-hash").write_bytes(b"")
    (jugdir / "ee" / ("E" * 38)).write_bytes(b"")
    (jugdir / "zz").mkdir()
    (jugdir / "zz" / ("e" * 38)).write_bytes(b"")
    (jugdir / "ab.txt").write_bytes(b"")
    assert store.list_keys() == {K1, K2}


def test_failed_save_leaves_nothing_behind(store, jugdir):
    class Unpicklable:
        def __reduce__(self):
            raise TypeError("no pickling here")

    with pytest.raises(StoreError):
        store.save(K1, Unpicklable())
    store.save(K2, 2)
    assert store.list_keys() == {K2}
    assert os.listdir(jugdir / "tempfiles") == []


def test_missing_directory_lists_nothing(tmp_path):
    store = FileStore(tmp_path / "never-created")
    assert store.list_keys() == set()
    assert store.list_locks() == {}
    assert store.exists_many(["a" * 40] * 300) == [False] * 300


def test_trailing_slash_is_stripped(tmp_path):
    assert FileStore(f"{tmp_path}/data/").path == str(tmp_path / "data")
    assert FileStore(f"{tmp_path}/data/").url == f"{tmp_path}/data/"


def test_fsync_follows_jug_fsync(monkeypatch, jugdir):
    monkeypatch.delenv("JUG_FSYNC", raising=False)
    assert FileStore(jugdir).fsync is False
    monkeypatch.setenv("JUG_FSYNC", "1")
    durable = FileStore(jugdir)
    assert durable.fsync is True
    assert FileStore(jugdir, fsync=False).fsync is False
    durable.save(K1, {"x": 1})
    assert durable.lock(K1)
    assert durable.load(K1) == {"x": 1}
    monkeypatch.setenv("JUG_FSYNC", "0")
    assert FileStore(jugdir).fsync is False


def test_failed_lock_is_marked_by_mtime(store, jugdir):
    store.lock(K1)
    store.fail(K1)
    assert (jugdir / "locks" / f"{K1}.lock").stat().st_mtime == 1
    assert store.heartbeat([K1]) == set()
    assert (jugdir / "locks" / f"{K1}.lock").stat().st_mtime == 1
    assert FileStore(jugdir).is_failed(K1)
    assert FileStore(jugdir).unlock(K1) is False
    assert store.unlock(K1) is True


def test_heartbeat_is_the_lock_mtime(store, jugdir):
    store.lock(K1)
    path = jugdir / "locks" / f"{K1}.lock"
    assert store.heartbeat([K1]) == set()
    assert store.lock_info(K1).heartbeat == path.stat().st_mtime_ns / 1e9
    assert store.unlock(K1)


def test_unlock_leaves_a_lock_taken_over_by_someone_else(store, jugdir):
    other = FileStore(jugdir)
    store.lock(K1)
    info = store.lock_info(K1)
    assert other.remove_locks() == 1
    assert other.lock(K1)
    assert store.unlock(K1) is False
    assert store.fail(K1) is False
    assert other.lock_info(K1).token != info.token
    assert other.unlock(K1)


def test_torn_lock_file_is_listed_with_unknown_holder(store, jugdir):
    (jugdir / "locks").mkdir(parents=True)
    (jugdir / "locks" / f"{K1}.lock").write_bytes(b'{"host": "x", "pi')
    info = store.list_locks()[K1]
    assert (info.host, info.pid, info.failed) == ("", 0, False)
    assert info.is_stale(now=info.heartbeat + 10, lease=5)
    assert store.break_stale_lock(K1, now=info.heartbeat + 10_000)
    assert store.list_locks() == {}


def test_unwritable_location_is_a_store_error(tmp_path):
    (tmp_path / "a-file").write_bytes(b"")
    store = FileStore(tmp_path / "a-file" / "jugdata")
    with pytest.raises(StoreError) as raised:
        store.save(K1, 1)
    assert "--jugdir" in str(raised.value) and str(tmp_path / "a-file") in str(raised.value)
    with pytest.raises(StoreError):
        store.lock(K1)
    with pytest.raises(StoreError):
        store.put_blob("manifest", b"")


def test_save_and_unlock_keeps_the_lock_record_until_the_result_is_whole(tmp_path):
    """The result is written beside the lock, never into it: until the
    result is in place the lock names its holder (so a worker killed while
    writing leaves a lock seen to be stale at once), and then it goes."""
    from jug.store.base import CLAIMED
    from jug.store.file_store import FileStore

    store = FileStore(tmp_path / "jugdata")
    key = "c" * 40
    assert store.claim(key) == CLAIMED
    lock = tmp_path / "jugdata" / "locks" / f"{key}.lock"
    before = lock.read_bytes()
    with open(lock, "rb") as held:  # still readable once unlinked
        store.save_and_unlock(key, np.arange(2_000_000))  # 16 MB: streamed
        held.seek(0)
        assert held.read() == before
        assert json.loads(before)["pid"] == os.getpid()
    assert os.listdir(tmp_path / "jugdata" / "locks") == []
    assert os.listdir(tmp_path / "jugdata" / "tempfiles") == []
    assert store.load(key).sum() == np.arange(2_000_000).sum()


def test_save_and_unlock_after_the_lock_was_reclaimed_still_saves(tmp_path):
    from jug.store.base import CLAIMED
    from jug.store.file_store import FileStore

    store = FileStore(tmp_path / "jugdata")
    key = "d" * 40
    assert store.claim(key) == CLAIMED
    os.unlink(tmp_path / "jugdata" / "locks" / f"{key}.lock")  # someone broke our lock
    store.save_and_unlock(key, "value")
    assert store.load(key) == "value" and not store.is_locked(key)
