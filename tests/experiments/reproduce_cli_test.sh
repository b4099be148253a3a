#!/usr/bin/env bash
# `attnlab reproduce` through the CLI on one seed: the pruning experiment
# (which trains, reads the models back from their checkpoints, prunes, plots
# and reports), the results-folder rules, and an unknown experiment name;
# then the basins experiment (a phase of runs that start from the first
# phase's models): stopped by SIGTERM and killed by SIGKILL, each resumed to
# the same data as an uninterrupted run, --resume rules, and the Slurm
# scripts of a dry run.
# Usage: reproduce_cli_test.sh /path/to/attnlab
attnlab="$1"
source "$(dirname "${BASH_SOURCE[0]}")/cli_checks.sh"

out="$work/pruning"
if "$attnlab" reproduce pruning --quick --seeds 1 --out "$out" >"$work/log" 2>&1; then
  pass "reproduce pruning --quick --seeds 1 runs"
else
  cat "$work/log"; fail "reproduce pruning --quick --seeds 1 runs"
fi
for file in report.md report.html pruning/pruning.csv pruning/table.md pruning/config.toml \
            pruning/pruning_softmax.png pruning/pruning_softmax.svg pruning/pruning_softmax.gp; do
  check "writes $file" test -s "$out/$file"
done
check "the PNG is a PNG" grep -q PNG <(head -c 8 "$out/pruning/pruning_softmax1.png")
check "pruning.csv has H = 8 rows per activation" \
  test "$(grep -c '^1,softmax1,' "$out/pruning/pruning.csv")" -eq 8
check "the report embeds its figures" grep -q 'src="data:image/png;base64,' "$out/report.html"

"$attnlab" reproduce pruning --quick --seeds 1 --out "$out" >"$work/again" 2>&1
check "an existing results folder is refused" test $? -ne 0
check "... with a message naming it" grep -q "$out" "$work/again"

"$attnlab" reproduce nonsense >"$work/unknown" 2>&1
check "an unknown experiment is refused" test $? -ne 0
check "... naming the choices" grep -q "specialization" "$work/unknown"

# Basins on two seeds: 4 cells in 2 phases. The reference runs uninterrupted.
basins=(reproduce basins --quick --seeds 2 --workers 1)
"$attnlab" "${basins[@]}" --out "$work/reference" >"$work/log" 2>&1
check "basins runs its 4 cells in 2 phases" grep -q '^4 training runs (4 run now)' "$work/log"
check "a phase-2 cell records its warm start" test "$(cat "$work/reference"/cells/*/warm_start | wc -l)" -eq 2

done_cells() { find "$1/cells" -name summary.csv 2>/dev/null | wc -l; }
# interrupt SIGNAL FOLDER: starts the reproduction, sends SIGNAL once a cell is done.
interrupt() {
  "$attnlab" "${basins[@]}" --out "$2" >"$work/interrupted.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 300); do
    [ "$(done_cells "$2")" -ge 1 ] && break
    sleep 0.05
  done
  kill -s "$1" "$pid"
  { wait "$pid"; } 2>/dev/null  # no "Killed" line from the shell
}
interrupt TERM "$work/stopped"
status=$?
check "SIGTERM stops the reproduction with status 143 ($status)" test "$status" -eq 143
check "... saying how to continue" grep -q -- "--resume --out $work/stopped" "$work/interrupted.log"
check "... with some cells done and no report" \
  bash -c "[ $(done_cells "$work/stopped") -ge 1 ] && [ ! -e '$work/stopped/report.md' ]"
interrupt KILL "$work/killed"
for folder in stopped killed; do
  if "$attnlab" "${basins[@]}" --resume --out "$work/$folder" >"$work/log" 2>&1; then
    pass "--resume finishes the $folder reproduction"
  else
    cat "$work/log"; fail "--resume finishes the $folder reproduction"
  fi
  for file in basins/basins.csv basins/table.md report.md; do
    check "... its $file is byte-identical to the uninterrupted run's" cmp "$work/reference/$file" "$work/$folder/$file"
  done
done

"$attnlab" "${basins[@]}" --resume --out "$work/reference" >"$work/log" 2>&1
check "--resume of a finished reproduction runs no cell" grep -q '^4 training runs (0 run now)' "$work/log"
expect_error 1 "--resume with other settings is refused, naming the folder" "$work/reference.*another reproduction" \
  reproduce basins --quick --seeds 3 --resume --out "$work/reference"
expect_error 2 "--resume of a folder without a reproduction is refused" "cannot resume" \
  reproduce basins --quick --resume --out "$work/nothing-here"

# A Slurm dry run: one job script per phase, nothing submitted.
if "$attnlab" "${basins[@]}" --out "$work/dry" --slurm --slurm-dry-run --cells-per-task 2 >"$work/log" 2>&1 &&
   grep -q '^#SBATCH --array=0-0$' "$work/dry/slurm/submission-1/job.sh" &&
   grep -q '^#SBATCH --array=0-0$' "$work/dry/slurm/submission-2/job.sh" &&
   grep -q 'sbatch --dependency=afterok:' "$work/log" && [ ! -e "$work/dry/slurm/submission-1/job_id" ] &&
   [ "$(done_cells "$work/dry")" -eq 0 ]; then
  pass "--slurm --slurm-dry-run writes a job script per phase and runs nothing"
else
  cat "$work/log"; fail "--slurm --slurm-dry-run writes a job script per phase and runs nothing"
fi

finish "reproduce CLI"
