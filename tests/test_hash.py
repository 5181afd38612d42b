"""jug.hash: the canonical encoding (docs/hashing.md) and the digests built on it.

The golden digests below are literal: a change to any of them is a format
change, which needs ENCODING_VERSION bumped and a changelog entry, not a new
literal pasted in.
"""

import collections
import datetime
import decimal
import functools
import hashlib
import http
import math
import os
import pathlib
import struct
import subprocess
import sys
import textwrap
import threading
import types
import weakref

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jug.errors import JugError
from jug.hash import (CHUNK_SIZE, DIGEST_SIZE, ENCODING_VERSION, MEMO_MIN_ITEMS,
                      PARALLEL_MIN_BYTES, HashingError, HashMemo, canonical_encoding,
                      encode_fallback_types, hash_bytes, hash_one, hash_task)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def u64(n):
    return struct.pack(">Q", n)


def sha1(data):
    """D(x) in docs/hashing.md."""
    return hashlib.sha1(data).digest()


class FakeTask:
    """Contributes a fixed digest, as a Task contributes its own hash."""

    def __init__(self, digest):
        self.digest = digest

    def __jug_hash__(self):
        return self.digest


class CountingHash:
    """Counts how often it is asked for its hash, i.e. how often it is encoded."""

    calls = 0

    def __jug_hash__(self):
        CountingHash.calls += 1
        return b"counted"


def jugfile_namespace(source):
    """Run ``source`` as if it were a module named ``jugfile``."""
    namespace = {"__name__": "jugfile"}
    exec(source, namespace)
    return namespace


# --------------------------------------------------------------------------
# Golden digests: hash_one(value) for every type with a canonical encoding.

GOLDEN_VALUES = {
    "none": lambda: None,
    "true": lambda: True,
    "false": lambda: False,
    "int_0": lambda: 0,
    "int_1": lambda: 1,
    "int_neg": lambda: -1,
    "int_1024": lambda: 1024,
    "int_big": lambda: 2**100,
    "int_big_neg": lambda: -(2**100),
    "float_1": lambda: 1.0,
    "float_1_5": lambda: 1.5,
    "float_zero": lambda: 0.0,
    "float_neg_zero": lambda: -0.0,
    "float_nan": lambda: float("nan"),
    "float_inf": lambda: float("inf"),
    "complex": lambda: 1 + 2j,
    "str_empty": lambda: "",
    "str_a": lambda: "a",
    "str_unicode": lambda: "jug \u00e9\u4e2d\U0001f600",
    "bytes": lambda: b"a",
    "bytearray": lambda: bytearray(b"a"),
    "ellipsis": lambda: ...,
    "list_empty": lambda: [],
    "list": lambda: [1, "a", (2, 3)],
    "tuple_empty": lambda: (),
    "tuple": lambda: (1, "a", (2, 3)),
    "dict": lambda: {"k": 1.5},
    "dict_empty": lambda: {},
    "set": lambda: {1, 2, 3},
    "frozenset": lambda: frozenset({1, 2, 3}),
    "set_str": lambda: {"a", "b", "c"},
    "range": lambda: range(0, 10, 2),
    "slice": lambda: slice(1, None, 2),
    "path": lambda: pathlib.Path("data/x.csv"),
    "pure_path": lambda: pathlib.PurePosixPath("data/x.csv"),
    "date": lambda: datetime.date(2024, 2, 29),
    "time": lambda: datetime.time(12, 30, 15, 250),
    "datetime": lambda: datetime.datetime(2024, 2, 29, 12, 30, 15, 250),
    "datetime_utc": lambda: datetime.datetime(2024, 2, 29, 12, 30, tzinfo=datetime.timezone.utc),
    "timedelta": lambda: datetime.timedelta(days=-1, seconds=5, microseconds=7),
    "enum": lambda: http.HTTPStatus.OK,
    "builtin": lambda: len,
    "math_sqrt": lambda: math.sqrt,
    "class": lambda: int,
    "method_descriptor": lambda: str.join,
    "classmethod_builtin": lambda: dict.fromkeys,
    "partial": lambda: functools.partial(max, 1, key=abs),
    "jug_hash_bytes": lambda: FakeTask(b"abc"),
    "jug_hash_str": lambda: FakeTask("abc"),
    "fallback_decimal": lambda: decimal.Decimal("1.5"),
    "ordered_dict": lambda: collections.OrderedDict([("b", 2), ("a", 1)]),
    "defaultdict": lambda: collections.defaultdict(list, {"a": [1]}),
    "counter": lambda: collections.Counter("abracadabra"),
    "np_int64": lambda: np.arange(3, dtype=np.int64),
    "np_float64_2d": lambda: np.arange(6, dtype=np.float64).reshape(2, 3),
    "np_bool": lambda: np.array([True, False]),
    "np_unicode": lambda: np.array(["a", "bc"]),
    "np_bytes": lambda: np.array([b"a", b"bc"]),
    "np_datetime": lambda: np.array(["2024-02-29"], dtype="datetime64[D]"),
    "np_structured": lambda: np.array([(1, 2.0)], dtype=[("a", "<i4"), ("b", "<f8")]),
    "np_object": lambda: np.array([1, "a", None], dtype=object),
    "np_0d": lambda: np.array(1.5),
    "np_empty": lambda: np.zeros((0, 3)),
    "np_tree": lambda: np.arange(300_000, dtype=np.float64),
    "np_scalar_float64": lambda: np.float64(1.5),
    "np_scalar_int32": lambda: np.int32(7),
    "np_scalar_bool": lambda: np.bool_(True),
    "np_scalar_str": lambda: np.str_("ab"),
    "np_dtype": lambda: np.dtype("float32"),
    "np_ufunc": lambda: np.sqrt,
}

