"""A parameter sweep: score every combination of two parameters, keep every
score (to look at the whole landscape later), and report the best one.

The model is a polynomial fit of degree `p0` with a ridge penalty
`10 ** p1`, scored by its error on held-out points (higher is better).  The
data are made by a task from an explicit seed, and passed to every `score`
task as that task: the data are hashed once, not once per combination.

    jug execute &
    jug execute &
    jug status
    python printresults.py
"""

import numpy as np

from jug import TaskGenerator


@TaskGenerator
def load_data(seed):
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-1, 1, 60))
    y = np.sin(3 * x) + rng.normal(0, 0.1, x.size)
    return x, y


@TaskGenerator
def score(data, p0, p1):
    """Minus the mean squared error on every third point, fitting the others."""
    x, y = data
    test = np.arange(x.size) % 3 == 0
    design = np.vander(x, p0 + 1)
    penalty = 10.0 ** p1 * np.eye(p0 + 1)
    train_x, train_y = design[~test], y[~test]
    coefficients = np.linalg.solve(train_x.T @ train_x + penalty, train_x.T @ train_y)
    return -float(np.mean((design[test] @ coefficients - y[test]) ** 2))


@TaskGenerator
def best_of(results):
    (p0, p1), best = max(results.items(), key=lambda item: item[1])
    with open("output.txt", "w") as output:
        output.write(f"Best parameter pair: p0={p0}, p1={p1} (score {best:.4f})\n")
    return p0, p1


data = load_data(seed=2)
results = {}
for p0 in range(1, 9):
    for p1 in range(-6, 1):
        results[p0, p1] = score(data, p0, p1)
best = best_of(results)
