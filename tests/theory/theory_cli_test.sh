#!/usr/bin/env bash
# End-to-end checks of `attnlab theory` and `attnlab compare --theory` through
# the CLI: the results folder and its records, determinism, refusals naming
# their culprit, the limit drawn beside a simulation, and the limit continued
# from a checkpoint.
# Usage: theory_cli_test.sh /path/to/attnlab /path/to/fixture-plugins (holding good/ and bad/)
attnlab="$(realpath "$1")"
fixtures="$(realpath "$2")"
source "$(dirname "${BASH_SOURCE[0]}")/../experiments/cli_checks.sh"
py=/usr/bin/python3

# Every run is small: a short training, few log points, few Monte Carlo samples.
small=(--set data.D=40 --set data.L=5 --set train.time=20 --set eval.log_points=6 --set eval.test_size=256
       --set eval.bayes_samples=2000 --set theory.samples=256 --set theory.draws=2 --set theory.risk_samples=2048)
scaled_bias=(--set train.optimizer_params.bias_lr_scale=per-dimension)

# Runs start in an empty folder: a refused run must leave no results/ folder of its own there.
mkdir "$work/cwd" && cd "$work/cwd" || exit 1
no_results_left() { [ -z "$(find results -mindepth 1 2>/dev/null)" ]; }

theory() { "$attnlab" theory "$@" >"$work/last.log" 2>&1; }

# --- the default config ------------------------------------------------------
if theory "${small[@]}" --out "$work/th" &&
   grep -q '^warning: the built-in config.s biases take the step bias_eta / D.*bias_lr_scale = "per-dimension"' \
     "$work/last.log"; then
  pass "theory without a config runs, with a warning that it takes the D-scaled bias step"
else sed 's/^/    /' "$work/last.log"; fail "theory without a config runs, with a warning that it takes the D-scaled bias step"; fi
for f in config.toml metrics.jsonl summary.csv summary.txt attnlab.log; do
  check "results folder has $f" test -s "$work/th/$f"
done
if grep -q '^\[theory\]' "$work/th/config.toml" && grep -q '^samples = 256$' "$work/th/config.toml" &&
   grep -Eq "^ *bias_lr_scale = [\"']per-dimension[\"']$" "$work/th/config.toml"; then
  pass "config.toml records the [theory] table and the D-scaled bias step"
else sed 's/^/    /' "$work/th/config.toml"; fail "config.toml records the [theory] table and the D-scaled bias step"; fi
missing=""
for figure in test_error overlaps_{softmax,softmax1,bayes-softmax}; do
  for ext in png svg dat gp; do [ -s "$work/th/$figure.$ext" ] || missing="$missing $figure.$ext"; done
done
if [ -z "$missing" ]; then pass "figures test_error and overlaps_<id> as PNG, SVG, data and gnuplot script"
else fail "figures test_error and overlaps_<id> as PNG, SVG, data and gnuplot script (missing:$missing)"; fi
check "no temporary file or folder is left" test -z "$(find "$work/th" -name '*.tmp')"
if grep -q '^softmax1,' "$work/th/summary.csv" && grep -q 'integration' "$work/th/summary.txt"; then
  pass "summary.csv has a row per activation, summary.txt the integration statistics"
else fail "summary.csv has a row per activation, summary.txt the integration statistics"; fi

# A comparison of the same config (its biases D-scaled as the theory's are)
# with the limit beside it: its log times, its records' keys, its checkpoint.
if "$attnlab" compare "${small[@]}" "${scaled_bias[@]}" --theory --out "$work/cmp" >"$work/cmp.log" 2>&1; then
  pass "compare --theory with the D-scaled bias step runs"
else sed 's/^/    /' "$work/cmp.log"; fail "compare --theory with the D-scaled bias step runs"; fi
check "compare --theory logs the training's and the limit's wall time" \
  grep -Eq "wall time: training [0-9.]+ s, the limit [0-9.]+ s \([0-9.]+ times less\)" "$work/cmp/attnlab.log"

# records.py METRICS COMPARE_METRICS: one record per activation per log point,
# each with a compare record's keys and a band >= 0, at the comparison's t values.
cat >"$work/records.py" <<'EOF'
import json, sys
def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]
theory, simulated = load(sys.argv[1]), load(sys.argv[2])
activations = ["softmax", "softmax1", "bayes-softmax"]
times = sorted({r["t"] for r in theory})
problems = []
if len(theory) != len(activations) * len(times) or len(times) < 2:
    problems.append(f"{len(theory)} records for {len(times)} log points")
