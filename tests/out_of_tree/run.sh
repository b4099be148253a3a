#!/usr/bin/env bash
# Out-of-tree plugin test: proves that plugins can be written, checked and
# used with nothing but an installed attnlab.
#
#   1. cmake --install <build dir> --prefix <fresh temp prefix>
#   2. build every examples/*/ project against that prefix only, warnings as
#      errors (-Wall -Wextra -Wpedantic -Werror)
#   3. <prefix>/bin/attnlab plugins      finds the built-ins by itself
#   4. with ATTNLAB_PLUGIN_PATH=<all example build dirs>: attnlab plugins
#      lists a plugin from each example, and attnlab check-plugin passes on
#      every one of them (activations and data models)
#   5. attnlab compare trains the built-in activations and every example
#      activation together; each one is in summary.csv (a divergence is
#      reported, not an error)
#   6. multi-location with K = 1 has single-location's Bayes risk (within 4
#      standard errors), and a comparison on multi-location data finishes
#      with its Bayes risk
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

work="$(mktemp -d "${TMPDIR:-/tmp}/attnlab-out-of-tree.XXXXXX")"
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"
attnlab="$prefix/bin/attnlab"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

echo "== install $build_dir into $prefix"
"$cmake_exe" --install "$build_dir" --prefix "$prefix" >"$work/install.log" ||
  { cat "$work/install.log" >&2; fail "cmake --install failed"; }
[ -x "$attnlab" ] || fail "the install has no $attnlab"

# ---------------------------------------------------------------------------
# Build every example project against the installed prefix.
examples=()
for dir in "$source_dir"/examples/*/; do
  [ -f "$dir/CMakeLists.txt" ] && examples+=("${dir%/}")
done
[ "${#examples[@]}" -gt 0 ] || fail "no example projects under $source_dir/examples"

cxx_flags="-Wall -Wextra -Wpedantic -Werror"
configure_common=(-DCMAKE_PREFIX_PATH="$prefix"
                  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON
                  # Only the fresh prefix may provide the SDK.
                  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
if [ -n "$cxx_compiler" ]; then configure_common+=(-DCMAKE_CXX_COMPILER="$cxx_compiler"); fi
case "$sanitize" in
  ON | on | 1 | TRUE | true)
    # The plugin code runs instrumented inside the instrumented host.
    configure_common+=(
      "-DCMAKE_CXX_FLAGS=$cxx_flags -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
      "-DCMAKE_MODULE_LINKER_FLAGS=-fsanitize=address,undefined")
    ;;
  *)
    # Optimized, as a user would build for training (some warnings only
    # appear with optimization).
    configure_common+=("-DCMAKE_CXX_FLAGS=$cxx_flags" -DCMAKE_BUILD_TYPE=Release)
    ;;
esac

plugin_path=""
example_builds=()
for example in "${examples[@]}"; do
  name="$(basename "$example")"
  example_build="$work/build/$name"
  echo "== configure and build examples/$name"
  "$cmake_exe" -S "$example" -B "$example_build" "${configure_common[@]}" >"$work/configure-$name.log" ||
    { cat "$work/configure-$name.log" >&2; fail "configuring examples/$name failed"; }
  "$cmake_exe" --build "$example_build" || fail "building examples/$name failed (warnings are errors)"

  compgen -G "$example_build/*.so" >/dev/null || fail "building examples/$name produced no .so in $example_build"
  sdk_dir="$(sed -n 's/^attnlab_sdk_DIR:PATH=//p' "$example_build/CMakeCache.txt")"
  case "$sdk_dir" in
    "$prefix"/*) ;;
    *) fail "examples/$name found attnlab_sdk in '$sdk_dir', not in the installed prefix $prefix" ;;
  esac
  if grep -q -- "$source_dir/sdk/include" "$example_build/compile_commands.json"; then
    fail "examples/$name was compiled against the source tree's SDK headers, not the installed ones"
  fi
  plugin_path="$plugin_path${plugin_path:+:}$example_build"
  example_builds+=("$example_build")
done

echo "== installed attnlab plugins (built-ins only)"
builtins="$(env -u ATTNLAB_PLUGIN_PATH "$attnlab" plugins 2>&1)" ||
  { echo "$builtins" >&2; fail "installed 'attnlab plugins' exited non-zero"; }
echo "$builtins"
for id in softmax softmax1 bayes-softmax single-location; do
  echo "$builtins" | awk -v id="$id" '$2 == id { found = 1 } END { exit !found }' ||
    fail "installed attnlab does not find its built-in plugin '$id' (expected under $prefix/lib*/attnlab/plugins)"
done

# ---------------------------------------------------------------------------
export ATTNLAB_PLUGIN_PATH="$plugin_path"
echo "== ATTNLAB_PLUGIN_PATH=<the ${#examples[@]} example build folders> attnlab plugins"
listing="$("$attnlab" plugins 2>&1)" ||
  { echo "$listing" >&2; fail "'attnlab plugins' exited non-zero with the examples on ATTNLAB_PLUGIN_PATH"; }
echo "$listing"

# Each example's plugins, from the FILE column: "kind id" lines.
example_plugins=""
for example_build in "${example_builds[@]}"; do
  found="$(echo "$listing" | awk -v dir="$example_build/" 'index($NF, dir) == 1 { print $1, $2 }')"
  [ -n "$found" ] || fail "'attnlab plugins' lists no plugin from $example_build"
  example_plugins="$example_plugins$found"$'\n'
