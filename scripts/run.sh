#!/usr/bin/env bash
# Sets up, builds and runs attnlab's main job: the built-in head-to-head
# comparison of softmax, softmax-1 and Bayes-softmax. Extra arguments go to
# `attnlab compare` (e.g. --out DIR, --set train.time=2000, a config file).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

bash "$root/scripts/setup.sh"
bash "$root/scripts/build.sh"
cd "$root"
exec "$root/build/bin/attnlab" compare "$@"
