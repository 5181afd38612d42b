"""The search space."""
import math
import random

GRID = {"lr": [0.001, 0.01, 0.1], "depth": [3, 5, 7]}


def log_uniform(low, high):
    """A learning rate, uniform on a log scale (the global generator)."""
    return math.exp(random.uniform(math.log(low), math.log(high)))


def sample_config(rng):
    """A configuration drawn from the generator ``rng``."""
    return {"lr": float(10 ** rng.uniform(-4, -1)), "depth": int(rng.integers(2, 9))}
