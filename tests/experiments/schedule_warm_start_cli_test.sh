#!/usr/bin/env bash
# End-to-end checks of learning-rate schedules and warm starts through the
# CLI: the constant schedule changes no byte, other schedules are recorded
# and change the run, bad settings are refused by name (compare and theory);
# compare --from-checkpoint starts every model from a finished run's
# parameters, leaves that run untouched, resumes after a kill, and refuses
# a checkpoint that does not fit.
# Usage: schedule_warm_start_cli_test.sh /path/to/attnlab
attnlab="$1"
source "$(dirname "${BASH_SOURCE[0]}")/cli_checks.sh"

small=(--set data.D=40 --set data.L=5 --set train.time=200 --set eval.test_size=256
       --set eval.log_points=8 --set eval.bayes_samples=2000)
opt=train.optimizer_params

run() { "$attnlab" compare "${small[@]}" "$@" >"$work/last.log" 2>&1; }

# --- schedules -----------------------------------------------------------------
run --out "$work/plain" || { cat "$work/last.log"; fail "a small comparison runs"; }
run --out "$work/constant" --set "$opt.schedule=constant" || { cat "$work/last.log"; fail "schedule = constant runs"; }
check "schedule = constant: metrics.jsonl byte-identical to no schedule" \
  cmp -s "$work/plain/metrics.jsonl" "$work/constant/metrics.jsonl"
for schedule in "inverse-time --set $opt.schedule_tau=20" "cosine --set $opt.schedule_period=150 --set $opt.schedule_floor=0.1" \
                "step --set $opt.schedule_factor=0.5 --set $opt.schedule_interval=50"; do
  name="${schedule%% *}"
  # shellcheck disable=SC2086  # (the schedule's own --set options split off)
  if run --out "$work/$name" --set $opt.schedule=$schedule && [ -s "$work/$name/summary.csv" ]; then
    pass "schedule = $name runs"
  else cat "$work/last.log"; fail "schedule = $name runs"; fi
  check "schedule = $name is recorded in config.toml" grep -Eq "^[[:space:]]*schedule = [\"']$name[\"']" "$work/$name/config.toml"
  check "schedule = $name changes the metrics" bash -c "! cmp -s '$work/plain/metrics.jsonl' '$work/$name/metrics.jsonl'"
  # Step 0 runs at the full rate under every schedule: its line is the same.
  check "schedule = $name: the t = 0 evaluation is unchanged" \
    cmp -s <(grep '"step":0,' "$work/plain/metrics.jsonl") <(grep '"step":0,' "$work/$name/metrics.jsonl")
done
expect_error 3 "an unknown schedule is refused, naming the key and the choices" \
  "schedule = 'linear' is not one of: constant, inverse-time, cosine, step" \
  compare "${small[@]}" --out "$work/bad" --set "$opt.schedule=linear"
expect_error 3 "a bad schedule value is refused, naming the key" "schedule_tau = -1 must be positive" \
  compare "${small[@]}" --out "$work/bad" --set "$opt.schedule=inverse-time" --set "$opt.schedule_tau=-1"
expect_error 3 "a schedule's missing setting is named" "needs schedule_interval" \
  compare "${small[@]}" --out "$work/bad" --set "$opt.schedule=step" --set "$opt.schedule_factor=0.5"
expect_error 3 "another schedule's setting is refused" "schedule_period is not a setting of schedule = 'inverse-time'" \
  compare "${small[@]}" --out "$work/bad" --set "$opt.schedule=inverse-time" --set "$opt.schedule_tau=2" \
  --set "$opt.schedule_period=3"
expect_error 3 "attnlab theory refuses a bad schedule, naming the key" "needs schedule_period" \
  theory --out "$work/bad-theory" --set "$opt.schedule=cosine"
check "no folder is left by a refused run" bash -c "[ ! -e '$work/bad' ] && [ ! -e '$work/bad-theory' ]"

