#!/usr/bin/env bash
# offline_cli_test.sh KOLMO CASE MPI...: kolmo offline (greedy, then POD through the snapshot
# path) and kolmo validate end to end on a small case, on the ranks of MPI...; checks the exit
# statuses, the reports and that the model answers kolmo online.
set -eu
source "$(cd "$(dirname "$0")/.." && pwd)/case_workdir.sh"

run "$@" "$kolmo" offline case.yaml --quiet --json offline.json
grep -q '"method": "greedy"' offline.json
test -s offline_block_model.h5
run "$@" "$kolmo" validate case.yaml --quiet --json validation.json
grep -q '"status": "ok"' validation.json
if command -v gnuplot > /dev/null; then test -s offline_block_validation.png; fi

run "$@" "$kolmo" offline case.yaml --method pod --pod-method incremental --batch 5 --quiet --json pod.json
grep -q '"pod_method": "incremental"' pod.json
test -s offline_block_snapshots.h5
run "$@" "$kolmo" validate case.yaml --quiet --sizes 1:4 --json pod_validation.json
grep -q '"status": "ok"' pod_validation.json

run "$kolmo" online offline_block_model.h5 --mu 0.2,0.4,0.6,0.8 | tee online.txt
grep -q compliance online.txt
echo "offline_cli_test: ok"
