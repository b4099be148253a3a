#!/usr/bin/env bash
# compare's plugin isolation through the CLI: a faulty activation that
# segfaults, aborts or hangs in forward or backward costs only its own model
# (named with plugin, call, step and signal; the other models' metrics and
# checkpoints are those of a run without it); a faulty data model or
# optimizer stops the comparison cleanly, resumable from its last log point.
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
  if "$attnlab" compare --out "$out" --resume >"$work/last.log" 2>&1 &&
     cmp -s "$out/metrics.jsonl" "$reference/metrics.jsonl"; then
    pass "$name: --resume finishes with the results of a run without the fault"
  else sed 's/^/    /' "$work/last.log"; fail "$name: --resume finishes with the results of a run without the fault"; fi
}
stop_case "data model segfault in sample" data faulty-data-model sample "data model" segfault 70
stop_case "data model hang in sample" data faulty-data-model sample "data model" hang 70
stop_case "optimizer abort in step" train faulty-optimizer step optimizer abort 50

finish "plugin isolation CLI"