for t in times:
    got = sorted(r["activation"] for r in theory if r["t"] == t)
    if got != sorted(activations):
        problems.append(f"t = {t}: activations {got}")
required = {"activation", "step", "t", "stopped", "train_mse", "test_mse", "excess_risk", "key_overlaps",
            "value_overlaps", "key_gram", "value_gram", "usage", "biases"}
compare_keys = set().union(*(r.keys() for r in simulated))
for r in theory:
    missing = (required | compare_keys) - r.keys()
    if missing:
        problems.append(f"{r['activation']} at t = {r['t']} lacks {sorted(missing)}")
    band = r.get("test_mse_band")
    if not isinstance(band, (int, float)) or not band >= 0:
        problems.append(f"{r['activation']} at t = {r['t']}: test_mse_band = {band}")
    if r["stopped"]:
        problems.append(f"{r['activation']} at t = {r['t']} stopped: {r.get('reason')}")
simulated_times = sorted({r["t"] for r in simulated})
if simulated_times != times:
    problems.append(f"t values {times} differ from the comparison's {simulated_times}")
print("; ".join(problems[:5]))
sys.exit(1 if problems else 0)
EOF
if out=$("$py" "$work/records.py" "$work/th/metrics.jsonl" "$work/cmp/metrics.jsonl" 2>&1); then
  pass "metrics.jsonl: one record per activation per log point with a compare record's keys and a band >= 0, at the comparison's t values"
else echo "    $out"; fail "metrics.jsonl: one record per activation per log point with a compare record's keys and a band >= 0, at the comparison's t values"; fi

# A config file whose biases are not trained needs no bias step.
printf 'seed = 1\n[model]\nbias = false\n' >"$work/no-bias.toml"
if theory "$work/no-bias.toml" "${small[@]}" --out "$work/no-bias" && ! grep -q "bias_lr_scale" "$work/last.log" &&
   ! grep -q "bias_lr_scale" "$work/no-bias/config.toml" && [ -s "$work/no-bias/summary.csv" ]; then
  pass "a config file with model.bias = false runs without bias_lr_scale or a warning"
else sed 's/^/    /' "$work/last.log"; fail "a config file with model.bias = false runs without bias_lr_scale or a warning"; fi

# --- determinism -------------------------------------------------------------
theory "${small[@]}" --out "$work/th-again" || sed 's/^/    /' "$work/last.log"
check "the same theory run twice: byte-identical metrics.jsonl" cmp -s "$work/th/metrics.jsonl" "$work/th-again/metrics.jsonl"
theory "${small[@]}" --set train.threads=1 --out "$work/th-1" || sed 's/^/    /' "$work/last.log"
theory "${small[@]}" --set train.threads=2 --out "$work/th-2" || sed 's/^/    /' "$work/last.log"
if cmp -s "$work/th-1/metrics.jsonl" "$work/th-2/metrics.jsonl" && cmp -s "$work/th/metrics.jsonl" "$work/th-1/metrics.jsonl"; then
  pass "1 and 2 threads: byte-identical metrics.jsonl"
else fail "1 and 2 threads: byte-identical metrics.jsonl"; fi

# --- refusals: non-zero exit, one line naming the culprit, no folder ---------
printf 'seed = 1\n[train]\ntime = 20.0\n' >"$work/unscaled.toml"
refused() {  # description, regex, arguments...: expect_error, and no results folder left in the working folder
  local description="$1"; shift
  expect_error 2 "$description" "$@"
  no_results_left || { ls -R results; fail "$description: no results folder is left"; }
}
refused "adam is refused" "^error: train.optimizer = 'adam' has no high-dimensional limit" \
  theory "${small[@]}" --set train.optimizer=adam
refused "a config file without the D-scaled bias step is refused, naming bias_lr_scale" \
  "^error: model.bias = true with a bias step of bias_eta per sample .*bias_lr_scale = \"per-dimension\"" \
  theory "$work/unscaled.toml" "${small[@]}"
refused "theory.integrator = euler is refused" \
  "^error: config key 'theory.integrator' = \"euler\" is not one of: rosenbrock, rk45$" \
  theory "${small[@]}" --set theory.integrator=euler
