"""``jug pack``: small results move into one file that every command reads,
and that invalidate and cleanup understand."""

import os
import re

import numpy as np

from jugtest import run_jug, write

JUGFILE = """
    import numpy as np
    from jug import TaskGenerator

    @TaskGenerator
    def small(x):
        return {"x": x}

    @TaskGenerator
    def big(n):
        return np.arange(n)

    @TaskGenerator
    def total(xs, array):
        return sum(x["x"] for x in xs) + int(array.sum())

    result = total([small(i) for i in range(20)], big(10000))
"""


def result_files(jugdir):
    return [os.path.join(root, name) for root, _, names in os.walk(jugdir)
            for name in names if len(name) == 38 and len(os.path.basename(root)) == 2]


def test_pack_then_status_execute_invalidate_cleanup(tmp_path):
    write(tmp_path / "jugfile.py", JUGFILE)
    run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, check=0)
    jugdir = tmp_path / "jugfile.jugdata"
    assert len(result_files(jugdir)) == 22
    proc = run_jug("pack", "jugfile.py", cwd=tmp_path, check=0)
    assert proc.stdout.splitlines()[0] == "Packed 21 objects"  # not the 80 kB array
    assert len(result_files(jugdir)) == 1 and (jugdir / "packs" / "results.jugpack").exists()
    status = run_jug("status", "jugfile.py", "--short", cwd=tmp_path, check=0)
    assert status.stdout.strip() == "All tasks complete (22 tasks)."
    run_jug("check", "jugfile.py", cwd=tmp_path, check=0)
    again = run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, check=0)
    assert re.search(r"^\s+0\s+20  jugfile.small$", again.stdout, re.M), again.stdout
    value = _value(tmp_path)
    assert value == sum(range(20)) + sum(range(10000))
    # invalidate removes packed results (and what depends on them)
    inv = run_jug("invalidate", "jugfile.py", "--name", "small", cwd=tmp_path, check=0)
    assert re.search(r"^\s+20  jugfile.small$", inv.stdout, re.M), inv.stdout
    status = run_jug("status", "jugfile.py", "--short", cwd=tmp_path, check=1)
    assert status.stdout.startswith("21 tasks waiting to be run, 0 failed, 1 complete")
    run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, check=0)
    assert _value(tmp_path) == sum(range(20)) + sum(range(10000))
    # results saved after packing are files again; packing again merges them
    assert run_jug("pack", "jugfile.py", cwd=tmp_path, check=0).stdout.startswith(
        "Packed 21 objects")
    # cleanup removes unreferenced packed results
    write(tmp_path / "jugfile.py", JUGFILE.replace("range(20)", "range(10)"))
    dry = run_jug("cleanup", "jugfile.py", "--dry-run", cwd=tmp_path, check=0)
    assert dry.stdout.startswith("Would remove 11 objects ("), dry.stdout  # 10 small, old total
    run_jug("cleanup", "jugfile.py", cwd=tmp_path, check=0)
    from jug.store.file_store import FileStore

    store = FileStore(jugdir)
    assert store.packed.current().count == 10
    assert len(store.list_keys()) == 11  # 10 packed, the array


def _value(tmp_path):
    import subprocess
    import sys

    from jugtest import jug_env

    proc = subprocess.run([sys.executable, "-c", "import jug; jug.init('jugfile.py', "
                           "'jugfile.jugdata'); import jugfile; print(jug.value(jugfile.result))"],
                          cwd=tmp_path, env=jug_env(), capture_output=True, text=True, check=True)
    return int(proc.stdout)


def test_the_store_reads_writes_and_removes_packed_results(tmp_path):
    from jug.store.file_store import FileStore
    from jug.store.pack import update_pack

    store = FileStore(tmp_path / "jugdata")
    keys = [f"{i:040x}" for i in range(50)]
    for i, key in enumerate(keys):
        store.save(key, i if i < 49 else np.zeros(2000))
    assert update_pack(store, max_size=512) == 49
    fresh = FileStore(tmp_path / "jugdata")
    assert fresh.list_keys() == set(keys)
    assert fresh.exists_many(keys) == [True] * 50 and fresh.exists(keys[3])
    assert [fresh.load(key) for key in keys[:49]] == list(range(49))
    assert fresh.metadata(keys[0])["computed"] is True
    assert fresh.result_sizes([keys[0]])[keys[0]][1] is True
    assert fresh.claim(keys[1]) == "done"
    # a result saved again wins over its packed copy
    fresh.save(keys[2], "new")
    assert store.load(keys[2]) == "new"
    assert fresh.remove(keys[4]) and not fresh.exists(keys[4]) and not store.exists(keys[4])
    assert fresh.remove_many(keys[5:10]) == set(keys[5:10])
    assert store.packed.current().count == 49 - 6
    assert not fresh.remove(keys[4])
    assert store.remove(keys[2]) and not store.exists(keys[2])  # the file and the packed copy


def test_a_store_that_cannot_be_packed_says_so_as_the_original(differential):
    scenario = differential.scenario({"jugfile.py": JUGFILE})
    outcomes = scenario.run("pack", "jugfile.py", "--jugdir", "dict_store")
    for outcome in outcomes.values():
        assert outcome.returncode == 1, outcome
        assert outcome.stderr.strip().splitlines()[-1] == (
            "Cannot pack this store (only basic file-based jugdata directories can be packed)")


def test_pack_prints_the_original_count(differential):
    scenario = differential.scenario({"jugfile.py": JUGFILE.replace("big(10000)", "big(3)")})
    scenario.execute()
    outcomes = scenario.run("pack", "jugfile.py")
    assert outcomes["original"].stdout.splitlines()[0] == "Packed 22 objects", outcomes
    assert outcomes["ours"].stdout.splitlines()[0] == "Packed 22 objects", outcomes
    scenario.assert_same_status()


def test_max_size_chooses_what_is_packed_and_redis_cannot_be_packed(tmp_path, redis_url):
    write(tmp_path / "jugfile.py", JUGFILE)
    run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, check=0)
    jugdir = tmp_path / "jugfile.jugdata"
    sizes = sorted(os.path.getsize(path) for path in result_files(jugdir))
    limit = sizes[10]  # the 11 smallest results (ties aside) fit
    fitting = sum(size <= limit for size in sizes)
    proc = run_jug("pack", "jugfile.py", "--max-size", limit, cwd=tmp_path, check=0)
    assert proc.stdout.splitlines()[0] == f"Packed {fitting} objects", proc.stdout
    assert len(result_files(jugdir)) == 22 - fitting
    assert run_jug("pack", "jugfile.py", "--max-size", 0, cwd=tmp_path, check=2).returncode == 2
    run_jug("status", "jugfile.py", "--short", cwd=tmp_path, check=0)
    redis = run_jug("pack", "jugfile.py", "--jugdir", redis_url, cwd=tmp_path, check=1)
    assert redis.stderr.strip().splitlines()[-1].startswith("Cannot pack this store")
