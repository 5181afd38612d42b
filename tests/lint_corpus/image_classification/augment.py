"""Crops and colour jitter for feature extraction."""
import numpy as np


def augmentation_plan(size, crops=4, seed=None):
    """Crop boxes ``(y, x, h, w)``; reproducible only with a seed."""
    rng = np.random.default_rng(seed)
    boxes = []
    for _ in range(crops):
        h = w = size // 2
        y, x = rng.integers(0, size - h, size=2)
        boxes.append((int(y), int(x), h, w))
    return boxes


def jitter_colours(n):
    return [tuple(np.random.uniform(0.9, 1.1, size=3)) for _ in range(n)]
