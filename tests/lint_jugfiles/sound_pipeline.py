"""A realistic jugfile with sound practices only: `jug lint` must report nothing.

Image features -> per-file scores -> a parameter sweep -> a summary, using
sorted listings, seeded generators, one task per file, identity, barrier,
bvalue and value, CachedFunction and mapreduce over sorted inputs.
"""
import os
import random
from collections import Counter
from glob import glob
from pathlib import Path

import numpy as np
from jug import (CachedFunction, CompoundTaskGenerator, Task, TaskGenerator, barrier, bvalue,
                 value)
from jug import mapreduce
from jug.utils import cached_glob, identity

random.seed(20240131)
rng = np.random.default_rng(12345)
legacy = np.random.RandomState(7)

DATA = Path("data")
PARAMETERS = {"c": [0.1, 1.0, 10.0], "gamma": [0.01, 0.1]}


@TaskGenerator
def load(path):
    return np.loadtxt(path)


@TaskGenerator
def features(image, scale=1.0):
    """Row-normalised features of one image."""
    rows = [row / row.sum() * scale for row in image if row.sum()]
    return np.array(rows)


@TaskGenerator
def score(feats, c, gamma):
    return float(np.exp(-gamma * (feats ** 2).sum()) * c)


@TaskGenerator
def summarise(scores, names):
    return dict(zip(names, scores))


@CompoundTaskGenerator
def sweep(feats):
    # a compound task may create tasks
    return [score(feats, c, g) for c in PARAMETERS["c"] for g in PARAMETERS["gamma"]]


def count_words(path):
    return Counter(open(path).read().split())


def merge_counts(a, b):
    return a + b


# one task per file: the listing order does not matter here
raw = [load(path) for path in glob("data/*.txt")]
per_file = [features(image) for image in raw]
for path in DATA.glob("*.csv"):
    features(load(str(path)))

# sorted listings may be passed whole, enumerated and chunked
inputs = sorted(glob(os.path.join("data", "*.txt")))
images = [load(path) for path in inputs]
feats = [features(image, scale=float(i + 1)) for i, image in enumerate(images)]
names = [os.path.basename(path) for path in inputs]
csvs = sorted(DATA.glob("*.csv"))
listing = sorted(os.listdir("data"))
files = CachedFunction(glob, "data/*.txt")
files.sort()
every_csv = identity(csvs)

# seeded generators
noise = rng.normal(size=16)
jitter = [random.random() for _ in range(len(feats))]
drawn = legacy.uniform(0, 1, size=3)
scored = [score(f, c=1.0 + j, gamma=float(n)) for f, j, n in zip(feats, jitter, noise)]
with_drawn = score(feats[0], c=drawn[0], gamma=0.1)

# a set passed as a set, or sorted
labels = {"cat", "dog", "bird"}
label_task = identity(labels)
ordered = identity(sorted(labels))
counts = Task(len, sorted({n.split(".")[0] for n in names}))

# mapreduce over sorted inputs
word_counts = mapreduce.mapreduce(merge_counts, count_words, cached_glob("data/*.txt"),
                                  map_step=4, reduce_step=8)
mapped = mapreduce.map(count_words, inputs, map_step=2)
curried = mapreduce.currymap(score, [(f, 1.0, 0.1) for f in feats])
sweeps = [sweep(f) for f in feats]

summary = summarise(scored, names)
barrier()
best = max(value(scored))
threshold = bvalue(identity(0.5))
kept = [name for name, s in zip(names, value(scored)) if s > threshold]
final = summarise([score(feats[names.index(n)], best, 0.1) for n in kept], kept)

# timing and printing the clock is fine when it does not reach a task
import time
started = time.time()
print("jugfile loaded in", time.time() - started)
