"""The Redis store: results, locks and blobs in one Redis database.

This module owns the key layout in Redis::

    result:<h>     the result of task h: raw bytes (header + payload, see base)
    lock:<name>    a lock: b'L' + JSON {host, pid, created, token}, with an expiry
                   of ``lease`` seconds that the holder's heartbeat renews;
                   a failed lock is b'F' + the same JSON, without expiry
    blob:<name>    a hash {data, version}; versions come from the counter
                   jug:blob-version, so they never repeat

Every operation that must be atomic is one command (``SET NX PX``) or one Lua
script (unlock, fail, heartbeat: compare the value with ours, then act; stale
lock removal: compare the token, then delete).  Listing uses ``SCAN``, never
``KEYS``; batch queries are pipelined.  Blobs are as durable as the server's
persistence settings make them.

While the server cannot be reached (restarted, a network cut), every call is
retried with back-off for ``redis_retry`` seconds (:class:`StoreSettings`,
``--redis-retry``, ``JUG_REDIS_RETRY``; 60 by default), saying so once on
stderr, before it fails with one sentence.  Every call may therefore run twice
on the server (the first reply lost); each is written so that running it again
changes nothing (a lock's value is chosen before it is sent, and a script
finding its own value treats it as done).  Opening a store does not wait: an
unreachable server at start is reported at once.  Passwords in the URL are
never shown (:meth:`RedisStore.describe`, and every message).

redis-py is imported when a store is opened, never before.
"""

import functools
import os
import sys
import threading
import time

from jug.errors import ResultMissing, StoreError
from jug.store.base import (BUSY, CLAIMED, DEFAULT_LEASE, DEFAULT_REDIS_RETRY, DONE, HEADER,
                            MAGIC, Store, decode_result, encode_result, failed_lock_record,
                            hide_password, iso_time, lock_record, pack_parts,
                            parse_lock_record, result_key, saved_at, store_name)

#: seconds to wait for a TCP connection before saying the server is unreachable
CONNECT_TIMEOUT = 2.0
#: seconds to wait for any one reply
SOCKET_TIMEOUT = 60.0
#: keys per pipeline in batch queries (bounds the memory of one round trip)
BATCH = 10_000

_UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_FAIL = """
local value = redis.call('GET', KEYS[1])
if value == ARGV[1] or value == ARGV[2] then
  redis.call('SET', KEYS[1], ARGV[2])
  return 1
end
return 0
"""
_HEARTBEAT = """
local lost = {}
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[i + 1] then
    redis.call('PEXPIRE', key, ARGV[1])
  else
    lost[#lost + 1] = i
  end
end
return lost
"""
_REMOVE_IF_TOKEN = """
local value = redis.call('GET', KEYS[1])
if not value or string.sub(value, 1, 1) ~= ARGV[2] then return 0 end
local ok, record = pcall(cjson.decode, string.sub(value, 2))
local token = ''
if ok and type(record) == 'table' and record.token then token = tostring(record.token) end
if token ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
"""
_PUT_BLOB = """
local version = redis.call('INCR', KEYS[2])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'data', ARGV[1], 'version', version)
return version
"""
_PUT_BLOB_PARTS = """
local version = redis.call('INCR', KEYS[2])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'version', version, 'parts', #ARGV - 1, 'size', ARGV[1])
for i = 2, #ARGV do redis.call('HSET', KEYS[1], 'p' .. (i - 2), ARGV[i]) end
return version
"""
_CLAIM = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 2 end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[2]) == ARGV[1] then return 1 end
return 0
"""
_CLAIM_MANY = """
local answers = {}
for i = 1, #KEYS, 2 do
  local n = (i + 1) / 2
  if redis.call('EXISTS', KEYS[i]) == 1 then
    answers[n] = 2
  elseif redis.call('SET', KEYS[i + 1], ARGV[n + 1], 'NX', 'PX', ARGV[1]) then
    answers[n] = 1
  elseif redis.call('GET', KEYS[i + 1]) == ARGV[n + 1] then
    answers[n] = 1
  else
    answers[n] = 0
  end
