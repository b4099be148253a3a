#!/usr/bin/env bash
# compare's plugin isolation through the CLI: a faulty activation that
# segfaults, aborts or hangs in create, forward or backward costs only its
# own model (named with plugin, call, step and signal; the other models'
# metrics and checkpoints are those of a run without it), in each seed of
# --seeds too; a faulty data model or optimizer stops the comparison
# cleanly, resumable from its last log point with --retry-failed-plugin.
# Usage: plugin_isolation_cli_test.sh /path/to/attnlab /path/to/fixture-plugins (holding faulty/)
attnlab="$1"
fixtures="$2"
source "$(dirname "${BASH_SOURCE[0]}")/cli_checks.sh"
export ATTNLAB_PLUGIN_PATH="$fixtures/faulty"

# Small: 8 log points of a run of 80 steps.
small=(--set data.D=16 --set data.L=4 --set train.time=80 --set eval.test_size=128
       --set eval.log_points=8 --set eval.bayes_samples=0)

# config ACTIVATIONS FAULT CALL AFTER: a config file for `activations`, with
# the faulty activation's parameters unless FAULT is none.
config() {
  local file="$work/$2-$3.toml"
  printf 'activations = [%s]\n' "$1" >"$file"
  [ "$2" = none ] ||
    printf '[activation_params.faulty-activation]\nfault = "%s"\ncall = "%s"\nafter = %s\n' "$2" "$3" "$4" >>"$file"
  echo "$file"
}

# The lines of metrics.jsonl of one model.
model_lines() { grep "^{\"activation\":\"$2\"," "$1/metrics.jsonl"; }
# A checkpoint without what names the run's config (which lists the activations).
# (Its header's config_lines, its == config section and the checksum of it all in its == end line.)
ckpt_numbers() { awk '/^config_lines = /{next} /^== config$/{skip=1; next} /^== /{skip=0} /^== end /{next} !skip' "$1"; }

same_as_reference() {  # folder: softmax and softmax1 as in the run without the faulty model
  local id
  for id in softmax softmax1; do
    cmp -s <(model_lines "$work/reference" "$id") <(model_lines "$1" "$id") || return 1
    cmp -s <(ckpt_numbers "$work/reference/checkpoints/$id.ckpt") <(ckpt_numbers "$1/checkpoints/$id.ckpt") || return 1
  done
  [ "$(model_lines "$work/reference" softmax | wc -l)" -ge 8 ]
}

"$attnlab" compare "$(config '"softmax", "softmax1"' none forward 0)" "${small[@]}" --out "$work/reference" \
  >"$work/last.log" 2>&1 || { cat "$work/last.log"; fail "the reference run (softmax and softmax1)"; }

# --- a faulty activation beside softmax and softmax1 ---------------------------
for call in forward backward; do
  for fault in segfault abort hang; do
    name="$fault in $call"
    out="$work/$fault-$call"
    case "$fault" in
      segfault) signal="SIGSEGV" ;;
      abort) signal="SIGABRT" ;;
      hang) signal="" ;;
    esac
    # After a few log points (a call is one batch: forward once per training
    # step and a few times per evaluation, backward once per step).
    after=40; [ "$call" = backward ] && after=45
    "$attnlab" compare "$(config '"faulty-activation", "softmax", "softmax1"' "$fault" "$call" "$after")" "${small[@]}" \
      --plugin-call-timeout 1 --out "$out" >"$work/last.log" 2>&1
    status=$?
    if [ "$fault" = hang ]; then
      pattern="hung: activation plugin 'faulty-activation' $call at step [0-9]+: the call ran past the limit of 1 s"
    else
      # A sanitizer may end the process with its own status instead of the signal.
      pattern="crashed: activation plugin 'faulty-activation' $call at step [0-9]+: (killed by $signal|the process exited with status [0-9]+ inside the call)"
    fi
    if [ "$status" -eq 0 ] && grep -Eq "^error: $pattern" "$work/last.log" &&
       grep -Eq "error: $pattern" "$out/attnlab.log"; then
      pass "$name: reported with plugin, call, step and signal or limit, in the console and attnlab.log; exit 0"
    else
      echo "  exit $status"; sed 's/^/    /' "$work/last.log"; fail "$name: reported in the console and attnlab.log; exit 0"
    fi
    if grep -Eq "^faulty-activation,.*,stopped,[0-9]+,.*\"$pattern" "$out/summary.csv" &&
       grep -Eq "^faulty-activation .*stopped at step [0-9]+ \\($pattern" "$out/summary.txt" &&
       [ ! -e "$out/checkpoints/faulty-activation.ckpt" ]; then
      pass "$name: the model is stopped in summary.csv and summary.txt, without a checkpoint"
    else
      cat "$out/summary.txt"; fail "$name: the model is stopped in summary.csv and summary.txt, without a checkpoint"
    fi
    if same_as_reference "$out"; then pass "$name: softmax and softmax1 byte-identical to the run without it"
    else fail "$name: softmax and softmax1 byte-identical to the run without it"; fi
    if "$attnlab" compare --out "$out" --resume >"$work/last.log" 2>&1; then pass "$name: --resume afterwards"
    else sed 's/^/    /' "$work/last.log"; fail "$name: --resume afterwards"; fi
  done
