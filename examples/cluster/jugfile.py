"""Forty independent simulations and a summary: the shape of most cluster
jobs.  Run it on a batch system with a job array, every element one
`jug execute` on the same jugfile and store:

    sbatch jug-slurm.sh        # SLURM
    qsub jug-sge.sh            # SGE (Grid Engine)

or on one machine with `jug execute &` a few times.  Set CLUSTER_SLEEP=0
to skip the pause each simulation takes.
"""

import os
from time import sleep

import numpy as np

from jug import TaskGenerator

PAUSE = float(os.environ.get("CLUSTER_SLEEP", "1"))


@TaskGenerator
def simulate(seed):
    """The final position of a 1,000-step random walk (seeded)."""
    sleep(PAUSE)
    rng = np.random.default_rng(seed)
    return float(rng.choice([-1, 1], size=1000).sum())


@TaskGenerator
def summarise(positions):
    positions = np.array(positions)
    with open("output.txt", "w") as output:
        output.write(f"{positions.size} walks: mean {positions.mean():.2f}, "
                     f"root mean square {np.sqrt((positions ** 2).mean()):.2f}\n")


summarise([simulate(seed) for seed in range(40)])