GOLDEN_DIGESTS = {
    "none": "da5b182609f18880fd8f807d7c3af7a5123c9799",
    "true": "6f7a36bd71579816fa218a138fad09de15b1dba9",
    "false": "9da72816d8b091fc4eb3e223d89f7862ec7407a9",
    "int_0": "9701ce52dc537fc9595f877263e34582ed44c896",
    "int_1": "55fef42099e8ea5821e4117853e2562e6525d9be",
    "int_neg": "46105813f63aa053e68363e54ab0678ea5e4f084",
    "int_1024": "dc5d8eedafdd89c565bc74b783328e5d6736d693",
    "int_big": "899951d67082fedecfaab9f6f833b2669f2d5ffe",
    "int_big_neg": "1aabdd869d512296bfc63a5b5ab81a904737b27c",
    "float_1": "a2f49c30ed440582a09c557519219d50567cc905",
    "float_1_5": "826f3ede199b81f3a65db46133ecc326694c66a2",
    "float_zero": "aba2fbd34b0cdd26e2b283ded2afa6f7458d58bf",
    "float_neg_zero": "0c40a47c321c1df325b296cbc1945cafc25a5ea3",
    "float_nan": "fee4dfed85a2a7e892ccfc70f2e59014c24b5534",
    "float_inf": "4c46ceb677b194c5934da0ec584a7660e15326e2",
    "complex": "29e0df7e3c8c8155057062a335088c18a3559293",
    "str_empty": "837894fea33bb6d3088efd25f584c4dc02098f62",
    "str_a": "15b203d9b69098c31d2611529879ac32754a0299",
    "str_unicode": "344c635c1697d92419f6bbd41ed8cea0fa91880c",
    "bytes": "1929a250135a3056adcd5a34ed4666b2b4852b7c",
    "bytearray": "2352f8244fd69024a71328a59878f2dd40c68d33",
    "ellipsis": "987a0e678d3768398d86e101debece36bc0bb3c9",
    "list_empty": "75e23a77eeef35277093e6644164aaff7f56656b",
    "list": "de0d22efde5c1e6464c01424e6aeed6a2df46972",
    "tuple_empty": "89d5a19783f7fab3fcdc61275b4953494523dcc1",
    "tuple": "31454b807cbd5c57bb0d200d2917bdbb34bb63db",
    "dict": "a351aa03a91e3c0ce5f07727fbcc0461e15b3214",
    "dict_empty": "bb65c5f0beb5a0b737d1b5852a97bbb509abde55",
    "set": "cea1263c834c1ca2c0580f565e24b46440bd1ed1",
    "frozenset": "e14f1fe391ccb6ef89ddd91fd6fda3cdbaea9e7a",
    "set_str": "8fd06fb066b47d57a40b9c10b2c13500eb5be530",
    "range": "5b1dd0dfb62648c10a3cec6e31aac854b15cc333",
    "slice": "50a3059e1d6d97482806c43faed8708c67fe8f3b",
    "path": "9de74d5d9e432297985d1578fd3abb8f1ba7cbdd",
    "pure_path": "f1e52b8d33d545a7937644a7e0ad6ff02f4aad7d",
    "date": "920bcb051646fc0ea8cb1635ecede311294df03b",
    "time": "01eefafffe43b36dcda84b77914f7676e6794047",
    "datetime": "43646f3e730745fd28e89b7245ae1b9b64b10e88",
    "datetime_utc": "499e6fcca600dd88c2314e89489d9c92369d569a",
    "timedelta": "2d5d39b8e1736484a868b3dce4e7016d441a955c",
    "enum": "b2c07d27a04af871e21d653384e532cc6f41a7ea",
    "builtin": "6531ec38ea00e688d8998cea803181dbb7312e04",
    "math_sqrt": "f7bea7308302c508ee2beddc596df8977f90c6c0",
    "class": "3d379fc47a6aa9f20748df5e3f9fa1d78c22ed09",
    "method_descriptor": "755e38c190ec712b6678eb1bb67a04a1b86012e5",
    "classmethod_builtin": "70a9db905de13844aed3bf28010161150d815f7e",
    "partial": "4e726c865e2eecc69e8eb19fefb76bf456248261",
    "jug_hash_bytes": "976226b9119c78bd29eb513a8a7b99b98dcc0550",
    "jug_hash_str": "976226b9119c78bd29eb513a8a7b99b98dcc0550",
    "fallback_decimal": "9dafb87dd2426246d76d9700b9220e4f8bfee400",
    "ordered_dict": "91d55d1ddb19bfe12483c5fff51212049f69384e",
    "defaultdict": "4f9a3cc43c92fb828d21618276e51193debc9e32",
    "counter": "5a959f26f8f2ff5cf542b2d162b8ad7921684d9d",
    "np_int64": "027472a4df6fa4507a66d20f50aee60d2b594982",
    "np_float64_2d": "cce7612255dc23483ca365b644dea3fbb1cf27db",
    "np_bool": "40d79bcf76a3f52b72076dd65027e52362c3abec",
    "np_unicode": "f49ebee6a78cf41e99fe8ec001de87915a83e6ab",
    "np_bytes": "db9dff1a6a8d05546039f240ab0fd936741a0a09",
    "np_datetime": "dbc580c76d42c936331420bd09cb3d272de94a33",
    "np_structured": "bd62bdc8c6f09ccf71c11366807642ec086acb6c",
    "np_object": "e54c10ebbf8ab7baab887f6311362297cfecd1eb",
    "np_0d": "c61ec25b497283ae89294eb302030db2102628f9",
    "np_empty": "18fc64067bb54046cb21cb498cb3577949ad55e1",
    "np_tree": "38514d0f290cc0c3a6e4f000e97df52b8217e874",
    "np_scalar_float64": "edfa3fd884f22c65bab02de3dc1cffc7503aea6c",
    "np_scalar_int32": "89c7571301ee04eb842afe11a6176cf1c8e4ca99",
    "np_scalar_bool": "55f96cb2215474d1df97e1259621eb5cf8c15a83",
    "np_scalar_str": "17a60ce02c223b719a9d5e25ae4bb49ef41c68e2",
    "np_dtype": "a881cbadfbc936dfdcbdd7feeda1801c84e74c5b",
    "np_ufunc": "c38301927a9e2222d8f80de07c9f42107ed33017",
}


