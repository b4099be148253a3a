#!/usr/bin/env bash
# The private one-node Slurm cluster the sweep tests run on: it comes up, runs
# a job array through sbatch (each task's output and exit code seen through
# squeue polling and scontrol), and stops exactly the daemons it started.
# Exit 77 (skipped) where it cannot run: not root, or slurm-wlm/munge missing.
set -uo pipefail
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/private_slurm.sh"
failures=0
check() {
  local description="$1"; shift
  if "$@"; then echo "ok   $description"; else echo "FAIL $description"; failures=$((failures + 1)); fi
}

private_slurm_start "$work/slurm" || exit 77
daemons=("${private_slurm_pids[@]}")
check "three daemons started (munged, slurmctld, slurmd)" test "${#daemons[@]}" -eq 3

cat >"$work/array.sh" <<'JOB'
#!/bin/bash
#SBATCH --array=0-2
#SBATCH --output=array-%a.out
echo "task $SLURM_ARRAY_TASK_ID"
exit $((SLURM_ARRAY_TASK_ID == 2 ? 3 : 0))
JOB
job="$(cd "$work" && sbatch --parsable array.sh)"
check "sbatch accepted the array (job '$job')" test -n "$job"
check "the array left the queue within 120 s" private_slurm_wait "$job" 120
for task in 0 1 2; do
  check "task $task wrote its output" grep -qx "task $task" "$work/array-$task.out"
done
state_of() { scontrol show job "${job}_$1" | grep -o 'ExitCode=[0-9:]*' | head -n 1; }
check "tasks 0 and 1 exited 0" test "$(state_of 0) $(state_of 1)" = "ExitCode=0:0 ExitCode=0:0"
check "task 2's exit status 3 is reported" test "$(state_of 2)" = "ExitCode=3:0"

private_slurm_stop
for pid in "${daemons[@]}"; do
  check "daemon $pid stopped" bash -c "! kill -0 $pid 2>/dev/null"
done
echo "private Slurm cluster: $failures failed"
[ "$failures" -eq 0 ]
