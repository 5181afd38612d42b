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


def blake(data):
    return hashlib.blake2b(data, digest_size=20).digest()


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
    "none": "2c95800074c9ff708673e88d975a9efd91c5bee4",
    "true": "c2ea193bf2d28ba9f85f2f483051d6cd62e70bab",
    "false": "c7ebd239455f675437bcf13c53cd7d4922ca64cd",
    "int_0": "ed099a101dc6ab9d7ec1207a543ce3ae5319f482",
    "int_1": "5572918ccf2b64ebe926757ed0a8d2d50b57cfe9",
    "int_neg": "8a8cc37e4576d59d07e0fe39039154f9002628df",
    "int_1024": "2b2f94163e3c949ae3d167535a1c4032f6dc01a8",
    "int_big": "344dc6cbd42940b8a9da23c8d508d4858b1a3807",
    "int_big_neg": "07845e1b22ffea5e4072169e3cfacfc6e5557061",
    "float_1": "ff8c43a6f3605836e6f5fb491153463be3788501",
    "float_1_5": "4bcc905ffceee68d006b720c8eb0c19faa183cde",
    "float_zero": "40a67098dd0f0d21367229e19d8bb4bdb060cfdb",
    "float_neg_zero": "63ed06156d25baf7cc3e71cff5730af94e47db1f",
    "float_nan": "66d677d1dcdaa8b981c0b2b2401efbe0674738d8",
    "float_inf": "e47b31298717ccda8bbe96a0a259000d8dd54ad6",
    "complex": "a4d9fc7bab9865a9e8df79755a7d552578f25ed4",
    "str_empty": "a6447b64de8ddce8af933b8549c62033b5964a2c",
    "str_a": "1af121af1b7bcef43f250ccdb5013bb67a831566",
    "str_unicode": "a3a6c5481b01909be56aed2354eb963c831b17b8",
    "bytes": "50c2a58a86efa38dd82350dfbe124411ad97a39e",
    "bytearray": "8455ab3bb924544af28c450b09133373996611fd",
    "ellipsis": "ccbc5153788ea1dbef5bc56b3ce15be44f090902",
    "list_empty": "1841e728d41b00528ceb663327b7ce0cfea3e840",
    "list": "8059b25fe9212ef19d81af7438d46158e7dec20f",
    "tuple_empty": "9ab1b4e408e67c3fc08e51300601a464213066ea",
    "tuple": "319bf7ae96327bf7856ad17dcee28af333f8a0c8",
    "dict": "bb6ba95dd8f8922c69775292063a4a9ac92c8b4b",
    "dict_empty": "893f5ac095523cd0c146015542a95b9d7ced2bf8",
    "set": "66f123f662649614db5fd1d76ce07cf4ad10b7fd",
    "frozenset": "d254c56ef2dad53b300e8541978748aaa35e8222",
    "set_str": "074d94a2fe69f13b44ec14e5ca15629de20b1f41",
    "range": "bf0c60d55b6c5ac554c3d2d997e289c9d98d096a",
    "slice": "a6426bcc396f97ae6daf2c8f644385a4d8f2a28d",
    "path": "a8b2264fd1c05771a8f3358881035945523f8e9b",
    "pure_path": "19eefa2c10cb8f58049efc34d2e4353ca79d0b05",
    "date": "9fe8f2333b7bc870ab1d8f91f79b5c2973548065",
    "time": "7bc3469ed30b03b9e6c826f042383053f482eeab",
    "datetime": "bdf506f8d92d076a2a7260bdb8a3bd0c515ce0f7",
    "datetime_utc": "2e089c8a79001bdfb5caaecd27e8bf04ecc668a8",
    "timedelta": "2d16df9aa57c15d40ec08939595c48d9792675fb",
    "enum": "649cac78941331930f53a75802f43da630049cb0",
    "builtin": "881a94d32a3084543e52ce6ae503fb25ceb82ad1",
    "math_sqrt": "bd74051fdaec2ac98543faad0124e5f3028fe050",
    "class": "2fdf8996362a69cf66f40df9e95d63f50b82a1f0",
    "method_descriptor": "c625ee850b33e6cf06d76b97930d58b941dd7e28",
    "classmethod_builtin": "c90f2b829425dd58197ce88ed6f9830c5701f684",
    "partial": "53047e7f5de6a1c98d95feea4494c1e680ba9f9f",
    "jug_hash_bytes": "33b4fde521ce5269a3cb215462bec5ae7b966812",
    "jug_hash_str": "33b4fde521ce5269a3cb215462bec5ae7b966812",
    "fallback_decimal": "8a84c65c13d390f8294adbcec5a76413adcf2411",
    "ordered_dict": "d987742dfd45bc0dafd156163d4453e233fdcc46",
    "defaultdict": "9e4985a6921bad80a86310910420fe52c4c6a20a",
    "counter": "343c32745f3718d5aba3eb7ee137648d03e1a491",
    "np_int64": "00933ec7d411068815557e08be65a013a3816e3b",
    "np_float64_2d": "fe86e90b309039ba077269165ca6459111385f44",
    "np_bool": "fdf84d0458ef1da60ae4c46cf2d518dc8fbeff4e",
    "np_unicode": "2079fc2923c7728889c9edb2d6124c410326fa3f",
    "np_bytes": "2efe5536b135ef9c4e6cbcb5f7373d5a31f83bf9",
    "np_datetime": "d782d26224226ebca47cc4d544f3defa6730f6d0",
    "np_structured": "2b69e33fc78ac82f353dc0c0b5184dfe9b3473d3",
    "np_object": "4b84d1c7259cd406ab216a364069cad8b6b887ee",
    "np_0d": "6a231073761f899e84fbb6bc96aad32fa195bc23",
    "np_empty": "79f65561fe84e0d5050d11a12d6c612f852ba62c",
    "np_tree": "4c881732a238a7d9b34b49950ee10c487809e34c",
    "np_scalar_float64": "b06fdf89bb027081c88dc21101b27ffd9d50276c",
    "np_scalar_int32": "b059994c19e708156818a3978ac4e630053b1ba9",
    "np_scalar_bool": "08307f0a24e5bfe9976f3a3c03d48564c1acac11",
    "np_scalar_str": "4a2f69873c504fc8300637896d958ef3e06465df",
    "np_dtype": "f0404d8d88ec72af87a1d01209faa8720ba38f12",
    "np_ufunc": "61f74368448c24067d7ee16cd44d9e90a544bba6",
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
    assert double_0 == b"199f3567b381655565d78e2cc6d089e3eece8f98"
    assert hash_task("jugfile.double", (), {"x": 3}) == b"7710d110b6bf955d8605a9ed410ecd0ab419dc76"
    assert (hash_task("jugfile.double", (FakeTask(double_0),), {})
            == b"3a95407de01cd4244c7a3a652a26d0173399499a")
    assert (hash_task("jugfile.add", (1,), {"b": [1, 2], "a": "x"})
            == b"311cdf7ebbab77174e0354ddf0bc2d3d13dc3f82")


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
    assert hash_one(namespace["add1"]) == b"4c576d54af244fa9e8e7233e9e4126a382553020"
    assert hash_one(namespace["add2"]) == b"91e42c18e109207a3f0873ad05830ab85bd80fd0"


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
    sequence_body = blake(u64(2) + one + two)
    assert canonical_encoding([1, "two"]) == b"l" + sequence_body
    assert canonical_encoding((1, "two")) == b"t" + sequence_body
    unordered_body = blake(u64(2) + b"".join(sorted([one, two])))
    assert canonical_encoding({"two", 1}) == b"e" + unordered_body
    assert canonical_encoding(frozenset({1, "two"})) == b"E" + unordered_body
    items = sorted([one + two, two + one])
    assert canonical_encoding({1: "two", "two": 1}) == b"d" + blake(u64(2) + b"".join(items))


