#!/usr/bin/env bash
# End-to-end checks that users' results stay safe and bad input gets the
# right one-line error, through the CLI: multi-seed resume, checked run
# states and checkpoints, sizes checked before work, a full disk, flushed
# logs, stdout errors, option ranges, config types, the optimizer's step.
# Usage: safety_cli_test.sh /path/to/attnlab [multi-seed run time]
# (the sanitizer build passes a shorter multi-seed run: every step is
# several times slower there, and a quarter of the time still outlasts the
# stop during seed 2)
attnlab="$1"
seeds_time="${2:-20000}"
source "$(dirname "${BASH_SOURCE[0]}")/cli_checks.sh"
cd "$work"

small=(--set data.D=30 --set data.L=4 --set train.time=2000 --set eval.test_size=128
       --set eval.log_points=10 --set eval.bayes_samples=1000)
run() { "$attnlab" compare "${small[@]}" "$@" >last.log 2>&1; }

# --- multi-seed resume ------------------------------------------------------
run --seeds 3 --out seeds-reference || { cat last.log; fail "--seeds 3 runs"; }
# Stop during seed 2 (SIGINT: deterministic, the same as a kill for resuming).
"$attnlab" compare "${small[@]}" --set train.time="$seeds_time" --seeds 3 --out seeds-long-reference >/dev/null 2>&1
"$attnlab" compare "${small[@]}" --set train.time="$seeds_time" --seeds 3 --out ms >ms.log 2>&1 &
pid=$!
for _ in $(seq 400); do grep -q "training" ms/seed-2/attnlab.log 2>/dev/null && break; sleep 0.05; done
kill -INT "$pid"; wait "$pid"
check "stopped during seed 2: seed 3 not started" test ! -e ms/seed-3/config.toml
expect_error 2 "--resume --seeds 2 on a 3-seed folder is refused" \
  "^error: 'ms' holds a run of 3 seeds; resume it with --seeds 3 or without --seeds$" compare --out ms --resume --seeds 2
if "$attnlab" compare --out ms --resume >resume.log 2>&1 && grep -q "over 3 seeds" resume.log &&
   cmp -s seeds-long-reference/summary.csv ms/summary.csv &&
   cmp -s seeds-long-reference/seed-3/metrics.jsonl ms/seed-3/metrics.jsonl &&
   cmp -s seeds-long-reference/seed-2/metrics.jsonl ms/seed-2/metrics.jsonl; then
  pass "--resume (no --seeds) finishes every seed and the summary, identical to an uninterrupted run"
else sed 's/^/    /' resume.log; fail "--resume (no --seeds) finishes every seed and the summary"; fi
if "$attnlab" compare --out ms --resume --seeds 3 >resume.log 2>&1 && grep -q "already finished" resume.log; then
  pass "--resume --seeds 3 on a finished 3-seed folder does nothing more"
else fail "--resume --seeds 3 on a finished 3-seed folder does nothing more"; fi

# --- default folders: unique even for runs started in the same second -------
mkdir same-second && (cd same-second &&
  { "$attnlab" compare "${small[@]}" --set train.time=50 >one.log 2>&1 & "$attnlab" compare "${small[@]}" --set train.time=50 >two.log 2>&1; wait; })
folders=$(ls -d same-second/results/compare-* 2>/dev/null | wc -l)
finished=$(ls same-second/results/compare-*/summary.csv 2>/dev/null | wc -l)
check "two runs started together with the default --out get two folders, both finished ($folders, $finished)" \
  test "$folders" -eq 2 -a "$finished" -eq 2

# --- run states: damaged, foreign, edited config ----------------------------
"$attnlab" compare "${small[@]}" --set train.time=20000 --out part >/dev/null 2>&1 &
pid=$!
for _ in $(seq 400); do [ -s part/checkpoint.bin ] && break; sleep 0.05; done
sleep 0.2; kill -INT "$pid"; wait "$pid"
cp part/checkpoint.bin good.bin
# Flip one bit in 20 places: each resume is refused, naming the file.
refused=0
size=$(stat -c %s good.bin)
for i in $(seq 20); do
  offset=$(( (i * 7919) % size ))
  cp good.bin part/checkpoint.bin
  byte=$(od -An -tu1 -j "$offset" -N1 good.bin | tr -d ' ')
  printf "$(printf '\\%03o' $(( byte ^ (1 << (i % 8)) )))" | dd of=part/checkpoint.bin bs=1 seek="$offset" conv=notrunc status=none
  if ! "$attnlab" compare --out part --resume >flip.log 2>&1 && grep -q "^error: checkpoint 'part/checkpoint.bin': " flip.log; then
    refused=$((refused + 1))
  else sed 's/^/    /' flip.log | head -3; fi
done
check "20 single-bit flips in checkpoint.bin: all 20 refused, naming the file ($refused)" test "$refused" -eq 20
head -c 100 good.bin >part/checkpoint.bin
expect_error 2 "a cut checkpoint.bin names the file" \
  "^error: checkpoint 'part/checkpoint.bin': damaged: its checksum does not match its content \(cut short or altered\)$" \
  compare --out part --resume