refused "a data model without limit_sample is refused" \
  "^error: data model 'fixture-data-model' has no high-dimensional limit: it does not provide limit_sample" \
  --plugin "$fixtures/good/fixture-data-model.so" theory --set data.plugin=fixture-data-model --set train.time=20
( cd "$work/th" && find . -type f -exec md5sum {} + | sort ) >"$work/th.sums"
expect_error 2 "an existing --out folder is refused without --force" "^error: results folder '$work/th' already exists" \
  theory "${small[@]}" --out "$work/th"
if (cd "$work/th" && find . -type f -exec md5sum {} + | sort) | cmp -s - "$work/th.sums"; then
  pass "the refused existing folder is untouched"
else fail "the refused existing folder is untouched"; fi
ckpt="$work/cmp/checkpoints/softmax.ckpt"
refused "--from-checkpoint with a config file is refused" \
  "^error: --from-checkpoint continues the checkpoint's own config; do not pass a config file too$" \
  theory "$work/unscaled.toml" --from-checkpoint "$ckpt"

# --- compare --theory ----------------------------------------------------------
if "$py" - "$work/cmp/theory.jsonl" "$work/cmp/metrics.jsonl" <<'EOF'; then
import json, sys
theory = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
simulated = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
key = lambda r: (r["t"], r["activation"])
sys.exit(0 if sorted(map(key, theory)) == sorted(map(key, simulated)) and len(theory) >= 6 else 1)
EOF
  pass "compare --theory: theory.jsonl holds one record per activation per log point of metrics.jsonl"
else fail "compare --theory: theory.jsonl holds one record per activation per log point of metrics.jsonl"; fi
check "compare --theory: theory.jsonl equals attnlab theory's metrics.jsonl for the same config" \
  cmp -s "$work/cmp/theory.jsonl" "$work/th/metrics.jsonl"
check "compare --theory: summary.txt reports the limit" grep -q "D -> infinity limit" "$work/cmp/summary.txt"
for figure in test_error overlaps_softmax; do
  if grep -q '(theory)' "$work/cmp/$figure.gp" && grep -q 'dt 2' "$work/cmp/$figure.gp"; then
    pass "compare --theory: $figure.gp draws the limit dashed"
  else fail "compare --theory: $figure.gp draws the limit dashed"; fi
done
# Refused before training: a training of this length would not end within the timeout.
before=$(date +%s.%N)
expect_error 2 "compare --theory without the D-scaled bias step is refused, naming bias_lr_scale" \
  "^error: model.bias = true with a bias step of bias_eta per sample .*bias_lr_scale" \
  compare "${small[@]}" --set train.time=1000000 --theory --out "$work/cmp-unscaled"
after=$(date +%s.%N)
if [ ! -e "$work/cmp-unscaled" ] && awk -v a="$before" -v b="$after" 'BEGIN { exit !(b - a < 60) }'; then
  pass "compare --theory is refused before training, leaving no folder"
else fail "compare --theory is refused before training, leaving no folder"; fi

# Stopped by a signal during the limit: the hint to continue keeps --theory
# (the saved config does not record it). The limit is made long enough to be
# running when the signal comes.
"$attnlab" compare "${small[@]}" "${scaled_bias[@]}" --set theory.samples=16384 --set theory.tolerance=1e-8 --theory \
  --out "$work/cmp-stopped" >"$work/stopped.log" 2>&1 &
pid=$!
for _ in $(seq 1200); do
  grep -q "the D -> infinity limit from the same initial overlaps" "$work/stopped.log" && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.05
done
kill -INT "$pid" 2>/dev/null
wait "$pid"
status=$?
if [ "$status" -eq 130 ] && grep -q "stopped by SIGINT during the limit" "$work/stopped.log" &&
   grep -q "continue with: attnlab compare --out $work/cmp-stopped --resume --theory$" "$work/stopped.log"; then
  pass "compare --theory stopped during the limit says to resume with --theory"
else echo "    exit $status"; sed 's/^/    /' "$work/stopped.log"; fail "compare --theory stopped during the limit says to resume with --theory"; fi

# --- the limit from a checkpoint -----------------------------------------------
if theory --from-checkpoint "$ckpt" --set train.time=40 --set eval.log_points=20 --out "$work/fc"; then
  pass "theory --from-checkpoint runs past the checkpoint's t"