def test_every_golden_value_has_a_digest():
    assert set(GOLDEN_VALUES) == set(GOLDEN_DIGESTS)


@pytest.mark.parametrize("label", sorted(GOLDEN_DIGESTS))
def test_golden_value_digest(label):
    assert hash_one(GOLDEN_VALUES[label]()) == GOLDEN_DIGESTS[label].encode("ascii")


def test_golden_digests_are_distinct_except_where_documented():
    # A __jug_hash__ returning "abc" and one returning b"abc" are the same.
    digests = dict(GOLDEN_DIGESTS)
    del digests["jug_hash_str"]
    assert len(set(digests.values())) == len(digests)


def test_golden_task_digests():
    double_0 = hash_task("jugfile.double", (0,), {})
    assert double_0 == b"2502c55d68ff17a051ad416b75fc80a34c8d5b79"
    assert hash_task("jugfile.double", (), {"x": 3}) == b"aae8caef75296c8d64b85569dba223ee0fdd9fc4"
    assert (hash_task("jugfile.double", (FakeTask(double_0),), {})
            == b"2f10775bcaa7475b20001c67bdfb3ad5940f5338")
    assert (hash_task("jugfile.add", (1,), {"b": [1, 2], "a": "x"})
            == b"760d5b922cefab92a800f90f555d36f34372f45d")


@pytest.mark.skipif(sys.version_info[:2] != (3, 11),
                    reason="lambdas are hashed with their bytecode, which changes between "
                           "Python minor versions (docs/hashing.md)")
def test_golden_lambda_digests():
    namespace = jugfile_namespace(textwrap.dedent("""
        add1 = lambda x: x + 1
        def make_adder(n):
            def adder(x):
                return x + n
            return adder
        add2 = make_adder(2)
    """))
    assert hash_one(namespace["add1"]) == b"0e7a9eb95b5fa6993b3aa914eeb6455f33cf7d85"
    assert hash_one(namespace["add2"]) == b"4550293e5faaa8e5b1c4d2beb472d4e993948200"


# --------------------------------------------------------------------------
# The byte layout of docs/hashing.md, recomputed independently.


@pytest.mark.parametrize("value, encoding", [
    (None, b"N"),
    (True, b"T"),
    (False, b"F"),
    (0, b"i" + u64(1) + b"\x00"),
    (-1, b"i" + u64(1) + b"\xff"),
    (127, b"i" + u64(1) + b"\x7f"),
    (128, b"i" + u64(2) + b"\x00\x80"),
    (-128, b"i" + u64(2) + b"\xff\x80"),
    (-257, b"i" + u64(2) + b"\xfe\xff"),
    (1023, b"i" + u64(2) + b"\x03\xff"),
    (1024, b"i" + u64(2) + b"\x04\x00"),
    (2**64, b"i" + u64(9) + b"\x01" + b"\x00" * 8),
    (1.5, b"f" + struct.pack(">d", 1.5)),
    (-0.0, b"f\x80" + b"\x00" * 7),
    (float("nan"), b"f\x7f\xf8" + b"\x00" * 6),
    (complex(1, float("nan")), b"c" + struct.pack(">d", 1.0) + b"\x7f\xf8" + b"\x00" * 6),
    ("é", b"s" + u64(2) + b"\xc3\xa9"),
    ("\ud800", b"s" + u64(3) + b"\xed\xa0\x80"),
    (b"ab", b"b" + u64(2) + b"ab"),
    (bytearray(b"ab"), b"B" + u64(2) + b"ab"),
    (..., b"."),
    (range(1, 5, 2), b"r" + b"i" + u64(1) + b"\x01" + b"i" + u64(1) + b"\x05" + b"i" + u64(1) + b"\x02"),
    (slice(None, 2), b"xN" + b"i" + u64(1) + b"\x02" + b"N"),
    (len, b"R" + b"s" + u64(8) + b"builtins" + b"s" + u64(3) + b"len"),
    (datetime.date(2024, 2, 29), b"D\x07\xe8\x02\x1d"),
    (datetime.timedelta(days=-1, seconds=1), b"I\xff\xff\xff\xff\x00\x00\x00\x01\x00\x00\x00\x00"),
    (FakeTask(b"xyz"), b"J" + u64(3) + b"xyz"),
])
def test_scalar_encoding_bytes(value, encoding):
    assert canonical_encoding(value) == encoding


