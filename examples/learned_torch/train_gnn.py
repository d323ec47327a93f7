#!/usr/bin/env python3
"""Train a small graph network preconditioner in PyTorch and script it for Kolmo's "torchscript"
learned-preconditioner model (Kolmo built with -DKOLMO_WITH_TORCH=ON).

The network runs inside the kolmo_learned PC as

    z = forward(r, rows, cols, vals, diag)

on each process's diagonal block of A (COO arrays rows/cols/vals, int64/int64/float64, and the
diagonal). It is a learned, node-dependent damped Jacobi iteration: a 2-layer message-passing
network on the matrix graph turns local features of A (log diagonal, off-diagonal mass, the
neighbours' features) into per-node step sizes omega_k(i) for K sweeps

    z_0 = 0,  z_{k+1} = z_k + omega_k * D^-1 (r - A z_k).

It is linear in r for a fixed A (so FGMRES and FCG converge), but not symmetric: use
-ksp_type fgmres (or fcg, gcrodr). The weights are fitted to minimise the mean relative error
||z(A x) - x||^2 / ||x||^2 over training solutions x and random (rough) vectors x, the loss
TorchScriptModel::loss reports on the solutions. The step sizes are bounded to (0, 1.5).

Training data (Kolmo snapshot data):
  * --matrices A.bin --snapshots CASE_snapshots.h5: the matrices as PETSc binary, written while
    Kolmo computes the snapshots with
        kolmo snapshots CASE.yaml -truth_ksp_view_mat binary:A.bin::append
    (one matrix per snapshot, in snapshot order), and the solutions from the snapshot file's
    /snapshots/vectors (read with h5py). Run the snapshots on one process so that the vectors'
    order is PETSc's.
  * --synthetic N: variable-coefficient Darcy systems on an N x N grid generated here (no Kolmo
    run needed; used by the smoke test).

Use /usr/bin/python3 on Debian (python3-torch, python3-h5py).
"""
import argparse
import math
import sys

import numpy as np
import torch
from torch import Tensor

torch.set_default_dtype(torch.float64)

MAT_FILE_CLASSID = 1211216
ROUGH_VECTORS = torch.Generator().manual_seed(0)


def read_petsc_matrices(path):
    """All matrices of a PETSc binary file (written by MatView, possibly appended) as COO arrays."""
    data = open(path, "rb").read()
    pos, out = 0, []
    while pos < len(data):
        classid, m, n, nnz = np.frombuffer(data, ">i4", 4, pos)
        if classid != MAT_FILE_CLASSID:
            sys.exit(f"{path}: object at byte {pos} is not a PETSc matrix (class id {classid})")
        pos += 16
        lengths = np.frombuffer(data, ">i4", m, pos).astype(np.int64)
        pos += 4 * m
        cols = np.frombuffer(data, ">i4", nnz, pos).astype(np.int64)
        pos += 4 * nnz
        vals = np.frombuffer(data, ">f8", nnz, pos).astype(np.float64)
        pos += 8 * nnz
        rows = np.repeat(np.arange(m, dtype=np.int64), lengths)
        out.append((m, rows, cols, vals))
    return out


def read_snapshots(path):
    import h5py  # python3-h5py
    with h5py.File(path, "r") as f:
        vectors = np.array(f["/snapshots/vectors"])
        complete = np.array(f["/snapshots/complete"]).astype(bool)
    return vectors, complete


def synthetic_darcy(n, seed, s=1.5):
    """The Darcy systems of Kolmo's learned-preconditioner tests (tests/solvers/test_pc_problems.hpp)."""
    rng = np.random.default_rng(seed)
    xi = rng.standard_normal((4, 4))
    x = (np.arange(n) + 0.5) / n
    g = np.zeros((n, n))
    for p in range(4):
        for q in range(4):
            if p + q > 0:
                g += xi[p, q] * np.outer(np.cos(np.pi * q * x), np.cos(np.pi * p * x)) / (1 + p * p + q * q)
    k = np.exp(s * g).ravel()
    rows, cols, vals, diag = [], [], [], np.zeros(n * n)
    for row in range(n * n):
        i, j = row % n, row // n
        for inside, col in ((j > 0, row - n), (i > 0, row - 1), (i + 1 < n, row + 1), (j + 1 < n, row + n)):
            if inside:
                t = 2 * k[row] * k[col] / (k[row] + k[col])
                rows.append(row); cols.append(col); vals.append(-t)
                diag[row] += t
            else:
                diag[row] += 2 * k[row]
    rows += list(range(n * n)); cols += list(range(n * n)); vals += list(diag)
    order = np.lexsort((cols, rows))
    return n * n, np.array(rows)[order], np.array(cols)[order], np.array(vals)[order]


