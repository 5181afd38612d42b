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
        output.write("Found {0} primes <= 100.\n".format(n))


primes100 = []
for n in range(2, 101):
    primes100.append(is_prime(n))

n_primes = count_primes(primes100)
write_output(n_primes)
