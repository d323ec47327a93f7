#!/usr/bin/env bash
# The figures of bench/recycling/README.md: sequences of truth solves, Kolmo's policies against the
# PETSc baselines, at 1 and 2 ranks. Usage:
#   bench/recycling/run.sh [path/to/bench_sequences] [extra options...]
# (default: build/bench/recycling/bench_sequences). LARGE=1 adds the 256^2 / 512^2 and 64^3 sizes
# (tens of minutes). LONG=1 runs instead the long sequences (100 systems of thermal_block and Darcy,
# projection basis up to 64 solutions solved to rtol x 0.1; MUMPS and the recycling KSPs left out,
# they never won); SHORT=1 the 24-system tables of the same methods, and of the problems (d).
# LONG and SHORT time each method twice and keep the faster run. Tables go to stdout and to
# sequences_np<N>.txt / .csv in the current directory.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bench=$(realpath "${1:-$here/../../build/bench/recycling/bench_sequences}")
shift || true
flags=$(mpiexec --version 2>/dev/null | grep -qE 'Open MPI|OpenRTE' && echo --oversubscribe $([ "$(id -u)" = 0 ] && echo --allow-run-as-root))
# Idle ranks yield the core, so that CPU times measure work, not spinning (-metric cpu).
export OMPI_MCA_mpi_yield_when_idle=1
# The SPD methods of LONG=1 and SHORT=1: every baseline except MUMPS (0.14-0.18x) and PCHMG (breaks
# down), and Kolmo's policies without the recycling KSPs (they never won).
methods="CG+BoomerAMG,CG+GAMG,CG+BoomerAMG reuse,CG+GAMG reuse,CG+BoomerAMG fischer,CG+BoomerAMG pod"
methods="$methods,DGMRES+BoomerAMG,LGMRES+BoomerAMG,CG+GAMG reuse-interp,Kolmo cg proj,Kolmo cg proj+reuse"
methods="$methods,Kolmo cg proj+reuse ordered,Kolmo cg+GAMG proj,Kolmo cg+GAMG proj+reuse"
methods="$methods,Kolmo cg+GAMG proj+reuse ordered,Kolmo cg+GAMG proj+refresh"
methods="$methods,Kolmo cg proj farthest,Kolmo cg+GAMG proj farthest"
methods="$methods,Kolmo cg+GAMG refresh,Kolmo cg auto,Kolmo cg+GAMG auto,Kolmo cg+GAMG auto+refresh"
methods="$methods,Kolmo cg auto farthest"
if [ "${LONG:-0}" = 1 ]; then
  for np in 1 2; do
    mpiexec -n $np $flags "$bench" -n 128 -problems thermal,darcy -systems 100 -seeds 2 -metric cpu -repeat 2 \
      -guess_size 64 -projection_accuracy 0.1 -methods "$methods" -csv sequences_long_np$np.csv "$@" |
      tee sequences_long_np$np.txt
  done
  exit 0
fi
if [ "${SHORT:-0}" = 1 ]; then
  # The 24-system tables: thermal_block and Darcy with the methods of LONG=1 (default accuracy 1),
  # and the nonsymmetric / indefinite problems (d).
  nonsymmetric="GMRES+BoomerAMG,GMRES+ILU,GMRES+BoomerAMG reuse,GMRES+ILU reuse,GMRES+BoomerAMG fischer"
  nonsymmetric="$nonsymmetric,GMRES+BoomerAMG pod,DGMRES+BoomerAMG,LGMRES+BoomerAMG,Kolmo gmres proj"
  nonsymmetric="$nonsymmetric,Kolmo gmres proj+reuse,Kolmo gcrodr proj+reuse,Kolmo gmres proj+reuse ordered"
  nonsymmetric="$nonsymmetric,Kolmo gmres auto,Kolmo gmres auto+reuse"
  for np in 1 2; do
    mpiexec -n $np $flags "$bench" -n 128 -problems thermal,darcy -systems 24 -seeds 2 -metric cpu -repeat 2 \
      -methods "$methods" -csv sequences_24_np$np.csv "$@" | tee sequences_24_np$np.txt
    mpiexec -n $np $flags "$bench" -n 128 -problems advection,helmholtz -systems 24 -seeds 2 -metric cpu -repeat 2 \
      -methods "$nonsymmetric" -csv sequences_d_np$np.csv "$@" | tee sequences_d_np$np.txt
  done
  exit 0
fi
for np in 1 2; do
  mpiexec -n $np $flags "$bench" -n 128 -n3 24 -systems 24 -seeds 2 -metric cpu \
    -csv sequences_np$np.csv "$@" | tee sequences_np$np.txt
done
if [ "${LARGE:-0}" = 1 ]; then
  for n in 256 512; do
    mpiexec -n 2 $flags "$bench" -n $n -problems thermal,darcy,advection,helmholtz -systems 16 -seeds 1 \
      -metric cpu -csv sequences_${n}_np2.csv "$@" | tee sequences_${n}_np2.txt
  done
  mpiexec -n 2 $flags "$bench" -n3 64 -problems darcy3d -systems 8 -seeds 1 -metric cpu \
    -csv sequences_64cube_np2.csv "$@" | tee sequences_64cube_np2.txt
fi