# --- warm starts -------------------------------------------------------------------
ids=(softmax softmax1 bayes-softmax)
# Every file but the lock, which records the PID of the last run that asked for the folder.
fingerprint() { (cd "$1" && find . -type f ! -name .attnlab.lock -print0 | sort -z | xargs -0 sha256sum); }
before="$(fingerprint "$work/plain")"
if run --out "$work/warm" --from-checkpoint "$work/plain" --set train.time=100 --set seed=2 &&
   [ -s "$work/warm/summary.csv" ]; then pass "a warm start from a results folder runs"
else cat "$work/last.log"; fail "a warm start from a results folder runs"; fi
check "the checkpoints' run is left untouched" test "$before" = "$(fingerprint "$work/plain")"
for id in "${ids[@]}"; do
  check "warm start keeps a copy of $id's starting checkpoint, the same bytes" \
    cmp -s "$work/plain/checkpoints/$id.ckpt" "$work/warm/start/$id.ckpt"
done
check "config.toml records where the run started" \
  grep -q "^# warm start softmax1 from .*/plain/checkpoints/softmax1.ckpt (step 500, t = 200, seed 1)" "$work/warm/config.toml"
check "start/from.txt names the files" grep -q "plain/checkpoints/bayes-softmax.ckpt" "$work/warm/start/from.txt"
check "the warm run's time axis starts at 0" grep -q '"activation":"softmax","step":0,"t":0.0,' "$work/warm/metrics.jsonl"
check "the warm run ends at its own train.time" grep -q '"step":250,"t":100.0,' "$work/warm/metrics.jsonl"

# With the same seed (the same test set), the warm run's t = 0 evaluation is
# the finished run's last one: the parameters carried over exactly.
evaluation() { sed -E 's/"step":[0-9]+,"t":[^,]+,"stopped":[a-z]+,"train_mse":[^,]+,//'; }
run --out "$work/warm-same" --from-checkpoint "$work/plain/checkpoints/softmax.ckpt" \
  --from-checkpoint "$work/plain/checkpoints/softmax1.ckpt" --from-checkpoint "$work/plain/checkpoints/bayes-softmax.ckpt" \
  --set train.time=50 || { cat "$work/last.log"; fail "a warm start from .ckpt files runs"; }
last_step=$(tail -1 "$work/plain/metrics.jsonl" | sed -E 's/.*"step":([0-9]+),.*/\1/')
check "same seed: the warm run's t = 0 evaluation equals the finished run's last one, byte for byte" \
  cmp -s <(grep "\"step\":$last_step," "$work/plain/metrics.jsonl" | evaluation) \
         <(grep '"step":0,' "$work/warm-same/metrics.jsonl" | evaluation)
check "same seed: the warm run's start differs from a fresh run's" \
  bash -c "! cmp -s <(grep '\"step\":0,' '$work/plain/metrics.jsonl') <(grep '\"step\":0,' '$work/warm-same/metrics.jsonl')"
check "the same seed is pointed out (same samples as the first run)" grep -q "draws the same training samples" "$work/last.log"
# It trains on, and from where the first run ended: after the same t = 50,
# its test error is below a fresh run's.
mse_at_end() { grep "\"activation\":\"$2\"," "$1/metrics.jsonl" | tail -1 | sed -E 's/.*"test_mse":([^,]+),.*/\1/'; }
run --out "$work/fresh" --set train.time=50 || fail "a fresh run of t = 50"
for id in "${ids[@]}"; do
  warm_mse=$(mse_at_end "$work/warm-same" "$id")
  fresh_mse=$(mse_at_end "$work/fresh" "$id")
  check "$id: after t = 50 the warm run's test error is below a fresh run's ($warm_mse < $fresh_mse)" \
    awk -v a="$warm_mse" -v b="$fresh_mse" 'BEGIN { exit !(a + 0.02 < b) }'
done
warm_last=$(tail -1 "$work/warm-same/metrics.jsonl" | sed -E 's/.*"step":([0-9]+),.*/\1/')
if cmp -s <(grep '"step":0,' "$work/warm-same/metrics.jsonl" | evaluation) \
          <(grep "\"step\":$warm_last," "$work/warm-same/metrics.jsonl" | evaluation); then
  fail "the warm run trains: its last evaluation is not its first"
else pass "the warm run trains: its last evaluation is not its first"; fi

