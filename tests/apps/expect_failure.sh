#!/usr/bin/env bash
# expect_failure.sh REGEX COMMAND...: passes iff COMMAND exits non-zero and its output (stdout and
# stderr) matches REGEX (grep -E). ctest's TIMEOUT catches a hang.
regex=$1
shift
output=$("$@" 2>&1)
status=$?
printf '%s\n' "$output"
if [ "$status" -eq 0 ]; then
  echo "expect_failure: the command succeeded, a failure was expected" >&2
  exit 1
fi
if ! printf '%s\n' "$output" | grep -qE -- "$regex"; then
  echo "expect_failure: exit status $status, but the output does not match: $regex" >&2
  exit 1
fi
# A stack dump or an abort banner is not "one clear message".
if printf '%s\n' "$output" | grep -qE "terminate called|Aborted|core dumped|Segmentation"; then
  echo "expect_failure: the failure was not clean" >&2
  exit 1
fi
echo "expect_failure: failed as expected (status $status)"
