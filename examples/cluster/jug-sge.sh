#!/bin/bash
# An SGE (Grid Engine) job array of jug workers: every task of the array runs
# `jug execute` on the same jugfile and store, and together they run each
# jug task once.  Submit from this directory with:
#
#     qsub jug-sge.sh
#
# The store must be reachable from every node: this directory on a shared
# filesystem (the default jugdir), or a Redis server (add
# --jugdir redis://HOST:6379/0 below).
#$ -N jug
#$ -t 1-8
#$ -cwd
#$ -j y
#$ -S /bin/bash

set -euo pipefail
echo "jug worker ${SGE_TASK_ID:-0} of job ${JOB_ID:-none} on $(hostname)"
# exec: jug replaces the shell, so the signal SGE sends to stop the job
# reaches jug itself.
exec jug execute jugfile.py --will-cite
