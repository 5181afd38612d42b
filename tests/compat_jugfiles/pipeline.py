"""A pipeline using what jugfiles of the original jug use, for the migration
tests (tests/test_migrate.py): primes, mapreduce and map, a CompoundTask, a
barrier and bvalue, numpy and object results, None, CustomHash, timed_path,
keyword arguments, tasks in dicts and tuples, tasklets, identity and a
CachedFunction.  Every task appends its name to tasks.log, so that a test
can count what ran."""
import hashlib
import os

import numpy as np

from jug import CachedFunction, CompoundTask, Task, TaskGenerator, barrier, bvalue, iteratetask
from jug.mapreduce import map as jug_map, mapreduce
from jug.utils import CustomHash, identity, timed_path


def log(what):
    with open("tasks.log", "a") as handle:
        handle.write(what + "\n")


@TaskGenerator
def is_prime(n):
    log("is_prime")
    return all(n % j for j in range(2, n - 1))


@TaskGenerator
def count(values):
    log("count")
    return sum(values)


@TaskGenerator
def square(x):
    log("square")
    return x * x


@TaskGenerator
def plus(a, b):
    log("plus")
    return a + b


@TaskGenerator
def array(n, scale=1.0):
    log("array")
    return np.arange(n) * scale


@TaskGenerator
def objects(n):
    log("objects")
    return np.array([n, "text", None], dtype=object)


@TaskGenerator
def nothing(x):
    log("nothing")
    return None


@TaskGenerator
def pair(x):
    log("pair")
    return x, -x


class Result:
    def __init__(self, a, b):
        self.a, self.b = a, b


@TaskGenerator
def make_object(a, b):
    log("make_object")
    return Result(a, b)


@TaskGenerator
def summarize(parts, both, label="x"):
    log("summarize")
    return {"label": label, "total": sum(parts.values()), "both": both}


@TaskGenerator
def file_size(path):
    log("file_size")
    return os.path.getsize(path)


def build(n):
    return plus(square(n), n)


def sha1_of(obj):
    return hashlib.sha1(repr(obj).encode()).hexdigest().encode()


def listing(pattern):
    log("listing")
    return sorted(name for name in os.listdir(".") if name.endswith(pattern))


primes = [is_prime(n) for n in range(2, 40)]
n_primes = count(primes)
total = mapreduce(plus, square, list(range(20)))
mapped = jug_map(square, list(range(10)), map_step=3)
mapped_sum = count(mapped)
compound = CompoundTask(build, 7)
scaled = array(50, scale=0.5)
big = array(300000)
mixed = objects(3)
empty = nothing(n_primes)
first, second = iteratetask(pair(5), 2)
paired = plus(first, second)
obj = make_object(n_primes, {"k": [1, 2]})
in_dicts = summarize({"a": n_primes, "b": total}, (scaled, compound), label="dicts")
custom = plus(CustomHash(3, sha1_of), 4)
size = file_size(timed_path("input.txt"))
shared = identity(list(range(100)))
shared_sum = count(shared)
files = CachedFunction(listing, ".txt")
barrier()
after_barrier = plus(bvalue(n_primes), 1)
k = bvalue(total)
squares = [square(i) for i in range(k % 5 + 2)]
final = count(squares + [after_barrier])