done

# --strict: the same crash exits 3, with the table marking the stopped model's last test error.
"$attnlab" compare "$(config '"faulty-activation", "softmax", "softmax1"' segfault forward 40)" "${small[@]}" \
  --strict --out "$work/strict" >"$work/last.log" 2>&1
status=$?
if [ "$status" -eq 3 ] && grep -q "^error: --strict" "$work/last.log" &&
   grep -Eq '^faulty-activation +[0-9.e-]+\*' "$work/last.log" && grep -q "^\* from the model's last log point" "$work/last.log"; then
  pass "--strict: exit 3 when a model crashed; its test error marked as its last log point's"
else echo "  exit $status"; sed 's/^/    /' "$work/last.log"; fail "--strict: exit 3 when a model crashed"; fi
if "$attnlab" compare --out "$work/strict" --resume --strict >"$work/last.log" 2>&1; then
  fail "--strict --resume of a finished run with a crashed model still exits non-zero"
else pass "--strict --resume of a finished run with a crashed model still exits non-zero"; fi

# --- a faulty data model or optimizer: a clean stop ------------------------------
# The faults count calls from the start of each process: a resume faults again
# only past the end of the run, so it finishes.
stop_case() {  # name key-prefix plugin-id call pattern-plugin-kind fault
  local name="$1" prefix="$2" id="$3" call="$4" kind="$5" fault="$6" after="$7"
  local reference="$work/$id-reference" out="$work/$id-$fault"
  local plugin_set=(--set "$prefix.plugin=$id")
  [ "$prefix" = train ] && plugin_set=(--set "train.optimizer=$id")
  local params="$prefix"; [ "$prefix" = train ] && params="train.optimizer_params"
  local settings=("${small[@]}")
  # The faulty data model has its own D = 4 and L = 3: 100 steps.
  [ "$prefix" = data ] && settings=(--set train.time=400 --set eval.test_size=128 --set eval.log_points=8
                                    --set eval.bayes_samples=0)
  [ -e "$reference" ] ||
    "$attnlab" compare "$(config '"softmax", "softmax1"' none forward 0)" "${settings[@]}" "${plugin_set[@]}" \
      --set "$params.fault=\"none\"" --out "$reference" >"$work/last.log" 2>&1 || { cat "$work/last.log"; fail "$name: reference"; }
  "$attnlab" compare "$(config '"softmax", "softmax1"' none forward 0)" "${settings[@]}" "${plugin_set[@]}" \
    --set "$params.fault=\"$fault\"" --set "$params.after=$after" --plugin-call-timeout 1 --out "$out" \
    >"$work/last.log" 2>&1
  local status=$?
  local pattern="(crashed|hung): $kind plugin '$id' $call at step [0-9]+"
  if [ "$status" -eq 4 ] && grep -Eq "^error: $pattern" "$work/last.log" && grep -Eq "error: $pattern" "$out/attnlab.log" &&
     grep -q "^error: the comparison stopped; .* attnlab compare --out $out --resume" "$work/last.log" &&
     [ ! -e "$out/summary.csv" ] && [ -s "$out/checkpoint.bin" ]; then
    pass "$name: the comparison stops with exit 4, naming plugin, call and step"
  else echo "  exit $status"; sed 's/^/    /' "$work/last.log"; fail "$name: the comparison stops with exit 4"; fi
  local lines
  lines=$(wc -l <"$out/metrics.jsonl")
  if [ "$lines" -gt 0 ] && cmp -s "$out/metrics.jsonl" <(head -n "$lines" "$reference/metrics.jsonl"); then
    pass "$name: metrics.jsonl holds the log points before the fault ($lines lines)"
  else fail "$name: metrics.jsonl holds the log points before the fault"; fi
  # A plain --resume would run the plugin again: refused, naming it and the way on.
  if ! "$attnlab" compare --out "$out" --resume >"$work/last.log" 2>&1 &&
     grep -q "stopped because plugin '$id' .*attnlab compare --out $out --resume --retry-failed-plugin" "$work/last.log" &&
     [ ! -e "$out/summary.csv" ]; then
    pass "$name: a plain --resume is refused, naming the plugin and --retry-failed-plugin"
  else sed 's/^/    /' "$work/last.log"; fail "$name: a plain --resume is refused"; fi
  if "$attnlab" compare --out "$out" --resume --retry-failed-plugin >"$work/last.log" 2>&1 &&
     cmp -s "$out/metrics.jsonl" "$reference/metrics.jsonl"; then
    pass "$name: --resume --retry-failed-plugin finishes with the results of a run without the fault"
  else sed 's/^/    /' "$work/last.log"; fail "$name: --resume --retry-failed-plugin finishes"; fi
}
stop_case "data model segfault in sample" data faulty-data-model sample "data model" segfault 70
stop_case "data model hang in sample" data faulty-data-model sample "data model" hang 70
stop_case "optimizer abort in step" train faulty-optimizer step optimizer abort 50

