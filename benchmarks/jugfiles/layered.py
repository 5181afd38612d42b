"""A layered DAG of N tasks with about three dependencies each.

One root task (``seed``), a first layer of ``source`` tasks depending on it,
then layers of ``combine`` tasks, each taking two tasks of the layer before
and one of any earlier layer, chosen by a seeded generator so every run (and
both implementations) builds the same graph.  About 20 layers whatever N is.
``jug invalidate --target seed`` therefore invalidates all N tasks.

Size: JUG_BENCH_N (default 1000).
"""

import os
import random

from jug import TaskGenerator

N = int(os.environ.get("JUG_BENCH_N", "1000"))
WIDTH = max(10, N // 20)


@TaskGenerator
def seed():
    return 1


@TaskGenerator
def source(root, i):
    return root + i


@TaskGenerator
def combine(a, b, c):
    return (a + b + c) % 1_000_003


rng = random.Random(20240611)
root = seed()
previous = [source(root, i) for i in range(min(WIDTH, N - 1))]
earlier = list(previous)
remaining = N - 1 - len(previous)
while remaining > 0:
    layer = []
    for _ in range(min(WIDTH, remaining)):
        a, b = rng.sample(previous, 2)
        c = earlier[rng.randrange(len(earlier))]
        layer.append(combine(a, b, c))
    earlier.extend(layer)
    previous = layer
    remaining -= len(layer)
