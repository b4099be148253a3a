#!/usr/bin/env bash
# End-to-end checks of `attnlab sweep`: cells run as standalone comparisons,
# nothing computed twice, resume after a stop and after a kill, failed cells
# recorded, the sweep folder's safety, and the collected CSVs.
# Usage: sweep_cli_test.sh /path/to/attnlab
attnlab="$1"
source "$(dirname "${BASH_SOURCE[0]}")/../experiments/cli_checks.sh"
source "$(dirname "${BASH_SOURCE[0]}")/small_base.sh"

# Tiny cells: about a second each.
small_base "$work/base.toml" 300.0 8
spec() {  # spec FILE D-VALUES SEEDS [EXTRA...]
  { echo 'base = "base.toml"'; echo '[sweep]'; echo "\"data.D\" = $2"; echo "seeds = $3"; shift 3
    for line in "$@"; do echo "$line"; done; } >"$work/$1"
}
sweep() { "$attnlab" sweep "$@" >"$work/out.log" 2>"$work/err.log"; }
done_lines() { grep -c ': done in ' "$work/err.log"; }
show() { sed 's/^/    /' "$work/out.log" "$work/err.log"; }

# --- a 4-cell sweep with 2 workers ------------------------------------------
spec grid.toml "[30, 40]" 2
if sweep "$work/grid.toml" --out "$work/g" --dry-run && [ "$(grep -c '  missing$' "$work/out.log")" -eq 4 ] &&
   grep -q '^cell  *data.D  *seed  *state$' "$work/out.log" && [ ! -e "$work/g" ]; then
  pass "--dry-run lists 4 missing cells and creates nothing"
else show; fail "--dry-run lists 4 missing cells and creates nothing"; fi
start=$(date +%s.%N)
if sweep "$work/grid.toml" --out "$work/g" --workers 2 && [ "$(done_lines)" -eq 4 ] && grep -q 'ETA' "$work/err.log"; then
  pass "a 4-cell sweep with 2 workers runs every cell, with progress and ETA on stderr"
else show; fail "a 4-cell sweep with 2 workers runs every cell"; fi
echo "  (4 cells, 2 workers: $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s)"
for f in spec.toml cells.csv metrics.csv final.csv summary.md; do
  check "the sweep folder has $f" test -s "$work/g/$f"
done
cell=$(sed -n 3p "$work/g/cells.csv" | cut -d, -f1)
check "each cell folder holds its resolved config and its comparison" \
  test -s "$work/g/cells/$cell/config.toml" -a -s "$work/g/cells/$cell/run/summary.csv"
"$attnlab" compare "$work/g/cells/$cell/config.toml" --out "$work/standalone" >/dev/null 2>&1
check "a cell's metrics.jsonl is byte-identical to a standalone compare of its config" \
  cmp "$work/g/cells/$cell/run/metrics.jsonl" "$work/standalone/metrics.jsonl"

# The collected CSVs: rectangular, one row per cell x activation x log point.
if /usr/bin/python3 - "$work/g" <<'PY'
import csv, sys
folder = sys.argv[1]
for name, rows_expected in (("metrics.csv", 4 * 2 * 9), ("final.csv", 4 * 2)):
    rows = list(csv.reader(open(f"{folder}/{name}", newline="")))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["cell", "data.D", "seed"], header
    assert all(len(r) == len(header) for r in body), name
    assert len(body) == rows_expected, (name, len(body))
try:
    import pandas
    for name in ("metrics.csv", "final.csv"):
        frame = pandas.read_csv(f"{folder}/{name}")
        assert "data.D" in frame.columns and frame["data.D"].dtype.kind == "i"
except ImportError:
    pass
PY
then pass "metrics.csv and final.csv: one row per cell x activation (x log point), every swept key a column"
else fail "metrics.csv and final.csv are tidy CSV"; fi
if grep -q 'softmax − softmax1' "$work/g/summary.md" && grep -q '^| 30 | softmax − softmax1 | 2 |' "$work/g/summary.md"; then
  pass "summary.md: paired differences per grid point over 2 seeds"
