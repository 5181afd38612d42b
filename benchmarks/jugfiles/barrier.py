"""Two stages separated by barrier(): N tasks, then N/10 tasks built from
value() of the first stage (so their arguments are plain numbers), then one
total.

Before the first stage is done, jug sees only the N first-stage tasks.
Size: JUG_BENCH_N (default 1000).
"""

import os

from jug import TaskGenerator, barrier, value

N = int(os.environ.get("JUG_BENCH_N", "1000"))


@TaskGenerator
def square(i):
    return i * i


@TaskGenerator
def chunk_sum(values):
    return sum(values)


@TaskGenerator
def total(parts):
    return sum(parts)


squares = [square(i) for i in range(N)]
barrier()
values = value(squares)
parts = [chunk_sum(values[k:k + 10]) for k in range(0, N, 10)]
result = total(parts)
