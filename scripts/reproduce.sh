#!/usr/bin/env bash
# Sets up and builds attnlab and the example activations (linear, erf,
# normalized softplus, sparsemax, sigmoid), then runs `attnlab reproduce` with
# the examples on the plugin path, so that the activations experiment
# compares them with the built-ins.
# Usage: scripts/reproduce.sh [EXPERIMENT] [attnlab reproduce options]
#   scripts/reproduce.sh all --quick
#   scripts/reproduce.sh all --out docs/reproduction --force   # the committed report
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

bash "$root/scripts/setup.sh"
bash "$root/scripts/build.sh"

plugin_path=""
for example in linear-activation erf-activation normalized-softplus sparsemax sigmoid-attention; do
  build_dir="$root/build/examples/$example"
  cmake -S "$root/examples/$example" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release \
    -Dattnlab_sdk_DIR="$root/build/sdk" >/dev/null
  cmake --build "$build_dir" >/dev/null
  plugin_path="$plugin_path${plugin_path:+:}$build_dir"
done

experiment="${1:-all}"
[ $# -gt 0 ] && shift
cd "$root"
ATTNLAB_PLUGIN_PATH="$plugin_path${ATTNLAB_PLUGIN_PATH:+:$ATTNLAB_PLUGIN_PATH}" \
  exec "$root/build/bin/attnlab" reproduce "$experiment" "$@"