else sed 's/^/    /' "$work/g/summary.md"; fail "summary.md: paired differences per grid point"; fi
# The paired difference is the mean of the per-seed differences in final.csv.
expected=$(awk -F, '$2 == 30 && $4 == "softmax" { s += $5 } $2 == 30 && $4 == "softmax1" { s -= $5 } END { printf "%+.4g", s / 2 }' "$work/g/final.csv")
if grep -qF "| 30 | softmax − softmax1 | 2 | $expected |" "$work/g/summary.md"; then
  pass "summary.md: the paired difference is the mean per-seed difference ($expected)"
else grep softmax1 "$work/g/summary.md"; fail "summary.md: the paired difference is the mean per-seed difference ($expected)"; fi
# The figure of the swept key: its four files, linked from summary.md, and
# its data one point per value of data.D for each activation.
missing=""
for ext in png svg dat gp; do [ -s "$work/g/final_test_mse_vs_data_D.$ext" ] || missing+=" $ext"; done
if [ -z "$missing" ] && grep -qF '[final_test_mse_vs_data_D.png](final_test_mse_vs_data_D.png)' "$work/g/summary.md" &&
   grep -qF '(final_test_mse_vs_data_D.svg)' "$work/g/summary.md"; then
  pass "final_test_mse_vs_data_D as PNG, SVG, data and script, linked from summary.md"
else sed 's/^/    /' "$work/g/summary.md"; fail "final_test_mse_vs_data_D figure files and link (missing:$missing)"; fi
if grep -q 'softmax1' "$work/g/final_test_mse_vs_data_D.dat" && grep -q 'Bayes risk' "$work/g/final_test_mse_vs_data_D.dat" &&
   [ "$(grep -cE '^(30|40)[[:space:]]' "$work/g/final_test_mse_vs_data_D.dat")" -eq 6 ]; then
  pass "the figure's data: data.D = 30 and 40 for each activation and the Bayes risk"
else sed 's/^/    /' "$work/g/final_test_mse_vs_data_D.dat"; fail "the figure's data: one point per data.D per series"; fi
# Without gnuplot: one warning, the same tables, no figure linked.
mkdir -p "$work/nognuplot" && cp -r "$work/g/." "$work/nognuplot/" && rm "$work/nognuplot"/final_test_mse_vs_*
if PATH=/nonexistent "$attnlab" sweep collect "$work/nognuplot" >"$work/out.log" 2>"$work/err.log" &&
   grep -q "^warning: gnuplot not found on PATH, so no figures were drawn" "$work/err.log" &&
   cmp -s "$work/g/final.csv" "$work/nognuplot/final.csv" && ! grep -q 'final_test_mse_vs' "$work/nognuplot/summary.md" &&
   [ -z "$(find "$work/nognuplot" -maxdepth 1 -name 'final_test_mse_vs_*')" ]; then
  pass "sweep collect without gnuplot: a warning, the same final.csv, no figure and no link"
else show; fail "sweep collect without gnuplot: a warning, the same final.csv, no figure and no link"; fi

# --- nothing twice ----------------------------------------------------------
cp "$work/g/metrics.csv" "$work/g-metrics.csv"
if sweep "$work/grid.toml" --out "$work/g" --workers 2 && [ "$(done_lines)" -eq 0 ] && grep -q 'running 0 with' "$work/err.log" &&
   cmp -s "$work/g/metrics.csv" "$work/g-metrics.csv"; then
  pass "a rerun computes nothing and collects the same metrics.csv"
else show; fail "a rerun computes nothing"; fi
spec grid.toml "[30, 40, 50]" 2
if sweep "$work/grid.toml" --out "$work/g" --workers 2 && [ "$(done_lines)" -eq 2 ] &&
   [ "$(grep -c 'data.D=50 seed=[0-9]*: done in' "$work/err.log")" -eq 2 ]; then
  pass "a new axis value computes only its 2 new cells"