else sed 's/^/    /' "$work/last.log"; fail "theory --from-checkpoint runs past the checkpoint's t"; fi
# from_checkpoint.py LIMIT COMPARE CHECKPOINT: the limit starts at the
# checkpoint's t from its overlaps (the comparison's last softmax record), then goes on.
cat >"$work/from_checkpoint.py" <<'EOF'
import json, sys
limit = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
simulated = [json.loads(l) for l in open(sys.argv[2]) if l.strip() and json.loads(l)["activation"] == "softmax"]
header = dict(l.split(" = ", 1) for l in open(sys.argv[3]).read().split("\n==")[0].splitlines()[1:] if " = " in l)
ckpt_t = float(header["time"])
last = max(simulated, key=lambda r: r["t"])
problems = []
if any(r["activation"] != "softmax" for r in limit): problems.append("records of other activations")
if not limit or limit[0]["t"] != ckpt_t: problems.append(f"first t {limit[0]['t'] if limit else None} != checkpoint's {ckpt_t}")
if last["t"] != ckpt_t: problems.append(f"the comparison's last t {last['t']} != checkpoint's {ckpt_t}")
def flat(x): return [v for row in x for v in (row if isinstance(row, list) else [row])]
for key in ("key_overlaps", "value_overlaps", "biases"):
    a, b = flat(limit[0][key]), flat(last[key])
    if len(a) != len(b) or max(abs(x - y) for x, y in zip(a, b)) > 1e-12:
        problems.append(f"{key}: {a} vs the comparison's {b}")
ts = [r["t"] for r in limit]
if len(ts) < 2 or any(b <= a for a, b in zip(ts, ts[1:])) or ts[-1] != 40:
    problems.append(f"t values {ts}")
print("; ".join(problems))
sys.exit(1 if problems else 0)
EOF
if out=$("$py" "$work/from_checkpoint.py" "$work/fc/metrics.jsonl" "$work/cmp/metrics.jsonl" "$ckpt" 2>&1); then
  pass "--from-checkpoint: starts at the checkpoint's t with its overlaps (to 1e-12), then later t up to train.time"
else echo "    $out"; fail "--from-checkpoint: starts at the checkpoint's t with its overlaps (to 1e-12), then later t up to train.time"; fi
refused "--from-checkpoint with train.time at the checkpoint's t is refused" "nothing is left to compute" \
  theory --from-checkpoint "$ckpt" --set train.time=20
refused "--from-checkpoint with train.time before the checkpoint's t is refused" "nothing is left to compute" \
  theory --from-checkpoint "$ckpt" --set train.time=10

# --- the plateau -------------------------------------------------------------
# A prior with two centred features of distinct variance and the mean along a third.
plateau_prior=(--set data.D=40 --set data.L=5 --set 'data.mean=[0.0, 0.0, 1.5]' --set 'data.std=[2.5, 1.5, 0.0]'
               --set theory.samples=512 --set theory.risk_samples=2048 --set 'activations=["softmax"]')
if theory "${plateau_prior[@]}" --plateau --out "$work/plateau"; then pass "theory --plateau runs"
else sed 's/^/    /' "$work/last.log"; fail "theory --plateau runs"; fi
for f in config.toml plateau.csv plateau_modes.csv plateau.txt; do check "--plateau writes $f" test -s "$work/plateau/$f"; done
check "--plateau computes no curves (no metrics.jsonl)" test ! -e "$work/plateau/metrics.jsonl"
# plateau.csv: one row per centred feature, the larger variance escaping first.
out=$($py - "$work/plateau/plateau.csv" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
problems = []
if [r["feature"] for r in rows] != ["1", "2"]: problems.append(f"features {[r['feature'] for r in rows]}, expected the centred 1 and 2")
else:
    v = [float(r["variance"]) for r in rows]
    if not (4 < v[0] < 9 and 1 < v[1] < 4): problems.append(f"variances {v} far from 6.25 and 2.25")
    if rows[0]["predicted_order"] != "1" or not rows[0]["growth_rate"]: problems.append(f"feature 1 not first: {rows[0]}")
print("; ".join(problems))
EOF
)
if [ -z "$out" ]; then pass "plateau.csv: the centred features, variances near the prior's, the larger escaping first"
else echo "    $out"; fail "plateau.csv: the centred features, variances near the prior's, the larger escaping first"; fi
check "plateau.txt states the plateau's risk and how it settled" grep -q "plateau risk .*settled" "$work/plateau/plateau.txt"

