"""jug.compat.jug2_hash: the task hashes of the original jug 2.x, for
``jug migrate``.

The golden digests are literal: jug 2.7.0 gave them to the tasks of
tests/compat_jugfiles/shapes.py (generated once with
``jug.init('shapes.py', 'dict_store')`` under the original, see
``ORIGINAL_SCRIPT``).  They must never change: they are the original's, not
ours.  ``test_golden_vectors_are_the_originals`` recomputes them with the
live original when its venv is available.
"""

import json
import shutil
import sys
from pathlib import Path

import pytest

from jug.compat.jug2_hash import Jug2Hasher, hash_one
from jug.compat.migration import MigrationContext
from jug.compiler.trace import trace_jugfile
from jug.store.memory_store import MemoryStore

JUGFILES = Path(__file__).parent / "compat_jugfiles"

# jug 2.7.0's hashes of the tasks in shapes.py's S, by label.
GOLDEN = {
    'args_kwargs': '87205423478a6c74b22f3d5047aec80cdaaa98a0',
    'array_0d': 'c8990fbc14f1544277ba1ae14114d827b593a22e',
    'array_big_endian': 'c1ab068b031370bf675e494ede18b352bfe2449b',
    'array_bool': '63eb0a677c0af043f84894d6bed03b34cd5c0a7c',
    'array_empty': '073cf254580987bce801d881f7791bbfc5643e9f',
    'array_float': 'bd7ac260066d2e78d0892a71e112b7ddd629dd0f',
    'array_fortran': 'f07269c8327acc51ca25856c3837874ec6b404e2',
    'array_int32_2d': 'c76a1d873fcbe6c77548808a8f42f2aceb695ba1',
    'array_object': 'ac84ab07ef66023ed3491dc2642286c03cd87c0e',
    'array_strided': '5a6bf50929232cd86bf1e3063331ba15cb5bf724',
    'array_structured': '884092748402ad4a8f8597da551fc6656e892737',
    'big_int': '743e489986d39d607c86a6ff630febd92cade2b1',
    'builtin_arg': 'fe7d46752e66e714ec933f7a243736cbe3434150',
    'bytes': 'e0b0587ff9ded9eafa5b2be12b324610cf61fbaf',
    'cached_function_task': '9218f862ba41f18f485a53658fc0af412f04eca5',
    'class_arg': '783a7d753fd629d5adb8a1593e107786d0e0b86d',
    'complex': '3715f5ad718083bf36936175138b56c0b306dc01',
    'compound': 'e8d500317cd33a6b80ba3fa2380bf17d63ed3e86',
    'compound_generator': '1d7324f50236dd0d44ac15210194e1ce96388e8d',
    'currymap': '8e01e0cb980c908439512c0329c48fa9d9cc2ff1',
    'custom_hash_jug_hash_one': '9b8cdc56b2587add69eefe72aded0c76d423e556',
    'custom_hash_sha1': '44457de399565840de85d0a27b8dc759884b85f5',
    'date': 'a399c93fdfde7b98aa3f94797045167b71e9fe44',
    'deep': 'cbb4d03b10193d45a2897a007c8cb53fc96c4ed4',
    'dict_int_keys': '17085f436a976c69378913cb6db347806c8a084b',
    'dict_str_keys': 'ea0771a3dd58cf0c13d62c8009924898301aeb4d',
    'dict_tuple_keys': 'df5ebc5a79d0d289ce9b8e2f4e4ebf552a65ef92',
    'empty_containers': 'a93c8279bf78be896cfb7c419cf1cfb3b2bb6407',
    'float': 'b3bd4b516710f01a664f6328f296530c7513410d',
    'float_special': '7ec1a6cd202ebf4d5a8e7673022bbe07044cdd1c',
    'frozenset': '273161bd7e40eed48c12d78eedb374af9e206fa2',
    'function_arg': '7d583b7e89ffa9adcc137afcd11d034a9b736554',
    'generator_arg': '8f0348bd11a97b476eb3116df1b89dd1ca8c5a7e',
    'identity': '75faec2a1860d2835f853597411071a35ad3df0d',
    'identity_of_task': '5af1e8ef7ca046be1067151c4611d059887a1773',
    'identity_used': '870f85914b1a973919b1c7d65547aa6a5bdd8832',
    'instance': 'fb835e94d37ecebcfa031189cdf88705589fd746',
    'int': '5af1e8ef7ca046be1067151c4611d059887a1773',
    'iteratetask': '754e7eaf4e065822d9968c8d2a8e3a1a7325a457',
    'jug_execute': '5e83902f5190690b5f88d11299725fff190517f6',
    'jug_hash_object': 'a2c8754b12cab0f625effbaf564db32f0d6251d3',
    'kwargs': '24c4b58942136a273b5554b37e143d3632e837fe',
    'list': '93617ac1e1eb97de0ab6deac73826d149eb6c844',
    'long_list': '244b56544385536ed2edba75818946542a128edb',
    'map_element': 'c62720d14b12f1a1e1417542a3515898c8ab797a',
    'map_generator_step1': 'edfd8f5a0c924b626c8a23a3a3bb2044a2b1c5bd',
    'map_plain_step1': 'b18468b5e7ec456653171dd6fbd3f9ea3ed17b60',
    'map_result': '1e64ed1f99fc4f761b513cad07c95f971897b6a3',
    'map_slice': 'c93101c43863bc94804fce5e6eb01eae9c36d011',
    'mapreduce_generators': '43623676f1ebcfe76e53c13c2bf6b10d5a11abc5',
    'mapreduce_plain': '6bf6aec8c64085caf3eba56ee7b83d4ef57e7c14',
    'mixed_kwargs_order': '282f8a955b21627ef76eddee7d14e3215ed78436',
    'namedtuple': '854c18aa389297d8dd5e44be5b550231beee7cbc',
    'negative_int': '5436cc0d47341eacde5aa30635bc9bb711737042',
    'nested': '6b6bff5809441ee0d77e00d8695b60b7ad96eed8',
    'no_args': '3e0bc5f4a1d5247439b7b0a729e8c162ac98bf59',
    'nohash': 'df3e3aa63e129b19697aa6dba4f67b1a6b58cf04',
    'noload': '82460867cf9af9bcbab35b4c5fae04e4b377ccd6',
    'none_true_false': '9e46258111d5f8734a350a5a518dde47da2783a4',
    'numpy_scalars': '054ba0d8ecab1ac7998522a9db82cf5f4411cfb2',
    'ordered_dict': 'f5d95b4981512102cace617f095ba606cb4c2f77',
    'partial_function': '245f3dae56d2aa05b774fac667ee2f6e4f7f73cd',
    'partial_kw': 'dc3c6d9b4750c885f800e4d7d413989d88a1f65a',
    'range_slice': '5bd57009abcd4564ef504fb81a2fe545fc0824e0',
    'reduce': '7a7ad531b4003b6c3803e41781820dd9a7b1f2a3',
    'return_tuple': '34a3b717434a1a14fc45f1fbbfe8fc9327754b7d',
    'set': '0a6e45bdb87496096b95691b6e71ec8c9046e097',
    'set_of_str': '1af208446438acbe4d525eea756d95305ce392b4',
    'str': 'f0b42b6df3b6537a60aa9d8325762264a2120302',
    'task_dep': '554eeeacab71bf6c121ad1fa4254eb75fe065c71',
    'task_in_dict': '1f6a0bfcd396e6305ca4d3ae8c987d12ba6e054c',
    'task_in_kwargs': '04d71535ac4da5f43c3bc6eae7ed0b661734b3cc',
    'task_in_list': 'bfc8e6ffce9cc499d95d1141470a1d5102c5f50b',
    'task_in_tuple': 'e40ecfc3fc64f263bb2ae9b27a2c0164751a5a83',
    'task_nested': 'fec18f05ecb19f4e82e3b02fc18fec72038145a8',
    'tasklet_chain': '60c186418a0b8e4e6baa93471b088abb8651715b',
    'tasklet_index': 'db1c0fcf8f8a8abe71e1f0dde928434f3c24110f',
    'tasklet_key': 'e73a08bad7cbe7c89c5681c40d6476d101a1e2e5',
    'tasklet_lambda': 'fd1757a3ba80c7a6e86c750904942c55345b8d46',
    'tasklet_lambda_closure': '7af5ee692624ff4f5d1a20d0124f3816fcdc7df2',
    'tasklet_named': '3bf9b1d30fe6c1c308623ce217c05034634d91ad',
    'tasklet_slice': 'b478ce7c599bcd8a50d41620cd761c3bd727361f',
    'tasklet_task_index': '9da702a51d636982a3629a9d05a140b286ec9e3e',
    'timed_path': 'd2cb51341524ce7c165ab6198674cb2a147b62e2',
    'tuple': 'd1f2131b46caa062b7ba9d21a870c07cdfb7e441',
    'tuple_of_tasklets': '24c01b5402ad2d069f37aa0c56ea215f1c8491d4',
    'unicode': '6075c446d8958e625051577d560117b7daa33c09',
    'write_metadata': '7bc8fd709c61bb7ddedbccfe0eb8fb594873b32e',
    'write_task_out': '4bc719f568c3a516dadbb87152dbb0b01c2e6dbf',
}