def test_container_encoding_is_tag_and_digest_of_the_body():
    one, two = canonical_encoding(1), canonical_encoding("two")
    sequence_body = sha1(u64(2) + one + two)
    assert canonical_encoding([1, "two"]) == b"l" + sequence_body
    assert canonical_encoding((1, "two")) == b"t" + sequence_body
    unordered_body = sha1(u64(2) + b"".join(sorted([one, two])))
    assert canonical_encoding({"two", 1}) == b"e" + unordered_body
    assert canonical_encoding(frozenset({1, "two"})) == b"E" + unordered_body
    items = sorted([one + two, two + one])
    assert canonical_encoding({1: "two", "two": 1}) == b"d" + sha1(u64(2) + b"".join(items))


def test_value_and_task_headers():
    assert ENCODING_VERSION == 1
    assert hash_one([1]) == sha1(b"jug hash v1 value\n" + canonical_encoding([1])).hex().encode()
    expected = sha1(b"jug hash v1 task\n" + canonical_encoding("m.f")
                     + u64(1) + canonical_encoding(7)
                     + u64(2) + canonical_encoding("a") + canonical_encoding(None)
                     + canonical_encoding("b") + canonical_encoding(2.0))
    assert hash_task("m.f", (7,), {"b": 2.0, "a": None}) == expected.hex().encode()


def test_digest_format():
    digest = hash_one("anything")
    assert type(digest) is bytes and len(digest) == 2 * DIGEST_SIZE == 40
    assert digest == digest.lower() and bytes.fromhex(digest.decode())
    assert hash_bytes(b"abc") == hashlib.sha1(b"abc").hexdigest().encode()
    # The FIPS 180 test vector: hash_bytes is plain SHA-1, no header.
    assert hash_bytes(b"abc") == b"a9993e364706816aba3e25717850c26c9cd0d89d"
    assert hash_bytes(memoryview(b"abc")) == hash_bytes(b"abc")


def test_hash_one_combines_with_bytes_like_jugs():
    combined = b"prefix" + hash_one(3)
    assert combined.startswith(b"prefix") and len(combined) == 46


# --------------------------------------------------------------------------
# What must differ and what must not.


def test_distinct_types_with_equal_values_differ():
    assert len({hash_one(v) for v in (1, 1.0, True, np.int64(1), np.float64(1.0))}) == 5
    assert len({hash_one(v) for v in ("a", b"a", bytearray(b"a"), np.str_("a"))}) == 4
    assert len({hash_one(v) for v in ([1, 2], (1, 2), {1, 2}, frozenset({1, 2}), range(1, 3))}) == 5
    assert len({hash_one(v) for v in (0, False, None, 0.0, "", b"", [], (), {})}) == 9


def test_collections_mappings():
    forward = collections.OrderedDict([("a", 1), ("b", 2)])
    backward = collections.OrderedDict([("b", 2), ("a", 1)])
    assert hash_one(forward) != hash_one(backward), "OrderedDict equality depends on order"
    assert hash_one(collections.Counter("ab")) == hash_one(collections.Counter("ba"))
    assert len({hash_one(m) for m in (dict(forward), forward, collections.Counter(dict(forward)),
                                      collections.defaultdict(int, forward))}) == 4
    assert (hash_one(collections.defaultdict(int, forward))
            != hash_one(collections.defaultdict(list, forward)))
    assert encode_fallback_types([forward, collections.Counter(), collections.defaultdict()]) == set()


def test_negative_zero_differs_and_every_nan_is_the_same():
    assert hash_one(0.0) != hash_one(-0.0)
    negative_nan = float("inf") - float("inf")
    payload_nan = struct.unpack(">d", b"\x7f\xf0\x00\x00\x00\x00\x00\x01")[0]
    assert {hash_one(x) for x in (float("nan"), -float("nan"), negative_nan, payload_nan)} \
        == {hash_one(float("nan"))}
    assert hash_one(complex(float("nan"), 1)) == hash_one(complex(-float("nan"), 1))


def test_positional_and_keyword_arguments_differ():
    digests = {
        hash_task("jugfile.f", (1,), {}),
        hash_task("jugfile.f", (), {"a": 1}),
        hash_task("jugfile.f", (1, 2), {}),
        hash_task("jugfile.f", (1,), {"b": 2}),
        hash_task("jugfile.g", (1,), {}),
        hash_task("jugfile.f", ((1,),), {}),
    }
    assert len(digests) == 6


