#!/usr/bin/env bash
# End-to-end checks of checkpoints and `attnlab prune` through the CLI: a tiny
# comparison writes one checkpoint per activation, prune reads them back on
# the run's own test set, and bad checkpoints fail with one line naming the file.
# Usage: prune_cli_test.sh /path/to/attnlab /path/to/attnlab_resign_checkpoint
attnlab="$1"
resign="$2"  # tests/tools/resign_checkpoint
source "$(dirname "${BASH_SOURCE[0]}")/cli_checks.sh"

tiny=(--set train.time=20 --set data.D=30 --set eval.test_size=256 --set eval.bayes_samples=1000
      --set eval.log_points=2)
"$attnlab" compare "${tiny[@]}" --out "$work/run" >"$work/compare.log" 2>&1 || { cat "$work/compare.log"; fail "tiny comparison runs"; }
"$attnlab" compare "${tiny[@]}" --set seed=2 --out "$work/run2" >"$work/compare.log" 2>&1 || fail "second comparison runs"

for id in softmax softmax1 bayes-softmax; do
  check "compare writes checkpoints/$id.ckpt" test -s "$work/run/checkpoints/$id.ckpt"
done
check "a checkpoint starts with its magic and format version" \
  grep -qx 'attnlab-checkpoint 2' <(head -n 1 "$work/run/checkpoints/softmax.ckpt")

ckpts=("$work/run/checkpoints/softmax.ckpt" "$work/run/checkpoints/softmax1.ckpt" "$work/run/checkpoints/bayes-softmax.ckpt")
if "$attnlab" prune "${ckpts[@]}" --random-orders 5 --out "$work/pruned" >"$work/prune.log" 2>&1; then
  pass "prune runs on three checkpoints"
else cat "$work/prune.log"; fail "prune runs on three checkpoints"; fi
cat "$work/prune.log"
check "prune prints one column per checkpoint" \
  grep -Eq '^  k  softmax +softmax1 +bayes-softmax$' "$work/prune.log"
check "prune prints a row per k = 0..3" grep -Eq '^  3  [0-9.e-]+ +[0-9.e-]+ \+- ' "$work/prune.log"
check "prune prints the greedy removal order" grep -Eq '^  softmax1 +[0-3] [0-3] [0-3]$' "$work/prune.log"
check "pruning.csv has a header and 3 x 4 rows" test "$(wc -l <"$work/pruned/pruning.csv")" -eq 13

# With every head the error is the run's own final test error, to the last digit.
final_softmax=$(grep '"activation":"softmax"' "$work/run/metrics.jsonl" | tail -n 1 | grep -o '"test_mse":[^,}]*' | cut -d: -f2)
k0_softmax=$(grep ',softmax,0,' "$work/pruned/pruning.csv" | cut -d, -f4)
if [ -n "$final_softmax" ] && [ "$final_softmax" = "$k0_softmax" ]; then
  pass "k = 0 equals the run's final test error ($k0_softmax)"
else fail "k = 0 equals the run's final test error ('$k0_softmax' vs '$final_softmax')"; fi

if ! "$attnlab" prune "${ckpts[0]}" --out "$work/pruned" >"$work/err.log" 2>&1 && grep -q "already exists" "$work/err.log"; then
  pass "an existing --out folder is refused"
else fail "an existing --out folder is refused"; fi
check "--force replaces the --out folder" "$attnlab" prune "${ckpts[0]}" --random-orders 2 --out "$work/pruned" --force

# --- bad checkpoints: one line naming the file, non-zero exit ----------------
# Edited after attnlab wrote it: refused by the checksum, whatever the edit.
sed 's/^activation = softmax$/activation = softmax1/' "${ckpts[0]}" >"$work/edited.ckpt"
expect_error 1 "an edited activation id is refused as corrupt" \
  "^error: checkpoint '$work/edited.ckpt': corrupt: its checksum is fnv1a64:[0-9a-f]{16}, the end marker says fnv1a64:[0-9a-f]{16} \(the file was altered or damaged after attnlab wrote it\)$" \
  prune "$work/edited.ckpt" --out "$work/x1"
sed 's/^delta = .*$/delta = 0.7/' "${ckpts[0]}" >"$work/edited-config.ckpt"
expect_error 1 "an edited config inside a checkpoint is refused as corrupt" \
  "^error: checkpoint '$work/edited-config.ckpt': corrupt: its checksum is " prune "$work/edited-config.ckpt"
# Consistent on disk but wrong inside (re-signed): the checks behind the checksum.
sed 's/^activation = softmax$/activation = softmaks/' "${ckpts[0]}" >"$work/unknown-unsigned.ckpt"
"$resign" "$work/unknown-unsigned.ckpt" "$work/unknown.ckpt"
expect_error 1 "unknown activation id" \
  "^error: checkpoint '$work/unknown.ckpt': unknown activation plugin 'softmaks'" \
  prune "$work/unknown.ckpt" --out "$work/x1"
head -c 1500 "${ckpts[0]}" >"$work/cut.ckpt"
expect_error 1 "truncated checkpoint" "^error: checkpoint '$work/cut.ckpt': truncated: " prune "$work/cut.ckpt"
printf 'seed = 1\n' >"$work/foreign.ckpt"
expect_error 1 "not a checkpoint" "^error: checkpoint '$work/foreign.ckpt': not an attnlab checkpoint" \
  prune "$work/foreign.ckpt"
expect_error 1 "missing checkpoint" "^error: checkpoint '$work/none.ckpt': file does not exist" prune "$work/none.ckpt"
expect_error 1 "checkpoints of different seeds" \
  "^error: checkpoints '${ckpts[0]}' and '$work/run2/checkpoints/softmax1.ckpt' do not share one data config and seed \(seed 1 vs 2\)" \
  prune "${ckpts[0]}" "$work/run2/checkpoints/softmax1.ckpt"
sed 's/^D = 30$/D = 40/' "${ckpts[0]}" >"$work/wide-unsigned.ckpt"
"$resign" "$work/wide-unsigned.ckpt" "$work/wide.ckpt"
expect_error 1 "a model whose D differs from its config's" \
  "^error: checkpoint '$work/wide.ckpt': its model has D = 30, L = 8, but its config's data model has D = 40, L = 8$" \
  prune "$work/wide.ckpt"
if [ -e "$work/x1" ]; then fail "a failed prune leaves no --out folder"; else pass "a failed prune leaves no --out folder"; fi

finish "prune CLI"
