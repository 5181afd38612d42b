#!/bin/bash
# A SLURM job array of jug workers: every array element runs `jug execute`
# on the same jugfile and store, and together they run each task once.
# Submit from this directory with:
#
#     sbatch jug-slurm.sh
#
# Elements may start late, in any order, or be added later (sbatch again):
# jug needs no coordinator.  The store must be reachable from every node: this
# directory on a shared filesystem (the default jugdir), or a Redis server
# (add --jugdir redis://HOST:6379/0 below).
#SBATCH --job-name=jug
#SBATCH --array=1-8
#SBATCH --cpus-per-task=1
#SBATCH --time=01:00:00
#SBATCH --output=jug-%A_%a.out

set -euo pipefail
cd "${SLURM_SUBMIT_DIR:-.}"
echo "jug worker ${SLURM_ARRAY_TASK_ID:-0} of job ${SLURM_ARRAY_JOB_ID:-none} on $(hostname)"
# exec: jug replaces the shell, so the signal SLURM sends at the time limit
# reaches jug itself.
exec jug execute jugfile.py --will-cite
