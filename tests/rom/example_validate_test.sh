#!/usr/bin/env bash
# example_validate_test.sh KOLMO CASE MPI...: kolmo offline then kolmo validate on a copy of CASE
# (in a temporary directory), on the ranks of MPI...; passes iff validate's status is ok, i.e. no
# error bound of the model's own estimator is below the true error. By default the offline stage
# must use a rigorous stability bound (min-theta, inf-sup eigenvalues or SCM), never the sampled
# one. Environment: KOLMO_OFFLINE_ARGS, extra arguments of kolmo offline (word-split);
# KOLMO_EXPECT_STABILITY, the stability kind the offline report must name; KOLMO_OFFLINE_ONLY=1
# stops after the offline stage (for the sampled bound, which is NOT rigorous and may well fail
# validation).
set -eu
source "$(cd "$(dirname "$0")/.." && pwd)/case_workdir.sh"

# shellcheck disable=SC2086
run "$@" "$kolmo" offline case.yaml --quiet --json offline.json ${KOLMO_OFFLINE_ARGS:-}
grep -E '"(stability|method|size|seconds)"' offline.json || true
if [ -n "${KOLMO_EXPECT_STABILITY:-}" ]; then
  grep -q "\"stability\": \"$KOLMO_EXPECT_STABILITY\"" offline.json
elif grep -q '"stability": "constant"' offline.json; then
  echo "example_validate_test: the offline stage used the non-rigorous sampled bound" >&2
  exit 1
fi
if [ "${KOLMO_OFFLINE_ONLY:-0}" = 1 ]; then
  echo "example_validate_test: ok (offline only)"
  exit 0
fi
run "$@" "$kolmo" validate case.yaml --quiet --json validation.json
grep -q '"status": "ok"' validation.json
echo "example_validate_test: ok"