def test_task_hash_differs_from_value_hash_of_the_same_name():
    assert hash_task("f", (), {}) != hash_one("f")


def test_merkle_task_reference_changes_with_upstream():
    upstream_a = hash_task("jugfile.load", ("a.csv",), {})
    upstream_b = hash_task("jugfile.load", ("b.csv",), {})
    assert (hash_task("jugfile.fit", (FakeTask(upstream_a),), {})
            != hash_task("jugfile.fit", (FakeTask(upstream_b),), {}))
    # The reference is the digest itself, not the object.
    assert (hash_task("jugfile.fit", (FakeTask(upstream_a),), {})
            == hash_task("jugfile.fit", (FakeTask(upstream_a.decode()),), {}))


hashable_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=8),
    st.binary(max_size=8), st.tuples(st.integers(), st.text(max_size=3)))


# unique_by: Python itself keeps whichever of 0 / False / 0.0 / -0.0 came first.
@given(st.lists(hashable_scalars, max_size=20, unique_by=lambda x: x), st.randoms())
def test_set_and_frozenset_digests_do_not_depend_on_insertion_order(elements, rng):
    shuffled = list(elements)
    rng.shuffle(shuffled)
    assert hash_one(set(elements)) == hash_one(set(shuffled))
    assert hash_one(frozenset(elements)) == hash_one(frozenset(reversed(shuffled)))


@given(st.lists(st.tuples(hashable_scalars, hashable_scalars), max_size=20,
                unique_by=lambda item: item[0]),
       st.randoms())
def test_dict_digest_does_not_depend_on_insertion_order(items, rng):
    mapping = dict(items)
    shuffled = list(mapping.items())
    rng.shuffle(shuffled)
    assert hash_one(mapping) == hash_one(dict(shuffled))


@given(st.dictionaries(st.text(min_size=1, max_size=6), hashable_scalars, max_size=8), st.randoms())
def test_keyword_order_does_not_matter(kwargs, rng):
    shuffled = list(kwargs.items())
    rng.shuffle(shuffled)
    assert hash_task("jugfile.f", (1,), kwargs) == hash_task("jugfile.f", (1,), dict(shuffled))


nested_values = st.recursive(
    hashable_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=20),
        st.lists(children, max_size=20).map(tuple),
        st.dictionaries(st.text(max_size=4), children, max_size=20),
        st.frozensets(hashable_scalars, max_size=20)),
    max_leaves=60)


@settings(max_examples=60)
@given(nested_values)
def test_memo_gives_the_digests_of_the_unmemoized_path(value):
    memo = HashMemo()
    shared = [value, value, [value] * MEMO_MIN_ITEMS]
    first = hash_task("jugfile.f", (shared,), {"v": value}, memo)
    again = hash_task("jugfile.f", (shared,), {"v": value}, memo)
    assert first == again == hash_task("jugfile.f", (shared,), {"v": value})
    assert hash_one(value, memo) == hash_one(value)


# --------------------------------------------------------------------------
# The memo.


def test_memo_encodes_a_shared_argument_once():
    shared = [CountingHash() for _ in range(MEMO_MIN_ITEMS)]
    memo = HashMemo()
    CountingHash.calls = 0
    digests = {hash_task("jugfile.f", (shared, i), {}, memo) for i in range(5)}
    assert CountingHash.calls == MEMO_MIN_ITEMS
    assert len(digests) == 5
    CountingHash.calls = 0
    hash_task("jugfile.f", (shared, 0), {})
    hash_task("jugfile.f", (shared, 0), {})
    assert CountingHash.calls == 2 * MEMO_MIN_ITEMS


def test_memo_skips_small_values_and_keeps_memoized_objects_alive():
    memo = HashMemo()
    hash_task("jugfile.f", ([1, 2, 3], (4,), {"a": 1}, "text", 10**20), {}, memo)
    assert len(memo) == 0
    array = np.arange(100)
    alive = weakref.ref(array)
    hash_one({"data": array}, memo)
    assert len(memo) == 1
    del array
    assert alive() is not None, "the memo must hold memoized objects so their id stays valid"
    del memo
    assert alive() is None


def test_memo_sees_the_object_as_first_hashed_mutation_is_the_callers_error():
    memo = HashMemo()
    values = list(range(MEMO_MIN_ITEMS))
    before = hash_task("jugfile.f", (values,), {}, memo)
    values.append(99)
    assert hash_task("jugfile.f", (values,), {}, memo) == before
    assert hash_task("jugfile.f", (values,), {}) != before


Point = collections.namedtuple("Point", "x y")


def test_fallbacks_are_recorded_by_type():
    memo = HashMemo()
    hash_task("jugfile.f", (Point(1, 2), [Point(3, 4)], decimal.Decimal("1")),
              {"o": types.SimpleNamespace(a=1)}, memo)
    assert memo.fallbacks == {
        f"{Point.__module__}.Point": 2,
        "decimal.Decimal": 1,
        "types.SimpleNamespace": 1,
    }
    assert encode_fallback_types([1, "a", np.arange(3), (decimal.Decimal("2"),)]) \
        == {"decimal.Decimal"}
    assert encode_fallback_types({"a": [1.5, None], "b": np.float64(2)}) == set()


