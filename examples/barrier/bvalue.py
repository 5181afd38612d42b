"""The barrier pipeline of jugfile.py written with `bvalue()`: the jugfile
stops at `bvalue(keeps)` until the `keep` tasks have run, and only those:
tasks created before it that it does not need can still run.

    jug execute bvalue.py
"""

import os
from time import sleep

from jug import Task, TaskGenerator, bvalue

PAUSE = float(os.environ.get("BARRIER_SLEEP", "0.2"))


def load_data():
    return list(range(1, 21))


def keep(n):
    """Keep the happy numbers: iterating 'sum of the squares of the digits'
    reaches 1 (a long computation, pretend)."""
    sleep(PAUSE)
    seen = set()
    while n != 1 and n not in seen:
        seen.add(n)
        n = sum(int(digit) ** 2 for digit in str(n))
    return n == 1


def long_computation(n):
    """The length of n's Collatz sequence."""
    sleep(PAUSE)
    steps = 0
    while n != 1:
        n = 3 * n + 1 if n % 2 else n // 2
        steps += 1
    return steps


@TaskGenerator
def summarise(kept, lengths):
    with open("output.txt", "w") as output:
        for n, length in zip(kept, lengths):
            output.write(f"{n}: {length} steps\n")


inputs = load_data()
keeps = [Task(keep, i) for i in inputs]


inputs = [i for i, k in zip(inputs, bvalue(keeps)) if k]  # <- waits for `keeps` only
results = [Task(long_computation, i) for i in inputs]
summarise(inputs, results)
