#!/usr/bin/env bash
# Out-of-tree plugin test: proves that a plugin can be written and checked
# with nothing but an installed attnlab.
#
#   1. cmake --install <build dir> --prefix <fresh temp prefix>
#   2. build examples/linear-activation against that prefix only
#   3. <prefix>/bin/attnlab plugins      finds the built-ins by itself
#   4. with ATTNLAB_PLUGIN_PATH=<example build dir>:
#      attnlab plugins lists 'linear', attnlab check-plugin linear passes
#
# Usage: run.sh <cmake> <attnlab build dir> <attnlab source dir> [<c++ compiler> [ON|OFF sanitize]]
set -euo pipefail

if [ $# -lt 3 ]; then
  echo "usage: run.sh <cmake> <attnlab build dir> <attnlab source dir> [<c++ compiler> [ON|OFF]]" >&2
  exit 2
fi
cmake_exe="$1"
build_dir="$2"
source_dir="$3"
cxx_compiler="${4:-}"
sanitize="${5:-OFF}"
example="$source_dir/examples/linear-activation"

work="$(mktemp -d "${TMPDIR:-/tmp}/attnlab-out-of-tree.XXXXXX")"
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"
example_build="$work/linear-build"
attnlab="$prefix/bin/attnlab"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

echo "== install $build_dir into $prefix"
"$cmake_exe" --install "$build_dir" --prefix "$prefix" >"$work/install.log" ||
  { cat "$work/install.log" >&2; fail "cmake --install failed"; }
[ -x "$attnlab" ] || fail "the install has no $attnlab"

echo "== configure and build $example"
configure_args=(-S "$example" -B "$example_build"
                -DCMAKE_PREFIX_PATH="$prefix"
                -DCMAKE_EXPORT_COMPILE_COMMANDS=ON
                # Only the fresh prefix may provide the SDK.
                -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
if [ -n "$cxx_compiler" ]; then configure_args+=(-DCMAKE_CXX_COMPILER="$cxx_compiler"); fi
case "$sanitize" in
  ON | on | 1 | TRUE | true)
    configure_args+=(
      "-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
      "-DCMAKE_MODULE_LINKER_FLAGS=-fsanitize=address,undefined")
    ;;
esac
"$cmake_exe" "${configure_args[@]}"
"$cmake_exe" --build "$example_build"

plugin="$example_build/linear.so"
[ -f "$plugin" ] || fail "the example build produced no $plugin"
sdk_dir="$(sed -n 's/^attnlab_sdk_DIR:PATH=//p' "$example_build/CMakeCache.txt")"
case "$sdk_dir" in
  "$prefix"/*) ;;
  *) fail "attnlab_sdk was found in '$sdk_dir', not in the installed prefix $prefix" ;;
esac
if grep -q -- "$source_dir/sdk/include" "$example_build/compile_commands.json"; then
  fail "the example was compiled against the source tree's SDK headers, not the installed ones"
fi

echo "== installed attnlab plugins (built-ins only)"
builtins="$(env -u ATTNLAB_PLUGIN_PATH "$attnlab" plugins 2>&1)" ||
  { echo "$builtins" >&2; fail "installed 'attnlab plugins' exited non-zero"; }
echo "$builtins"
for id in softmax softmax1 bayes-softmax; do
  echo "$builtins" | awk -v id="$id" '$2 == id { found = 1 } END { exit !found }' ||
    fail "installed attnlab does not find its built-in plugin '$id' (expected under $prefix/lib*/attnlab/plugins)"
done

echo "== ATTNLAB_PLUGIN_PATH=$example_build attnlab plugins"
listing="$(ATTNLAB_PLUGIN_PATH="$example_build" "$attnlab" plugins 2>&1)" ||
  { echo "$listing" >&2; fail "'attnlab plugins' exited non-zero with the example on ATTNLAB_PLUGIN_PATH"; }
echo "$listing"
echo "$listing" | awk '$1 == "activation" && $2 == "linear" { found = 1 } END { exit !found }' ||
  fail "'attnlab plugins' does not list the activation 'linear'"

echo "== ATTNLAB_PLUGIN_PATH=$example_build attnlab check-plugin linear"
status=0
report="$(ATTNLAB_PLUGIN_PATH="$example_build" "$attnlab" check-plugin linear 2>&1)" || status=$?
echo "$report"
[ "$status" -eq 0 ] || fail "'attnlab check-plugin linear' exited with status $status"
echo "$report" | grep -Eq '^[0-9]+ passed, 0 failed$' || fail "'attnlab check-plugin linear' did not report '0 failed'"

echo "PASS: out-of-tree plugin built against the installed SDK and checked by the installed CLI"
