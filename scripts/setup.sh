#!/usr/bin/env bash
# Installs every Debian 12 package attnlab needs to build and test, plus any
# package names given as arguments (bench/setup.sh passes the benchmarks' own).
# Idempotent: packages already present are skipped, and the package index is
# refreshed only when something is missing. Nothing else is downloaded.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libboost-dev libboost-filesystem-dev
  libeigen3-dev
  libspdlog-dev libfmt-dev
  libcli11-dev
  catch2
  libtomlplusplus-dev
  nlohmann-json3-dev
  libcmark-gfm-dev libcmark-gfm-extensions-dev
  gnuplot-nox
  pybind11-dev python3-dev python3-numpy python3-pandas python3-pytest python3-matplotlib
)
packages+=("$@")

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages already installed"
  exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

echo "setup: installing ${missing[*]}"
"${sudo_cmd[@]}" apt-get update -q
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