end
return answers
"""
_SAVE_AND_UNLOCK = """
redis.call('SET', KEYS[1], ARGV[1])
if redis.call('GET', KEYS[2]) == ARGV[2] then return redis.call('DEL', KEYS[2]) end
return 0
"""
_BLOB_VERSION = "jug:blob-version"
_HELD, _FAILED = b"L", b"F"
#: back-off between retries while the server is unreachable: doubling up to this
_RETRY_FIRST, _RETRY_MAX = 0.05, 2.0

def _talks_to_redis(what):
    """Run the method with :meth:`RedisStore._call`: retried while the server
    is unreachable, redis-py errors turned into StoreError.  Only for methods
    that may run twice (their values chosen before the decorated part)."""
    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            return self._call(what, lambda: method(self, *args, **kwargs))
        return wrapper
    return decorate


class RedisStore(Store):
    """Results, locks and blobs in the Redis database named by ``url``
    (``redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]``, ``rediss://...`` for TLS,
    ``unix:///PATH/redis.sock[?db=DB]``; ``redis:`` alone is localhost:6379)."""

    def __init__(self, url, lease=DEFAULT_LEASE, settings=None):
        shown = hide_password(url)
        try:
            import redis
            from redis.backoff import ExponentialBackoff
            from redis.retry import Retry
        except ImportError as error:
            raise StoreError(f"--jugdir {shown} needs the redis package (redis-py): "
                             "pip install redis") from error
        self.url = url
        self.lease = settings.lease if settings is not None else lease
        self.retry_for = settings.redis_retry if settings is not None else DEFAULT_REDIS_RETRY
        self._lease_ms = max(1, int(self.lease * 1000))
        self._redis_error = redis.exceptions.RedisError
        self._connection_error = (redis.exceptions.ConnectionError,
                                  redis.exceptions.TimeoutError)
        self._fatal_connection_error = redis.exceptions.AuthenticationError
        self._outage = None  # monotonic time the server stopped answering; guarded by _mutex
        self._mutex = threading.Lock()
        target = "redis://localhost:6379/0" if url == "redis:" else url
        if "//" not in target:
            raise StoreError(f"cannot read the Redis address in --jugdir {shown!r}: write it "
                             "as redis://HOST[:PORT][/DB], e.g. redis://localhost:6379/0")
        try:
            self._client = redis.Redis.from_url(
                target, socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=SOCKET_TIMEOUT,
                retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 1))
        except ValueError as error:
            raise StoreError(f"cannot read the Redis address in --jugdir {shown!r} "
                             f"({hide_password(str(error))}): write it as "
                             "redis://[:PASSWORD@]HOST[:PORT][/DB]") from error
        options = self._client.connection_pool.connection_kwargs
        self._db = options.get("db", 0)
        if "path" in options:
            self._address = options["path"]
            self._describe = f"unix://{options['path']}?db={self._db}"
        else:
            self._address = f"{options.get('host', 'localhost')}:{options.get('port', 6379)}"
            scheme = "rediss" if target.startswith("rediss:") else "redis"
            self._describe = f"{scheme}://{self._address}/{self._db}"
        try:
            self._ping(redis.exceptions.BusyLoadingError)
        except self._redis_error as error:
            self._client.close()
            text = hide_password(str(error))
            if isinstance(error, redis.exceptions.AuthenticationError):
                raise StoreError(f"Redis at {self._address} refused the credentials in "
                                 f"--jugdir ({text}): check the user name and password") \
                    from error
            if isinstance(error, self._connection_error):
                raise StoreError(f"could not connect to Redis at {self._address} ({text}): "
                                 "is redis-server running? check --jugdir") from error
            raise StoreError(f"Redis at {self._address} refused jug ({text}): check the "
                             "password and database number in --jugdir") from error
        self._unlock = self._client.register_script(_UNLOCK)
        self._claim = self._client.register_script(_CLAIM)
        self._claim_many = self._client.register_script(_CLAIM_MANY)
        self._save_and_unlock = self._client.register_script(_SAVE_AND_UNLOCK)
        self._fail = self._client.register_script(_FAIL)
        self._heartbeat = self._client.register_script(_HEARTBEAT)
        self._remove_if_token = self._client.register_script(_REMOVE_IF_TOKEN)
        self._put_blob = self._client.register_script(_PUT_BLOB)
        self._put_blob_parts = self._client.register_script(_PUT_BLOB_PARTS)
        self._held = {}  # lock name -> the value we stored; guarded by _mutex
        self._tokens = 0
        self._token_prefix = f"{os.urandom(6).hex()}-"

    def describe(self):
        return self._describe

    def _ping(self, loading_error):
        """Check the server answers; unreachable is reported at once (no
        waiting at start), but a server loading its data is waited for."""
        deadline = time.monotonic() + self.retry_for
        while True:
            try:
                return self._client.ping()
            except loading_error:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.1)

    def _error(self, what, error, waited=None):
        text = hide_password(str(error))
        if isinstance(error, self._connection_error):
            tried = (f" and retried for {waited:.0f} s (--redis-retry)"
                     if waited is not None else "")
            return StoreError(f"lost the connection to Redis at {self._address} while {what} "
                              f"({text}){tried}: is redis-server running? jug execute can be "
                              "started again once it is, nothing saved is lost")
        return StoreError(f"Redis at {self._address} failed while {what}: {text}")

    def _call(self, what, send):
        """``send()``, retried with back-off while the server cannot be
        reached, for up to :attr:`retry_for` seconds; redis-py errors become
        one StoreError sentence."""
        delay = _RETRY_FIRST
        deadline = None
        while True:
            try:
                reply = send()
            except self._fatal_connection_error as error:
                raise self._error(what, error) from error
            except self._connection_error as error:
                now = time.monotonic()
                if deadline is None:
                    deadline = now + self.retry_for
                    self._note_outage(what, error)
                if now >= deadline:
                    raise self._error(what, error, self.retry_for) from error
                time.sleep(min(delay, deadline - now))
                delay = min(delay * 2, _RETRY_MAX)
                continue
            except self._redis_error as error:
                raise self._error(what, error) from error
            if deadline is not None or self._outage is not None:
                self._note_recovery()
            return reply

    def _note_outage(self, what, error):
        with self._mutex:
            first, self._outage = self._outage is None, self._outage or time.monotonic()
        if first and self.retry_for > 0:
            print(f"jug: Redis at {self._address} does not answer ({hide_password(str(error))}) "
                  f"while {what}; retrying for up to {self.retry_for:.0f} s", file=sys.stderr,
                  flush=True)

    def _note_recovery(self):
        with self._mutex:
            since, self._outage = self._outage, None
        if since is not None:
            print(f"jug: Redis at {self._address} answers again after "
                  f"{time.monotonic() - since:.1f} s", file=sys.stderr, flush=True)

    def _scan(self, prefix):
        """Every key starting with ``prefix`` (bytes), without it."""
        cut = len(prefix)
        return [key[cut:] for key in self._client.scan_iter(match=prefix + b"*", count=1000)]

    def _pipelined(self, items, command):
        """Replies of ``command(pipe, item)`` for every item, in batches."""
        replies = []
        for start in range(0, len(items), BATCH):
            pipe = self._client.pipeline(transaction=False)
            for item in items[start:start + BATCH]:
                command(pipe, item)
            replies.extend(pipe.execute())
        return replies

    # -- results ----------------------------------------------------------------

    def save(self, key, value):
        key = result_key(key)
        data = encode_result(value, key=key)
        self._call("saving a result", lambda: self._client.set(f"result:{key}", data))

    @_talks_to_redis("loading a result")
    def load(self, key):
        key = result_key(key)
        data = self._client.get(f"result:{key}")
        if data is None:
            raise ResultMissing(f"no result for task {key}: key result:{key} does not exist "
                                f"in Redis at {self._describe}; `jug execute` computes it",
                                key=key)
        return decode_result(data, key, f"key result:{key} in Redis at {self._describe}")

    @_talks_to_redis("loading results")
    def load_many(self, keys):
        keys = [result_key(key) for key in keys]
        values = []
        for start in range(0, len(keys), BATCH):
            chunk = keys[start:start + BATCH]
            blobs = self._client.mget([f"result:{key}" for key in chunk])
            for key, data in zip(chunk, blobs):
                if data is None:
                    raise ResultMissing(f"no result for task {key}: key result:{key} does not "
                                        f"exist in Redis at {self._describe}; `jug execute` "
                                        "computes it", key=key)
                values.append(decode_result(data, key,
                                            f"key result:{key} in Redis at {self._describe}"))
        return values

    @_talks_to_redis("checking for a result")
    def exists(self, key):
        return bool(self._client.exists(f"result:{result_key(key)}"))

    @_talks_to_redis("checking for results")
    def exists_many(self, keys):
        names = [f"result:{result_key(key)}" for key in keys]
        return [bool(reply) for reply in self._pipelined(names, lambda p, n: p.exists(n))]

    @_talks_to_redis("listing results")
    def list_keys(self):
        return {key.decode("ascii") for key in self._scan(b"result:") if len(key) == 40}

    @_talks_to_redis("removing a result")
    def remove(self, key):
        return bool(self._client.delete(f"result:{result_key(key)}"))

    @_talks_to_redis("removing results")
    def remove_many(self, keys):
        keys = [result_key(key) for key in keys]
        replies = self._pipelined(keys, lambda p, key: p.delete(f"result:{key}"))
        return {key for key, reply in zip(keys, replies) if reply}

    @_talks_to_redis("reading result metadata")
    def metadata(self, key):
        key = result_key(key)
        header = self._client.getrange(f"result:{key}", 0, HEADER.size - 1)
        if not header:
            return {"computed": False, "completed": None}
        where = f"key result:{key} in Redis at {self._describe}"
        return {"computed": True, "completed": iso_time(saved_at(header, key, where))}

    # -- locks ------------------------------------------------------------------

    def _new_lock_value(self):
        self._tokens += 1
        return _HELD + lock_record(f"{self._token_prefix}{self._tokens}", time.time())

    def lock(self, key):
        name = store_name(key)
        value = self._new_lock_value()

        def send():
            if self._client.set(f"lock:{name}", value, nx=True, px=self._lease_ms):
                return True
            # a retried SET whose first reply was lost finds our own value
            return self._client.get(f"lock:{name}") == value

        if not self._call("taking a lock", send):
            return False
        with self._mutex:
            self._held[name] = value
        return True

    def claim(self, key):
        key = result_key(key)
        value = self._new_lock_value()
        answer = self._call("claiming a task", lambda: self._claim(
            keys=[f"result:{key}", f"lock:{key}"], args=[value, self._lease_ms]))
        if answer == 2:
            return DONE
        if answer == 0:
            return BUSY
        with self._mutex:
            self._held[key] = value
        return CLAIMED

    batched = True

    def claim_many(self, keys):
        keys = [result_key(key) for key in keys]
        if len(keys) == 1:
            return [self.claim(keys[0])]
        values = []
        names = []
        for key in keys:
            values.append(self._new_lock_value())
            names.extend((f"result:{key}", f"lock:{key}"))
        answers = self._call("claiming tasks", lambda: self._claim_many(
            keys=names, args=[self._lease_ms, *values]))
        claims = []
        with self._mutex:
            for key, value, answer in zip(keys, values, answers):
                if answer == 1:
                    self._held[key] = value
                claims.append(CLAIMED if answer == 1 else DONE if answer == 2 else BUSY)
        return claims

    def save_and_unlock_many(self, items):
        items = [(result_key(key), value) for key, value in items]
        if len(items) == 1:
            return self.save_and_unlock(*items[0])
        encoded = [(key, encode_result(value, key=key)) for key, value in items]
        with self._mutex:
            held = [self._held.get(key) for key, _ in encoded]

        def send():
            pipe = self._client.pipeline(transaction=False)
            for (key, data), value in zip(encoded, held):
                self._save_and_unlock(keys=[f"result:{key}", f"lock:{key}"],
                                      args=[data, value or b""], client=pipe)
            return pipe.execute()

        self._call("saving results", send)
        self._forget(key for key, _ in encoded)

    def save_and_unlock(self, key, value):
        key = result_key(key)
        data = encode_result(value, key=key)
        with self._mutex:
            held = self._held.get(key)
        self._call("saving a result", lambda: self._save_and_unlock(
            keys=[f"result:{key}", f"lock:{key}"], args=[data, held or b""]))
        self._forget([key])

    def _forget(self, names):
        with self._mutex:
            for name in names:
                self._held.pop(name, None)

    def unlock(self, key):
        name = store_name(key)
        with self._mutex:
            value = self._held.get(name)
        if value is None:
            return False
        released = self._call("releasing a lock",
                              lambda: self._unlock(keys=[f"lock:{name}"], args=[value]))
        self._forget([name])
        return bool(released)

    @_talks_to_redis("checking a lock")
    def is_locked(self, key):
        return bool(self._client.exists(f"lock:{store_name(key)}"))

    def fail(self, key, error=None):
        name = store_name(key)
        with self._mutex:
            value = self._held.get(name)
        if value is None or value[:1] == _FAILED:
            return value is not None
        failed = _FAILED + (failed_lock_record(value[1:], error) if error else value[1:])
        marked = self._call("marking a lock failed",
                            lambda: self._fail(keys=[f"lock:{name}"], args=[value, failed]))
        with self._mutex:
            if not marked:
                self._held.pop(name, None)
                return False
            self._held[name] = failed  # still ours (so unlock removes it), never refreshed
            return True

    @_talks_to_redis("checking a lock")
    def is_failed(self, key):
        return self._client.getrange(f"lock:{store_name(key)}", 0, 0) == _FAILED

    def _lock_info(self, name, value, pttl, now):
        failed = value[:1] == _FAILED
        heartbeat = now - (self._lease_ms - pttl) / 1000 if pttl > 0 else now
        return parse_lock_record(name, value[1:], heartbeat, failed)

    @_talks_to_redis("reading a lock")
    def lock_info(self, key):
        name = store_name(key)
        pipe = self._client.pipeline(transaction=False)
        pipe.get(f"lock:{name}")
        pipe.pttl(f"lock:{name}")
        value, pttl = pipe.execute()
        return None if value is None else self._lock_info(name, value, pttl, time.time())

    @_talks_to_redis("listing locks")
    def list_locks(self):
        names = [name.decode("ascii", "replace") for name in self._scan(b"lock:")]

        def query(pipe, name):
            pipe.get(f"lock:{name}")
            pipe.pttl(f"lock:{name}")

        replies = self._pipelined(names, query)
        now = time.time()
        locks = {}
        for i, name in enumerate(names):
            value, pttl = replies[2 * i], replies[2 * i + 1]
            if value is not None:
                locks[name] = self._lock_info(name, value, pttl, now)
        return locks

    @_talks_to_redis("refreshing locks")
    def heartbeat(self, keys):
        names = list(map(store_name, keys))
        with self._mutex:
            names = [name for name in names if self._held.get(name, _FAILED)[:1] == _HELD]
            if not names:
                return set()
            lost_indices = self._heartbeat(keys=[f"lock:{name}" for name in names],
                                           args=[self._lease_ms] + [self._held[n] for n in names])
            lost = {names[i - 1] for i in lost_indices}
            for name in lost:
                del self._held[name]
        return lost

    @_talks_to_redis("removing a lock")
    def _remove_lock_if_unchanged(self, info):
        state = _FAILED if info.failed else _HELD
        return bool(self._remove_if_token(keys=[f"lock:{info.key}"], args=[info.token, state]))

    # -- maintenance ------------------------------------------------------------

    @_talks_to_redis("listing blobs")
    def list_blobs(self, prefix=""):
        return sorted(prefix + rest.decode("ascii", "replace")
                      for rest in self._scan(b"blob:" + prefix.encode("ascii")))

    @_talks_to_redis("measuring results")
    def result_sizes(self, keys):
        keys = [result_key(key) for key in keys]

        def query(pipe, key):
            pipe.strlen(f"result:{key}")
            pipe.getrange(f"result:{key}", 0, len(MAGIC) - 1)

        replies = self._pipelined(keys, query)
        sizes = {}
        for i, key in enumerate(keys):
            size, head = replies[2 * i], replies[2 * i + 1]
            if size:
                sizes[key] = (size, head == MAGIC)
        return sizes

    # -- blobs ------------------------------------------------------------------

    @_talks_to_redis("writing a blob")
    def put_blob(self, name, data, durable=True):  # no fsync to skip
        self._put_blob(keys=[f"blob:{store_name(name, 'blob name')}", _BLOB_VERSION],
                       args=[bytes(data)])

    @_talks_to_redis("writing a blob")
    def put_blob_parts(self, name, parts, durable=True):
        """A hash of one field per part (``p<i>``): read with one HMGET."""
        parts = [bytes(part) for part in parts]
        self._put_blob_parts(keys=[f"blob:{store_name(name, 'blob name')}", _BLOB_VERSION],
                             args=[sum(map(len, parts)), *parts])

    @_talks_to_redis("reading a blob")
    def get_blob_parts(self, name, indices):
        indices = sorted(set(indices))
        key = f"blob:{store_name(name, 'blob name')}"
        count, *found = self._client.hmget(key, ["parts", *(f"p{i}" for i in indices)])
        if count is None or None in found:
            return None
        return dict(zip(indices, found))

    @_talks_to_redis("reading a blob")
    def get_blob(self, name):
        key = f"blob:{store_name(name, 'blob name')}"
        data, count = self._client.hmget(key, ["data", "parts"])
        if data is None and count is not None:  # a blob of parts (put_blob_parts)
            parts = self._client.hmget(key, [f"p{i}" for i in range(int(count))])
            return None if None in parts else pack_parts(parts)
        return data

    @_talks_to_redis("removing a blob")
    def remove_blob(self, name):
        return bool(self._client.delete(f"blob:{store_name(name, 'blob name')}"))

    @_talks_to_redis("reading blob information")
    def blob_info(self, name):
        key = f"blob:{store_name(name, 'blob name')}"
        pipe = self._client.pipeline(transaction=False)
        pipe.hstrlen(key, "data")
        pipe.hmget(key, ["version", "size"])
        size, (version, parts_size) = pipe.execute()
        if version is None:
            return None
        return (int(parts_size) if parts_size is not None else size), int(version)

    def close(self):
        self._client.close()