# --- a crash or hang in an activation's create: only that model is lost --------
for fault in segfault hang; do
  name="$fault in create"
  out="$work/$fault-create"
  "$attnlab" compare "$(config '"faulty-activation", "softmax", "softmax1"' "$fault" create 0)" "${small[@]}" \
    --plugin-call-timeout 1 --out "$out" >"$work/last.log" 2>&1
  status=$?
  if [ "$fault" = hang ]; then
    pattern="hung: activation plugin 'faulty-activation' create at step 0: the call ran past the limit of 1 s"
  else
    pattern="crashed: activation plugin 'faulty-activation' create at step 0: (killed by SIGSEGV|the process exited with status [0-9]+ inside the call)"
  fi
  if [ "$status" -eq 0 ] && grep -Eq "^error: $pattern" "$work/last.log" &&
     grep -Eq "model faulty-activation is not trained: $pattern" "$out/attnlab.log" &&
     grep -Eq "^unmade	faulty-activation	0	$pattern" "$out/plugin_failures.txt"; then
    pass "$name: reported with plugin and call, recorded in the folder; exit 0"
  else echo "  exit $status"; sed 's/^/    /' "$work/last.log"; fail "$name: reported and recorded; exit 0"; fi
  if grep -Eq "^faulty-activation,.*,stopped,0,.*\"$pattern" "$out/summary.csv" &&
     [ ! -e "$out/checkpoints/faulty-activation.ckpt" ] && same_as_reference "$out"; then
    pass "$name: the model is stopped at step 0; softmax and softmax1 byte-identical to the run without it"
  else cat "$out/summary.txt"; fail "$name: the model stopped; the others as without it"; fi
  if "$attnlab" compare --out "$out" --resume >"$work/last.log" 2>&1; then pass "$name: --resume afterwards"
  else sed 's/^/    /' "$work/last.log"; fail "$name: --resume afterwards"; fi
done

# With --theory, the limit leaves that model out too (its create is not called again).
"$attnlab" compare "$(config '"faulty-activation", "softmax"' segfault create 0)" --set data.D=16 --set data.L=4 \
  --set train.time=20 --set eval.test_size=128 --set eval.log_points=4 --set eval.bayes_samples=0 \
  --set theory.samples=256 --set theory.draws=2 --set model.bias=false --theory --out "$work/create-theory" \
  >"$work/last.log" 2>&1
status=$?
if [ "$status" -eq 0 ] && grep -q '"activation":"softmax"' "$work/create-theory/theory.jsonl" &&
   ! grep -q '"activation":"faulty-activation"' "$work/create-theory/theory.jsonl"; then
  pass "segfault in create with --theory: the limit is computed for the others only"
else echo "  exit $status"; sed 's/^/    /' "$work/last.log"; fail "segfault in create with --theory"; fi

# An exception from create stays a clear error before any training (exit 1).
"$attnlab" compare "$(config '"faulty-activation", "softmax"' throw create 0)" "${small[@]}" --out "$work/throw-create" \
  >"$work/last.log" 2>&1
