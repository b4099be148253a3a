#!/usr/bin/env bash
# End-to-end checks of `attnlab compare` and `attnlab bayes-risk` through the
# CLI: reproducibility, resume after a kill, and one-line errors for bad input.
# Usage: compare_cli_test.sh /path/to/attnlab /path/to/fixture-plugins (holding good/ and bad/)
attnlab="$1"
fixtures="$2"
source "$(dirname "${BASH_SOURCE[0]}")/cli_checks.sh"

# A small comparison that still logs many points.
small=(--set data.D=40 --set data.L=5 --set train.time=400 --set eval.test_size=256
       --set eval.log_points=12 --set eval.bayes_samples=2000)

run() { "$attnlab" compare "${small[@]}" "$@" >"$work/last.log" 2>&1; }

# --- reproducibility -------------------------------------------------------
run --out "$work/a" && run --out "$work/b" || { cat "$work/last.log"; fail "small comparison runs"; }
if cmp -s "$work/a/metrics.jsonl" "$work/b/metrics.jsonl"; then pass "same seed: byte-identical metrics.jsonl"
else fail "same seed: byte-identical metrics.jsonl"; fi
run --out "$work/t1" --set train.threads=1 && run --out "$work/t2" --set train.threads=2
if cmp -s "$work/t1/metrics.jsonl" "$work/t2/metrics.jsonl" && cmp -s "$work/a/metrics.jsonl" "$work/t1/metrics.jsonl"; then
  pass "1 and 2 threads: byte-identical metrics.jsonl"
else fail "1 and 2 threads: byte-identical metrics.jsonl"; fi
run --out "$work/s2" --set seed=2
if ! cmp -s "$work/a/metrics.jsonl" "$work/s2/metrics.jsonl"; then pass "different seeds differ"
else fail "different seeds differ"; fi
lines=$(wc -l <"$work/a/metrics.jsonl")
if [ "$lines" -ge 30 ] && [ $((lines % 3)) -eq 0 ]; then pass "metrics: one line per model per log point ($lines)"
else fail "metrics: one line per model per log point ($lines)"; fi
for f in config.toml summary.csv summary.txt attnlab.log; do
  if [ -s "$work/a/$f" ]; then pass "results folder has $f"; else fail "results folder has $f"; fi
done

# --- figures -----------------------------------------------------------------
missing=""
for figure in test_error overlaps_{softmax,softmax1,bayes-softmax} final_overlaps_{softmax,softmax1,bayes-softmax}; do
  for ext in png svg dat gp; do [ -s "$work/a/$figure.$ext" ] || missing="$missing $figure.$ext"; done
done
if [ -z "$missing" ]; then pass "figures as PNG and SVG with their data and gnuplot script"
else fail "figures as PNG and SVG with their data and gnuplot script (missing:$missing)"; fi
if [ -z "$(find "$work/a" -name '*.tmp')" ]; then pass "no temporary file or folder is left"
else find "$work/a" -name '*.tmp'; fail "no temporary file or folder is left"; fi
cp -r "$work/a" "$work/redrawn" && rm "$work/redrawn/overlaps_softmax.png"
if (cd "$work/redrawn" && gnuplot -d overlaps_softmax.gp) && cmp -s "$work/a/overlaps_softmax.png" "$work/redrawn/overlaps_softmax.png"; then
  pass "gnuplot -d NAME.gp redraws a figure from the results folder"
else fail "gnuplot -d NAME.gp redraws a figure from the results folder"; fi
# Without gnuplot: one warning, no figures, the same numbers.
if PATH=/nonexistent "$attnlab" compare "${small[@]}" --out "$work/plain" >"$work/last.log" 2>&1 &&
   [ "$(grep -c 'gnuplot' "$work/last.log")" -eq 1 ] &&
   grep -q "^warning: gnuplot not found on PATH, so no figures were drawn" "$work/last.log" &&
   [ -s "$work/plain/summary.csv" ] && [ -z "$(find "$work/plain" -name '*.png' -o -name '*.gp' -o -name '*.tmp')" ] &&
   cmp -s "$work/a/metrics.jsonl" "$work/plain/metrics.jsonl"; then
  pass "without gnuplot the run finishes with its numbers, no figures and one warning"
else cat "$work/last.log"; fail "without gnuplot the run finishes with its numbers, no figures and one warning"; fi
if grep -q '^# plugin activation softmax 1.0.0 fnv1a64:' "$work/a/config.toml" && grep -q '^seed = 1' "$work/a/config.toml"; then
  pass "config.toml records seed, plugin versions and file hashes"
else fail "config.toml records seed, plugin versions and file hashes"; fi
if [ "$(grep -c ',ok,' "$work/a/summary.csv")" -eq 3 ]; then pass "summary.csv: one ok row per activation"
else fail "summary.csv: one ok row per activation"; fi

