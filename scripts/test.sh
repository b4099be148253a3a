#!/usr/bin/env bash
# Sets up (apt packages), builds, and runs the whole test suite through ctest.
# Usage: scripts/test.sh [--sanitize]   (--sanitize: ASan + UBSan build in build-asan/)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# slurm-wlm and munge: the Slurm tests run a private one-node cluster
# (tests/slurm/private_slurm.sh); nothing else needs them.
bash "$root/scripts/setup.sh" slurm-wlm munge
bash "$root/scripts/build.sh" "$@"

build_dir="$root/build"
if [ "${1:-}" = "--sanitize" ]; then
  build_dir="$root/build-asan"
  # Any sanitizer report fails the test that triggered it.
  export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:${ASAN_OPTIONS:-}"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
fi
cd "$build_dir"
ctest --output-on-failure --parallel "$(nproc 2>/dev/null || echo 2)"
