"""Expanding parameter grids."""
import itertools

import numpy as np


def expand(grid):
    keys = sorted(grid)
    for values in itertools.product(*(grid[key] for key in keys)):
        yield dict(zip(keys, values))


def replicas(n):
    return list(range(n))


def make_runner(task, **fixed):
    def run(sequence, temperature, seed):
        return task(sequence, temperature, 10_000, seed, **fixed)
    return run


def jittered_temperatures(centre, n):
    rng = np.random.default_rng()
    return [float(centre + rng.normal(0, 2)) for _ in range(n)]
