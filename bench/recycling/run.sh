#!/usr/bin/env bash
# The figures of bench/recycling/README.md: sequences of truth solves, Kolmo's policies against the
# PETSc baselines, at 1 and 2 ranks. Usage:
#   bench/recycling/run.sh [path/to/bench_sequences] [extra options...]
# (default: build/bench/recycling/bench_sequences): every method on 24 systems at 128^2 and 24^3.
# LONG=1 runs instead the long sequences (100 systems of thermal_block and Darcy, and of the
# problems (d); projection basis up to 64 solutions solved to rtol x 0.1; MUMPS and the recycling
# KSPs left out, they never won); SHORT=1 the 24-system tables of the same methods; LARGE=1 the same
# methods at 256^2 / 512^2 and 64^3 (tens of minutes).
# PART=spd or PART=d restricts LONG and SHORT to thermal_block and Darcy, or to the problems (d).
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
methods="$methods,Kolmo cg auto farthest,Kolmo cg+GAMG auto farthest"
# The GMRES methods of the problems (d): every baseline, and Kolmo's policies without gcrodr (it never won).
nonsymmetric="GMRES+BoomerAMG,GMRES+ILU,GMRES+BoomerAMG reuse,GMRES+ILU reuse,GMRES+BoomerAMG fischer"
nonsymmetric="$nonsymmetric,GMRES+BoomerAMG pod,DGMRES+BoomerAMG,LGMRES+BoomerAMG,Kolmo gmres proj"
nonsymmetric="$nonsymmetric,Kolmo gmres proj+reuse,Kolmo gmres proj+reuse ordered,Kolmo gmres auto"
nonsymmetric="$nonsymmetric,Kolmo gmres auto+reuse"
part=${PART:-all}
# sequence <systems> <file stem> [options...]: the SPD and the (d) tables at 1 and 2 ranks.
sequence() {
  local systems=$1 stem=$2
  shift 2
  for np in 1 2; do
    if [ "$part" != d ]; then
      mpiexec -n $np $flags "$bench" -n 128 -problems thermal,darcy -systems $systems -seeds 2 -metric cpu \
        -repeat 2 -methods "$methods" -csv ${stem}_np$np.csv "$@" | tee ${stem}_np$np.txt
    fi
    if [ "$part" != spd ]; then
      mpiexec -n $np $flags "$bench" -n 128 -problems advection,helmholtz -systems $systems -seeds 2 \
        -metric cpu -repeat 2 -methods "$nonsymmetric" -csv ${stem}_d_np$np.csv "$@" | tee ${stem}_d_np$np.txt
    fi
  done
}
if [ "${LONG:-0}" = 1 ]; then
  sequence 100 sequences_long -guess_size 64 -projection_accuracy 0.1 "$@"
  exit 0
fi
if [ "${SHORT:-0}" = 1 ]; then
  # Default accuracy 1.
  sequence 24 sequences_24 "$@"
  exit 0
fi
if [ "${LARGE:-0}" = 1 ]; then
  # The larger sizes at 2 ranks, with the methods of LONG and SHORT: 32 systems of 256^2 and 512^2,
  # 16 of the 64^3 Darcy problem, one seed, one round.
  for n in 256 512; do
    mpiexec -n 2 $flags "$bench" -n $n -problems thermal,darcy -systems 32 -seeds 1 -metric cpu \
      -methods "$methods" -csv sequences_${n}_np2.csv "$@" | tee sequences_${n}_np2.txt
    mpiexec -n 2 $flags "$bench" -n $n -problems advection,helmholtz -systems 32 -seeds 1 -metric cpu \
      -methods "$nonsymmetric" -csv sequences_${n}_d_np2.csv "$@" | tee sequences_${n}_d_np2.txt
  done
  mpiexec -n 2 $flags "$bench" -n3 64 -problems darcy3d -systems 16 -seeds 1 -metric cpu \
    -methods "$methods" -csv sequences_64cube_np2.csv "$@" | tee sequences_64cube_np2.txt
  exit 0
fi
for np in 1 2; do
  mpiexec -n $np $flags "$bench" -n 128 -n3 24 -systems 24 -seeds 2 -metric cpu \
    -csv sequences_np$np.csv "$@" | tee sequences_np$np.txt
done