run --set seed=2 --out other-seed
cp other-seed/checkpoint.bin part/checkpoint.bin
expect_error 2 "another seed's checkpoint.bin is refused, saying what differs" \
  "^error: checkpoint 'part/checkpoint.bin': it was written for another config \(checkpoint vs now: seed = 2 vs 1; train.time = 2000 vs 20000\)$" \
  compare --out part --resume
cp good.bin part/checkpoint.bin
sed -i 's/^delta = .*/delta = 0.5/' part/config.toml
expect_error 2 "an edited config.toml is refused before resuming" \
  "^error: checkpoint 'part/checkpoint.bin': it was written for another config \(checkpoint vs now: data.delta = 0.1 vs 0.5\)$" \
  compare --out part --resume

# --- sizes and types, before any work ---------------------------------------
expect_error 2 "a folder as config" "^error: config file '/tmp' is a folder, not a TOML file$" compare /tmp --out x1
expect_error 2 "data.D as a string" \
  "^error: plugin 'single-location' \(.*\): invalid parameters: parameter 'D' must be a number, got the string \"100\"$" \
  compare --set 'data.D="100"' --out x2
expect_error 2 "activation_params = 3" \
  "^error: config key 'activation_params' must be a table of \[activation_params.<id>\] tables, found an integer \(3\)$" \
  compare --set activation_params=3 --out x3
expect_error 2 "train = 3" "^error: config key 'train' must be a table \(\[train\]\), found an integer \(3\)$" \
  compare --set train=3 --out x4
expect_error 2 "eval = 3" "^error: config key 'eval' must be a table \(\[eval\]\), found an integer \(3\)$" \
  compare --set eval=3 --out x5
expect_error 2 "model.heads as a string" "^error: config key 'model.heads' must be an integer, found a string \(\"4\"\)$" \
  compare --set 'model.heads="4"' --out x6
start=$(date +%s)
expect_error 2 "D = 1e7: refused by its size, naming the keys" \
  "^error: the run needs about .* of memory, more than the .* available; most of it is the test set \(eval.test_size = 4096 x L = 8 x data.D = 10000000 numbers\): " \
  compare --set data.D=10000000 --out x7
check "D = 1e7 is refused at once, not after drawing a test set" test $(( $(date +%s) - start )) -le 60
expect_error 2 "seed range checked before the first seed runs" \
  "^error: --seeds 3 from seed 9223372036854775807 goes past the largest seed, 9223372036854775807; lower seed or --seeds$" \
  compare --set seed=9223372036854775807 --seeds 3 --out x8
expect_error 2 "reproduce: seed range checked before anything runs" \
  "^error: --first-seed 9223372036854775807 with 2 seeds goes past the largest seed, 9223372036854775807$" \
  reproduce all --quick --seeds 2 --first-seed 9223372036854775807 --out x9
for i in 1 2 3 4 5 6 7 8 9; do [ -e "x$i" ] && fail "a refused run left its folder x$i behind"; done
# Many heads: the record stays small (no H x H Gram matrices beyond eval.max_gram_heads).
run --set model.heads=20 --set train.time=50 --out many-heads || { cat last.log; fail "20 heads run"; }
if ! grep -q key_gram many-heads/metrics.jsonl && grep -q key_overlaps many-heads/metrics.jsonl &&
   run --set model.heads=20 --set eval.max_gram_heads=20 --set train.time=50 --out many-heads-grams &&
   grep -q key_gram many-heads-grams/metrics.jsonl; then
  pass "Gram matrices only up to eval.max_gram_heads (default 16)"
else fail "Gram matrices only up to eval.max_gram_heads (default 16)"; fi
run --set train.time=100 --out for-prune
expect_error 2 "prune --test-size 1e8 refused by its size" \
  "^error: the run needs about .* of memory, more than the .* available; most of it is the test set \(--test-size = 100000000 x L = 4 x D = 30 numbers\): " \
  prune for-prune/checkpoints/softmax.ckpt --test-size 100000000

# --- option ranges ----------------------------------------------------------
expect_error 3 "--seeds 0" "^--seeds: must be a whole number from 1 to 100000, got '0'$" compare --seeds 0
expect_error 3 "--seeds abc" "^--seeds: must be a whole number from 1 to 100000, got 'abc'$" compare --seeds abc
expect_error 3 "reproduce --threads 0" "^--threads: must be a whole number from 1 to 1024, got '0'$" reproduce all --threads 0
expect_error 3 "reproduce --seeds 0" "^--seeds: must be a whole number from 1 to 100000, got '0'$" reproduce all --seeds 0
expect_error 3 "prune --seed -1" "^--seed: must be a whole number from 0 up, got '-1'$" prune x.ckpt --seed -1

# --- refusals suggest only flags the command has ----------------------------
mkdir -p taken && touch taken/file
expect_error 2 "reproduce: an existing folder, --resume suggested (reproduce has it)" \
  "^error: results folder 'taken' already exists; use --resume to continue it or --force to replace it$" \
  reproduce all --out taken
