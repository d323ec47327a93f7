#!/usr/bin/env bash
# keeps_data_test.sh KOLMO CASE MPIEXEC... : mistakes in a command line or a case file fail before they
# destroy anything: an output named like an input is refused and the input stays as it was;
# --restart with a solver PETSc rejects keeps the snapshots; resuming with a changed problem is
# refused; a sweep stopped by a failed point keeps the points it solved; check accepts a case
# without samples; POD works with more snapshots than unknowns.
set -u
source "$(cd "$(dirname "$0")/.." && pwd)/case_workdir.sh"
mpi=("$@")
fail() { echo "keeps_data_test: $*"; exit 1; }

# expect REGEX COMMAND...: the command fails, on every rank, with a message matching REGEX.
expect() {
  local regex=$1
  shift
  local output status
  output=$("${mpi[@]}" "$kolmo" "$@" 2>&1)
  status=$?
  printf '%s\n' "$output"
  [ "$status" -ne 0 ] || fail "'$*' succeeded, a failure was expected"
  printf '%s\n' "$output" | grep -qE -- "$regex" || fail "'$*': the output does not match: $regex"
}

cp case.yaml case.orig
expect "--output: cannot write 'case.yaml': writing it would destroy a file of this study" solve case.yaml --mu 0.5,0.5,0.5,0.5 --output case.yaml
expect "--json: cannot write '\./case.yaml': it is the same file as 'case.yaml'" solve case.yaml --mu 0.5,0.5,0.5,0.5 --json ./case.yaml
expect "--output: cannot write 'nodir/u.h5': the directory 'nodir' does not exist" solve case.yaml --mu 0.5,0.5,0.5,0.5 --output nodir/u.h5
cmp -s case.yaml case.orig || fail "the case file was changed"

"${mpi[@]}" "$kolmo" snapshots case.yaml --quiet || fail "snapshots"
cp small_block_snapshots.h5 snapshots.orig
expect "--output: cannot write 'small_block_snapshots.h5': writing it would destroy" \
  sweep case.yaml --output small_block_snapshots.h5
# The model over the snapshots it is built from, and a model path that cannot be written.
sed 's|^snapshots:.*|&\nrom: {model: small_block_snapshots.h5}|' case.orig >model_over_snapshots.yaml
expect "rom.model: cannot write 'small_block_snapshots.h5': writing it would destroy" offline model_over_snapshots.yaml
sed 's|^snapshots:.*|&\nrom: {model: nodir/model.h5}|' case.orig >model_nodir.yaml
expect "rom.model: cannot write 'nodir/model.h5': the directory 'nodir' does not exist" offline model_nodir.yaml
# --restart with a solver PETSc rejects fails before it deletes the snapshots.
sed 's|ksp_type: cg|ksp_type: bogus|' case.orig >bogus_solver.yaml
expect "solver.ksp_type: PETSc knows no KSP type 'bogus'" snapshots bogus_solver.yaml --restart
expect "solver.ksp_type: PETSc knows no KSP type 'bogus'" check bogus_solver.yaml
# Snapshots of another problem definition are not resumed.
sed 's|cells: 16|cells: 16\n  source: 5|' case.orig >other_problem.yaml
expect "belongs to another study: it was solved for problem .*; this run is for problem .*source" snapshots other_problem.yaml
cmp -s small_block_snapshots.h5 snapshots.orig || fail "the snapshot file was changed"
"${mpi[@]}" "$kolmo" snapshots case.yaml --quiet | grep -q "0 solved now, 8/8 complete" || fail "the snapshots were not kept"

# A sweep stopped by a point that cannot converge keeps the points solved before it.
printf 'mu0,mu1,mu2,mu3\n1,1,1,1\n0.9,0.9,0.9,0.9\n0.1,1,0.1,1\n' >points.csv
sed -e 's|^sweep:.*|sweep: {file: stopped_sweep.h5, sample: {sampler: file, file: points.csv}}|' \
  -e 's|rtol: 1.0e-12|rtol: 1.0e-12\n  max_it: 30|' case.orig >stopped_sweep.yaml
expect "did not converge.*; the [12] points solved before are in stopped_sweep.partial.h5" sweep stopped_sweep.yaml
[ -f stopped_sweep.partial.h5 ] || fail "no partial sweep file"
[ ! -e stopped_sweep.h5 ] || fail "a stopped sweep wrote its final file"

# A case without samples is valid; the commands that need one say which.
grep -v -e '^training:' -e '^test:' case.orig >no_samples.yaml
"${mpi[@]}" "$kolmo" check no_samples.yaml | grep -q "training    none" || fail "check rejected a case without samples"
expect "no_samples.yaml: 'kolmo offline' needs a 'training:' section" offline no_samples.yaml
expect "no_samples.yaml: 'kolmo sweep' needs its points" sweep no_samples.yaml

# POD of more snapshots (12) than unknowns (4 x 4 cells: 9).
sed -e 's|cells: 16|cells: 4|' -e 's|size: 8, seed: 1|size: 12, seed: 1|' \
  -e 's|small_block_snapshots.h5|tiny_snapshots.h5|' case.orig >tiny.yaml
printf 'rom: {model: tiny_model.h5, tolerance: 1.0e-12}\n' >>tiny.yaml
"${mpi[@]}" "$kolmo" offline tiny.yaml --method pod | tee tiny.log || fail "POD of more snapshots than unknowns"
grep -qE "POD \(qr\) of 12 snapshots: 9 modes" tiny.log || fail "expected 9 POD modes from 12 snapshots of 9 unknowns"
echo "keeps_data test passed"