else show; fail "a new axis value computes only its 2 new cells"; fi
spec grid.toml "[30, 40, 50]" 3
if sweep "$work/grid.toml" --out "$work/g" --workers 2 && [ "$(done_lines)" -eq 3 ] &&
   [ "$(grep -c 'seed=3: done in' "$work/err.log")" -eq 3 ] && [ "$(wc -l <"$work/g/final.csv")" -eq 19 ]; then
  pass "one more seed computes only the 3 new cells"
else show; fail "one more seed computes only the 3 new cells"; fi
if sweep "$work/grid.toml" --out "$work/g" --dry-run && [ "$(grep -c '  done$' "$work/out.log")" -eq 9 ]; then
  pass "--dry-run shows every cell done"
else show; fail "--dry-run shows every cell done"; fi
cp "$work/g/final.csv" "$work/g-final.csv"
rm "$work/g/final.csv"
if "$attnlab" sweep collect "$work/g" >"$work/out.log" 2>&1 && cmp -s "$work/g/final.csv" "$work/g-final.csv"; then
  pass "sweep collect FOLDER writes the same final.csv again"
else show; fail "sweep collect FOLDER"; fi

# --- stop and kill, then resume ---------------------------------------------
# Cells of about a second: a kill after the first done cells leaves others unfinished.
spec long.toml "[30, 40]" 3 '"train.time" = [8000.0]'
sweep "$work/long.toml" --out "$work/whole" --workers 2 || { show; fail "uninterrupted long sweep"; }
# wait_for_done LOG COUNT: until COUNT cells have finished (at most 60 s).
wait_for_done() {
  for _ in $(seq 600); do [ "$(grep -c ': done in ' "$1")" -ge "$2" ] && return 0; sleep 0.1; done; return 1
}
"$attnlab" sweep "$work/long.toml" --out "$work/cut" --workers 2 >"$work/out.log" 2>"$work/err1.log" &
pid=$!
sleep 0.5
expect_error 3 "a second sweep on a folder in use is refused naming the PID" "in use by another attnlab run \\(PID $pid\\)" \
  sweep "$work/long.toml" --out "$work/cut"
wait_for_done "$work/err1.log" 1
kill -TERM "$pid"
wait "$pid"; status=$?
if [ "$status" -eq 143 ] && grep -q 'continue with: attnlab sweep' "$work/err1.log" && [ "$(grep -c ': done in ' "$work/err1.log")" -lt 6 ]; then
  pass "SIGTERM stops the sweep resumable (exit 143) before its end"
else sed 's/^/    /' "$work/err1.log"; fail "SIGTERM stops the sweep resumable (exit $status)"; fi
"$attnlab" sweep "$work/long.toml" --out "$work/cut" --workers 2 >"$work/out.log" 2>"$work/err2.log" &
pid=$!
wait_for_done "$work/err2.log" 1
kill -KILL "$pid"
wait "$pid" 2>/dev/null
# The killed sweep's comparisons are told to stop (SIGTERM when their parent dies).
for _ in $(seq 100); do pgrep -f -- "$work/cut/cells" >/dev/null || break; sleep 0.1; done
if pgrep -f -- "$work/cut/cells" >/dev/null; then fail "no comparison of a killed sweep runs on"
else pass "no comparison of a killed sweep runs on"; fi
"$attnlab" sweep "$work/long.toml" --out "$work/cut" --dry-run >"$work/out.log" 2>&1
if grep -Eq '  (partial|missing)$' "$work/out.log"; then pass "the kill left unfinished cells"
else cat "$work/out.log"; fail "the kill left unfinished cells"; fi
if sweep "$work/long.toml" --out "$work/cut" --workers 2 && cmp -s "$work/whole/metrics.csv" "$work/cut/metrics.csv" &&
   cmp -s "$work/whole/final.csv" "$work/cut/final.csv"; then
  pass "stopped, killed and resumed: the same collected CSVs as an uninterrupted sweep"
