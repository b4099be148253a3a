#!/usr/bin/env bash
# Configures and builds attnlab. Usage: scripts/build.sh [--sanitize]
#   default      Release build in build/ (the CLI lands at build/bin/attnlab)
#   --sanitize   AddressSanitizer + UndefinedBehaviorSanitizer build in build-asan/
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

build_dir="$root/build"
# Debian's python3 (with NumPy and pandas) for the Python module, not
# whichever python3 comes first on the PATH (a pyenv one lacks them).
cmake_args=(-DCMAKE_BUILD_TYPE=Release -DPython3_EXECUTABLE=/usr/bin/python3)
if [ "${1:-}" = "--sanitize" ]; then
  build_dir="$root/build-asan"
  cmake_args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DATTNLAB_SANITIZE=ON)  # no Python module
elif [ -n "${1:-}" ]; then
  echo "usage: scripts/build.sh [--sanitize]" >&2
  exit 2
fi

jobs="$(nproc 2>/dev/null || echo 2)"
cmake -S "$root" -B "$build_dir" "${cmake_args[@]}" >/dev/null
cmake --build "$build_dir" --parallel "$jobs"
echo "build: $build_dir"
