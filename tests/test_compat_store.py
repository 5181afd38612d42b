"""jug.compat.jug2_store: reading every format the original jug 2.7.0
wrote, from stores the original itself wrote (file store, compressed
arrays, pack file, Redis, dict_store file), and never writing to them."""

import hashlib
import subprocess

import numpy as np
import pytest

from jug.compat.jug2_store import (OriginalStoreError, is_original_head, load_file,
                                   open_original_store)
from test_migrate import snapshot


def key(label):
    return hashlib.sha1(label.encode()).hexdigest()


LABELS = ["none", "array", "pickle", "objects", "compressed_array", "big_pickle", "bytes",
          "structured"]

# Written by the original: every value a result can be, in every encoding.
WRITER = """
import sys, hashlib
import numpy as np
from jug.backends.file_store import file_store
from jug.backends.dict_store import dict_store
def key(label):
    return hashlib.sha1(label.encode()).hexdigest()
rng = np.random.default_rng(0)
values = {
    "none": None,
    "array": np.arange(12, dtype=np.int32).reshape(3, 4),
    "pickle": {"x": [1, 2.5, "three"], "t": (None, True)},
    "objects": np.array([1, "a", None], dtype=object),
    "big_pickle": list(rng.integers(0, 2**62, size=300_000).tolist()),
    "bytes": bytes(range(256)) * 10,
    "structured": np.array([(1, 2.0)], dtype=[("a", "<i4"), ("b", "<f8")]),
}
plain = file_store("old.jugdata")
for label, value in values.items():
    plain.dump(value, key(label))
file_store("old.jugdata", compress_numpy=True).dump(np.linspace(0, 1, 7), key("compressed_array"))
packed = file_store("packed.jugdata")
packed.dump({"small": 1}, key("packed_small"))
packed.dump(None, key("packed_none"))
packed.dump(np.arange(100000), key("not_packed"))
print(packed.update_pack(), file=sys.stderr)
memory = dict_store("old.dict")
memory.dump([1, 2, 3], key("dict_value"))
memory.close()
if len(sys.argv) > 1:
    from jug.backends.redis_store import redis_store
    remote = redis_store(sys.argv[1])
    for label, value in values.items():
        remote.dump(value, key(label))
"""


def expected_values():
    rng = np.random.default_rng(0)
    return {
        "none": None,
        "array": np.arange(12, dtype=np.int32).reshape(3, 4),
        "pickle": {"x": [1, 2.5, "three"], "t": (None, True)},
        "objects": np.array([1, "a", None], dtype=object),
        "compressed_array": np.linspace(0, 1, 7),
        "big_pickle": list(rng.integers(0, 2**62, size=300_000).tolist()),
        "bytes": bytes(range(256)) * 10,
        "structured": np.array([(1, 2.0)], dtype=[("a", "<i4"), ("b", "<f8")]),
    }


def assert_same(value, expected):
    if isinstance(expected, np.ndarray):
        assert type(value) is np.ndarray and value.dtype == expected.dtype
        assert value.shape == expected.shape and value.tolist() == expected.tolist()
    else:
        assert value == expected


@pytest.fixture(scope="module")
def written(tmp_path_factory, original_jug):
    directory = tmp_path_factory.mktemp("written")
    proc = original_jug.python(WRITER, cwd=directory)
    assert proc.returncode == 0, proc.stderr
    return directory


def test_file_store_every_encoding(written):
    before = snapshot(written)
    with open_original_store(str(written / "old.jugdata")) as old:
        assert old.kind == "file store"
        keys = old.list_keys()
        assert keys == {key(label) for label in LABELS}
        for label, expected in expected_values().items():
            assert old.exists(key(label)) and old.is_original(key(label))
            assert_same(old.load(key(label)), expected)
        assert not old.exists(key("absent"))
        with pytest.raises(OriginalStoreError, match="no result"):
            old.load(key("absent"))
    assert snapshot(written) == before


def test_the_none_result_is_an_empty_file_and_arrays_are_npy(written):
    jugdir = written / "old.jugdata"
    none = jugdir / key("none")[:2] / key("none")[2:]
    array = jugdir / key("array")[:2] / key("array")[2:]
    assert none.read_bytes() == b"" and load_file(str(none)) is None
    assert array.read_bytes().startswith(b"\x93NUMPY")
    compressed = jugdir / key("compressed_array")[:2] / key("compressed_array")[2:]
    assert compressed.read_bytes()[:1] == b"\x78"  # a zlib stream


def test_pack_file(written):
    with open_original_store(str(written / "packed.jugdata")) as old:
        assert old.list_keys() == {key("packed_small"), key("packed_none"), key("not_packed")}
        assert old.load(key("packed_small")) == {"small": 1}
        assert old.load(key("packed_none")) is None and old.exists(key("packed_none"))
        assert old.load(key("not_packed")).tolist() == list(range(100000))
    small = key("packed_small")
    assert not (written / "packed.jugdata" / small[:2] / small[2:]).exists()  # in the pack only


def test_dict_store_file(written):
    with open_original_store(f"dict_store:{written / 'old.dict'}") as old:
        assert old.list_keys() == {key("dict_value")}
        assert old.load(key("dict_value")) == [1, 2, 3]


def test_redis_store_every_encoding(tmp_path, original_jug, redis_url):
    from conftest import flush_redis

    # the original ignores the database number: it always uses database 0
    base = redis_url.rsplit("/", 1)[0]
    flush_redis(base + "/0")
    proc = subprocess.run([original_jug.interpreter, "-c", WRITER, base + "/5"], cwd=tmp_path,
                          env=original_jug.env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    with open_original_store(base + "/5") as old:
        assert old.kind == "Redis store" and old.describe().endswith("/0")
        assert old.list_keys() == {key(label) for label in LABELS if label != "compressed_array"}
        for label, expected in expected_values().items():
            if label == "compressed_array":
                continue
            assert old.is_original(key(label))
            assert_same(old.load(key(label)), expected)
        assert not old.is_original(key("absent"))
    flush_redis(base + "/0")


def test_our_results_in_a_shared_directory_are_not_the_originals(tmp_path):
    from jug.store.file_store import FileStore

    ours = FileStore(str(tmp_path / "shared"))
    ours.save(key("ours"), {"a": 1})
    (tmp_path / "shared" / key("theirs")[:2]).mkdir(parents=True, exist_ok=True)
    (tmp_path / "shared" / key("theirs")[:2] / key("theirs")[2:]).write_bytes(b"")
    with open_original_store(str(tmp_path / "shared")) as old:
        assert old.is_original(key("theirs")) and not old.is_original(key("ours"))
        with pytest.raises(OriginalStoreError, match="written by this jug"):
            old.load(key("ours"))


def test_heads():
    assert is_original_head(b"")
    assert is_original_head(b"\x93NUM") and is_original_head(b"PAR1")
    assert is_original_head(b"\x78\x9c\x01\x02")
    assert not is_original_head(b"JUGR")
    assert not is_original_head(b"{\"ho")


def test_unusable_locations_say_what_to_do(tmp_path):
    with pytest.raises(OriginalStoreError, match="no jugdir .* --from"):
        open_original_store(str(tmp_path / "missing"))
    with pytest.raises(OriginalStoreError, match="keeps nothing"):
        open_original_store("dict_store")
    with pytest.raises(OriginalStoreError, match="not a dict_store file"):
        (tmp_path / "junk").write_bytes(b"junk")
        open_original_store(f"dict_store:{tmp_path / 'junk'}")
    with pytest.raises(OriginalStoreError, match="cannot reach"):
        open_original_store("redis://127.0.0.1:1/")
