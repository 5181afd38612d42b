"""Large arguments: an 8 MB numpy array and a 100,000-element list, each
passed to every one of 100 tasks.

What it measures is hashing: jug hashes every argument of every task, so the
list's 100,000 elements are hashed 100 times.  The task count is
JUG_BENCH_TASKS (default 100), deliberately not JUG_BENCH_N.
"""

import os

import numpy as np

from jug import TaskGenerator

TASKS = int(os.environ.get("JUG_BENCH_TASKS", "100"))

big_array = np.arange(1_000_000, dtype=np.float64)  # 8 MB
big_list = list(range(100_000))


@TaskGenerator
def pick(array, values, i):
    return float(array[i]) + values[i]


picks = [pick(big_array, big_list, i) for i in range(TASKS)]
