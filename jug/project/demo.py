"""``jug demo``: the manual's primes example, written into ``jug-demo/``."""

import os
import sys

DIRECTORY = "jug-demo"

#: examples/primes/primes.py (a test keeps the two the same)
PRIMES = '''\
"""The manual's first example: which numbers up to 100 are prime?

    jug execute primes.py &      # start as many as you like
    jug execute primes.py &
    jug status primes.py

Set PRIMES_SLEEP=0 to skip the one-second pause per task.
"""

import os
from time import sleep

from jug import TaskGenerator

PAUSE = float(os.environ.get("PRIMES_SLEEP", "1"))


@TaskGenerator
def is_prime(n):
    sleep(PAUSE)
    for j in range(2, n - 1):
        if (n % j) == 0:
            return False
    return True


@TaskGenerator
def count_primes(ps):
    return sum(ps)


@TaskGenerator
def write_output(n):
    with open("output.txt", "wt") as output:
        output.write("Found {0} primes <= 100.\\n".format(n))


primes100 = []
for n in range(2, 101):
    primes100.append(is_prime(n))

n_primes = count_primes(primes100)
write_output(n_primes)
'''

INTRODUCTION = """
Jug will create a directory called 'jug-demo/' with a file called 'primes.py'
inside.

You can test jug by switching to that directory and running the commands:

    jug status primes.py

followed by

    jug execute primes.py

Upon termination of the process, results will be in a file called 'output.txt'.

PARALLEL USAGE

You can speed up the process by running several 'jug execute' in parallel:

    jug execute primes.py &
    jug execute primes.py &
    jug execute primes.py &
    jug execute primes.py &

or let jug start them for you:

    jug execute primes.py -j 4

Each task pauses for a second; set PRIMES_SLEEP=0 to skip the pause.

FURTHER READING

The user guide (docs/tutorial.md) goes on from this example.
"""


def write_demo(directory=DIRECTORY, out=None):
    """Print the introduction and write ``directory``/primes.py; 0, also
    when the directory exists (then nothing is written, as the original)."""
    out = out or sys.stdout
    print(INTRODUCTION, file=out)
    if os.path.exists(directory):
        print("Jug-demo previously created", file=out)
        return 0
    os.mkdir(directory)
    with open(os.path.join(directory, "primes.py"), "w") as output:
        output.write(PRIMES)
    return 0