ORIGINAL_SCRIPT = """
import json, jug
jug.init('shapes.py', 'dict_store')
import shapes
print(json.dumps({label: task.hash().decode() for label, task in shapes.S.items()}))
"""


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """A working directory, with sys.path, sys.argv and the modules a trace
    registers restored afterwards."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    before = set(sys.modules)
    yield tmp_path
    for name in set(sys.modules) - before:
        if not name.startswith(("jug", "numpy", "yaml")):
            del sys.modules[name]


def jug2_trace(directory, jugfile):
    """Trace ``jugfile`` as ``jug migrate`` does: (trace, context)."""
    store = MemoryStore()
    context = MigrationContext(store, Jug2Hasher())
    trace = trace_jugfile(str(directory / jugfile), store, argv=[jugfile], context=context)
    return trace, context


def jug2_shape_hashes(directory):
    shutil.copy(JUGFILES / "shapes.py", directory / "shapes.py")
    trace, context = jug2_trace(directory, "shapes.py")
    hashes = {}
    for label, task in trace.module.S.items():
        digest = context.hasher.hash_or_error(task)
        hashes[label] = digest.decode() if isinstance(digest, bytes) else repr(digest)
    return hashes


def test_at_least_40_shapes_are_pinned():
    assert len(GOLDEN) >= 40


def test_golden_vectors(isolated):
    assert jug2_shape_hashes(isolated) == GOLDEN


def test_golden_vectors_are_the_originals(isolated, original_jug):
    shutil.copy(JUGFILES / "shapes.py", isolated / "shapes.py")
    proc = original_jug.python(ORIGINAL_SCRIPT, cwd=isolated)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == GOLDEN


def test_hash_one_matches_the_originals_on_plain_values():
    # jug 2.7.0: jug.hash.hash_one(x).decode()
    assert hash_one(("data.txt", 1600000000, 12)) != hash_one(("data.txt", 1600000000.0, 12))
    assert hash_one(("data.txt", 1600000000.5, 12)) == b"6e5687c9af8d51b79232ca48ed093266c98a8db0"


def test_a_task_whose_argument_jug2_cannot_hash_is_an_error_not_a_guess(isolated):
    # jug 2.x pickles a lambda argument (and fails); this jug hashes its code
    (isolated / "jugfile.py").write_text(
        "from jug import TaskGenerator\n"
        "@TaskGenerator\n"
        "def f(x):\n"
        "    return 1\n"
        "ok = f(1)\n"
        "bad = f(lambda x: x + 1)\n"
        "downstream = f([ok, bad])\n")
    trace, context = jug2_trace(isolated, "jugfile.py")
    module = trace.module
    assert isinstance(context.hasher.hash_or_error(module.ok), bytes)
    error = context.hasher.hash_or_error(module.bad)
    assert not isinstance(error, bytes) and "lambda" in str(error)
    assert not isinstance(context.hasher.hash_or_error(module.downstream), bytes)


def test_user_hash_functions_see_the_originals_hash_one_and_ours_is_restored(isolated):
    import hashlib

    import jug.hash

    ours = jug.hash.hash_one
    (isolated / "jugfile.py").write_text(
        "from jug import TaskGenerator\n"
        "from jug.hash import hash_one\n"
        "from jug.utils import CustomHash\n"
        "@TaskGenerator\n"
        "def f(x):\n"
        "    return 1\n"
        "def by_global(x):\n"
        "    return hash_one(x)\n"
        "t = f(CustomHash(5, by_global))\n")
    trace, context = jug2_trace(isolated, "jugfile.py")
    assert jug.hash.hash_one is ours and trace.module.hash_one is ours

    class Standin:  # what the original's CustomHash fed: its hash_one(5)
        def __jug_hash__(self):
            return hash_one(5)

    expected = hashlib.sha1()
    Jug2Hasher().update(expected, [("name", b"jugfile.f"), ("args", (Standin(),)),
                                   ("kwargs", {})])
    assert context.hasher.task_hash(trace.module.t) == expected.hexdigest().encode()


def test_a_long_chain_is_hashed_without_recursion(isolated):
    (isolated / "jugfile.py").write_text(
        "from jug import TaskGenerator\n"
        "@TaskGenerator\n"
        "def step(x):\n"
        "    return x\n"
        "t = step(0)\n"
        "for i in range(20000):\n"
        "    t = step(t)\n")
    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(400)
    try:
        trace, context = jug2_trace(isolated, "jugfile.py")
        fresh = Jug2Hasher()  # nothing known yet: the walk itself must be iterative
        assert fresh.task_hash(trace.module.t) == context.hasher.task_hash(trace.module.t)
    finally:
        sys.setrecursionlimit(old_limit)
