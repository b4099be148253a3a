#!/usr/bin/env bash
# `attnlab sweep --slurm` against a real (private, one-node) Slurm: the job
# array's collected tables equal the local executor's byte for byte; a dry
# run writes the script and submits nothing; status reads squeue and the
# folder; a resubmission submits only what is missing.
# Exit 77 (skipped) where the cluster cannot run. Usage: sweep_slurm_test.sh /path/to/attnlab
attnlab="$1"
source "$(dirname "${BASH_SOURCE[0]}")/../experiments/cli_checks.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../sweeps/small_base.sh"
source "$(dirname "${BASH_SOURCE[0]}")/private_slurm.sh"
private_slurm_start "$work/slurm" || exit 77

small_base "$work/base.toml" 200.0 6
printf 'base = "base.toml"\n[sweep]\n"data.D" = [30, 40]\nseeds = 2\n' >"$work/grid.toml"
show() { sed 's/^/    /' "$work/out.log" "$work/err.log"; }

# The reference: the same sweep on the local executor.
"$attnlab" sweep "$work/grid.toml" --out "$work/local" --workers 2 >/dev/null 2>&1
check "the local executor ran the 4 cells" test -s "$work/local/final.csv"

# A dry run writes the job script and submits nothing.
if "$attnlab" sweep "$work/grid.toml" --out "$work/dry" --slurm --slurm-dry-run --cells-per-task 2 \
     >"$work/out.log" 2>"$work/err.log" &&
   grep -q '^#SBATCH --array=0-1$' "$work/dry/slurm/submission-1/job.sh" &&
   [ ! -e "$work/dry/slurm/submission-1/job_id" ] && [ -z "$(squeue -h)" ]; then
  pass "--slurm-dry-run writes a 2-task array script and submits nothing"
else show; fail "--slurm-dry-run writes a 2-task array script and submits nothing"; fi

# The sweep as a job array of 2 tasks of 2 cells.
if "$attnlab" sweep "$work/grid.toml" --out "$work/cluster" --slurm --cells-per-task 2 --max-parallel 2 \
     >"$work/out.log" 2>"$work/err.log" && grep -q '^submitted job [0-9]' "$work/out.log"; then
  pass "--slurm submits the sweep"
else show; fail "--slurm submits the sweep"; fi
job="$(tr -d '\n' <"$work/cluster/slurm/submission-1/job_id" 2>/dev/null)"
"$attnlab" sweep status "$work/cluster" >"$work/status-early.log" 2>&1
check "status right after submitting lists 4 cells" grep -q '^4 cells: ' "$work/status-early.log"
# Submitted cells are pending, running or already done: never "missing".
check "status right after submitting shows no cell missing (squeue read)" \
  bash -c "! grep -q '  missing$' '$work/status-early.log'"
check "the job array finished within 240 s" private_slurm_wait "$job" 240
for task in 0 1; do
  state="$(scontrol show job "${job}_$task" | grep -o 'ExitCode=[0-9:]*' | head -n 1)"
  check "array task $task exited 0 ($state)" test "$state" = "ExitCode=0:0"
done
if "$attnlab" sweep status "$work/cluster" >"$work/out.log" 2>"$work/err.log" &&
   grep -q '^4 cells: 4 done$' "$work/out.log"; then
  pass "status: 4 cells done"
else show; fail "status: 4 cells done"; fi
"$attnlab" sweep collect "$work/cluster" >/dev/null 2>&1
for table in metrics.csv final.csv summary.md; do
  check "the cluster's $table is byte-identical to the local executor's" cmp "$work/local/$table" "$work/cluster/$table"
done

# Resubmitting: nothing missing, nothing submitted; one more seed: 2 cells.
if "$attnlab" sweep "$work/grid.toml" --out "$work/cluster" --slurm >"$work/out.log" 2>"$work/err.log" &&
   grep -q '^nothing to submit' "$work/out.log" && [ ! -e "$work/cluster/slurm/submission-2" ]; then
  pass "a resubmission of a finished sweep submits nothing"
else show; fail "a resubmission of a finished sweep submits nothing"; fi
printf 'base = "base.toml"\n[sweep]\n"data.D" = [30, 40]\nseeds = 3\n' >"$work/grid.toml"
if "$attnlab" sweep "$work/grid.toml" --out "$work/cluster" --slurm >"$work/out.log" 2>"$work/err.log" &&
   [ "$(tail -n +2 "$work/cluster/slurm/submission-2/cells.csv" | wc -l)" -eq 2 ]; then
  pass "one more seed submits only its 2 new cells"
else show; fail "one more seed submits only its 2 new cells"; fi
job="$(tr -d '\n' <"$work/cluster/slurm/submission-2/job_id" 2>/dev/null)"
check "the second array finished within 240 s" private_slurm_wait "$job" 240
"$attnlab" sweep status "$work/cluster" >"$work/out.log" 2>&1
check "status: 6 cells done" grep -q '^6 cells: 6 done$' "$work/out.log"

# A task out of range is refused, naming the submission.
"$attnlab" sweep run "$work/cluster/slurm/submission-2" --task 9 >"$work/out.log" 2>"$work/err.log"
check "sweep run with a task out of range fails, naming the range" grep -q 'out of range' "$work/err.log"

finish "sweep on Slurm"
