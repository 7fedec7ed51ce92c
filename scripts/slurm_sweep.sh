#!/bin/bash
# A sweep as a Slurm array job: each array task evaluates one shard of the sweep.
#
#   jid=$(sbatch --parsable --array=0-31 --cpus-per-task=8 scripts/slurm_sweep.sh SWEEP.json OUT)
#   sbatch --dependency=afterok:$jid scripts/slurm_sweep.sh merge OUT
#
# Task K of an N-task array (indices 0..N-1) runs
#   accelsim sweep SWEEP.json --shard K/N --out OUT/shard_K --resume --threads C
# (C = SLURM_CPUS_PER_TASK, default 1), so a requeued task continues where it stopped.
# `merge OUT` combines OUT/shard_* into OUT/all: results.csv, results.jsonl and pareto.csv
# byte-identical to a single-process sweep. OUT must be on a file system the nodes share.
# ACCELSIM names the accelsim binary (default: accelsim on the PATH). See docs/sweep.md.
#SBATCH --job-name=accelsim-sweep
#SBATCH --output=slurm-accelsim-%A_%a.out
#SBATCH --cpus-per-task=8
#SBATCH --time=02:00:00
set -euo pipefail
ACCELSIM=${ACCELSIM:-accelsim}

if [ "${1:-}" = "merge" ]; then
    out=${2:?usage: slurm_sweep.sh merge OUT}
    exec "$ACCELSIM" sweep merge --out "$out/all" "$out"/shard_*
fi

spec=${1:?usage: sbatch --array=0-(N-1) slurm_sweep.sh SWEEP.json OUT}
out=${2:?usage: sbatch --array=0-(N-1) slurm_sweep.sh SWEEP.json OUT}
: "${SLURM_ARRAY_TASK_ID:?not in a Slurm array job (submit with sbatch --array=0-(N-1))}"
min=${SLURM_ARRAY_TASK_MIN:-0}
if [ "$min" != 0 ]; then
    echo "error: array indices must start at 0 (got --array starting at $min)" >&2
    exit 2
fi
count=${SLURM_ARRAY_TASK_COUNT:-$(( ${SLURM_ARRAY_TASK_MAX:?} + 1 ))}
mkdir -p "$out"
exec "$ACCELSIM" sweep "$spec" --shard "$SLURM_ARRAY_TASK_ID/$count" \
    --out "$out/shard_$SLURM_ARRAY_TASK_ID" --resume --threads "${SLURM_CPUS_PER_TASK:-1}"
