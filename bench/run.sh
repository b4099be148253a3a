#!/usr/bin/env bash
# Sets up (build packages plus Google Benchmark, PyTorch, GNU time), builds
# attnlab with its benchmarks in build-bench/ (portable, as the default build)
# and in build-bench-v3/ (ATTNLAB_ARCH=x86-64-v3, timed as an extra column of
# the side-by-side table when this CPU has AVX2 and FMA), and runs every
# benchmark: attnlab against the PyTorch reference, thread scaling,
# micro-benchmarks, peak memory.
# Usage: bench/run.sh [--out DIR] [--repetitions N] [--only PART]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jobs="$(nproc 2>/dev/null || echo 2)"

bash "$root/bench/setup.sh"
build() {  # build folder, extra CMake arguments
  cmake -S "$root" -B "$1" -DCMAKE_BUILD_TYPE=Release -DATTNLAB_BUILD_TESTS=OFF -DATTNLAB_BUILD_BENCHMARKS=ON \
    "${@:2}" >/dev/null
  cmake --build "$1" --parallel "$jobs" >/dev/null
}
build "$root/build-bench" -DATTNLAB_ARCH=
v3_args=()
if grep -q avx2 /proc/cpuinfo && grep -q fma /proc/cpuinfo; then
  build "$root/build-bench-v3" -DATTNLAB_ARCH=x86-64-v3
  v3_args=(--bin-v3 "$root/build-bench-v3/bin")
fi
cd "$root"
exec /usr/bin/python3 "$root/bench/benchmark.py" --bin "$root/build-bench/bin" "${v3_args[@]}" "$@"
