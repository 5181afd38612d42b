"""A parameter sweep of coarse-grained folding simulations.

Helpers live in lib/, which the jugfile puts on sys.path.
"""
import os
import sys
import time

sys.path.insert(0, "lib")

from jug import TaskGenerator, value  # noqa: E402

from sweep import expand, jittered_temperatures, make_runner, replicas  # noqa: E402
from proteins import load_sequences  # noqa: E402


@TaskGenerator
def fold(sequence, temperature, steps, seed, **options):
    return {"sequence": sequence, "temperature": temperature, "seed": seed, **options}


@TaskGenerator
def free_energy(trajectories):
    return len(trajectories)


sequences = load_sequences("proteins.fasta")
base = {"steps": 100_000, "friction": 0.1}

trajectories = []
for name, sequence in sorted(sequences.items()):
    for params in expand({"temperature": [280, 300, 320], "seed": replicas(3)}):
        trajectories.append(fold(sequence, **params, **base))
energies = free_energy(trajectories)

# a runner bound to options by a closure
runner = make_runner(fold, friction=0.2)
closure_runs = [runner(seq, 300, seed) for seq in sorted(sequences.values()) for seed in range(3)]

# jittered temperatures: a generator created in lib/sweep.py without a seed
jittered = [fold(seq, t, 10_000, 0) for seq in sorted(sequences.values())  # expect: JUG101
            for t in jittered_temperatures(300, 3)]

# options passed as a dict built at load time
options = {"steps": 5000, "started": time.time()}
timed = fold("MKT", 300, seed=1, **options)  # expect: JUG102

# retries until a folder exists: a while loop that never seeds anything
attempt = 0
while not os.path.isdir("out") and attempt < 3:
    attempt += 1
final = fold("MKT", 300, 1000, attempt)