# A warm start killed and resumed ends as an uninterrupted one (the copies in
# start/ carry it, even when killed before its first state was saved).
long=(--set train.time=4000 --set seed=3)
run --out "$work/warm-full" --from-checkpoint "$work/plain" "${long[@]}" || fail "an uninterrupted long warm start"
for delay in 0.3 1.0; do
  rm -rf "$work/warm-killed"
  (timeout -s KILL "$delay" "$attnlab" compare "${small[@]}" "${long[@]}" --from-checkpoint "$work/plain" \
    --out "$work/warm-killed") >/dev/null 2>&1
  if [ -f "$work/warm-killed/config.toml" ]; then
    "$attnlab" compare --out "$work/warm-killed" --resume >"$work/last.log" 2>&1 ||
      { cat "$work/last.log"; fail "resume of a warm start killed at ${delay}s"; continue; }
  else
    run --out "$work/warm-killed" --from-checkpoint "$work/plain" "${long[@]}" --force
  fi
  check "warm start killed at ${delay}s + --resume: metrics identical to an uninterrupted one" \
    cmp -s "$work/warm-full/metrics.jsonl" "$work/warm-killed/metrics.jsonl"
done

# Refusals: one line naming what differs, no folder left.
from=(--from-checkpoint "$work/plain")
expect_error 3 "another H is refused" "model.heads is 4 there but 2 in the new run" \
  compare "${small[@]}" "${from[@]}" --out "$work/bad" --set model.heads=2
expect_error 3 "another D is refused" "D is 40 there but 50 in the new run" \
  compare "${small[@]}" "${from[@]}" --out "$work/bad" --set data.D=50
expect_error 3 "untrained biases are refused" "model.bias is true there but false in the new run" \
  compare "${small[@]}" "${from[@]}" --out "$work/bad" --set model.bias=false
expect_error 3 "fewer activations are refused" "the checkpoints are of activations \[bayes-softmax, softmax, softmax1\], the new run's are \[softmax\]" \
  compare "${small[@]}" "${from[@]}" --out "$work/bad" --set 'activations=["softmax"]'
expect_error 3 "an activation without a checkpoint is refused" "activation 'softmax' has no checkpoint" \
  compare "${small[@]}" --from-checkpoint "$work/plain/checkpoints/softmax1.ckpt" --out "$work/bad"
expect_error 3 "two checkpoints of one activation are refused" "both checkpoints of activation 'softmax1'" \
  compare "${small[@]}" "${from[@]}" --from-checkpoint "$work/plain/checkpoints/softmax1.ckpt" --out "$work/bad"
expect_error 3 "checkpoints of two runs are refused" "are not of one run at one step" \
  compare "${small[@]}" --from-checkpoint "$work/plain/checkpoints/softmax.ckpt" \
  --from-checkpoint "$work/warm/checkpoints/softmax1.ckpt" --from-checkpoint "$work/plain/checkpoints/bayes-softmax.ckpt" \
  --out "$work/bad"
expect_error 3 "a missing checkpoint is named" "nowhere.ckpt.*does not exist" \
  compare "${small[@]}" --from-checkpoint "$work/nowhere.ckpt" --out "$work/bad"
mkdir -p "$work/empty"
expect_error 3 "a folder without checkpoints is refused" "holds no checkpoint" \
  compare "${small[@]}" --from-checkpoint "$work/empty" --out "$work/bad"
expect_error 3 "--from-checkpoint with --seeds is refused" "without --seeds" \
  compare "${small[@]}" "${from[@]}" --seeds 2 --out "$work/bad"
expect_error 3 "--from-checkpoint with --resume is refused" "do not pass --from-checkpoint" \
  compare "${from[@]}" --resume --out "$work/warm"
expect_error 3 "a warm start into its own checkpoints' folder is refused" "is inside the results folder .* this run writes" \
  compare "${small[@]}" "${from[@]}" --force --out "$work/plain"
check "no folder is left by a refused warm start" test ! -e "$work/bad"
check "the checkpoints' run is still untouched" test "$before" = "$(fingerprint "$work/plain")"

finish "schedules and warm starts"
