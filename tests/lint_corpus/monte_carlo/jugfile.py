"""Monte Carlo estimates of a queueing model under different loads."""
import os
import tempfile
import uuid

import numpy as np
from jug import TaskGenerator

import settings
from model import arrival_rates, perturbed, simulate_queue, warm_start


@TaskGenerator
def run_simulation(rate, service, steps, start, workdir):
    return simulate_queue(rate, service, steps, start)


@TaskGenerator
def aggregate(runs, label):
    return {"label": label, "mean": float(np.mean([r["wait"] for r in runs]))}


# settings seeds numpy's global generator when it is imported
loads = arrival_rates(settings.MIN_LOAD, settings.MAX_LOAD, settings.STEPS)
starts = [warm_start(settings.QUEUE_CAPACITY) for _ in loads]
runs = [run_simulation(rate, 1.0, 10_000, start, settings.OUTPUT)
        for rate, start in zip(loads, starts)]
summary = aggregate(runs, "baseline")

# a scratch directory made when the jugfile is loaded: a new name every time
scratch = tempfile.mkdtemp(prefix="mc-")
scratch_runs = [run_simulation(rate, 1.0, 1000, None, scratch) for rate in loads]  # expect: JUG105

# tagging a sweep with a random identifier
sweep_id = uuid.uuid4().hex[:8]
tagged = aggregate(runs, f"sweep-{sweep_id}")  # expect: JUG105

# perturbed rates from a generator created without a seed inside the model
noisy = [run_simulation(rate, 1.0, 1000, None, settings.OUTPUT)  # expect: JUG101
         for rate in perturbed(loads)]

# a per-run directory derived from the parameters is fine
named = [run_simulation(rate, 1.0, 1000, None, os.path.join(settings.OUTPUT, f"rate-{rate:.2f}"))
         for rate in loads]
