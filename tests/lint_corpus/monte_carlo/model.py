"""An M/M/1 queue, simulated."""
import numpy as np


def arrival_rates(low, high, steps):
    return [float(x) for x in np.linspace(low, high, steps)]


def warm_start(capacity):
    """An initial queue length drawn from the global generator (seeded by
    the caller, or not)."""
    return int(np.random.randint(0, capacity))


def perturbed(rates, scale=0.01):
    rng = np.random.default_rng()
    return [rate + rng.normal(0, scale) for rate in rates]


def simulate_queue(rate, service, steps, start):
    rng = np.random.default_rng(0)
    queue = start or 0
    waits = []
    for _ in range(steps):
        queue = max(0, queue + rng.poisson(rate) - rng.poisson(service))
        waits.append(queue)
    return {"wait": sum(waits) / steps}