# --- several seeds ---------------------------------------------------------
run --out "$work/seeds" --seeds 2 || { cat "$work/last.log"; fail "--seeds 2 runs"; }
if cmp -s "$work/a/metrics.jsonl" "$work/seeds/seed-1/metrics.jsonl" &&
   cmp -s "$work/s2/metrics.jsonl" "$work/seeds/seed-2/metrics.jsonl"; then
  pass "--seeds 2: seed-1/ and seed-2/ equal single runs with seed 1 and seed 2"
else fail "--seeds 2: seed-1/ and seed-2/ equal single runs with seed 1 and seed 2"; fi
# The summary's mean is the mean of the two single runs' final test MSE.
expected=$(awk -F, '$1 == "softmax" { s += $2 } END { printf "%.6f", s / 2 }' "$work/a/summary.csv" "$work/s2/summary.csv")
got=$(awk -F, '$1 == "softmax" { printf "%.6f", $4 }' "$work/seeds/summary.csv")
if [ -n "$got" ] && [ "$got" = "$expected" ]; then pass "--seeds summary: mean over seeds ($got)"
else fail "--seeds summary: mean over seeds (got '$got', expected '$expected')"; fi
# The paired difference is the mean of the per-seed differences.
expected=$(awk -F, '$1 == "softmax" { s += $2 } $1 == "softmax1" { s -= $2 } END { printf "%.6f", s / 2 }' \
  "$work/a/summary.csv" "$work/s2/summary.csv")
got=$(awk -F, '$1 == "softmax" && $2 == "softmax1" && $3 == 2 { printf "%.6f", $4 }' "$work/seeds/paired_differences.csv")
if [ -n "$got" ] && [ "$got" = "$expected" ] && grep -q "^softmax - softmax1 " "$work/seeds/summary.txt"; then
  pass "--seeds: paired difference softmax - softmax1 is the mean per-seed difference ($got)"
else fail "--seeds: paired difference softmax - softmax1 (got '$got', expected '$expected')"; fi
# Each seed's summary gives the Bayes predictor's error on that seed's test
# set; it differs from the population estimate by the test set's sampling
# error, not by more than the Bayes risk itself.
if awk -F, 'NR == 2 { b = $9; r = $3 } END { exit !(b > 0 && b < 2 * r && b > r / 2) }' "$work/a/summary.csv" &&
   grep -q "vs Bayes" "$work/a/summary.txt"; then
  pass "summary: the Bayes predictor's error on the same test set"
else fail "summary: the Bayes predictor's error on the same test set"; fi
if grep -q "± " "$work/seeds/summary.txt"; then pass "--seeds summary.txt shows standard errors"
else fail "--seeds summary.txt shows standard errors"; fi
if "$attnlab" compare --out "$work/seeds" --seeds 2 --resume >"$work/last.log" 2>&1 && grep -q "already finished" "$work/last.log"; then
  pass "--seeds --resume skips finished seeds"
else fail "--seeds --resume skips finished seeds"; fi

# --- existing folders, resume after a kill --------------------------------
if ! run --out "$work/a" && grep -q "results folder '$work/a' already exists" "$work/last.log"; then
  pass "an existing results folder is refused"
else fail "an existing results folder is refused"; fi
run --out "$work/a" --force && pass "--force replaces a results folder" || fail "--force replaces a results folder"
if "$attnlab" compare --out "$work/a" --resume >"$work/last.log" 2>&1 && grep -q "already finished" "$work/last.log"; then pass "--resume skips a finished run"
else fail "--resume skips a finished run"; fi

long=(--set train.time=6000)
run --out "$work/full" "${long[@]}" || fail "uninterrupted long run"
# Kill at several moments; each resume must end with the uninterrupted result.
for delay in 0.3 1.0; do
  rm -rf "$work/killed"
  (timeout -s KILL "$delay" "$attnlab" compare "${small[@]}" "${long[@]}" --out "$work/killed") >/dev/null 2>&1
  if [ -f "$work/killed/config.toml" ]; then
    "$attnlab" compare --out "$work/killed" --resume >"$work/last.log" 2>&1 || { cat "$work/last.log"; fail "resume after kill at ${delay}s"; continue; }
  else
    run --out "$work/killed" "${long[@]}" --force  # killed before anything was written
  fi
  if cmp -s "$work/full/metrics.jsonl" "$work/killed/metrics.jsonl"; then
    pass "kill at ${delay}s + --resume: metrics identical to an uninterrupted run"
  else fail "kill at ${delay}s + --resume: metrics identical to an uninterrupted run"; fi
done

