#!/usr/bin/env bash
# `attnlab new-plugin` end to end: for each kind, generate a project, build it
# unchanged against this build tree's SDK package, pass check-plugin, and
# train with all three new plugins together in one small comparison.
#
# Usage: new_plugin.sh <cmake> <attnlab build dir> [<c++ compiler> [ON|OFF sanitize]]
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: new_plugin.sh <cmake> <attnlab build dir> [<c++ compiler> [ON|OFF]]" >&2
  exit 2
fi
cmake_exe="$1"
build_dir="$2"
cxx_compiler="${3:-}"
sanitize="${4:-OFF}"
attnlab="$build_dir/bin/attnlab"

work="$(mktemp -d "${TMPDIR:-/tmp}/attnlab-new-plugin.XXXXXX")"
trap 'rm -rf "$work"' EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

configure_args=(-Dattnlab_sdk_DIR="$build_dir/sdk" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
if [ -n "$cxx_compiler" ]; then configure_args+=(-DCMAKE_CXX_COMPILER="$cxx_compiler"); fi
case "$sanitize" in
  ON | on | 1 | TRUE | true)
    configure_args+=(
      "-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
      "-DCMAKE_MODULE_LINKER_FLAGS=-fsanitize=address,undefined")
    ;;
esac

plugin_path=""
for kind in activation data-model optimizer; do
  id="new-$kind"
  project="$work/$id"
  echo "== attnlab new-plugin --kind $kind $id"
  "$attnlab" new-plugin --kind "$kind" "$id" "$project"
  echo "== build $project unchanged"
  # -Werror: the skeletons are what users start from; they must be warning-free.
  "$cmake_exe" -S "$project" -B "$project/build" "${configure_args[@]}" -DCMAKE_CXX_FLAGS_INIT=-Werror >/dev/null
  "$cmake_exe" --build "$project/build"
  [ -f "$project/build/$id.so" ] || fail "building the $kind skeleton produced no $id.so"
  plugin_path="$plugin_path${plugin_path:+:}$project/build"
done
export ATTNLAB_PLUGIN_PATH="$plugin_path"

for kind in activation data-model optimizer; do
  id="new-$kind"
  echo "== attnlab check-plugin $id"
  status=0
  report="$("$attnlab" check-plugin "$id" 2>&1)" || status=$?
  echo "$report"
  [ "$status" -eq 0 ] || fail "check-plugin $id exited with status $status"
  echo "$report" | grep -Eq '^[0-9]+ passed, 0 failed$' || fail "check-plugin $id did not report '0 failed'"
done

# The skeleton's beta is learnable and may turn negative in training: its
# stabilising shift must hold for beta < 0 too (every check, no NaN).
echo "== attnlab check-plugin new-activation --params 'beta = -1'"
status=0
report="$("$attnlab" check-plugin new-activation --params 'beta = -1' 2>&1)" || status=$?
echo "$report"
[ "$status" -eq 0 ] || fail "check-plugin new-activation with beta = -1 exited with status $status"
echo "$report" | grep -Eq '^[0-9]+ passed, 0 failed$' || fail "check-plugin new-activation with beta = -1 failed"
! echo "$report" | grep -qiw 'nan' || fail "check-plugin new-activation with beta = -1 printed a NaN"

echo "== attnlab compare with the three new plugins and a built-in"
cat >"$work/config.toml" <<'TOML'
activations = ["softmax", "new-activation"]
[data]
plugin = "new-data-model"
D = 20
L = 4
[train]
optimizer = "new-optimizer"
time = 20.0
threads = 1
[eval]
test_size = 256
log_points = 4
bayes_samples = 5000
TOML
"$attnlab" compare "$work/config.toml" --out "$work/results"
for id in softmax new-activation; do
  grep -q "^$id,[0-9.e+-]*,[0-9.e+-]*,[0-9.e+-]*,[0-9.e+-]*,ok," "$work/results/summary.csv" ||
    fail "summary.csv has no finished row for $id"
done

echo "PASS: every new-plugin skeleton builds unchanged, passes check-plugin and trains"
