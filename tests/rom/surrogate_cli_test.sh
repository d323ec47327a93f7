#!/usr/bin/env bash
# surrogate_cli_test.sh KOLMO CASE MPI...: kolmo offline with 'rom: surrogate:' on the ranks of
# MPI... (CASE's 'rom:' section must be its last, the key is appended to it), then kolmo online
# --surrogate: the surrogate's output agrees with the reduced model's to 10x the tolerance
# (relative), the recorded check error is shown, a point outside the box is refused, and without
# the flag the output is unchanged.
set -eu
source "$(cd "$(dirname "$0")/.." && pwd)/case_workdir.sh"
printf '  surrogate: {tolerance: 1.0e-8, check_points: 500}\n' >> case.yaml
model=$(sed -n 's/^ *model: *\([^ #]*\).*/\1/p' case.yaml | head -1)

run "$@" "$kolmo" offline case.yaml --quiet --json offline.json | tee offline.txt
grep -q "surrogate of 'compliance'" offline.txt
grep -q '"check_relative_error"' offline.json
test -s "$model"

mu=0.15,0.3,0.55,0.9
run "$kolmo" online "$model" --mu "$mu" --surrogate --json online.json --csv online.csv | tee online.txt
grep -q 'surrogate of compliance' online.txt
grep -q 'surrogate: .* us per query' online.txt
grep -q 'compliance_surrogate' online.csv
python3 - online.json <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
p = r["points"][0]
s_n, s_sur = p["outputs"]["compliance"], p["surrogate_outputs"]["compliance"]
check = r["surrogates"]["compliance"]["check_error"]
print(f"s_N = {s_n!r}, surrogate = {s_sur!r}, recorded check error = {check:.3e}")
assert abs(s_sur - s_n) <= 10 * 1e-8 * abs(s_n), (s_sur, s_n)
assert 0 < check <= 10 * 1e-8 * abs(s_n), check
PY
run "$kolmo" online "$model" --mu-file <(printf 'mu0,mu1,mu2,mu3\n0.1,0.1,0.1,0.1\n1,1,1,1\n0.5,0.2,0.7,0.3\n') --surrogate --quiet | tee batch.txt
grep -q 'surrogate: .* us per query' batch.txt

# Outside the box: the same range error as without --surrogate.
if "$kolmo" online "$model" --mu 0.05,0.3,0.55,0.9 --surrogate > out.txt 2> err.txt; then
  echo "expected an error for mu outside the box"; exit 1
fi
grep -q "outside its range" err.txt
# Without the flag: no surrogate lines.
run "$kolmo" online "$model" --mu "$mu" | tee plain.txt
if grep -Eq '^ *surrogate' plain.txt; then echo "surrogate lines without --surrogate"; exit 1; fi
echo "surrogate_cli_test: ok"