def test_namedtuple_is_not_hashed_as_a_tuple():
    assert hash_one(Point(1, 2)) != hash_one((1, 2))


def test_jug_hash_takes_precedence_over_builtin_base_types():
    class HashedList(list):
        def __jug_hash__(self):
            return b"fixed"

    assert canonical_encoding(HashedList([1, 2])) == b"J" + u64(5) + b"fixed"


def test_jug_hash_must_return_bytes_or_str():
    with pytest.raises(HashingError, match=r"__jug_hash__\(\) returned int"):
        hash_task("jugfile.f", (FakeTask(12),), {})


# --------------------------------------------------------------------------
# numpy


def test_array_digest_does_not_depend_on_memory_layout():
    base = np.arange(24, dtype=np.float64).reshape(4, 6)
    for view in (base[:, ::2], base[::-1], base.T, np.asfortranarray(base)):
        assert not view.flags.c_contiguous
        assert hash_one(view) == hash_one(np.ascontiguousarray(view))


def test_array_digest_depends_on_dtype_shape_and_values():
    base = np.arange(6, dtype=np.int64)
    variants = [base, base.astype(np.int32), base.astype(np.float64), base.reshape(2, 3),
                base.reshape(3, 2), base[:5], base + 1, base.tolist()]
    assert len({hash_one(v) for v in variants}) == len(variants)


def test_array_digest_does_not_depend_on_byte_order():
    little = np.arange(5, dtype="<f8")
    assert hash_one(little.astype(">f8")) == hash_one(little)
    structured = np.array([(1, 2.0)], dtype=[("a", ">i4"), ("b", ">f8")])
    assert hash_one(structured) == hash_one(structured.astype([("a", "<i4"), ("b", "<f8")]))


def test_numpy_scalars_are_not_python_scalars_or_arrays():
    assert hash_one(np.float64(1.5)) != hash_one(1.5)
    assert hash_one(np.float64(1.5)) != hash_one(np.array(1.5))
    assert hash_one(np.float64(1.5)) != hash_one(np.float32(1.5))
    assert canonical_encoding(np.float64(1.5)) == (
        b"g" + canonical_encoding("<f8") + b"w" + u64(8) + struct.pack("<d", 1.5))


def test_object_arrays_are_hashed_element_by_element():
    items = [1, "a", None, (2, 3)]
    array = np.empty(4, dtype=object)
    array[:] = items
    expected_body = (canonical_encoding("|O") + u64(1) + u64(4) + b"o" + u64(4)
                     + b"".join(canonical_encoding(x) for x in items))
    assert canonical_encoding(array) == b"A" + sha1(expected_body)
    assert hash_one(array.reshape(2, 2)) != hash_one(array)


@pytest.mark.skipif(not hasattr(np, "dtypes") or not hasattr(np.dtypes, "StringDType"),
                    reason="StringDType is new in numpy 2")
def test_variable_width_string_arrays_are_hashed_by_their_strings():
    def strings(words):
        return np.array(words, dtype=np.dtypes.StringDType())

    assert hash_one(strings(["a", "bc"])) == hash_one(strings(["a", "bc"]))
    assert hash_one(strings(["a", "bc"])) != hash_one(strings(["a", "bd"]))
    assert canonical_encoding(strings(["a"])) == b"A" + sha1(
        canonical_encoding("StringDType()") + u64(1) + u64(1) + b"o" + u64(1)
        + canonical_encoding("a"))


def _tree_encoding(array):
    """docs/hashing.md's array body with the tree-hashed data section."""
    data = np.ascontiguousarray(array).tobytes()
    leaves = b"".join(sha1(data[i:i + CHUNK_SIZE]) for i in range(0, len(data), CHUNK_SIZE))
    body = (canonical_encoding(array.dtype.str) + u64(array.ndim)
            + b"".join(u64(n) for n in array.shape)
            + b"k" + u64(len(data)) + u64(CHUNK_SIZE) + leaves)
    return b"A" + sha1(body)


