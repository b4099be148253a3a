#!/usr/bin/env bash
# `attnlab reproduce` through the CLI on one seed: the pruning experiment
# (which trains, checkpoints in memory, prunes, plots and reports), the
# results-folder rules, and an unknown experiment name.
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

finish "reproduce CLI"