def spmv(rows: Tensor, cols: Tensor, vals: Tensor, x: Tensor) -> Tensor:
    return torch.zeros_like(x).index_add_(0, rows, vals * x[cols])


class GraphJacobi(torch.nn.Module):
    """Learned damped Jacobi: per-node step sizes from a 2-layer message-passing network."""

    def __init__(self, sweeps: int = 4, hidden: int = 16):
        super().__init__()
        self.sweeps = sweeps
        self.layer1 = torch.nn.Linear(6, hidden)
        self.layer2 = torch.nn.Linear(2 * hidden, hidden)
        self.head = torch.nn.Linear(hidden, sweeps)
        with torch.no_grad():  # start near Jacobi with omega = 2/3
            self.head.weight.mul_(0.01)
            self.head.bias.fill_(math.log(4.0 / 5.0))  # 1.5 * sigmoid(bias) = 2/3

    def node_features(self, rows: Tensor, cols: Tensor, vals: Tensor, diag: Tensor) -> Tensor:
        n = diag.shape[0]
        d = torch.where(diag != 0, diag, torch.ones_like(diag))
        off = torch.where(rows != cols, vals, torch.zeros_like(vals))
        off_abs = torch.zeros(n, dtype=vals.dtype).index_add_(0, rows, off.abs()) / d.abs()
        off_sum = torch.zeros(n, dtype=vals.dtype).index_add_(0, rows, off) / d.abs()
        degree = torch.zeros(n, dtype=vals.dtype).index_add_(0, rows, (off != 0).to(vals.dtype))
        logd = torch.log(d.abs())
        logd = logd - logd.mean()
        return torch.stack([torch.ones_like(d), logd, off_abs, off_sum, degree / 4.0, 1.0 + off_sum], dim=1)

    def propagate(self, h: Tensor, rows: Tensor, cols: Tensor, vals: Tensor, n: int) -> Tensor:
        """Mean over graph neighbours (edges of A, weighted by |a_ij|)."""
        w = torch.where(rows != cols, vals.abs(), torch.zeros_like(vals))
        total = torch.zeros(n, dtype=vals.dtype).index_add_(0, rows, w).clamp_min(1e-300)
        agg = torch.zeros(n, h.shape[1], dtype=h.dtype).index_add_(0, rows, w.unsqueeze(1) * h[cols])
        return agg / total.unsqueeze(1)

    def forward(self, r: Tensor, rows: Tensor, cols: Tensor, vals: Tensor, diag: Tensor) -> Tensor:
        n = diag.shape[0]
        h = torch.relu(self.layer1(self.node_features(rows, cols, vals, diag)))
        h = torch.relu(self.layer2(torch.cat([h, self.propagate(h, rows, cols, vals, n)], dim=1)))
        # n x sweeps in (0, 1.5): bounded, so no node can amplify the rough error components.
        omega = 1.5 * torch.sigmoid(self.head(h))
        d = torch.where(diag != 0, diag, torch.ones_like(diag))
        z = torch.zeros_like(r)
        for k in range(self.sweeps):
            z = z + omega[:, k] * (r - spmv(rows, cols, vals, z)) / d
        return z


def relative_error(model, systems):
    total = 0.0
    for rows, cols, vals, diag, xs in systems:
        for x in xs:
            b = spmv(rows, cols, vals, x)
            z = model(b, rows, cols, vals, diag)
            total = total + ((z - x) ** 2).sum() / (x ** 2).sum()
    return total / sum(len(s[4]) for s in systems)


