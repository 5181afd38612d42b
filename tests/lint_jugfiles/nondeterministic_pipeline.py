"""A jugfile with every kind of nondeterministic task argument.

Each line that must be reported ends with ``# <- CODE`` (several codes
separated by spaces); tests/test_lint_jugfiles.py checks exactly those.
"""
import datetime as dt
import os
import random as rnd
import tempfile
import uuid
from glob import glob
from pathlib import Path
from random import random as r

import jug
import numpy as np
from jug import Task, TaskGenerator, CachedFunction
from jug.mapreduce import map as jmap
from sklearn.linear_model import Ridge


@TaskGenerator
def train(data, seed, alpha=1.0):
    return data, seed, alpha


@TaskGenerator
def merge(parts):
    return parts


def plain(x, y=0):
    return x + y


wrapped = TaskGenerator(plain)

# aliases and keyword arguments
model = train([1, 2], seed=r())  # <- JUG101
model2 = train([1, 2], 0, alpha=rnd.uniform(0, 1))  # <- JUG101
suppressed = train([1], r())  # noqa: JUG101
also_suppressed = train([1], r())  # noqa
not_this_code = train([1], r())  # noqa: JUG102  # <- JUG101

# flow through variables, containers and comprehensions
start = dt.datetime.now()
config = {"start": start, "runs": 3}
settings = [config, "fixed"]
run = train(settings, 0)  # <- JUG102
stamps = [dt.date.today().isoformat() for _ in range(2)]
runs = [wrapped(s) for s in stamps]  # <- JUG102
delayed = Task(plain, x=int(os.getpid()))  # <- JUG105

# directory listings
files = glob("data/*.txt")
merged = merge(files)  # <- JUG103
chunks = jmap(plain, files, map_step=4)  # <- JUG103
results = [train(f, 0) for f in files]
combined = merge(results)  # <- JUG103
paths = []
for p in Path("data").iterdir():
    paths.append(str(p))
merged_paths = merge(paths)  # <- JUG103
joined = wrapped(",".join(os.listdir(".")))  # <- JUG103
first = wrapped(glob("*.csv")[0])  # <- JUG103

# sets
tags = {"a", "b", "c"}
as_list = merge(list(tags))  # <- JUG104
by_tag = jug.mapreduce.map(plain, tags)  # <- JUG104
fine = merge(tags)

# numpy without a seed, and a seed from the clock
noise = np.random.normal(size=3)
noisy = train(noise, 1)  # <- JUG101
rnd.seed(int(dt.datetime.utcnow().timestamp()))
reseeded = train([1], rnd.randint(0, 9))  # <- JUG102

# process identities
run_id = uuid.uuid4().hex
tagged = train([run_id], 0)  # <- JUG105
scratch = CachedFunction(plain, tempfile.mkdtemp())  # <- JUG105

# warnings
estimator = Ridge(alpha=1.0)
fitted = train(estimator, 0)  # <- JUG203
square = Task(lambda x: x * x, 3)  # <- JUG202
