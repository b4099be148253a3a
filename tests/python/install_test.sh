#!/usr/bin/env bash
# `cmake --install` puts the package in the prefix's Python package folder,
# and the installed package runs the installed attnlab and loads the
# installed built-in plugins (not the build tree's).
# Usage: install_test.sh BUILD_DIR PYTHON
set -euo pipefail
build="$1"
python="$2"
prefix="$(mktemp -d)"
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
package="$(find "$prefix" -path '*-packages/attnlab/__init__.py')"
[ -n "$package" ] || { echo "FAIL: no attnlab package under $prefix"; exit 1; }
cd "$prefix"
env -u ATTNLAB_PLUGIN_PATH -u ATTNLAB_EXECUTABLE PYTHONPATH="$(dirname "$(dirname "$package")")" "$python" - "$prefix" <<'PY'
import sys
import attnlab
from attnlab import _locate

prefix = sys.argv[1]
assert attnlab.__file__.startswith(prefix), attnlab.__file__
assert str(_locate.executable()) == f"{prefix}/bin/attnlab", _locate.executable()
files = {record["id"]: record["file"] for record in attnlab.plugins()}
assert files["softmax"].startswith(prefix), files
result = attnlab.compare(out=f"{prefix}/run", activations=["softmax"], train={"time": 5}, eval={"bayes_samples": 100},
                         figures=False, quiet=True)
assert list(result.summary.status) == ["ok"]
print("installed package OK:", attnlab.__file__)
PY
