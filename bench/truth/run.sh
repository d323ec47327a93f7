#!/usr/bin/env bash
# Truth-solve time and iteration count of the thermal block at 249,001 unknowns on 1 and 2 ranks,
# with the preconditioners a PETSc user would pick: GAMG, hypre BoomerAMG, and a direct Cholesky
# (MUMPS). Usage: bench/truth/run.sh [path/to/kolmo]   (default: build/apps/kolmo/kolmo)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
kolmo=$(realpath "${1:-$here/../../build/apps/kolmo/kolmo}")
flags=$(mpiexec --version 2>/dev/null | grep -qE 'Open MPI|OpenRTE' && echo --oversubscribe $([ "$(id -u)" = 0 ] && echo --allow-run-as-root))
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$here/thermal_block_250k.yaml" "$work/"
cd "$work"
printf '%-5s %-28s %8s %11s %10s %10s %14s\n' ranks preconditioner dofs iterations setup_s solve_s compliance
for np in 1 2; do
  for pc in "gamg" "hypre -truth_pc_hypre_type boomeramg" "cholesky -truth_pc_factor_mat_solver_type mumps -truth_ksp_type preonly"; do
    mpiexec -n $np $flags "$kolmo" solve thermal_block_250k.yaml --mu 0.1,0.3,0.5,1 --json r.json \
      --output field.h5 -truth_pc_type $pc >/dev/null
    python3 - "$np" "${pc%% *}" <<'PY'
import json, sys
r = json.load(open("r.json"))
print(f"{sys.argv[1]:<5} {sys.argv[2]:<28} {r['dofs']:>8} {r['iterations']:>11} {r['setup_seconds']:>10.3f} {r['solve_seconds']:>10.3f} {r['outputs']['compliance']:>14.10f}")
PY
  done
done
