#!/usr/bin/env bash
# A local sweep killed (SIGKILL, by PID) at 10 random moments and resumed
# each time, then finished: its collected tables are byte-identical to an
# uninterrupted sweep's. The moments are drawn from a fixed seed, so a
# failure can be replayed.
# Usage: sweep_random_kills_test.sh /path/to/attnlab
attnlab="$1"
source "$(dirname "${BASH_SOURCE[0]}")/../experiments/cli_checks.sh"
source "$(dirname "${BASH_SOURCE[0]}")/small_base.sh"
RANDOM=20261130

small_base "$work/base.toml" 12000.0 8
printf 'base = "base.toml"\n[sweep]\n"data.D" = [30, 40]\nseeds = 4\n' >"$work/spec.toml"

"$attnlab" sweep "$work/spec.toml" --out "$work/whole" --workers 2 >/dev/null 2>&1
check "the uninterrupted sweep finished its 8 cells" test -s "$work/whole/final.csv"

kills=0
for round in $(seq 10); do
  # A moment in [0.1, 0.8) s after the start: cells (about 1.5 s each) are
  # cut anywhere, before and after their log points, and resume from them.
  moment=$(awk -v r="$RANDOM" 'BEGIN { printf "%.3f", 0.1 + (r % 700) / 1000 }')
  "$attnlab" sweep "$work/spec.toml" --out "$work/cut" --workers 2 >/dev/null 2>"$work/round-$round.log" &
  pid=$!
  sleep "$moment"
  if kill -KILL "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
  wait "$pid" 2>/dev/null
  echo "  round $round: killed after ${moment} s"
done
check "at least 8 of the 10 kills hit a running sweep ($kills)" test "$kills" -ge 8
"$attnlab" sweep "$work/spec.toml" --out "$work/cut" --dry-run >"$work/states.log" 2>&1
check "the killed runs made progress that the resume keeps (cells done or partial)" \
  grep -Eq '  (done|partial)$' "$work/states.log"
"$attnlab" sweep "$work/spec.toml" --out "$work/cut" --workers 2 >"$work/out.log" 2>"$work/err.log"
check "the resumed sweep finishes (exit 0)" test $? -eq 0
for table in metrics.csv final.csv summary.md; do
  check "after 10 kills and resumes, $table is byte-identical to the uninterrupted sweep's" \
    cmp "$work/whole/$table" "$work/cut/$table"
done
finish "sweep killed at random moments"