else show; fail "stopped, killed and resumed: the same collected CSVs as an uninterrupted sweep"; fi

# --- a failing cell ---------------------------------------------------------
spec failing.toml "[40, 2]" 1
sweep "$work/failing.toml" --out "$work/f" --workers 2; status=$?
bad_cell=$(grep ',2,1$' "$work/f/cells.csv" | cut -d, -f1)
if [ "$status" -ne 0 ] && [ "$(done_lines)" -eq 1 ] && grep -q '^exit status 1$' "$work/f/cells/$bad_cell/failure.txt" &&
   grep -q '^error: ' "$work/f/cells/$bad_cell/failure.txt" && grep -q 'failed (exit status 1)' "$work/f/summary.md"; then
  pass "a failing cell is recorded (exit status, error) while the others finish; exit status $status"
else show; cat "$work/f/cells/$bad_cell/failure.txt"; fail "a failing cell is recorded while the others finish"; fi
if ! sweep "$work/failing.toml" --out "$work/f" && grep -q 'running 0 with' "$work/err.log"; then
  pass "a failed cell is not retried by a rerun, which still exits non-zero"
else show; fail "a failed cell is not retried by a rerun"; fi
if ! sweep "$work/failing.toml" --out "$work/f" --retry-failed && grep -q "$bad_cell .*FAILED" "$work/err.log"; then
  pass "--retry-failed runs the failed cell again"
else show; fail "--retry-failed runs the failed cell again"; fi

# --- the sweep folder's safety and bad specs --------------------------------
mkdir "$work/mine" && echo "notes" >"$work/mine/notes.txt"
expect_error 2 "a folder attnlab did not make is refused, naming it" "sweep folder '$work/mine' already exists and attnlab did not make it" \
  sweep "$work/grid.toml" --out "$work/mine"
check "the user's folder is untouched" bash -c "[ \"\$(ls -A '$work/mine')\" = notes.txt ]"
expect_error 2 "a comparison's folder is refused as a sweep folder" "is an attnlab results folder, not a sweep's" \
  sweep "$work/grid.toml" --out "$work/standalone"
expect_error 2 "another spec's sweep folder is refused, naming its spec" "holds the sweep of spec '.*grid.toml', not of '.*failing.toml'" \
  sweep "$work/failing.toml" --out "$work/g"
printf '[sweep]\n"data.D" = [40]\n[[sweep.zip]]\n"model.heads" = [1, 2]\n"train.time" = [10.0]\n' >"$work/bad.toml"
expect_error 2 "zipped lists of different lengths are refused naming the keys and file" "bad.toml.*'model.heads' has 2.*'train.time' has 1" \
  sweep "$work/bad.toml" --out "$work/b"
printf '[sweep]\n"model.head" = [1, 2]\n' >"$work/bad.toml"
expect_error 2 "an unknown config key on an axis is refused naming it" "bad.toml.*unknown config key 'model.head'" \
  sweep "$work/bad.toml" --out "$work/b"
expect_error 2 "collect of a folder that is no sweep's is refused" "is not an attnlab sweep folder" sweep collect "$work/standalone"

# The README's example spec stays valid: 2 heads x 3 strengths x 3 seeds.
example="$(dirname "${BASH_SOURCE[0]}")/../../examples/sweeps/signal_heads.toml"
if sweep "$example" --out "$work/example" --dry-run && [ "$(grep -c '  missing$' "$work/out.log")" -eq 18 ]; then
  pass "examples/sweeps/signal_heads.toml expands to 18 cells"
else show; fail "examples/sweeps/signal_heads.toml expands to 18 cells"; fi

finish "sweep CLI"