done
echo "$example_plugins" | awk '$1 == "activation" && $2 == "linear" { found = 1 } END { exit !found }' ||
  fail "'attnlab plugins' does not list the activation 'linear'"

example_activations=()
example_data_models=()
example_ids=()
while read -r kind id; do
  [ -n "$kind" ] || continue
  example_ids+=("$id")
  case "$kind" in
    activation) example_activations+=("$id") ;;
    data-model) example_data_models+=("$id") ;;
  esac
done <<<"$example_plugins"

for id in "${example_ids[@]}"; do
  echo "== attnlab check-plugin $id"
  status=0
  report="$("$attnlab" check-plugin "$id" </dev/null 2>&1)" || status=$?
  echo "$report"
  [ "$status" -eq 0 ] || fail "'attnlab check-plugin $id' exited with status $status"
  echo "$report" | grep -Eq '^[0-9]+ passed, 0 failed$' || fail "'attnlab check-plugin $id' did not report '0 failed'"
done

# ---------------------------------------------------------------------------
all_activations=(softmax softmax1 bayes-softmax "${example_activations[@]}")
activation_list="$(printf '"%s",' "${all_activations[@]}")"
activation_list="[${activation_list%,}]"
echo "== attnlab compare: built-in and example activations together: $activation_list"
# Small and quick; eta = 0.05 keeps every activation here from diverging at
# this size (the unnormalized linear one does at the default 0.1).
"$attnlab" compare --set "activations=$activation_list" --set data.D=30 --set train.time=300 \
  --set train.optimizer_params.eta=0.05 --set eval.test_size=256 --set eval.bayes_samples=20000 \
  --set train.threads=1 --out "$work/compare-all" >"$work/compare-all.log" 2>&1 ||
  { cat "$work/compare-all.log" >&2; fail "attnlab compare with the example activations failed"; }
cat "$work/compare-all/summary.txt"
for id in "${all_activations[@]}"; do
  awk -F, -v id="$id" '$1 == id { found = 1 } END { exit !found }' "$work/compare-all/summary.csv" ||
    fail "activation '$id' is missing from $work/compare-all/summary.csv"
done
# A diverged model is a result, not a failure: say so and go on.
awk -F, 'NR > 1 && $6 != "ok" { print "note: " $1 " " $6 " at step " $7 ": " $11 }' "$work/compare-all/summary.csv"

# ---------------------------------------------------------------------------
if [[ " ${example_data_models[*]} " == *" multi-location "* ]]; then
  echo "== Bayes risk: multi-location with K = 1 against single-location"
  data_params='D = 30
L = 8
delta = 0.1
mean = [1.5, 0.0, 0.0]
std = [2.0, 1.4, 0.8]'
  printf '[data]\nplugin = "single-location"\n%s\n' "$data_params" >"$work/single.toml"
  printf '[data]\nplugin = "multi-location"\nK = 1\n%s\n' "$data_params" >"$work/multi-k1.toml"
  risk() {  # prints "mean standard_error"
    local out
    out="$("$attnlab" bayes-risk "$1" --samples 100000 2>&1)" || { echo "$out" >&2; fail "attnlab bayes-risk $1 failed"; }
    echo "$out" >&2
    echo "$out" | sed -n 's/^Bayes risk = \([^ ]*\) +- \([^ ]*\) .*/\1 \2/p'
  }
  single="$(risk "$work/single.toml")"
  multi="$(risk "$work/multi-k1.toml")"
  if [ -z "$single" ] || [ -z "$multi" ]; then fail "could not read the Bayes risk estimates ('$single', '$multi')"; fi
  awk -v a="$single" -v b="$multi" 'BEGIN {
    split(a, x, " "); split(b, y, " ");
    se = sqrt(x[2] ^ 2 + y[2] ^ 2); z = (y[1] - x[1]) / (se > 0 ? se : 1e-300);
    printf "single-location %s, multi-location K=1 %s: z = %.2f (bound 4)\n", x[1], y[1], z;
    exit !(z <= 4 && z >= -4) }' ||
    fail "multi-location with K = 1 does not reproduce single-location's Bayes risk"

  echo "== attnlab compare on multi-location data (K = 2)"
  cat >"$work/multi.toml" <<'TOML'
activations = ["softmax", "softmax1", "bayes-softmax"]

[data]
plugin = "multi-location"
D = 30
L = 8
K = 2
delta = 0.1
mean = [1.5, 0.0]
std = [2.0, 1.0]

[train]
time = 300.0
threads = 1

[train.optimizer_params]
eta = 0.05
lr_scale = "none"

[eval]
test_size = 256
bayes_samples = 20000
TOML
  "$attnlab" compare "$work/multi.toml" --out "$work/compare-multi" >"$work/compare-multi.log" 2>&1 ||
    { cat "$work/compare-multi.log" >&2; fail "attnlab compare on multi-location data failed"; }
  cat "$work/compare-multi/summary.txt"
  awk -F, 'NR == 2 { risk = $3 } END { exit !(risk + 0 > 0) }' "$work/compare-multi/summary.csv" ||
    fail "the multi-location comparison reports no positive Bayes risk in its summary.csv"
else
  fail "no example data model 'multi-location' among: ${example_data_models[*]:-none}"
fi

echo "PASS: ${#examples[@]} example projects built against the installed SDK, checked and compared with the installed CLI"
