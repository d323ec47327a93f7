#!/usr/bin/env bash
# run_example.sh KOLMO DATA_DIR MPI...: kolmo offline and kolmo validate on the external Helmholtz
# case (whose matrices the generator wrote into DATA_DIR), in a scratch copy, on the ranks of
# MPI...; checks that the matrix EIM found the 2 affine terms, that its error on the held-out
# samples is at round-off, and that validation passes (every bound above the true error).
set -eu
kolmo=$1
data=$2
shift 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$data/external_helmholtz.yaml" "$data/test_points.csv" "$work/"
ln -s "$data/data" "$work/data"
cd "$work"
run() { echo "+ $*"; "$@"; }

run "$@" "$kolmo" offline external_helmholtz.yaml --quiet --json offline.json
cat offline.json
python3 - offline.json <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
e = r["matrix_eim"]
assert e["terms"] == 2, e
assert e["held_out_samples"] == 4 and e["training_samples"] == 13, e
assert e["operator_error_max"] < 1e-12, e
assert e["recast"] is True, e
assert r["stability"] == "eigen_interval", r["stability"]
print("offline: M = %d, held-out operator error %.3e" % (e["terms"], e["operator_error_max"]))
PY
test -s external_helmholtz_model.h5
run "$@" "$kolmo" validate external_helmholtz.yaml --quiet --json validation.json
cat validation.json
grep -q '"status": "ok"' validation.json
run "$kolmo" online external_helmholtz_model.h5 --mu 30 | tee online.txt
grep -q compliance online.txt
echo "run_example: ok"
