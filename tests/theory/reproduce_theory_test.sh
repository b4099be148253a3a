#!/usr/bin/env bash
# `attnlab reproduce theory --quick`: the validation of the limit against
# simulations at three small dimensions runs, writes its tables, data and
# figures, and at the largest D every built-in activation meets the target
# (each log point's seed-mean risk within 0.01 of the limit or within 3
# standard errors). Usage: reproduce_theory_test.sh /path/to/attnlab
attnlab="$1"
source "$(dirname "${BASH_SOURCE[0]}")/../experiments/cli_checks.sh"

if "$attnlab" reproduce theory --quick --out "$work/v" >"$work/run.log" 2>&1; then
  pass "reproduce theory --quick runs"
else
  sed 's/^/    /' "$work/run.log"; fail "reproduce theory --quick runs"
fi
report="$work/v/report.md"
for file in report.md report.html theory/theory_risks.csv theory/theory_gaps.csv theory/theory_gap_by_time.csv theory/config_default.toml \
            theory/theory_default_softmax.png theory/theory_discrete_bayes-softmax.svg; do
  check "writes $file" test -s "$work/v/$file"
done
# One risk line per prior, activation, D, seed and log point.
lines=$(($(wc -l <"$work/v/theory/theory_risks.csv") - 1))
check "theory_risks.csv holds every log point ($lines lines)" test "$lines" -ge $((2 * 3 * 3 * 2 * 6))
for prior in default discrete; do
  for activation in softmax softmax1 bayes-softmax; do
    row=$(grep -E "^\| $prior \| $activation \| 320 \| [0-9]+ of [0-9]+ \|" "$report" | head -1)
    met=$(echo "$row" | sed -E 's/.*\| ([0-9]+) of ([0-9]+) \|.*/\1 \2/')
    read -r got all <<<"$met"
    if [ -n "$row" ] && [ "$got" = "$all" ]; then pass "$prior, $activation: every log point within target at D = 320"
    else echo "  row: $row"; fail "$prior, $activation: every log point within target at D = 320"; fi
  done
done
# Log point by log point, where the finite-size gap stands above the limit's
# band: between D = 40 and 320 (8x) a gap of order D^-1/2 to D^-1 falls by
# 3x to 8x, far more than two seeds' scatter, so its median slope is well
# below 0; -0.25 leaves room for that scatter (measured: -0.63 to -0.85).
for prior in default discrete; do
  for activation in softmax softmax1 bayes-softmax; do
    row=$(grep -E "^\| $prior \| $activation \| [0-9]+ of [0-9]+ \| [0-9]+ \| -?[0-9.]+ \|" "$report" | head -1)
    read -r resolved slope <<<"$(echo "$row" | sed -E 's/^\| [a-z]+ \| [a-z0-9-]+ \| ([0-9]+) of [0-9]+ \| [0-9]+ \| (-?[0-9.]+) \|.*/\1 \2/')"
    if [ -n "$row" ] && [ "$resolved" -ge 3 ] && awk -v s="$slope" 'BEGIN { exit !(s < -0.25) }'; then
      pass "$prior, $activation: the resolved gap shrinks with D (median slope $slope over $resolved points)"
    else echo "  row: $row"; fail "$prior, $activation: the resolved gap shrinks with D"; fi
  done
done
# The fitted exponents are numbers (a failed fit would leave nan).
check "a fitted exponent per activation and prior" test "$(grep -cE '^\| (default|discrete) \| [a-z0-9-]+ \| -?[0-9]+\.[0-9]+ \|$' "$report")" -ge 6
finish "reproduce theory --quick"
