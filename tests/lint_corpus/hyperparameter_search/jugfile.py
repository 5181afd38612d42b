"""Random and grid search over the hyperparameters of a gradient-boosting model.

    jug execute jugfile.py -- --seed 17 --trials 40
"""
import argparse
import itertools
import random
import time

import numpy as np
from jug import TaskGenerator, barrier, value

from search_space import GRID, log_uniform, sample_config
from tracking import run_name, timestamp


@TaskGenerator
def fit(config, fold, name):
    rng = np.random.default_rng(fold)
    return {"config": config, "fold": fold, "loss": float(rng.random()), "name": name}


@TaskGenerator
def best_of(results):
    return min(results, key=lambda result: result["loss"])


def parse():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--folds", type=int, default=5)
    return parser.parse_known_args()[0]


args = parse()
if args.seed is not None:
    random.seed(args.seed)
started = time.time()

# random search: drawn after a seed that only runs when --seed is given
random_trials = []
for trial in range(args.trials):
    lr = log_uniform(1e-4, 1e-1)
    depth = random.randint(2, 8)
    config = {"lr": lr, "depth": depth}
    random_trials.append(fit(config, 0, f"random-{trial}"))  # expect: JUG101

# a sample from a generator seeded explicitly is reproducible
rng = np.random.default_rng(2024)
sampled = [fit(sample_config(rng), fold, f"sampled-{i}") for i, fold in
           enumerate(range(args.folds))]

# grid search: fully deterministic
grid_results = []
for lr, depth in itertools.product(GRID["lr"], GRID["depth"]):
    for fold in range(args.folds):
        grid_results.append(fit({"lr": lr, "depth": depth}, fold, f"grid-{lr}-{depth}"))
best = best_of(grid_results)

# named after the moment it was started
final = fit(value(best)["config"], 0, run_name("final"))  # expect: JUG102
stamped = fit({"lr": 0.01, "depth": 3}, 0, timestamp())  # expect: JUG102
print("set up in", time.time() - started, "seconds")
