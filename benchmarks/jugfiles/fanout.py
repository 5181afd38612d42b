"""Fan-out: N independent trivial tasks, then one task that reduces them.

Size: JUG_BENCH_N (default 1000).  If JUG_BENCH_STAMP names a file, the
first leaf to run writes the wall-clock time into it (the "start to first
task" measurement); the variable is read when a task runs, so it does not
change any task's hash.
"""

import os
import time

from jug import TaskGenerator

N = int(os.environ.get("JUG_BENCH_N", "1000"))


@TaskGenerator
def leaf(i):
    stamp = os.environ.get("JUG_BENCH_STAMP")
    if stamp:
        try:
            os.close(os.open(stamp + ".claimed", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return i
        now = time.time()
        with open(stamp + ".tmp", "w") as fh:
            fh.write(repr(now))
        os.replace(stamp + ".tmp", stamp)
    return i


@TaskGenerator
def total(values):
    return sum(values)


leaves = [leaf(i) for i in range(N)]
result = total(leaves)
