"""Train/test splits as index arrays."""
import numpy as np


def fold_indices(n, k, seed):
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    return [(np.setdiff1d(order, part), part) for part in np.array_split(order, k)]


def shuffled_folds(n, k):
    order = np.arange(n)
    np.random.shuffle(order)
    return [(np.setdiff1d(order, part), part) for part in np.array_split(order, k)]
