#!/usr/bin/env bash
# `attnlab reproduce --slurm` against a real (private, one-node) Slurm: the
# basins experiment's two phases go out as two job arrays, the second waiting
# for the first (afterok); `--resume` then writes the report from the cells,
# running none, and its data equal a local reproduction's byte for byte.
# Exit 77 (skipped) where the cluster cannot run. Usage: reproduce_slurm_test.sh /path/to/attnlab
attnlab="$1"
source "$(dirname "${BASH_SOURCE[0]}")/../experiments/cli_checks.sh"
source "$(dirname "${BASH_SOURCE[0]}")/private_slurm.sh"
private_slurm_start "$work/slurm" || exit 77
show() { sed 's/^/    /' "$work/out.log"; }

basins=(reproduce basins --quick --seeds 2)
"$attnlab" "${basins[@]}" --out "$work/local" --workers 2 >/dev/null 2>&1
check "the local reproduction wrote basins.csv" test -s "$work/local/basins/basins.csv"

if "$attnlab" "${basins[@]}" --out "$work/cluster" --slurm >"$work/out.log" 2>&1 &&
   grep -q '^phase 1: job [0-9]' "$work/out.log" && grep -q '^phase 2: job [0-9].*once job [0-9]' "$work/out.log"; then
  pass "--slurm submits the two phases, the second after the first"
else show; fail "--slurm submits the two phases, the second after the first"; fi
first="$(tr -d '\n' <"$work/cluster/slurm/submission-1/job_id" 2>/dev/null)"
second="$(tr -d '\n' <"$work/cluster/slurm/submission-2/job_id" 2>/dev/null)"
check "phase 2's script waits for phase 1's job" \
  grep -q "^#SBATCH --dependency=afterok:$first\$" "$work/cluster/slurm/submission-2/job.sh"
check "both job arrays finished within 240 s" private_slurm_wait "$second" 240
for job in "$first" "$second"; do
  for task in 0 1; do
    state="$(scontrol show job "${job}_$task" | grep -o 'ExitCode=[0-9:]*' | head -n 1)"
    check "job $job task $task exited 0 ($state)" test "$state" = "ExitCode=0:0"
  done
done

if "$attnlab" "${basins[@]}" --resume --out "$work/cluster" >"$work/out.log" 2>&1 &&
   grep -q '^4 training runs (0 run now)' "$work/out.log"; then
  pass "--resume writes the report from the cluster's cells, running none"
else show; fail "--resume writes the report from the cluster's cells, running none"; fi
for file in basins/basins.csv basins/table.md report.md; do
  check "the cluster's $file is byte-identical to the local run's" cmp "$work/local/$file" "$work/cluster/$file"
done

finish "reproduce on Slurm"