# --- bad input: one line naming the culprit, non-zero exit -----------------
printf 'seed = 1\n[model\nheads = 2\n' >"$work/bad.toml"
expect_error 2 "malformed TOML" "bad.toml:2:.*malformed TOML" compare "$work/bad.toml" --out "$work/x1"
expect_error 2 "unknown key" "unknown config key 'model.head'" compare --set model.head=3 --out "$work/x2"
expect_error 2 "unknown activation" "unknown activation plugin 'softmaks'.*available: .*softmax" \
  compare --set 'activations=["softmaks"]' --out "$work/x3"
expect_error 2 "unknown data model" "unknown data-model plugin 'nope'" compare --set data.plugin=nope --out "$work/x4"
expect_error 2 "D < F + 1" "D = 3 must be at least F \+ 1 = 4" compare --set data.D=3 --out "$work/x5"
expect_error 2 "L = 0" "L = 0 must be at least 1" compare --set data.L=0 --out "$work/x6"
expect_error 2 "H = 0" "config key 'model.heads' = 0 is out of range" compare --set model.heads=0 --out "$work/x7"
expect_error 2 "negative std" "std.*-1" compare --set 'data.std=[1, -1, 1]' --out "$work/x8"
printf '[data]\nplugin = "single-location"\nprior = "discrete"\nsupport = [[1.0], [-1.0]]\nweights = [0.0, 0.0]\n' \
  >"$work/discrete.toml"
expect_error 2 "weights without a positive sum" "weights.*positive" compare "$work/discrete.toml" --out "$work/x9"
expect_error 2 "unknown data parameter" "unknown parameter 'colour'" compare --set data.colour=1 --out "$work/x10"
expect_error 2 "unknown optimizer" "unknown optimizer plugin 'sgdd'" compare --set train.optimizer=sgdd --out "$work/x11"
expect_error 2 "D beyond the integer range" \
  "invalid parameters: parameter 'D' = 9223372036854775807 is out of range for an integer \(at most 9e15 in magnitude\)$" \
  compare --set data.D=9223372036854775807 --out "$work/x12"
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
  [ -e "$work/x$i" ] && fail "failed setup left a results folder x$i behind"
done

# --- plugin search path ------------------------------------------------------
# A broken file on ATTNLAB_PLUGIN_PATH is a warning; a second file with an id
# already loaded is an error naming both files, as for every command.
if ATTNLAB_PLUGIN_PATH="$fixtures/bad" run --out "$work/warned" &&
   grep -q "^warning: cannot load plugin '.*/bad/fixture-abi-major.so': " "$work/last.log"; then
  pass "a broken plugin file on the search path is a warning"
else cat "$work/last.log"; fail "a broken plugin file on the search path is a warning"; fi
ATTNLAB_PLUGIN_PATH="$fixtures/good:$fixtures/bad" expect_error 1 "a duplicate id on the search path is an error" \
  "^error: cannot load plugin '/.*/bad/fixture-duplicate-id[.]so': duplicate id 'fixture-good', already provided by '/.*/good/fixture-good[.]so'$" \
  compare "${small[@]}" --out "$work/x13"
[ -e "$work/x13" ] && fail "a duplicate id left a results folder behind"

# --- bayes-risk --------------------------------------------------------------
if "$attnlab" bayes-risk --set data.delta=0.5 --set 'data.std=[0,0,0]' --set 'data.mean=[0,0,0]' --set data.L=4 \
  --samples 1000 >"$work/bayes.log" 2>&1 && grep -q "Bayes risk = 1 +- 0 " "$work/bayes.log"; then
  pass "bayes-risk: no signal gives delta^2 + 1 - 1/L = 1.0 exactly"
else cat "$work/bayes.log"; fail "bayes-risk: no signal gives delta^2 + 1 - 1/L"; fi

# Prior weights are normalized without overflow: [1e308, 1e308] is [1, 1].
for w in "1, 1" "1e308, 1e308" "1e-320, 1e-320"; do
  printf '[data]\nplugin = "single-location"\nprior = "discrete"\nsupport = [[1.0], [-1.0]]\nweights = [%s]\n' "$w" \
    >"$work/weights.toml"
  "$attnlab" bayes-risk "$work/weights.toml" --samples 1000 >"$work/weights-$w.log" 2>&1
done
if grep -q "^Bayes risk = " "$work/weights-1, 1.log" && cmp -s "$work/weights-1, 1.log" "$work/weights-1e308, 1e308.log" &&
   cmp -s "$work/weights-1, 1.log" "$work/weights-1e-320, 1e-320.log"; then
  pass "bayes-risk: weights [1e308, 1e308] and [1e-320, 1e-320] give the risk of [1, 1]"
else cat "$work"/weights-*.log; fail "bayes-risk: weights [1e308, 1e308] and [1e-320, 1e-320] give the risk of [1, 1]"; fi

finish "compare CLI"