def to_system(m, rows, cols, vals, solutions, rough=2):
    """Tensors of one system. Besides the solutions (smooth), `rough` random vectors x with
    b = A x are added: without them the loss never sees the rough error components, and the fit
    may amplify them (an indefinite preconditioner that stalls FGMRES)."""
    rows, cols, vals = (torch.from_numpy(np.ascontiguousarray(a)) for a in (rows, cols, vals))
    diag = torch.zeros(m).index_add_(0, rows[rows == cols], vals[rows == cols])
    xs = [torch.from_numpy(np.ascontiguousarray(x, dtype=np.float64)) for x in solutions]
    xs += [torch.randn(int(m), generator=ROUGH_VECTORS) for _ in range(rough)]
    return rows, cols, vals, diag, xs


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--matrices", help="PETSc binary file of the snapshot matrices")
    parser.add_argument("--snapshots", help="Kolmo snapshot file (HDF5) with the solutions")
    parser.add_argument("--synthetic", type=int, metavar="N", help="train on N x N synthetic Darcy systems")
    parser.add_argument("--systems", type=int, default=12, help="synthetic systems (default 12)")
    parser.add_argument("--held-out", type=int, default=3, help="systems kept for validation (default 3)")
    parser.add_argument("--sweeps", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=150)
    parser.add_argument("--output", default="gnn_pc.pt")
    args = parser.parse_args()
    torch.manual_seed(0)

    systems = []
    if args.synthetic:
        for s in range(args.systems):
            m, rows, cols, vals = synthetic_darcy(args.synthetic, 100 + s)
            a = torch.sparse_coo_tensor(np.vstack([rows, cols]), vals, (m, m)).to_dense().numpy()
            rng = np.random.default_rng(s)
            # Solutions of A x = b for smooth and rough right-hand sides.
            xs = [np.linalg.solve(a, np.ones(m) / m), np.linalg.solve(a, rng.standard_normal(m) / m)]
            systems.append(to_system(m, rows, cols, vals, xs))
    else:
        if not (args.matrices and args.snapshots):
            parser.error("give --matrices and --snapshots, or --synthetic N")
        mats = read_petsc_matrices(args.matrices)
        vectors, complete = read_snapshots(args.snapshots)
        indices = np.flatnonzero(complete)
        if len(mats) != len(indices):
            sys.exit(f"{args.matrices} holds {len(mats)} matrices, {args.snapshots} {len(indices)} complete "
                     "snapshots: write the matrices during the same 'kolmo snapshots' run")
        for (m, rows, cols, vals), k in zip(mats, indices):
            x = vectors[k]
            systems.append(to_system(m, rows, cols, vals, [x]))
    if len(systems) <= args.held_out:
        sys.exit(f"{len(systems)} systems: need more than --held-out {args.held_out}")
    train, held_out = systems[:-args.held_out], systems[-args.held_out:]

    model = GraphJacobi(sweeps=args.sweeps)
    optimiser = torch.optim.Adam(model.parameters(), lr=0.02)
    with torch.no_grad():
        start_train, start_test = relative_error(model, train).item(), relative_error(model, held_out).item()
    for epoch in range(args.epochs):
        optimiser.zero_grad()
        loss = relative_error(model, train)
        loss.backward()
        optimiser.step()
        if epoch % 25 == 0:
            print(f"epoch {epoch:4d}  training loss {loss.item():.5f}")
    with torch.no_grad():
        end_train, end_test = relative_error(model, train).item(), relative_error(model, held_out).item()
    print(f"loss ||z(Ax) - x||^2/||x||^2: training {start_train:.5f} -> {end_train:.5f}, "
          f"held-out {start_test:.5f} -> {end_test:.5f} (start: damped Jacobi, omega 2/3; solutions and random vectors)")

    scripted = torch.jit.script(model)
    scripted.save(args.output)
    # The file must run as Kolmo will call it.
    check = torch.jit.load(args.output)
    rows, cols, vals, diag, xs = held_out[0]
    b = spmv(rows, cols, vals, xs[0])
    assert torch.allclose(check(b, rows, cols, vals, diag), model(b, rows, cols, vals, diag))
    print(f"wrote {args.output}: use it with -ksp_type fgmres -pc_type kolmo_learned "
          f"-pc_kolmo_learned_model torchscript -pc_kolmo_learned_file {args.output}")
    return 0 if end_test < start_test else 1


if __name__ == "__main__":
    sys.exit(main())