# --- the optimum -------------------------------------------------------------
if theory "${small[@]}" "${scaled_bias[@]}" --set 'activations=["softmax", "bayes-softmax"]' --optimum --starts 3 \
     --horizon 40 --out "$work/optimum"; then pass "theory --optimum runs"
else sed 's/^/    /' "$work/last.log"; fail "theory --optimum runs"; fi
for f in config.toml optimum.csv optimum.txt; do check "--optimum writes $f" test -s "$work/optimum/$f"; done
out=$($py - "$work/optimum/optimum.csv" "$work/optimum/optimum.txt" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
text = open(sys.argv[2]).read()
problems = []
if [(r["activation"], r["start"]) for r in rows] != [(a, str(s)) for a in ("softmax", "bayes-softmax") for s in range(3)]:
    problems.append(f"rows {[(r['activation'], r['start']) for r in rows]}")
for r in rows:
    if not 0 < float(r["risk"]) < 2: problems.append(f"risk {r['risk']}")
    if float(r["time"]) > 40: problems.append(f"time {r['time']} past the horizon")
for a in ("softmax", "bayes-softmax"):
    best = min(float(r["risk"]) for r in rows if r["activation"] == a)
    if f"{a}: best risk {best:.5g} over 3 starts" not in text: problems.append(f"summary lacks {a}'s best risk {best:.5g}")
print("; ".join(problems))
EOF
)
if [ -z "$out" ]; then pass "optimum.csv: every start of every activation; optimum.txt: each one's best risk"
else echo "    $out"; fail "optimum.csv: every start of every activation; optimum.txt: each one's best risk"; fi
refused "--plateau with --optimum is refused" "give one" theory "${small[@]}" --plateau --optimum --out "$work/both"

# --- the optimum from the Bayes point ------------------------------------------
# Three support points, three heads: Bayes-softmax's flow from the point where
# it is the Bayes predictor stays near the Bayes risk. The flow descends a
# 1024-sample risk, whose minimum lies about 42 / 1024 = 4 % above the
# population's; 10 % leaves room for the risk estimates' own errors.
cat >"$work/discrete.toml" <<'EOF'
activations = ["bayes-softmax"]
[data]
plugin = "single-location"
D = 40
L = 5
delta = 0.1
prior = "discrete"
support = [[2.5, 0.0], [-2.5, 0.0], [0.0, 2.5]]
[model]
heads = 3
[train]
time = 20
[train.optimizer_params]
lr_scale = "none"
bias_lr_scale = "per-dimension"
[eval]
test_size = 256
bayes_samples = 20000
[theory]
samples = 1024
risk_samples = 16384
EOF
if theory "$work/discrete.toml" --optimum --bayes-point --starts 1 --horizon 20 --out "$work/bayes-point"; then
  line=$(grep '^bayes-softmax from the Bayes-optimal point (start 1 in optimum.csv): risk ' "$work/bayes-point/optimum.txt")
  over=$(grep -o 'best risk [0-9.]* over 2 starts.*; [-+0-9.]* % over the Bayes risk' "$work/bayes-point/optimum.txt" |
         sed 's/.*; \([-+0-9.]*\) % over.*/\1/')
  if [ -n "$line" ] && [ -n "$over" ] && $py -c "import sys; sys.exit(0 if abs(float('$over')) < 10 else 1)"; then
    pass "--bayes-point: Bayes-softmax's flow from the Bayes point ends within 10 % of the Bayes risk ($over %)"
  else sed 's/^/    /' "$work/bayes-point/optimum.txt"; fail "--bayes-point: the flow from the Bayes point"; fi
else sed 's/^/    /' "$work/last.log"; fail "theory --optimum --bayes-point runs"; fi
refused "--bayes-point on a Gaussian prior is refused" "needs a discrete prior" \
  theory "${small[@]}" "${scaled_bias[@]}" --optimum --bayes-point --starts 1 --horizon 1 --out "$work/bp-gauss"
refused "--bayes-point with fewer heads than support points is refused" "H = 2 < 3 points" \
  theory "$work/discrete.toml" --set model.heads=2 --optimum --bayes-point --starts 1 --horizon 1 --out "$work/bp-heads"
refused "--bayes-point without --optimum is refused" "give both" theory "$work/discrete.toml" --bayes-point \
  --out "$work/bp-alone"

finish "theory CLI"
