#!/usr/bin/env bash
# resume_test.sh KOLMO CASE MPIEXEC... : `kolmo snapshots` killed half-way (SIGKILL on rank 0 in the
# middle of a solve) and started again completes the file, and the result equals an uninterrupted
# run: nothing written before the kill is lost or damaged.
set -u
source "$(cd "$(dirname "$0")/.." && pwd)/case_workdir.sh"
mpi=("$@")

KOLMO_TEST_KILL_AFTER=3 "${mpi[@]}" "$kolmo" snapshots case.yaml --quiet >killed.log 2>&1
status=$?
[ "$status" -ne 0 ] || { echo "the killed run exited 0"; cat killed.log; exit 1; }
"$kolmo" info small_block_snapshots.h5 | tee info_after_kill.txt
grep -qE "complete[^0-9]*3 */ *8|3 of 8" info_after_kill.txt || { echo "expected 3 of 8 snapshots complete after the kill"; exit 1; }

"${mpi[@]}" "$kolmo" snapshots case.yaml --quiet | tee resumed.log || exit 1
grep -q "5 solved now, 8/8 complete" resumed.log || { echo "the resumed run did not solve exactly the 5 missing snapshots"; exit 1; }
mv small_block_snapshots.h5 resumed.h5

"${mpi[@]}" "$kolmo" snapshots case.yaml --quiet || exit 1
for dataset in /snapshots/vectors /snapshots/outputs /snapshots/checksum /snapshots/complete /parameters; do
  h5diff -p 1e-9 resumed.h5 small_block_snapshots.h5 "$dataset" || { echo "resumed and uninterrupted runs differ in $dataset"; exit 1; }
done
echo "resume test passed"
