#!/usr/bin/env bash
# Runs a command and checks its exit status and output.
#
#   expect.sh EXPECTED_EXIT_CODE REGEX [REGEX...] -- COMMAND [ARGS...]
#
# Prints the command's combined stdout and stderr, then fails unless the exit
# status is EXPECTED_EXIT_CODE and every REGEX (POSIX extended) matches a line
# of that output. Matching is per line, so a regex spanning a whole message
# also asserts that the message is one line. A sanitizer report fails the
# test even when the exit status matches (sanitizers exit with 1 too).
set -u

usage() {
  echo "usage: expect.sh EXPECTED_EXIT_CODE REGEX [REGEX...] -- COMMAND [ARGS...]" >&2
  exit 2
}

[ $# -ge 4 ] || usage
expected=$1
shift
regexes=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  regexes+=("$1")
  shift
done
[ $# -ge 2 ] && [ ${#regexes[@]} -gt 0 ] || usage
shift # the --

output=$("$@" 2>&1)
status=$?
printf '%s\n' "$output"
echo "--- exit status $status (expected $expected)"

failed=0
if [ "$status" -ne "$expected" ]; then
  echo "FAILED: exit status $status, expected $expected" >&2
  failed=1
fi
for regex in "${regexes[@]}"; do
  if ! grep -Eq -- "$regex" <<<"$output"; then
    echo "FAILED: no output line matches /$regex/" >&2
    failed=1
  fi
done
if grep -Eq 'ERROR: (Address|Leak|Memory)Sanitizer|runtime error:' <<<"$output"; then
  echo "FAILED: sanitizer report in the output" >&2
  failed=1
fi
exit $failed