def test_large_arrays_use_the_documented_tree_hash():
    small = np.arange(1000, dtype=np.float64)
    assert canonical_encoding(small) == b"A" + sha1(
        canonical_encoding("<f8") + u64(1) + u64(1000) + b"w" + u64(8000) + small.tobytes())
    tree = np.arange(3 * CHUNK_SIZE // 8 + 5, dtype=np.float64)  # three chunks and a bit
    assert canonical_encoding(tree) == _tree_encoding(tree)
    # 10 MiB after slicing: past PARALLEL_MIN_BYTES, so threads hash the leaves.
    parallel = np.arange(15 * CHUNK_SIZE // 8, dtype=np.float64).reshape(-1, 3)[:, ::2]
    assert parallel.nbytes >= PARALLEL_MIN_BYTES
    assert canonical_encoding(parallel) == _tree_encoding(parallel)


def test_large_arrays_are_hashed_by_every_available_thread(monkeypatch):
    import jug.hash

    if hasattr(os, "sched_getaffinity"):
        cpus = len(os.sched_getaffinity(0))
        assert jug.hash._hash_thread_count() == max(1, min(cpus, jug.hash.MAX_HASH_THREADS))
    leaf_threads = set()
    plain_digest = jug.hash._digest

    def recording_digest(data):
        if len(data) == CHUNK_SIZE:
            leaf_threads.add(threading.get_ident())
        return plain_digest(data)

    monkeypatch.setattr(jug.hash, "_digest", recording_digest)
    monkeypatch.setattr(jug.hash, "_hash_thread_count", lambda: 2)
    hash_one(np.zeros(PARALLEL_MIN_BYTES // 8))
    assert len(leaf_threads) == 2
    leaf_threads.clear()
    hash_one(np.zeros(PARALLEL_MIN_BYTES // 8 - 1))
    assert len(leaf_threads) == 1, "below PARALLEL_MIN_BYTES one thread hashes"

def test_structured_arrays_with_objects_fall_back_to_pickle():
    array = np.array([(1, "a")], dtype=[("n", "<i8"), ("o", object)])
    memo = HashMemo()
    assert hash_one(array, memo) == hash_one(array.copy())
    assert memo.fallbacks == {"numpy.ndarray": 1}


# --------------------------------------------------------------------------
# Code


def test_module_level_functions_and_classes_are_hashed_by_name():
    assert canonical_encoding(os.getcwd) == (
        b"R" + canonical_encoding(os.getcwd.__module__) + canonical_encoding("getcwd"))
    assert canonical_encoding(collections.OrderedDict) == (
        b"R" + canonical_encoding("collections") + canonical_encoding("OrderedDict"))
    namespace = jugfile_namespace("def double(x):\n    return 2 * x\n")
    edited = jugfile_namespace("def double(x):\n    return x + x\n")
    assert hash_one(namespace["double"]) == hash_one(edited["double"])


def test_lambdas_are_hashed_by_what_they_do():
    source = "f = lambda x: x + 1\ng = lambda x: x + 1\nh = lambda x: x - 1\nk = lambda x: x + 2\n"
    namespace = jugfile_namespace(source)
    assert hash_one(namespace["f"]) == hash_one(namespace["g"])
    assert hash_one(namespace["f"]) != hash_one(namespace["h"])
    assert hash_one(namespace["f"]) != hash_one(namespace["k"])


def test_closures_and_defaults_are_part_of_a_nested_function():
    namespace = jugfile_namespace(textwrap.dedent("""
        def make(n, scale=1):
            def scaled(x, offset=scale):
                return (x + n) * offset
            return scaled

        def recursive():
            def fact(k):
                return 1 if k < 2 else k * fact(k - 1)
            return fact
    """))
    make = namespace["make"]
    assert hash_one(make(1)) == hash_one(make(1))
    assert hash_one(make(1)) != hash_one(make(2))
    assert hash_one(make(1)) != hash_one(make(1, scale=3))
    fact = namespace["recursive"]()
    assert hash_one(fact) == hash_one(namespace["recursive"]())


def test_partial_and_bound_methods():
    assert hash_one(functools.partial(max, 1)) != hash_one(functools.partial(max, 2))
    assert hash_one(functools.partial(max, key=abs)) != hash_one(functools.partial(max, key=len))
    assert hash_one(functools.partial(max, 1)) != hash_one(max)
    assert hash_one(datetime.date.fromordinal) != hash_one(datetime.datetime.fromordinal)


# --------------------------------------------------------------------------
# Other standard types


def test_paths_hash_by_posix_form_and_kind():
    assert hash_one(pathlib.PureWindowsPath("data\\x.csv")) == hash_one(pathlib.PurePosixPath("data/x.csv"))
    assert hash_one(pathlib.Path("data/x.csv")) != hash_one(pathlib.PurePosixPath("data/x.csv"))
    assert hash_one(pathlib.Path("data/x.csv")) != hash_one("data/x.csv")


def test_datetimes_include_their_time_zone():
    naive = datetime.datetime(2024, 1, 1, 12)
    utc = naive.replace(tzinfo=datetime.timezone.utc)
    plus_one = naive.replace(tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
    assert len({hash_one(naive), hash_one(utc), hash_one(plus_one), hash_one(naive.date())}) == 4


# --------------------------------------------------------------------------
# Errors


def test_deep_nesting_is_a_jug_error_naming_the_argument():
    nested = []
    for _ in range(5000):
        nested = [nested]
    with pytest.raises(HashingError, match="positional argument 1 of task 'jugfile.f' is nested"):
        hash_task("jugfile.f", (0, nested), {})
    looped = []
    looped.append(looped)
    with pytest.raises(HashingError, match="keyword argument 'data' .* contains itself"):
        hash_task("jugfile.f", (), {"data": looped})
    with pytest.raises(JugError, match="the value is nested too deeply"):
        hash_one(nested)


def test_moderate_nesting_is_fine():
    nested = []
    for _ in range(200):
        nested = [nested]
    assert len(hash_one(nested)) == 40


def test_unpicklable_value_is_a_jug_error_saying_what_to_do():
    generator = (x for x in range(3))
    with pytest.raises(HashingError, match=r"keyword argument 'g' of task 'jugfile.f'.*"
                                           r"builtins.generator.*__jug_hash__"):
        hash_task("jugfile.f", (), {"g": generator})


def test_task_name_and_keyword_names_must_be_str():
    with pytest.raises(HashingError, match="task name must be a str"):
        hash_task(b"jugfile.f", (), {})
    with pytest.raises(HashingError, match="keyword names must be str"):
        hash_task("jugfile.f", (), {"a": 1, 2: 3})


# --------------------------------------------------------------------------
# Across processes


HASH_SCRIPT = textwrap.dedent("""
    import sys
    import jug.hash as H
    print("numpy loaded by import:", "numpy" in sys.modules)
    words = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"}
    values = [
        words,
        frozenset(words),
        {w: len(w) for w in words},
        {frozenset({w, w.upper()}) for w in words},
        [words, {1: words}],
    ]
    for value in values:
        print(H.hash_one(value).decode())
    print(H.hash_task("jugfile.f", (words,), {w: w for w in words}).decode())
""")


def test_digests_do_not_depend_on_the_hash_seed():
    outputs = []
    for seed in ("0", "1", "4242"):
        env = dict(os.environ, PYTHONHASHSEED=seed,
                   PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
        done = subprocess.run([sys.executable, "-c", HASH_SCRIPT], env=env, cwd=REPO,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1] == outputs[2]
    lines = outputs[0].splitlines()
    assert lines[0] == "numpy loaded by import: False"
    words = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"}
    assert lines[1] == hash_one(words).decode()
    assert len(set(lines[1:])) == 6


def test_the_short_way_to_a_plain_task_key_gives_the_same_digest():
    # jug.hash.plain_task_key is what TaskGenerator calls for plain
    # arguments: it must agree with hash_task byte for byte, and decline
    # (None) what it does not encode
    from jug import TaskGenerator
    from jug.context import JugContext, using_context
    from jug.hash import hash_task, plain_task_key, task_heads

    @TaskGenerator
    def f(*args):
        return args

    with using_context(JugContext()):
        dep = f(1)
        values = [0, 1, -1, -256, -257, 1023, 1024, 2**31, -2**63, 2**63, 2**200, -2**200,
                  0.0, -0.0, 1.5, float("nan"), float("inf"), "", "é\udc80", None, True, False,
                  b"", b"\x00bytes", dep]
        heads = task_heads("m.f")
        for value in values:
            for args in [(value,), (value, value), (7, value, "x")]:
                assert plain_task_key(heads[len(args)], args) == hash_task("m.f", args, {}).decode()
        for declined in [[1], (1,), {1: 2}, 1j, bytearray(b"x"), range(3), object()]:
            assert plain_task_key(heads[1], (declined,)) is None
        # and tasks made through it have the general path's keys
        for value in values:
            assert f(value).key == hash_task(f"{__name__}.f", (value,), {}).decode()


def test_the_short_way_of_a_task_generator_called_with_an_int_gives_the_same_digest():
    # TaskGenerator.__call__ inlines the key of f(i) for an int i: every
    # length of the int's encoding, and the ints that fall back
    from jug import TaskGenerator
    from jug.context import JugContext, using_context
    from jug.hash import hash_task

    @TaskGenerator
    def f(i):
        return i

    edges = [0, 1, -1, 255, 256, -256, -257, 1023, 1024, 2**15, -2**15 - 1, 2**31 - 1, 2**31,
             -2**63, 2**63 - 1, 2**63, -2**63 - 1, 2**64, 2**200, -2**200, True, False]
    with using_context(JugContext()) as context:
        context.source_path = f.f.__code__.co_filename  # each task records its line
        tasks = [f(i) for i in edges]
        assert [task.key for task in tasks] == [
            hash_task(f"{__name__}.f", (i,), {}).decode() for i in edges]
        assert context.tasks == tasks
        assert all(task.line == tasks[0].line > 0 for task in tasks)


def test_a_list_of_tasks_hashes_as_the_general_encoding_of_its_items():
    # a sequence made only of tasks (the reduce of a map) is hashed without
    # a call per task: the digest must be that of its items' __jug_hash__,
    # across the batches it is hashed in, and a list with anything else
    # takes the general way
    import jug.hash
    from jug import TaskGenerator
    from jug.context import JugContext, using_context
    from jug.hash import hash_one, hash_task

    class Hashed:  # not a Task: encoded through the general path
        def __init__(self, task):
            self.digest = task.__jug_hash__()

        def __jug_hash__(self):
            return self.digest

    @TaskGenerator
    def f(i):
        return i

    with using_context(JugContext()) as context:
        for n in [16, 17, jug.hash._SEQUENCE_BATCH, jug.hash._SEQUENCE_BATCH + 1, 10_000]:
            tasks = [f(i) for i in range(n)]
            general = [Hashed(task) for task in tasks]
            assert jug.hash._task_sequence_digest(tasks) is not None
            assert jug.hash._task_sequence_digest(general) is None
            assert hash_one(tasks) == hash_one(general)
            assert hash_one(tuple(tasks)) == hash_one(tuple(general))
            assert hash_one(tasks, context.hash_memo) == hash_one(general)
            assert hash_task("m.g", (tasks,), {}) == hash_task("m.g", (general,), {})
        mixed = tasks[:20] + [3]
        assert jug.hash._task_sequence_digest(mixed) is None
        assert hash_one(mixed) == hash_one([Hashed(task) for task in tasks[:20]] + [3])
