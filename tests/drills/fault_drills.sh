#!/usr/bin/env bash
# Fault drills on results folders, run as a user would run attnlab:
#   1. a `--seeds 3` comparison killed (SIGKILL) 20 times at random moments,
#      each time continued with --resume, ends byte-identical to an
#      uninterrupted run;
#   2. SIGINT and SIGTERM stop a run with a resumable state, exit 130 / 143,
#      and say how to resume; the resumed run is byte-identical;
#   3. two compares on one folder: the second is refused, naming the PID of
#      the first, and the first's results are untouched;
#   4. --force on a folder holding a user's file refuses, and the file survives.
# Usage: fault_drills.sh /path/to/attnlab [kills] [time_divisor]
#   time_divisor shortens every run (a sanitizer build runs several times
#   slower, so a shorter run still outlasts the kills).
attnlab="$1"
kills="${2:-20}"
divisor="${3:-1}"
source "$(dirname "${BASH_SOURCE[0]}")/../experiments/cli_checks.sh"
cd "$work"

# Small, but long enough that the kills land at many different moments.
small=(--set data.D=30 --set data.L=4 --set train.time=$((80000 / divisor)) --set eval.test_size=128
       --set eval.log_points=15 --set eval.bayes_samples=1000 --set train.threads=2)
RANDOM=20261129  # the same moments on every run of the drill

same_results() {  # folder folder: every result file equal (a seed's summary.csv without its wall times)
  local a="$1" b="$2" f s
  for f in summary.csv summary.txt seed-{1,2,3}/metrics.jsonl seed-{1,2,3}/checkpoints/{softmax,softmax1,bayes-softmax}.ckpt; do
    if ! cmp -s "$a/$f" "$b/$f"; then echo "  $f differs"; return 1; fi
  done
  for s in 1 2 3; do
    if ! cmp -s <(cut -d, -f1-7,9- "$a/seed-$s/summary.csv") <(cut -d, -f1-7,9- "$b/seed-$s/summary.csv"); then
      echo "  seed-$s/summary.csv differs beyond wall times"; return 1
    fi
  done
}

# --- 1. kills --------------------------------------------------------------
"$attnlab" compare "${small[@]}" --seeds 3 --out reference >reference.log 2>&1 || { cat reference.log; fail "uninterrupted --seeds 3 run"; }
started=0
for ((k = 1; k <= kills; ++k)); do
  delay="0.$(printf '%02d' $((RANDOM % 40 + 5)))"
  if [ "$started" -eq 0 ]; then
    (timeout -s KILL "$delay" "$attnlab" compare "${small[@]}" --seeds 3 --out killed >/dev/null 2>&1)
    status=$?
  else
    (timeout -s KILL "$delay" "$attnlab" compare --out killed --resume >/dev/null 2>&1)
    status=$?
  fi
  # Killed before its config was written: only --force can start it again.
  if [ -f killed/config.toml ]; then started=1; else rm -rf killed; fi
  if [ "$status" -eq 0 ]; then break; fi  # it finished before this kill
done
if [ "$started" -eq 1 ]; then
  "$attnlab" compare --out killed --resume >resume.log 2>&1 || { cat resume.log; fail "final --resume"; }
else
  "$attnlab" compare "${small[@]}" --seeds 3 --out killed >resume.log 2>&1
fi
done_kills=$((k > kills ? kills : k - 1))
if [ "$done_kills" -lt "$kills" ]; then
  fail "only $done_kills of $kills kills landed before the run finished: lengthen train.time"
fi
if same_results reference killed; then pass "$done_kills SIGKILLs of a --seeds 3 run, each resumed: byte-identical results"
else fail "$done_kills SIGKILLs of a --seeds 3 run, each resumed: byte-identical results"; fi

# --- 2. SIGINT and SIGTERM ---------------------------------------------------
longer=("${small[@]}" --set train.time=$((100000 / divisor)))
"$attnlab" compare "${longer[@]}" --out long-reference >/dev/null 2>&1
for signal in INT TERM; do
  "$attnlab" compare "${longer[@]}" --out "stopped-$signal" >"stop-$signal.log" 2>&1 &
  pid=$!
  # Signal once training has started (the start line is in the log).
  for _ in $(seq 100); do grep -q "training" "stopped-$signal/attnlab.log" 2>/dev/null && break; sleep 0.05; done
  sleep 0.2
  kill -"$signal" "$pid"
  wait "$pid"
  status=$?
  expected=$([ "$signal" = INT ] && echo 130 || echo 143)
  if [ "$status" -eq "$expected" ] && grep -q "continue with: attnlab compare --out stopped-$signal --resume" "stop-$signal.log" &&
     grep -q "stopped by SIG$signal at step" "stopped-$signal/attnlab.log" && [ ! -f "stopped-$signal/summary.csv" ]; then
    pass "SIG$signal: exit $expected, state saved, one line saying how to resume"
  else
    echo "  exit $status"; sed 's/^/    /' "stop-$signal.log"; fail "SIG$signal: exit $expected, state saved, one line saying how to resume"
  fi
  "$attnlab" compare --out "stopped-$signal" --resume >/dev/null 2>&1
  if cmp -s long-reference/metrics.jsonl "stopped-$signal/metrics.jsonl"; then pass "SIG$signal then --resume: byte-identical metrics"
  else fail "SIG$signal then --resume: byte-identical metrics"; fi
done

# --- 3. two runs, one folder -----------------------------------------------
"$attnlab" compare "${longer[@]}" --out shared >first.log 2>&1 &
first=$!
for _ in $(seq 100); do [ -f shared/config.toml ] && break; sleep 0.05; done
"$attnlab" compare "${longer[@]}" --out shared --force >second.log 2>&1
second_status=$?
"$attnlab" compare --out shared --resume >third.log 2>&1
third_status=$?
wait "$first"
first_status=$?
if [ "$second_status" -ne 0 ] && grep -q "results folder 'shared' is in use by another attnlab run (PID $first)" second.log &&
   [ "$third_status" -ne 0 ] && grep -q "(PID $first)" third.log; then
  pass "a second run (--force, --resume) on a folder in use is refused, naming the PID"
else
  sed 's/^/    /' second.log third.log; fail "a second run (--force, --resume) on a folder in use is refused, naming the PID"
fi
if [ "$first_status" -eq 0 ] && cmp -s long-reference/metrics.jsonl shared/metrics.jsonl; then
  pass "the first run's results are untouched"
else fail "the first run's results are untouched (exit $first_status)"; fi

# --- 4. --force never deletes a user's folder ------------------------------
mkdir thesis && echo "three years of work" >thesis/chapter1.tex
"$attnlab" compare "${small[@]}" --out thesis --force >force.log 2>&1
if [ $? -ne 0 ] && grep -q "refusing to replace 'thesis' with --force: attnlab did not make it" force.log &&
   [ "$(cat thesis/chapter1.tex)" = "three years of work" ] && [ "$(ls -A thesis)" = "chapter1.tex" ]; then
  pass "--force on a user's folder: refused, the file survives, nothing added"
else sed 's/^/    /' force.log; fail "--force on a user's folder: refused, the file survives, nothing added"; fi

finish "fault drills"