def test_value_and_task_headers():
    assert ENCODING_VERSION == 1
    assert hash_one([1]) == blake(b"jug hash v1 value\n" + canonical_encoding([1])).hex().encode()
    expected = blake(b"jug hash v1 task\n" + canonical_encoding("m.f")
                     + u64(1) + canonical_encoding(7)
                     + u64(2) + canonical_encoding("a") + canonical_encoding(None)
                     + canonical_encoding("b") + canonical_encoding(2.0))
    assert hash_task("m.f", (7,), {"b": 2.0, "a": None}) == expected.hex().encode()


def test_digest_format():
    digest = hash_one("anything")
    assert type(digest) is bytes and len(digest) == 2 * DIGEST_SIZE == 40
    assert digest == digest.lower() and bytes.fromhex(digest.decode())
    assert hash_bytes(b"abc") == hashlib.blake2b(b"abc", digest_size=20).hexdigest().encode()
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
    assert canonical_encoding(array) == b"A" + blake(expected_body)
    assert hash_one(array.reshape(2, 2)) != hash_one(array)


@pytest.mark.skipif(not hasattr(np, "dtypes") or not hasattr(np.dtypes, "StringDType"),
                    reason="StringDType is new in numpy 2")
def test_variable_width_string_arrays_are_hashed_by_their_strings():
    def strings(words):
        return np.array(words, dtype=np.dtypes.StringDType())

    assert hash_one(strings(["a", "bc"])) == hash_one(strings(["a", "bc"]))
    assert hash_one(strings(["a", "bc"])) != hash_one(strings(["a", "bd"]))
    assert canonical_encoding(strings(["a"])) == b"A" + blake(
        canonical_encoding("StringDType()") + u64(1) + u64(1) + b"o" + u64(1)
        + canonical_encoding("a"))


def _tree_encoding(array):
    """docs/hashing.md's array body with the tree-hashed data section."""
    data = np.ascontiguousarray(array).tobytes()
    leaves = b"".join(blake(data[i:i + CHUNK_SIZE]) for i in range(0, len(data), CHUNK_SIZE))
    body = (canonical_encoding(array.dtype.str) + u64(array.ndim)
            + b"".join(u64(n) for n in array.shape)
            + b"k" + u64(len(data)) + u64(CHUNK_SIZE) + leaves)
    return b"A" + blake(body)


def test_large_arrays_use_the_documented_tree_hash():
    small = np.arange(1000, dtype=np.float64)
    assert canonical_encoding(small) == b"A" + blake(
        canonical_encoding("<f8") + u64(1) + u64(1000) + b"w" + u64(8000) + small.tobytes())
    tree = np.arange(3 * CHUNK_SIZE // 8 + 5, dtype=np.float64)  # three chunks and a bit
    assert canonical_encoding(tree) == _tree_encoding(tree)
    # 10 MiB after slicing: past PARALLEL_MIN_BYTES, so threads hash the leaves.
    parallel = np.arange(15 * CHUNK_SIZE // 8, dtype=np.float64).reshape(-1, 3)[:, ::2]
    assert parallel.nbytes >= PARALLEL_MIN_BYTES
    assert canonical_encoding(parallel) == _tree_encoding(parallel)


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
