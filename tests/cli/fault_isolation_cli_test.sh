#!/usr/bin/env bash
# check-plugin on a fault-injection fixture (tests/fixtures/faulty_*.cpp) that
# faults after 5 calls: the checker must exit with its own status 1 (not die
# of a signal), name the failing check with what went wrong, go on with the
# other checks and print its summary.
#
#   fault_isolation_cli_test.sh ATTNLAB FIXTURE.so FAULT CALL
#
# FAULT is segfault, hang, abort, nan or throw; CALL is forward or backward
# (faulty-activation), sample (faulty-data-model) or step (faulty-optimizer).
# Hangs are cut short by --check-timeout 2.
set -u
attnlab=$1
fixture=$2
fault=$3
call=$4

params="fault = $fault; after = 5"
case "$call" in forward | backward) params="$params; call = $call" ;; esac

case "$fault" in
  segfault) detail='crashed [(]SIGSEGV[)]' ;;
  hang) detail='hung [(]no answer in 2 s[)]' ;;
  abort) detail='crashed [(]SIGABRT[)]' ;;
  nan) detail='nan' ;;
  throw) detail="$call fault injected after 5 calls [(]deliberate test failure[)]" ;;
  *) echo "unknown fault '$fault'" >&2; exit 2 ;;
esac

output=$("$attnlab" check-plugin "$fixture" --params "$params" --check-timeout 2 2>&1)
status=$?
printf '%s\n' "$output"
echo "--- exit status $status"

failed=0
fail() { echo "FAILED: $*" >&2; failed=1; }
[ "$status" -eq 1 ] || fail "exit status $status, expected the checker's own 1"
grep -Eq "^  FAIL  long run +.*$detail" <<<"$output" || fail "no 'FAIL  long run' line saying /$detail/"
grep -Eq '^  PASS  ' <<<"$output" || fail "no check passed: the checks before the fault must still pass"
grep -Eq '^[0-9]+ passed, [1-9][0-9]* failed$' <<<"$output" || fail "no summary line with failures"
# The checker's own output: no report of a crash of its own.
if grep -Eq 'ERROR: (Address|Leak|Memory)Sanitizer|runtime error:' <<<"$output"; then
  fail "sanitizer report in the output"
fi
exit $failed
