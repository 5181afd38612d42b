"""What is particular to the Redis store: URL forms, connection errors, the
key layout, lock expiry, SCAN-based listing (with a real redis-server)."""

import pytest

from benchmarks.redis_server import RedisServer, free_port, redis_server_binary
from jug.errors import StoreError
from jug.store import open_store
from jug.store.redis_store import RedisStore

K1 = "a" * 40
K2 = "b" * 40

pytestmark = pytest.mark.skipif(redis_server_binary() is None,
                                reason="redis-server not installed; apt-get install redis-server")


@pytest.fixture
def client(redis_url):
    import redis

    connection = redis.Redis.from_url(redis_url)
    connection.flushall()
    yield connection
    connection.close()


@pytest.fixture
def store(redis_url, client):
    with RedisStore(redis_url) as opened:
        yield opened


def test_key_layout_and_raw_values(store, client):
    store.save(K1, b"payload")
    store.lock(K2)
    store.lock("retrace")
    store.put_blob("manifest", b"m")
    keys = {key.decode() for key in client.scan_iter()}
    assert keys == {f"result:{K1}", f"lock:{K2}", "lock:retrace", "blob:manifest",
                    "jug:blob-version"}
    assert client.get(f"result:{K1}")[:4] == b"JUGR"  # raw bytes, no base64
    assert b"payload" in client.get(f"result:{K1}")


def test_db_number_in_url(redis_server, client):
    with open_store(f"redis://127.0.0.1:{redis_server.port}/3") as db3, \
            open_store(f"redis://127.0.0.1:{redis_server.port}") as db0:
        db3.save(K1, 3)
        assert db3.list_keys() == {K1}
        assert db0.list_keys() == set()
        assert db3.describe() == f"redis://127.0.0.1:{redis_server.port}/3"
        assert db0.describe() == f"redis://127.0.0.1:{redis_server.port}/0"
    assert client.execute_command("SELECT", 3) and client.exists(f"result:{K1}")


def test_unix_socket_url(redis_server, client):
    with open_store(f"unix://{redis_server.socket_path}?db=2") as store:
        store.save(K1, "via socket")
        assert store.load(K1) == "via socket"
        assert store.describe() == f"unix://{redis_server.socket_path}?db=2"


def test_user_and_password_in_url(redis_server, client):
    client.execute_command("ACL", "SETUSER", "jugtest", "on", ">s3cret", "~*", "+@all")
    try:
        url = f"redis://jugtest:s3cret@127.0.0.1:{redis_server.port}/0"
        with open_store(url) as store:
            store.save(K1, 1)
            assert store.load(K1) == 1
            assert "s3cret" not in store.describe()
        with pytest.raises(StoreError) as raised:
            open_store(f"redis://jugtest:wrong@127.0.0.1:{redis_server.port}/0")
        assert f"127.0.0.1:{redis_server.port}" in str(raised.value)
        assert "password" in str(raised.value)
    finally:
        client.execute_command("ACL", "DELUSER", "jugtest")


def test_password_only_url():
    with RedisServer(["--requirepass", "pw"]) as server:
        with open_store(f"redis://:pw@127.0.0.1:{server.port}/1") as store:
            store.save(K1, [1])
            assert store.load(K1) == [1]
        with pytest.raises(StoreError):
            open_store(server.url)  # no password


def test_unreachable_server_is_a_clear_error():
    port = free_port()  # nothing listens there
    with pytest.raises(StoreError) as raised:
        open_store(f"redis://127.0.0.1:{port}/0")
    message = str(raised.value)
    assert f"127.0.0.1:{port}" in message
    assert "is redis-server running?" in message and "--jugdir" in message


@pytest.mark.parametrize("jugdir", ["redis:localhost:6379", "redis:/x", "unix:"])
def test_unreadable_redis_address(jugdir):
    with pytest.raises(StoreError) as raised:
        open_store(jugdir)
    assert "redis://" in str(raised.value)


def test_server_gone_mid_run_is_a_store_error_after_the_retry_time(capfd):
    import time

    from jug.store import StoreSettings

    with RedisServer() as server:
        store = open_store(server.url, StoreSettings(redis_retry=1.0))
        store.save(K1, 1)
    started = time.monotonic()
    with pytest.raises(StoreError) as raised:
        store.save(K2, 2)
    assert 0.9 < time.monotonic() - started < 10
    assert f"127.0.0.1:{server.port}" in str(raised.value)
    assert "retried for 1 s" in str(raised.value)
    assert "retrying for up to 1 s" in capfd.readouterr().err  # said once, at the start
    store.close()


def test_locks_expire_unless_renewed_and_failed_locks_persist(store, client):
    assert store.lock(K1)
    ttl = client.pttl(f"lock:{K1}")
    assert 0 < ttl <= store.lease * 1000
    client.pexpire(f"lock:{K1}", 5000)
    assert store.heartbeat([K1]) == set()
    assert client.pttl(f"lock:{K1}") > 5000
    assert store.fail(K1)
    assert client.pttl(f"lock:{K1}") == -1  # a failed lock never expires...
    assert store.heartbeat([K1]) == set()
    assert client.pttl(f"lock:{K1}") == -1  # ...not even after a heartbeat
    assert store.lock_info(K1).failed


def test_expired_lock_can_be_taken_and_is_reported_lost(store, client):
    assert store.lock(K1)
    client.delete(f"lock:{K1}")  # what expiry does
    with RedisStore(store.url) as other:
        assert other.lock(K1)
        assert store.heartbeat([K1]) == {K1}
        assert store.unlock(K1) is False
        assert other.is_locked(K1)


def test_listing_uses_scan():
    """KEYS is disabled in this server: listing must SCAN."""
    with RedisServer(["--rename-command", "KEYS", ""]) as server:
        with open_store(server.url) as store:
            import redis

            raw = redis.Redis.from_url(server.url)
            with pytest.raises(redis.ResponseError):
                raw.keys("*")
            pipe = raw.pipeline(transaction=False)
            keys = {f"{i:040x}" for i in range(1500)}
            for k in keys:
                pipe.set(f"result:{k}", b"")
            for i in range(1100):
                pipe.set(f"lock:name-{i}", b"L{}")
            pipe.execute()
            raw.close()
            assert store.list_keys() == keys
            assert len(store.list_locks()) == 1100
            assert store.exists_many(sorted(keys)[:700]) == [True] * 700
            assert store.remove_many(sorted(keys)[:700]) == set(sorted(keys)[:700])
            assert len(store.list_keys()) == 800
            assert store.remove_locks(stale_only=True) == 0  # unknown holder, within lease
            assert store.remove_locks() == 1100
            assert store.list_locks() == {}
