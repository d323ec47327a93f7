#!/usr/bin/env bash
# sweep_split_test.sh KOLMO CASE MPIEXEC_NP1... -- MPIEXEC_NP2... : the outputs of `kolmo sweep` do
# not depend on how the work is split: 1 group on 2 ranks, 2 groups on 2 ranks, and 2 shards
# merged give the same table.
set -u
source "$(cd "$(dirname "$0")/.." && pwd)/case_workdir.sh"
np1=()
while [ "$1" != "--" ]; do np1+=("$1"); shift; done
shift
np2=("$@")
set -e
"${np2[@]}" "$kolmo" sweep case.yaml --quiet --output one_group.h5
"${np2[@]}" "$kolmo" sweep case.yaml --quiet --groups 2 --output two_groups.h5
"${np1[@]}" "$kolmo" sweep case.yaml --quiet --shard 0/2 --output sharded.h5
"${np1[@]}" "$kolmo" sweep case.yaml --quiet --shard 1/2 --output sharded.h5
"$kolmo" merge merged.h5 sharded.shard-0-of-2.h5 sharded.shard-1-of-2.h5
for other in two_groups.h5 merged.h5; do
  for dataset in /results/index /results/parameters /results/outputs; do
    h5diff -p 1e-9 one_group.h5 "$other" "$dataset"
  done
done
# A shard missing from a merge is an error that names the missing points.
if "$kolmo" merge broken.h5 sharded.shard-0-of-2.h5 > merge_missing.log 2>&1; then
  echo "merging an incomplete set of shards succeeded"; exit 1
fi
grep -q "in no shard" merge_missing.log
echo "sweep split test passed"