status=$?
if [ "$status" -eq 1 ] && grep -q "^error: .*faulty-activation.*create fault injected" "$work/last.log" &&
   [ ! -e "$work/throw-create/metrics.jsonl" ]; then
  pass "an exception in create: exit 1 with the plugin's message, nothing trained"
else echo "  exit $status"; sed 's/^/    /' "$work/last.log"; fail "an exception in create: exit 1 with the plugin's message"; fi

# --- --seeds with a crashing activation: each seed loses only that model --------
"$attnlab" compare "$(config '"softmax", "softmax1"' none forward 0)" "${small[@]}" --seeds 2 \
  --out "$work/seeds-reference" >"$work/last.log" 2>&1 || { cat "$work/last.log"; fail "the --seeds 2 reference run"; }
for call in create forward; do
  after=0; [ "$call" = forward ] && after=40
  out="$work/seeds-$call"
  "$attnlab" compare "$(config '"faulty-activation", "softmax", "softmax1"' segfault "$call" "$after")" "${small[@]}" \
    --seeds 2 --strict --out "$out" >"$work/last.log" 2>&1
  status=$?
  seeds_ok=1
  for reference in "$work"/seeds-reference/seed-*; do
    seed_out="$out/$(basename "$reference")"
    grep -Eq "^faulty-activation,.*,stopped,[0-9]+,.*\"crashed: activation plugin 'faulty-activation' $call at step" \
      "$seed_out/summary.csv" || seeds_ok=0
    for id in softmax softmax1; do
      cmp -s <(model_lines "$reference" "$id") <(model_lines "$seed_out" "$id") || seeds_ok=0
    done
  done
  if [ "$status" -eq 3 ] && [ "$seeds_ok" = 1 ] && [ "$(ls -d "$out"/seed-* | wc -l)" -eq 2 ] &&
     [ -s "$out/summary.csv" ] && [ -s "$out/summary.txt" ] && grep -q "^over 2 seeds" "$work/last.log"; then
    pass "--seeds 2, segfault in $call: each seed reports it, the others as without it, the summary over seeds; --strict exit 3"
  else
    echo "  exit $status"; sed 's/^/    /' "$work/last.log"; fail "--seeds 2, segfault in $call"
  fi
done

# --- a crash in the Bayes-risk estimator names the data model and its call -------
"$attnlab" compare "$(config '"softmax"' none forward 0)" --set data.plugin=faulty-data-model \
  --set 'data.fault="segfault"' --set 'data.call="bayes"' --set train.time=400 --set eval.test_size=128 \
  --set eval.log_points=8 --set eval.bayes_samples=64 --out "$work/bayes-crash" >"$work/last.log" 2>&1
status=$?
if [ "$status" -eq 4 ] &&
   grep -Eq "^error: crashed: data model plugin 'faulty-data-model' bayes_risk_samples at step 0: (killed by SIGSEGV|the process exited)" \
     "$work/last.log" && ! grep -q "outside any plugin call" "$work/last.log"; then
  pass "a segfault in bayes_risk_samples: named with plugin and call, exit 4"
else echo "  exit $status"; sed 's/^/    /' "$work/last.log"; fail "a segfault in bayes_risk_samples: named with plugin and call"; fi

# --- left out after its create, then a stop: the resume keeps it left out ---------
out="$work/create-then-optimizer"
"$attnlab" compare "$(config '"faulty-activation", "softmax", "softmax1"' segfault create 0)" "${small[@]}" \
  --set train.optimizer=faulty-optimizer --set 'train.optimizer_params.fault="abort"' \
  --set train.optimizer_params.after=50 --plugin-call-timeout 1 --out "$out" >"$work/last.log" 2>&1
status=$?
if [ "$status" -eq 4 ] && "$attnlab" compare --out "$out" --resume --retry-failed-plugin >"$work/last.log" 2>&1 &&
   cmp -s <(model_lines "$work/faulty-optimizer-reference" softmax) <(model_lines "$out" softmax) &&
   cmp -s <(model_lines "$work/faulty-optimizer-reference" softmax1) <(model_lines "$out" softmax1) &&
   grep -Eq "^faulty-activation,.*,stopped,0,.*create at step 0" "$out/summary.csv"; then
  pass "a model left out after its create stays out through a stop and --resume --retry-failed-plugin"
else echo "  exit $status"; sed 's/^/    /' "$work/last.log"; fail "a model left out after its create stays out through a resume"; fi

finish "plugin isolation CLI"
