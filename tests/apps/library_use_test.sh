#!/usr/bin/env bash
# library_use_test.sh SOURCE_DIR BUILD_DIR MPIEXEC... : install Kolmo into a scratch prefix, build
# examples/library_use against the installed package with find_package(Kolmo), and run it.
set -eu
source_dir=$1
build_dir=$2
shift 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
cmake -S "$source_dir/examples/library_use" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/build" >/dev/null
"$@" "$work/build/library_use" | tee "$work/out.txt"
grep -q "mu0=0.1, mu1=0.3, mu2=0.5, mu3=1: compliance = 0.098660" "$work/out.txt"
grep -q "host operator at k = 2: infinity norm 12.0" "$work/out.txt"
