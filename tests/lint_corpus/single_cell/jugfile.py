"""Single-cell RNA-seq: quality control, normalisation and clustering per batch."""
import os
import random

from jug import TaskGenerator, barrier, bvalue

from qc import Thresholds
from study import LocalStudy, SharedStudy


@TaskGenerator
def quality_control(counts_path, thresholds):
    return {"path": counts_path, "kept": thresholds["min_genes"]}


@TaskGenerator
def normalise(cells, genes):
    return {"cells": cells, "genes": genes}


@TaskGenerator
def cluster(normalised, resolution, seed):
    return {"n": len(normalised), "resolution": resolution, "seed": seed}


try:
    random.seed(int(os.environ["CLUSTER_SEED"]))
except KeyError:
    pass

study = LocalStudy("data/study-42")
thresholds = Thresholds(min_genes=200, max_mito=0.2).as_dict()

normalised = []
for batch in study.batches():
    cells = quality_control(study.counts(batch), thresholds)
    normalised.append(normalise(cells, study.marker_genes()))   # a set, passed whole: fine
clusters = [cluster(normalised, resolution, seed=random.randrange(1000))  # expect: JUG101
            for resolution in (0.4, 0.8, 1.2)]

shared = SharedStudy("/shared/atlas")
atlas = [quality_control(shared.counts(b), thresholds) for b in shared.batches()]
atlas_clusters = cluster(atlas, 1.0, seed=0)  # expect: JUG103

barrier()
print(bvalue(clusters[0]))