expect_error 2 "prune: an existing folder, no --resume suggested" \
  "^error: results folder 'taken' already exists; use --force to replace it or choose another --out$" \
  prune for-prune/checkpoints/softmax.ckpt --out taken

# --- the log survives a kill; stdout errors are errors -----------------------
("$attnlab" compare "${small[@]}" --set train.time=50000 --out killed-log >/dev/null 2>&1 &
 pid=$!; for _ in $(seq 400); do [ -s killed-log/checkpoint.bin ] && break; sleep 0.05; done; kill -KILL "$pid"; wait "$pid") 2>/dev/null
check "attnlab.log holds the start line after SIGKILL" grep -q "training 3 model(s)" killed-log/attnlab.log
"$attnlab" compare --print-default-config >/dev/full 2>full.log
status=$?
if [ "$status" -ne 0 ] && grep -q "^error: cannot write to standard output: No space left on device$" full.log; then
  pass "a summary that cannot be written to stdout fails the command"
else cat full.log; fail "a summary that cannot be written to stdout fails the command (exit $status)"; fi

# --- the optimizer's step is said, not silently changed ----------------------
run --set train.time=50 --set train.optimizer=sgd-sphere --out sphere
if grep -q "^warning: train.optimizer = 'sgd-sphere' keeps the default's step (eta = 0.1, lr_scale = \"none\"); set train.optimizer_params.<key> to change it$" last.log &&
   grep -q "with sgd-sphere (eta = 0.1, lr_scale = \"none\")" last.log &&
   grep -A3 '^ *\[train.optimizer_params\]' sphere/config.toml | grep -q '^ *eta = 0.1'; then
  pass "another optimizer keeps the default's step, says so, and the config records it"
else cat last.log; fail "another optimizer keeps the default's step, says so, and the config records it"; fi

# --- a full disk: a clear message, nothing half-finished, resumable ----------
# A private mount namespace and a small tmpfs: needs root and unshare.
if [ "$(id -u)" -eq 0 ] && unshare -m true 2>/dev/null; then
  run --set train.time=300 --out disk-reference
  # Disks that fill at different moments: during training, at the checkpoint,
  # while writing the finished outputs. Each: a clear message, nothing
  # half-finished, and after freeing space a resume that ends byte-identical.
  cat >full_disk.sh <<'INNER'
set -u
attnlab="$1"; shift
for size in 64 72 80 96 112; do
  mkdir -p "disk-$size" && mount -t tmpfs -o "size=${size}k" tmpfs "disk-$size" || exit 77
  "$attnlab" compare "$@" --set train.time=300 --out "disk-$size/run" >"disk-$size.first.log" 2>&1
  echo "$?" >"disk-$size.first"
  (cd "disk-$size/run" && ls -A . checkpoints 2>/dev/null) >"disk-$size.listing"
  mount -o remount,size=8m "disk-$size"
  "$attnlab" compare --out "disk-$size/run" --resume >"disk-$size.resume.log" 2>&1
  echo "$?" >"disk-$size.resume"
  cp "disk-$size/run/metrics.jsonl" "disk-$size.metrics.jsonl" 2>/dev/null
  umount "disk-$size"
done
INNER
  unshare -m bash full_disk.sh "$attnlab" "${small[@]}"
  for size in 64 72 80 96 112; do
    first=$(cat "disk-$size.first" 2>/dev/null)
    if [ "$first" = 0 ]; then echo "  ${size} kB: enough"; continue; fi
    echo "  ${size} kB: $(grep '^error' "disk-$size.first.log")"
    if grep -Eq "^error: (cannot (write|append to) '.*': No space left on device|.* would take about .* free on the disk of .*)$" \
         "disk-$size.first.log"; then
      pass "disk of $size kB: non-zero exit, one line naming the file and 'No space left on device' (or the estimate)"
    else cat "disk-$size.first.log"; fail "disk of $size kB: a clear message"; fi
    if ! grep -Eqx "summary.txt|.*[.](png|svg|gp|dat|tmp)" "disk-$size.listing" || grep -qx "summary.csv" "disk-$size.listing"; then
      pass "disk of $size kB: no half-finished outputs (no summary.txt, figure or temporary without summary.csv)"
    else cat "disk-$size.listing"; fail "disk of $size kB: no half-finished outputs"; fi
    if [ "$(cat "disk-$size.resume")" = 0 ] && cmp -s disk-reference/metrics.jsonl "disk-$size.metrics.jsonl"; then
      pass "disk of $size kB: after freeing space, the run ends byte-identical to an uninterrupted one"
    elif grep -q "holds no earlier run" "disk-$size.resume.log"; then
      pass "disk of $size kB: failed before its config was written; nothing to resume, said so"
    else cat "disk-$size.resume.log"; fail "disk of $size kB: after freeing space, the run ends byte-identical"; fi
  done
  grep -q "No space left on device" disk-*.first.log && pass "some disk filled up during the run itself" ||
    fail "some disk filled up during the run itself (sizes need adjusting)"
else
  echo "skip full-disk checks: they need root and unshare (mount namespaces)"
fi

finish "safety CLI"
