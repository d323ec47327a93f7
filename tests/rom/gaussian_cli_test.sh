#!/usr/bin/env bash
# gaussian_cli_test.sh KOLMO CASE MPI...: kolmo offline and kolmo validate end to end on the
# gaussian example (a right-hand side made affine by EIM), on the ranks of MPI...: the model
# carries the EIM error term, validation against the exact-source truth finds every bound above
# the true error (POD and greedy models), and kolmo online shows the EIM part of the bound.
set -eu
source "$(cd "$(dirname "$0")/.." && pwd)/case_workdir.sh"

run "$@" "$kolmo" offline case.yaml --quiet --json offline.json
grep -q '"method": "pod"' offline.json
test -s gaussian_model.h5
run "$@" "$kolmo" validate case.yaml --quiet --json validation.json | tee validate.txt
grep -q '"status": "ok"' validation.json
grep -q '"nonaffine_rhs": "eim error estimate added to the bound"' validation.json
grep -q '"max_rhs_error"' validation.json
grep -q 'exact (non-affine) load' validate.txt

run "$kolmo" online gaussian_model.h5 --mu 0.3,0.6 | tee online.txt
grep -q 'EIM rhs error estimate' online.txt

run "$@" "$kolmo" offline case.yaml --method greedy --quiet --json greedy.json
grep -q '"method": "greedy"' greedy.json
run "$@" "$kolmo" validate case.yaml --quiet --sizes 1:8 --json greedy_validation.json
grep -q '"status": "ok"' greedy_validation.json
echo "gaussian_cli_test: ok"
