"""A pipeline with a barrier: which inputs to keep is itself a long
computation, and the rest of the jugfile needs its answers.

Stage 0 decides, for each input, whether to keep it (`keep`).  `barrier()`
stops the jugfile there until every task before it has run; then `value()`
can read those results, and stage 1 processes the inputs that were kept.
`bvalue.py` is the same pipeline with `bvalue()`, which waits only for the
tasks it is given.

    jug execute
    jug status
    python printresults.py

Set BARRIER_SLEEP=0 to skip the pauses.
"""

import os
from time import sleep

from jug import Task, TaskGenerator, barrier, value

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

barrier()  # <- the jugfile stops here until every `keep` task has run

inputs = [i for i, k in zip(inputs, value(keeps)) if k]
results = [Task(long_computation, i) for i in inputs]
summarise(inputs, results)
