#!/usr/bin/env bash
# Installs what the benchmarks need on top of the build and test packages:
# Google Benchmark for the micro-benchmarks, PyTorch for the reference
# implementation, GNU time for peak memory. Kept out of the test setup
# because PyTorch is large and only the benchmarks use it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup.sh" libbenchmark-dev python3-torch python3-numpy time
