#!/usr/bin/env bash
# The local sweep executor: a 24-cell sweep of small comparisons run with one
# worker and with two (alternating, A B B A, so drift on a shared machine
# hits both), and the sweep's own cost per cell: the one-worker sweep's wall
# time minus that of the same 24 comparisons run one after another by
# `attnlab compare --no-figures` (as the sweep runs them), divided by 24.
# Usage: bench/sweep_scaling.sh [path/to/attnlab]   (default: build/bin/attnlab)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
attnlab="$(realpath "${1:-$root/build/bin/attnlab}")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cat >"$work/base.toml" <<'TOML'
activations = ["softmax", "softmax1"]
[train]
time = 2000.0
threads = 1
[eval]
test_size = 512
log_points = 10
bayes_samples = 2000
TOML
printf 'base = "base.toml"\n[sweep]\n"data.D" = [30, 40, 50]\n"model.heads" = [2, 3]\nseeds = 4\n' >"$work/spec.toml"

seconds() { /usr/bin/python3 -c 'import time; print(time.monotonic())'; }
sweep_time() {  # workers, folder
  local start end
  start=$(seconds)
  "$attnlab" sweep "$work/spec.toml" --out "$work/$2" --workers "$1" >/dev/null 2>&1
  end=$(seconds)
  rm -rf "${work:?}/$2"
  /usr/bin/python3 -c "print($end - $start)"
}

one_a=$(sweep_time 1 one-a)
two_a=$(sweep_time 2 two-a)
two_b=$(sweep_time 2 two-b)
one_b=$(sweep_time 1 one-b)

# The same 24 comparisons, one after another, without the sweep.
"$attnlab" sweep "$work/spec.toml" --out "$work/configs" --dry-run >/dev/null
"$attnlab" sweep "$work/spec.toml" --out "$work/configs" --workers 2 >/dev/null 2>&1
start=$(seconds)
for config in "$work"/configs/cells/*/config.toml; do
  "$attnlab" compare "$config" --out "$work/standalone" --force --no-figures >/dev/null 2>&1
done
end=$(seconds)
standalone=$(/usr/bin/python3 -c "print($end - $start)")

/usr/bin/python3 - "$one_a" "$one_b" "$two_a" "$two_b" "$standalone" <<'PY'
import sys
one_a, one_b, two_a, two_b, standalone = map(float, sys.argv[1:])
one, two = (one_a + one_b) / 2, (two_a + two_b) / 2
print(f"24 cells, 1 worker: {one_a:.2f} s, {one_b:.2f} s (mean {one:.2f} s)")
print(f"24 cells, 2 workers: {two_a:.2f} s, {two_b:.2f} s (mean {two:.2f} s)")
print(f"speed-up 2 workers / 1 worker: {one / two:.2f}x")
print(f"24 standalone compares one after another: {standalone:.2f} s")
print(f"sweep overhead per cell (1 worker - standalone) / 24: {(one - standalone) / 24 * 1000:.0f} ms")
PY
