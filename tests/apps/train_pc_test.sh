#!/usr/bin/env bash
# train_pc_test.sh KOLMO CASE MPI...: kolmo snapshots, then kolmo train-pc --json on the ranks of
# MPI...; checks the exit statuses, that the model file is written, and that the fitted model
# needs strictly fewer CG iterations on the held-out snapshots than its starting weights (IC(0)).
set -eu
source "$(cd "$(dirname "$0")/.." && pwd)/case_workdir.sh"

run "$@" "$kolmo" snapshots case.yaml --quiet
test -s train_pc_block_snapshots.h5
run "$@" "$kolmo" train-pc case.yaml --held-out 4 --iterations 20 --output fitted_pc.h5 --json train_pc.json
test -s fitted_pc.h5
python3 - train_pc.json <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["model"] == "learned_ic", r["model"]
assert r["file"] == "fitted_pc.h5", r["file"]
assert r["training_snapshots"] == 8, r["training_snapshots"]
assert r["final_loss"] < r["initial_loss"], (r["initial_loss"], r["final_loss"])
rows = r["held_out"]
assert len(rows) == 4, len(rows)
before = sum(row["iterations_before"] for row in rows) / len(rows)
after = sum(row["iterations_after"] for row in rows) / len(rows)
assert abs(before - r["mean_iterations_before"]) < 1e-9 and abs(after - r["mean_iterations_after"]) < 1e-9
assert after < before, f"held-out CG iterations after the fit ({after}) not below before ({before})"
print(f"train_pc_test: held-out CG iterations {before} -> {after}")
PY
# The fitted model is usable from any kolmo command through the truth solver's options.
run "$@" "$kolmo" solve case.yaml --mu 0.2,0.5,0.3,0.9 --json solve.json \
  -truth_pc_type kolmo_learned -truth_pc_kolmo_learned_file fitted_pc.h5
run "$@" "$kolmo" solve case.yaml --mu 0.2,0.5,0.3,0.9 --json solve_default.json
python3 - <<'PY'
import json
learned, default = (json.load(open(f)) for f in ("solve.json", "solve_default.json"))
assert abs(learned["outputs"]["compliance"] / default["outputs"]["compliance"] - 1) < 1e-7
assert learned["iterations"] < default["iterations"], (learned["iterations"], default["iterations"])
print(f"train_pc_test: kolmo solve with the fitted PC: {learned['iterations']} CG iterations "
      f"(case solver: {default['iterations']})")
PY
echo "train_pc_test: ok"
