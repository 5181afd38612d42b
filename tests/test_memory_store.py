"""What is particular to the in-memory store: ``dict_store`` forgets,
``dict_store:FILE`` saves on close and at exit and starts from FILE."""

import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

from jug.errors import StoreError
from jug.store import open_store
from jug.store.memory_store import MemoryStore

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
K1 = "a" * 40
K2 = "b" * 40


def test_dict_store_is_not_persisted():
    store = open_store("dict_store")
    store.save(K1, 1)
    store.close()
    assert open_store("dict_store").list_keys() == set()


def test_dict_store_file_persists_across_close_and_reopen(tmp_path):
    path = tmp_path / "sub" / "store.pickle"
    with open_store(f"dict_store:{path}") as store:
        assert store.list_keys() == set()
        store.save(K1, np.arange(3))
        store.save(K2, {"x": None})
        store.put_blob("manifest", b"bytes")
        store.lock(K1)
        store.fail(K1, "ValueError: why")
        store.lock(K2)  # merely held: not saved
    assert path.exists()
    assert not [name for name in os.listdir(path.parent) if name.endswith(".tmp")]
    with open_store(f"dict_store:{path}") as again:
        assert again.list_keys() == {K1, K2}
        np.testing.assert_array_equal(again.load(K1), np.arange(3))
        assert again.load(K2) == {"x": None}
        assert again.get_blob("manifest") == b"bytes"
        assert set(again.list_locks()) == {K1}
        assert again.is_failed(K1)
        assert again.lock_info(K1).error == "ValueError: why"
        assert again.metadata(K2)["computed"]


def test_dict_store_file_of_an_older_version_has_failed_locks_without_errors(tmp_path):
    path = tmp_path / "store.pickle"
    with open_store(f"dict_store:{path}") as store:
        store.lock(K1)
        store.fail(K1, "ValueError: why")
    with open(path, "rb") as file:
        state = pickle.load(file)
    del state["failed_errors"]  # what versions before the error text wrote
    with open(path, "wb") as file:
        pickle.dump(state, file)
    with open_store(f"dict_store:{path}") as again:
        assert again.is_failed(K1) and again.lock_info(K1).error == ""


def test_dict_store_file_is_saved_at_exit_of_another_process(tmp_path):
    path = tmp_path / "store.pickle"
    code = ("import sys; from jug.store import open_store; "
            "store = open_store(sys.argv[1]); store.save('c' * 40, 'from a child')")
    subprocess.run([sys.executable, "-c", code, f"dict_store:{path}"], cwd=REPO, check=True)
    with open_store(f"dict_store:{path}") as store:
        assert store.load("c" * 40) == "from a child"


def test_unreadable_dict_store_file_is_a_store_error(tmp_path):
    garbage = tmp_path / "garbage"
    garbage.write_bytes(b"not a pickle")
    with pytest.raises(StoreError) as raised:
        open_store(f"dict_store:{garbage}")
    assert str(garbage) in str(raised.value)
    other = tmp_path / "other.pickle"
    other.write_bytes(pickle.dumps({"some": "dict"}))
    with pytest.raises(StoreError) as raised:
        open_store(f"dict_store:{other}")
    assert "not a jug dict_store file" in str(raised.value)


def test_describe():
    assert MemoryStore().describe() == "memory"
    assert MemoryStore().url == "dict_store"
