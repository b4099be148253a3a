# Shared by the CLI end-to-end scripts (sourced, not run): a scratch folder,
# pass/fail bookkeeping and the common checks. The script sets `attnlab`.
set -uo pipefail
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failures=0
passes=0

pass() { passes=$((passes + 1)); echo "ok   $1"; }
fail() { failures=$((failures + 1)); echo "FAIL $1"; }
check() {  # description, command...
  local description="$1"; shift
  if "$@"; then pass "$description"; else fail "$description"; fi
}

# expect_error MAX_LINES DESCRIPTION REGEX ARGUMENTS...: attnlab ARGUMENTS
# exits non-zero with at most MAX_LINES lines of output, one matching REGEX.
expect_error() {
  local max_lines="$1" description="$2" pattern="$3"; shift 3
  "$attnlab" "$@" >"$work/err.log" 2>&1
  local status=$?
  if [ "$status" -ne 0 ] && grep -Eq "$pattern" "$work/err.log" && [ "$(grep -c . "$work/err.log")" -le "$max_lines" ]; then
    pass "$description"
  else
    echo "  exit $status, output:"; sed 's/^/    /' "$work/err.log"; fail "$description"
  fi
}

# finish NAME: the summary line and the exit status.
finish() {
  echo "$1: $passes passed, $failures failed"
  [ "$failures" -eq 0 ]
}
