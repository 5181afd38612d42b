"""Argument shapes hashed by jug 2.7.0: the jugfile behind the golden
vectors of tests/test_compat_hash.py.  It runs unchanged under the original
(``jug.init('shapes.py', 'dict_store')``) and under this jug; ``S`` maps a
label to the task whose hash is pinned.  Nothing here is ever executed."""
import collections
import datetime
import functools
import hashlib
import os

import numpy as np

from jug import (CompoundTask, CompoundTaskGenerator, Task, TaskGenerator, Tasklet, iteratetask,
                 return_tuple)
from jug.io import NoLoad, write_metadata, write_task_out
from jug.mapreduce import currymap, map as jug_map, mapreduce, reduce as jug_reduce
from jug.unsafe import NoHash
from jug.utils import CustomHash, identity, jug_execute, timed_path


@TaskGenerator
def f(*args, **kwargs):
    return args, kwargs


@TaskGenerator
def double(x):
    return 2 * x


@TaskGenerator
def add(a, b):
    return a + b


def plain_add(a, b):
    return a + b


def plain_double(x):
    return 2 * x


@return_tuple(2)
@TaskGenerator
def pair(x):
    return x, x + 1


def build(n):
    return add(double(n), n)


def sha1_hash(obj):
    return hashlib.sha1(repr(obj).encode()).hexdigest().encode()


def jug_hash_one(obj):
    from jug.hash import hash_one
    return hash_one(("custom", obj))


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y


class Hashed:
    def __init__(self, v):
        self.v = v

    def __jug_hash__(self):
        return b"hashed-" + str(self.v).encode()


Pair = collections.namedtuple("Pair", "a b")

with open("data.txt", "w") as handle:
    handle.write("twelve bytes")
os.utime("data.txt", (1600000000.5, 1600000000.5))

one = f(1)
S = {}
S["no_args"] = f()
S["int"] = f(1)
S["negative_int"] = f(-7)
S["big_int"] = f(2 ** 100)
S["float"] = f(1.5)
S["float_special"] = f(float("inf"), -0.0)
S["str"] = f("hello")
S["unicode"] = f("h\u00e9llo \u2603")
S["bytes"] = f(b"\x00\xff")
S["none_true_false"] = f(None, True, False)
S["complex"] = f(1 + 2j)
S["list"] = f([1, 2, 3])
S["empty_containers"] = f([], (), {}, set())
S["tuple"] = f((1, "a"))
S["nested"] = f([(1, [2, {"k": (3,)}])])
S["dict_str_keys"] = f({"b": 2, "a": 1})
S["dict_int_keys"] = f({3: "c", 1: "a", 2: "b"})
S["set"] = f({3, 1, 2})
S["set_of_str"] = f({"pear", "apple", "fig"})
S["frozenset"] = f(frozenset({"x", "y"}))
S["kwargs"] = f(x=1)
S["args_kwargs"] = f(1, "two", y=[3], z={"w": 4})
S["array_float"] = f(np.arange(6, dtype=np.float64))
S["array_int32_2d"] = f(np.arange(12, dtype=np.int32).reshape(3, 4))
S["array_fortran"] = f(np.asfortranarray(np.arange(6.0).reshape(2, 3)))
S["array_strided"] = f(np.arange(20)[::3])
S["array_0d"] = f(np.array(3.25))
S["array_empty"] = f(np.zeros((0, 3)))
S["array_bool"] = f(np.array([True, False, True]))
S["array_object"] = f(np.array([1, "a", None], dtype=object))
S["array_structured"] = f(np.array([(1, 2.0)], dtype=[("a", "i4"), ("b", "f8")]))
S["array_big_endian"] = f(np.arange(4, dtype=">i8"))
S["numpy_scalars"] = f(np.float64(1.5), np.int64(7))
S["task_dep"] = f(one)
S["task_in_list"] = f([one, double(2)])
S["task_in_tuple"] = f((one, 5))
S["task_in_dict"] = f({"t": one, "n": 1})
S["task_in_kwargs"] = f(t=one)
S["task_nested"] = f({"l": [one, (double(3), {"x": one})]})
S["tasklet_index"] = f(one[0])
S["tasklet_slice"] = f(one[0:1])
S["tasklet_key"] = f(f(k=1)[1]["k"])
S["tasklet_chain"] = f(one[0][0])
S["tasklet_task_index"] = f(f([1, 2, 3])[0][double(0)])
first, second = pair(5)
S["return_tuple"] = add(first, second)
a, b = iteratetask(f(1, 2), 2)
S["iteratetask"] = f(a, b)
S["mapreduce_generators"] = mapreduce(add, double, list(range(10)))
S["mapreduce_plain"] = mapreduce(plain_add, plain_double, list(range(9)), map_step=3)
S["reduce"] = jug_reduce(add, [one, f(2), 3])
mapped = jug_map(double, list(range(7)), map_step=3)
S["map_result"] = f(mapped)
S["map_element"] = f(mapped[4])
S["map_slice"] = f(mapped[1:6:2])
S["map_plain_step1"] = f(jug_map(plain_double, [1, 2], map_step=1))
S["currymap"] = f(currymap(add, [(1, 2), (3, 4), (5, 6)], map_step=2))
S["custom_hash_sha1"] = f(CustomHash([1, 2], sha1_hash))
S["custom_hash_jug_hash_one"] = f(CustomHash(5, jug_hash_one))
S["timed_path"] = f(timed_path("data.txt"))
S["identity"] = identity([1, 2, 3])
S["identity_used"] = f(identity(list(range(100))))
S["nohash"] = f(NoHash(4), 1)
S["generator_arg"] = f(double)
S["function_arg"] = f(plain_add)
S["builtin_arg"] = f(len)
S["instance"] = f(Point(1, 2))
S["namedtuple"] = f(Pair(1, 2))
S["ordered_dict"] = f(collections.OrderedDict([("b", 1), ("a", 2)]))
S["date"] = f(datetime.date(2020, 1, 2), datetime.datetime(2020, 1, 2, 3, 4, 5))
S["range_slice"] = f(range(3), slice(1, 5, 2))
S["jug_hash_object"] = f(Hashed(3))
S["compound"] = CompoundTask(build, 3)
S["partial_function"] = Task(functools.partial(plain_add, 1), 2)
S["partial_kw"] = Task(functools.partial(plain_add, b=2), 1)
S["tasklet_lambda"] = f(Tasklet(one, lambda x: x[0]))
S["tasklet_named"] = f(Tasklet(one, plain_double))
S["noload"] = f(NoLoad(one))
S["write_task_out"] = write_task_out(one, "out.pkl")
S["jug_execute"] = jug_execute(["true"])
S["dict_tuple_keys"] = f({(1, 2): one, (0,): "z"})
S["deep"] = f([[[[[[1]]]]]])
S["long_list"] = f(list(range(1000)))
S["class_arg"] = f(Point)


def make_closure(k):
    return Tasklet(one, lambda x: x[0][0] * k + len({"a", "b"}))


@CompoundTaskGenerator
def compound_gen(n):
    return double(add(n, 1))


S["write_metadata"] = write_metadata(one, "meta.json", "json")
S["tasklet_lambda_closure"] = f(make_closure(3))
S["compound_generator"] = compound_gen(4)
S["map_generator_step1"] = f(jug_map(double, [1, 2], map_step=1))
S["identity_of_task"] = identity(one)
S["cached_function_task"] = Task(plain_add, 20, 22)
S["mixed_kwargs_order"] = f(b=2, a=1, c=[one])
S["tuple_of_tasklets"] = f(tuple(pair(7)))
