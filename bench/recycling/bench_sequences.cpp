// bench_sequences: the end-to-end cost of solving sequences of related truth systems, with what a
// PETSc user would run (CG/GMRES + BoomerAMG or GAMG rebuilt per system, the same with the
// preconditioner kept and refreshed on demand, GAMG / HMG(BoomerAMG) with their interpolation
// reused, PETSc's fischer/pod initial guesses, a sparse direct solve per system, DGMRES/LGMRES)
// against Kolmo's sequence policies (ordering, projection guess, preconditioner reuse or refresh,
// Krylov recycling). Every method stops at the same true relative residual
// ||f - A u|| / ||f|| <= 1e-8 (unpreconditioned norms; right preconditioning for GMRES types),
// and the time of each method covers everything from creating its solver to the last solution:
// assembly of each A(mu) and f(mu), ordering, preconditioner set-up, guesses and iterations.
//
//   mpiexec -n 2 bench_sequences [-n 256] [-n3 32] [-systems 16] [-seeds 3] [-guess_size 32]
//       [-projection_accuracy 1] [-window 8]
//       [-problems thermal,darcy,darcy3d,advection,helmholtz] [-kinds iid,ordered,path]
//       [-methods NAME,NAME,...] [-metric wall|cpu] [-repeat 1] [-csv FILE] [-smoke]
//
// Steps:
//  1. Build the problem: thermal_block (2 x 2 blocks, conductivities log-uniform in [0.1, 10]);
//     Darcy -div(k grad u) = 1 with log k a truncated cosine (Karhunen-Loeve-like) series whose
//     coefficients xi_j ~ N(0, 1) are the parameters, on Kolmo's Q1 StructuredGrid (2-D, n^2
//     cells) and as a 7-point finite-volume scheme on a 3-D DMDA (n3^3 cells); advection_diffusion
//     (Pe in [10, 300], flow angle in [0, pi/2]); helmholtz (k^2 in [25, 45]: indefinite, between
//     the first two Dirichlet eigenvalues).
//  2. Draw each sequence: (a) iid: independent samples; (b) ordered: the same samples in
//     nearest-neighbour order; (c) path: one parameter swept slowly, the others fixed.
//  3. Run every method on it (-repeat rounds over all methods, the fastest run of each kept: a
//     transient load on the machine then slows one run, not the figure) and check every true
//     residual.
//  4. Print per sequence and method: total seconds (setup + solve), iterations, preconditioner
//     builds, the worst true residual and the speed-up against the best baseline; then a summary.
#include <petscdmda.h>
#include <petscksp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <numbers>
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "core/case_file.hpp"
#include "core/environment.hpp"
#include "core/error.hpp"
#include "core/mpi.hpp"
#include "core/parameter_space.hpp"
#include "core/petsc_handle.hpp"
#include "operators/advection_diffusion.hpp"
#include "operators/element_kernels.hpp"
#include "operators/grid_problem.hpp"
#include "operators/helmholtz.hpp"
#include "operators/thermal_block.hpp"
#include "solvers/register_solvers.hpp"
#include "solvers/sequence_solver.hpp"
#include "solvers/system_ordering.hpp"

namespace {

namespace ko = kolmo::operators;
namespace ks = kolmo::solvers;
using kolmo::Mu;
using kolmo::MatHandle;
using kolmo::VecHandle;

constexpr double kTolerance = 1e-8;
constexpr double kPi = std::numbers::pi;

// Modes of the log-conductivity series: cos(pi a x) cos(pi b y) [cos(pi c z)], a, b, c < m, with
// weights sqrt(lambda) = (1 + a^2 + b^2 + c^2)^-1 scaled so that log k has standard deviation
// `sigma` averaged over the domain.
struct Modes {
  std::vector<std::array<int, 3>> index;
  std::vector<double> weight;
};

Modes make_modes(int dimension, int m, double sigma) {
  Modes modes;
  double variance = 0;
  for (int c = 0; c < (dimension == 3 ? m : 1); ++c)
    for (int b = 0; b < m; ++b)
      for (int a = 0; a < m; ++a) {
        const double w = 1.0 / (1.0 + a * a + b * b + c * c);
        modes.index.push_back({a, b, c});
        modes.weight.push_back(w);
        // The domain average of cos^2(pi a x) is 1 for a = 0 and 1/2 otherwise.
        variance += w * w * (a ? 0.5 : 1.0) * (b ? 0.5 : 1.0) * (c ? 0.5 : 1.0);
      }
  for (auto& w : modes.weight) w *= sigma / std::sqrt(variance);
  return modes;
}

kolmo::ParameterSpace xi_space(std::size_t count) {
  std::vector<kolmo::Parameter> p;
  for (std::size_t j = 0; j < count; ++j) p.push_back({"xi" + std::to_string(j), -3.0, 3.0, kolmo::Scale::linear});
  return kolmo::ParameterSpace(p);
}

// cos(pi a (i + 1/2) h) for a < m, i < n: table[a * n + i].
std::vector<double> cosine_table(int m, PetscInt n) {
  std::vector<double> table(static_cast<std::size_t>(m * n));
  for (int a = 0; a < m; ++a)
    for (PetscInt i = 0; i < n; ++i)
      table[static_cast<std::size_t>(a * n + i)] = std::cos(kPi * a * (static_cast<double>(i) + 0.5) / static_cast<double>(n));
  return table;
}

/// -div(k grad u) = 1 on the unit square, u = 0 on the boundary, Q1 elements on Kolmo's
/// StructuredGrid, k = exp(sum_j w_j xi_j phi_j) constant on each cell. The matrix is filled row by
/// row through the grid's DMDA (each rank its own rows, no communication), with the exact Q1
/// element stiffness of a rectangle scaled by the cell's k; reference_operator() assembles the same
/// matrix through StructuredGrid::assemble_matrix to check it.
class Darcy2d : public ko::GridProblem {
 public:
  Darcy2d(MPI_Comm comm, PetscInt cells, int m, double sigma)
      : GridProblem(comm, xi_space(static_cast<std::size_t>(m * m)), spec(cells), {"u"}),
        modes_(make_modes(2, m, sigma)),
        m_(m),
        cells_(cells),
        table_(cosine_table(m, cells)) {
    add_constant_source_and_mean_output(1.0);
    symmetric_ = true;
    stability_ = ko::Stability::coercive;
  }
  std::string type() const override { return "darcy"; }

  double log_k(const Mu& xi, PetscInt ex, PetscInt ey) const {
    double g = 0;
    for (std::size_t j = 0; j < modes_.index.size(); ++j) {
      const auto& [a, b, c] = modes_.index[j];
      g += modes_.weight[j] * xi[j] * table_[static_cast<std::size_t>(a * cells_ + ex)] *
           table_[static_cast<std::size_t>(b * cells_ + ey)];
    }
    return g;
  }

  void assemble_operator(const Mu& xi, MatHandle& out) const override {
    DM dm = grid_.dm();
    if (!out) {
      KOLMO_PETSC_CALL(DMCreateMatrix(dm, out.out()));
      KOLMO_PETSC_CALL(MatSetOption(out, MAT_SYMMETRIC, PETSC_TRUE));
      KOLMO_PETSC_CALL(MatSetOption(out, MAT_SYMMETRY_ETERNAL, PETSC_TRUE));
    }
    const double hx = grid_.hx(), hy = grid_.hy();
    // Q1 stiffness of an hx x hy rectangle, local nodes 0 = (0,0), 1 = (1,0), 2 = (0,1), 3 = (1,1).
    double kref[4][4];
    for (int a = 0; a < 4; ++a)
      for (int b = 0; b < 4; ++b) {
        const int ax = a & 1, ay = a >> 1, bx = b & 1, by = b >> 1;
        const double dx = (ax == bx ? 1.0 : -1.0) * (ay == by ? 2.0 : 1.0) / 6.0;
        const double dy = (ay == by ? 1.0 : -1.0) * (ax == bx ? 2.0 : 1.0) / 6.0;
        kref[a][b] = hy / hx * dx + hx / hy * dy;
      }
    PetscInt xs = 0, ys = 0, xm = 0, ym = 0;
    KOLMO_PETSC_CALL(DMDAGetCorners(dm, &xs, &ys, nullptr, &xm, &ym, nullptr));
    const PetscInt nx = grid_.nodes_x(), ny = grid_.nodes_y();
    // k of the cells around the owned nodes: cells xs .. xs+xm (unknown node i is full node i+1).
    const PetscInt cx = xm + 1, cy = ym + 1;
    std::vector<double> k(static_cast<std::size_t>(cx * cy));
    for (PetscInt ey = 0; ey < cy; ++ey)
      for (PetscInt ex = 0; ex < cx; ++ex)
        k[static_cast<std::size_t>(ey * cx + ex)] = std::exp(log_k(xi, xs + ex, ys + ey));
    MatStencil row{}, cols[9];
    PetscScalar values[9];
    for (PetscInt j = ys; j < ys + ym; ++j)
      for (PetscInt i = xs; i < xs + xm; ++i) {
        double stencil[3][3] = {};
        for (PetscInt ey = j; ey <= j + 1; ++ey)
          for (PetscInt ex = i; ex <= i + 1; ++ex) {
            const double ke = k[static_cast<std::size_t>((ey - ys) * cx + (ex - xs))];
            const int a = static_cast<int>((i + 1 - ex) + 2 * (j + 1 - ey));
            for (int b = 0; b < 4; ++b) {
              const PetscInt bi = ex + (b & 1) - 1, bj = ey + (b >> 1) - 1;  // unknown node of b
              stencil[bj - j + 1][bi - i + 1] += ke * kref[a][b];
            }
          }
        row.i = i;
        row.j = j;
        PetscInt count = 0;
        for (int dj = -1; dj <= 1; ++dj)
          for (int di = -1; di <= 1; ++di) {
            const PetscInt ci = i + di, cj = j + dj;
            if (ci < 0 || cj < 0 || ci >= nx || cj >= ny) continue;
            cols[count].i = ci;
            cols[count].j = cj;
            values[count] = stencil[dj + 1][di + 1];
            ++count;
          }
        KOLMO_PETSC_CALL(MatSetValuesStencil(out, 1, &row, count, cols, values, INSERT_VALUES));
      }
    KOLMO_PETSC_CALL(MatAssemblyBegin(out, MAT_FINAL_ASSEMBLY));
    KOLMO_PETSC_CALL(MatAssemblyEnd(out, MAT_FINAL_ASSEMBLY));
  }

  /// The same operator through StructuredGrid::assemble_matrix (slow, for checking). Collective.
  MatHandle reference_operator(const Mu& xi) const {
    return grid_.assemble_matrix([&](PetscInt ex, PetscInt ey, std::span<const ko::QuadraturePoint> points,
                                     std::span<double> ke) {
      ko::add_stiffness(points, std::exp(log_k(xi, ex, ey)), ke);
    });
  }

 private:
  static ko::GridSpec spec(PetscInt cells) {
    ko::GridSpec s;
    s.cells_x = s.cells_y = cells;
    return s;
  }
  Modes modes_;
  int m_;
  PetscInt cells_;
  std::vector<double> table_;
};

/// -div(k grad u) = 1 on the unit cube, u = 0 on the boundary, cell-centred 7-point finite volumes
/// on an n^3 DMDA with harmonic-mean face transmissibilities, log k as in Darcy2d (m^3 modes).
class Darcy3d : public ko::ParametrizedProblem {
 public:
  Darcy3d(MPI_Comm comm, PetscInt n, int m, double sigma)
      : ParametrizedProblem(comm, xi_space(static_cast<std::size_t>(m * m * m))),
        modes_(make_modes(3, m, sigma)),
        n_(n),
        table_(cosine_table(m, n)) {
    KOLMO_PETSC_CALL(DMDACreate3d(comm, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE,
                                  DMDA_STENCIL_STAR, n, n, n, PETSC_DECIDE, PETSC_DECIDE, PETSC_DECIDE,
                                  1, 1, nullptr, nullptr, nullptr, dm_.out()));
    KOLMO_PETSC_CALL(DMSetUp(dm_));
    symmetric_ = true;
    stability_ = ko::Stability::coercive;
  }
  std::string type() const override { return "darcy3d"; }
  VecHandle create_vector() const override {
    VecHandle v;
    KOLMO_PETSC_CALL(DMCreateGlobalVector(dm_, v.out()));
    KOLMO_PETSC_CALL(VecSet(v, 0.0));
    return v;
  }
  void assemble_rhs(const Mu&, Vec out) const override {
    const double h = 1.0 / static_cast<double>(n_);
    KOLMO_PETSC_CALL(VecSet(out, h * h * h));
  }
  void assemble_operator(const Mu& xi, MatHandle& out) const override {
    if (!out) {
      KOLMO_PETSC_CALL(DMCreateMatrix(dm_, out.out()));
      KOLMO_PETSC_CALL(MatSetOption(out, MAT_SYMMETRIC, PETSC_TRUE));
      KOLMO_PETSC_CALL(MatSetOption(out, MAT_SYMMETRY_ETERNAL, PETSC_TRUE));
    }
    PetscInt xs = 0, ys = 0, zs = 0, xm = 0, ym = 0, zm = 0;
    KOLMO_PETSC_CALL(DMDAGetCorners(dm_, &xs, &ys, &zs, &xm, &ym, &zm));
    // k on the owned cells and one layer around them (neighbours are evaluated, not exchanged).
    const PetscInt gx = xm + 2, gy = ym + 2, gz = zm + 2;
    std::vector<double> k(static_cast<std::size_t>(gx * gy * gz), 0.0);
    auto at = [&](PetscInt i, PetscInt j, PetscInt l) -> double& {
      return k[static_cast<std::size_t>(((l - zs + 1) * gy + (j - ys + 1)) * gx + (i - xs + 1))];
    };
    for (PetscInt l = std::max<PetscInt>(zs - 1, 0); l < std::min(zs + zm + 1, n_); ++l)
      for (PetscInt j = std::max<PetscInt>(ys - 1, 0); j < std::min(ys + ym + 1, n_); ++j)
        for (PetscInt i = std::max<PetscInt>(xs - 1, 0); i < std::min(xs + xm + 1, n_); ++i) {
          double g = 0;
          for (std::size_t q = 0; q < modes_.index.size(); ++q) {
            const auto& [a, b, c] = modes_.index[q];
            g += modes_.weight[q] * xi[q] * table_[static_cast<std::size_t>(a * n_ + i)] *
                 table_[static_cast<std::size_t>(b * n_ + j)] * table_[static_cast<std::size_t>(c * n_ + l)];
          }
          at(i, j, l) = std::exp(g);
        }
    const double h = 1.0 / static_cast<double>(n_);
    MatStencil row{}, cols[7];
    PetscScalar values[7];
    const int offsets[6][3] = {{-1, 0, 0}, {1, 0, 0}, {0, -1, 0}, {0, 1, 0}, {0, 0, -1}, {0, 0, 1}};
    for (PetscInt l = zs; l < zs + zm; ++l)
      for (PetscInt j = ys; j < ys + ym; ++j)
        for (PetscInt i = xs; i < xs + xm; ++i) {
          const double kc = at(i, j, l);
          double diagonal = 0;
          PetscInt count = 0;
          for (const auto& o : offsets) {
            const PetscInt ni = i + o[0], nj = j + o[1], nl = l + o[2];
            if (ni < 0 || nj < 0 || nl < 0 || ni >= n_ || nj >= n_ || nl >= n_) {
              diagonal += 2.0 * kc * h;  // face on the boundary: half a cell to u = 0
              continue;
            }
            const double kn = at(ni, nj, nl);
            const double t = 2.0 * kc * kn / (kc + kn) * h;
            diagonal += t;
            cols[count].i = ni;
            cols[count].j = nj;
            cols[count].k = nl;
            values[count] = -t;
            ++count;
          }
          cols[count].i = i;
          cols[count].j = j;
          cols[count].k = l;
          values[count] = diagonal;
          ++count;
          row.i = i;
          row.j = j;
          row.k = l;
          KOLMO_PETSC_CALL(MatSetValuesStencil(out, 1, &row, count, cols, values, INSERT_VALUES));
        }
    KOLMO_PETSC_CALL(MatAssemblyBegin(out, MAT_FINAL_ASSEMBLY));
    KOLMO_PETSC_CALL(MatAssemblyEnd(out, MAT_FINAL_ASSEMBLY));
  }

 private:
  Modes modes_;
  PetscInt n_;
  std::vector<double> table_;
  kolmo::DMHandle dm_;
};

// ---- problems and sequences ----

struct Problem {
  std::string name;         // thermal, darcy, darcy3d, advection, helmholtz
  std::string description;  // for the table heading
  std::unique_ptr<ko::ParametrizedProblem> problem;
  bool spd = true;
  bool gaussian = false;    // parameters drawn N(0, 1) (clipped to the box) instead of uniform
  std::size_t path_parameter = 0;
  double path_from = 0, path_to = 1;  // in unit-cube coordinates of the path parameter
};

Problem make_problem(MPI_Comm comm, const std::string& name, PetscInt n, PetscInt n3) {
  Problem p;
  p.name = name;
  std::ostringstream d;
  if (name == "thermal") {
    ko::ThermalBlockSettings s;
    s.cells = {n, n};
    std::vector<kolmo::Parameter> params;
    for (int i = 0; i < 4; ++i) params.push_back({"mu" + std::to_string(i), 0.1, 10.0, kolmo::Scale::log});
    p.problem = std::make_unique<ko::ThermalBlockProblem>(comm, kolmo::ParameterSpace(params), s);
    d << "thermal_block 2x2, " << n << "^2 cells";
  } else if (name == "darcy") {
    p.problem = std::make_unique<Darcy2d>(comm, n, 4, 1.0);
    p.gaussian = true;
    p.path_parameter = 1;
    p.path_from = 1.0 / 6;  // xi1 from -2 to 2
    p.path_to = 5.0 / 6;
    d << "Darcy log-normal 16 modes, Q1 " << n << "^2 cells";
  } else if (name == "darcy3d") {
    p.problem = std::make_unique<Darcy3d>(comm, n3, 3, 1.0);
    p.gaussian = true;
    p.path_parameter = 1;
    p.path_from = 1.0 / 6;
    p.path_to = 5.0 / 6;
    d << "Darcy log-normal 27 modes, FV " << n3 << "^3 cells";
  } else if (name == "advection") {
    ko::AdvectionDiffusionSettings s;
    s.cells = {n, n};
    s.diffusivity = "1/Pe";
    s.velocity = {"cos(theta)", "sin(theta)"};
    const kolmo::ParameterSpace space({{"Pe", 10.0, 300.0, kolmo::Scale::log}, {"theta", 0.0, kPi / 2, kolmo::Scale::linear}});
    p.problem = std::make_unique<ko::AdvectionDiffusionProblem>(comm, space, s);
    p.spd = false;
    d << "advection_diffusion Pe 10..300, " << n << "^2 cells";
  } else if (name == "helmholtz") {
    ko::HelmholtzSettings s;
    s.cells = {n, n};
    const kolmo::ParameterSpace space({{"k2", 25.0, 45.0, kolmo::Scale::linear}});
    p.problem = std::make_unique<ko::HelmholtzProblem>(comm, space, s);
    p.spd = false;
    d << "helmholtz k^2 25..45 (indefinite), " << n << "^2 cells";
  } else {
    KOLMO_INPUT_CHECK(false, "unknown problem '" << name << "' (thermal, darcy, darcy3d, advection, helmholtz)");
  }
  d << ", " << p.problem->global_size() << " unknowns";
  p.description = d.str();
  return p;
}

std::vector<Mu> iid_sample(const Problem& p, std::size_t count, unsigned seed) {
  const auto& space = p.problem->parameter_space();
  std::mt19937_64 rng(seed * 7919 + 17);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<Mu> points;
  for (std::size_t i = 0; i < count; ++i) {
    std::vector<double> t(space.dimension());
    for (auto& x : t) x = p.gaussian ? std::clamp((normal(rng) + 3.0) / 6.0, 0.0, 1.0) : uniform(rng);
    points.push_back(space.from_unit(t));
  }
  return points;
}

// One parameter swept evenly (in unit-cube coordinates) from path_from to path_to, the others at
// the first point of the iid sample of `seed`.
std::vector<Mu> path_sample(const Problem& p, std::size_t count, unsigned seed) {
  const auto& space = p.problem->parameter_space();
  const auto base = space.to_unit(iid_sample(p, 1, seed + 1000).front());
  std::vector<Mu> points;
  for (std::size_t i = 0; i < count; ++i) {
    auto t = base;
    const double s = count > 1 ? static_cast<double>(i) / static_cast<double>(count - 1) : 0.0;
    t[p.path_parameter] = p.path_from + s * (p.path_to - p.path_from);
    points.push_back(space.from_unit(t));
  }
  return points;
}

std::vector<Mu> sequence(const Problem& p, const std::string& kind, std::size_t count, unsigned seed) {
  if (kind == "path") return path_sample(p, count, seed);
  auto points = iid_sample(p, count, seed);
  if (kind == "ordered") {
    const auto order = ks::order_parameters(p.problem->parameter_space(), points, ks::SystemOrder::nearest);
    std::vector<Mu> sorted;
    for (const auto i : order) sorted.push_back(points[i]);
    points = std::move(sorted);
  }
  return points;
}

// How similar neighbours are: the mean distance between consecutive points of the sequence over
// the mean distance between any two of its points (in the unit cube of the parameter box).
// Ordering helps a kept preconditioner or a short window only when this is well below 1.
double step_ratio(const kolmo::ParameterSpace& space, const std::vector<Mu>& points) {
  std::vector<std::vector<double>> unit;
  for (const auto& mu : points) unit.push_back(space.to_unit(mu));
  auto distance = [&](std::size_t a, std::size_t b) {
    double sum = 0;
    for (std::size_t j = 0; j < unit[a].size(); ++j) sum += (unit[a][j] - unit[b][j]) * (unit[a][j] - unit[b][j]);
    return std::sqrt(sum);
  };
  double steps = 0, pairs = 0;
  for (std::size_t i = 1; i < unit.size(); ++i) steps += distance(i - 1, i);
  for (std::size_t i = 0; i < unit.size(); ++i)
    for (std::size_t k = i + 1; k < unit.size(); ++k) pairs += distance(i, k);
  if (unit.size() < 2 || pairs <= 0) return 0;
  const double n = static_cast<double>(unit.size());
  return (steps / (n - 1)) / (pairs / (n * (n - 1) / 2));
}

// ---- methods ----

struct Method {
  std::string name;
  bool baseline = true;
  std::string ksp, pc;
  std::map<std::string, std::string> petsc;
  ks::SequencePolicy policy;
};

// Solutions kept by Kolmo's projection guess (and PETSc's fischer/pod): on the affine problems the
// reduced matrices make a large basis cheap. -guess_size changes it (long sequences).
int kGuessSize = 32;
// Kolmo's projection policies solve to rtol times this (-projection_accuracy; solver.sequence key).
double kProjectionAccuracy = 1.0;
// Solutions kept by Kolmo's projection on the non-affine (Darcy) problems, at that many
// matrix-vector products per system (-window).
int kWindow = 8;

ks::SequencePolicy make_policy(ks::InitialGuess guess, ks::PcReuse reuse, bool recycle,
                               ks::SystemOrder order = ks::SystemOrder::given, int guess_size = kGuessSize) {
  ks::SequencePolicy p;
  p.guess_size = guess_size;
  p.guess = guess;
  p.projection_accuracy = kProjectionAccuracy;
  p.reuse_pc = reuse;
  p.recycle = recycle;
  p.order = order;
  return p;
}

std::vector<Method> methods_for(const Problem& p) {
  using G = ks::InitialGuess;
  using R = ks::PcReuse;
  using O = ks::SystemOrder;
  const std::map<std::string, std::string> hypre = {{"pc_hypre_type", "boomeramg"}};
  auto with = [](std::map<std::string, std::string> a, const std::map<std::string, std::string>& b) {
    a.insert(b.begin(), b.end());
    return a;
  };
  // Baselines keep the preconditioner the way a PETSc user does: the matrix is assembled for every
  // system (Kolmo applies affine operators matrix-free meanwhile).
  auto plain = [](ks::SequencePolicy policy) {
    policy.matrix_free = false;
    return policy;
  };
  std::vector<Method> m;
  // Kolmo orders i.i.d. Darcy samples by matrix signature: the parameters of the higher modes
  // barely change the matrix, so the distance between parameter points misleads.
  const O kolmo_order = p.gaussian ? O::signature : O::nearest;
  // Without an affine form the projection costs guess_size matrix-vector products per system.
  const int window = p.gaussian ? kWindow : kGuessSize;
  if (p.spd) {
    const std::map<std::string, std::string> cg = {{"ksp_norm_type", "unpreconditioned"}};
    const std::map<std::string, std::string> right = {{"ksp_pc_side", "right"}};
    m.push_back({"CG+BoomerAMG", true, "cg", "hypre", with(cg, hypre), {}});
    // PETSc 3.18's GAMG keeps the prolongators of its first set-up when the KSP is set up again for a
    // matrix of the same nonzero pattern (-pc_gamg_reuse_interpolation defaults to true): that is
    // "CG+GAMG reuse-interp" below. Rebuilt per system means a new hierarchy for every matrix.
    m.push_back({"CG+GAMG", true, "cg", "gamg", with(cg, {{"pc_gamg_reuse_interpolation", "false"}}), {}});
    m.push_back({"CG+BoomerAMG reuse", true, "cg", "hypre", with(cg, hypre), plain(make_policy(G::zero, R::automatic, false))});
    m.push_back({"CG+GAMG reuse", true, "cg", "gamg", cg, plain(make_policy(G::zero, R::automatic, false))});
    m.push_back({"CG+BoomerAMG fischer", true, "cg", "hypre", with(cg, hypre), plain(make_policy(G::fischer, R::automatic, false))});
    m.push_back({"CG+BoomerAMG pod", true, "cg", "hypre", with(cg, hypre), plain(make_policy(G::pod, R::automatic, false))});
    m.push_back({"MUMPS Cholesky", true, "preonly", "cholesky", {{"pc_factor_mat_solver_type", "mumps"}}, {}});
    m.push_back({"DGMRES+BoomerAMG", true, "dgmres", "hypre", with(right, hypre), {}});
    m.push_back({"LGMRES+BoomerAMG", true, "lgmres", "hypre", with(right, hypre), {}});
    m.push_back({"Kolmo cg proj", false, "cg", "hypre", with(cg, hypre), make_policy(G::projection, R::never, false, O::given, window)});
    m.push_back({"Kolmo cg proj+reuse", false, "cg", "hypre", with(cg, hypre), make_policy(G::projection, R::automatic, false, O::given, window)});
    m.push_back({"Kolmo rcg proj+reuse", false, "cg", "hypre", with(cg, hypre), make_policy(G::projection, R::automatic, true, O::given, window)});
    m.push_back({"Kolmo rcg proj", false, "cg", "hypre", with(cg, hypre), make_policy(G::projection, R::never, true, O::given, window)});
    m.push_back({"Kolmo cg proj+reuse ordered", false, "cg", "hypre", with(cg, hypre), make_policy(G::projection, R::automatic, false, kolmo_order, window)});
    m.push_back({"Kolmo rcg proj+reuse ordered", false, "cg", "hypre", with(cg, hypre), make_policy(G::projection, R::automatic, true, kolmo_order, window)});
    m.push_back({"Kolmo cg+GAMG proj", false, "cg", "gamg", cg, make_policy(G::projection, R::never, false, O::given, window)});
    m.push_back({"Kolmo cg+GAMG proj+reuse", false, "cg", "gamg", cg, make_policy(G::projection, R::automatic, false, O::given, window)});
    m.push_back({"Kolmo cg+GAMG proj+reuse ordered", false, "cg", "gamg", cg, make_policy(G::projection, R::automatic, false, kolmo_order, window)});
    // Keeping the AMG hierarchy's prolongators and recomputing its numbers. PETSc users get the
    // same set-up with -pc_gamg_reuse_interpolation (PETSc 3.18's default; kept for good: no watch),
    // and BoomerAMG's interpolation inside PETSc's multigrid with PCHMG (PCHYPRE itself cannot keep it).
    const std::map<std::string, std::string> hmg = {{"pc_hmg_inner_pc_type", "hypre"}};
    m.push_back({"CG+GAMG reuse-interp", true, "cg", "gamg", with(cg, {{"pc_gamg_reuse_interpolation", "true"}}), {}});
    m.push_back({"CG+HMG(boomer) reuse-interp", true, "cg", "hmg", with(with(cg, hmg), {{"pc_hmg_reuse_interpolation", "true"}}), {}});
    m.push_back({"Kolmo cg+GAMG refresh", false, "cg", "gamg", cg, make_policy(G::zero, R::refresh, false)});
    m.push_back({"Kolmo cg+GAMG proj+refresh", false, "cg", "gamg", cg, make_policy(G::projection, R::refresh, false, O::given, window)});
    // Farthest-point first: the early solutions span the parameter box, the projection gets good sooner.
    m.push_back({"Kolmo cg proj farthest", false, "cg", "hypre", with(cg, hypre), make_policy(G::projection, R::never, false, O::farthest, window)});
    m.push_back({"Kolmo cg+GAMG proj farthest", false, "cg", "gamg", cg, make_policy(G::projection, R::never, false, O::farthest, window)});
    // guess auto: the projection only while it pays.
    m.push_back({"Kolmo cg auto", false, "cg", "hypre", with(cg, hypre), make_policy(G::automatic, R::never, false, O::given, window)});
    m.push_back({"Kolmo cg+GAMG auto", false, "cg", "gamg", cg, make_policy(G::automatic, R::never, false, O::given, window)});
    m.push_back({"Kolmo cg+GAMG auto+refresh", false, "cg", "gamg", cg, make_policy(G::automatic, R::refresh, false, O::given, window)});
    m.push_back({"Kolmo cg auto farthest", false, "cg", "hypre", with(cg, hypre), make_policy(G::automatic, R::never, false, O::farthest, window)});
    m.push_back({"Kolmo cg+GAMG auto farthest", false, "cg", "gamg", cg, make_policy(G::automatic, R::never, false, O::farthest, window)});
    m.push_back({"Kolmo cg+GAMG proj+refresh ordered", false, "cg", "gamg", cg, make_policy(G::projection, R::refresh, false, kolmo_order, window)});
    m.push_back({"Kolmo cg+HMG proj+refresh", false, "cg", "hmg", with(cg, hmg), make_policy(G::projection, R::refresh, false, O::given, window)});
  } else {
    const std::map<std::string, std::string> right = {{"ksp_pc_side", "right"}, {"ksp_gmres_restart", "30"}};
    const std::string direct = p.problem->symmetric() ? "cholesky" : "lu";
    const std::string direct_name = p.problem->symmetric() ? "MUMPS LDLt" : "MUMPS LU";
    m.push_back({"GMRES+BoomerAMG", true, "gmres", "hypre", with(right, hypre), {}});
    m.push_back({"GMRES+ILU", true, "gmres", "bjacobi", right, {}});
    m.push_back({"GMRES+BoomerAMG reuse", true, "gmres", "hypre", with(right, hypre), plain(make_policy(G::zero, R::automatic, false))});
    m.push_back({"GMRES+ILU reuse", true, "gmres", "bjacobi", right, plain(make_policy(G::zero, R::automatic, false))});
    m.push_back({"GMRES+BoomerAMG fischer", true, "gmres", "hypre", with(right, hypre), plain(make_policy(G::fischer, R::automatic, false))});
    m.push_back({"GMRES+BoomerAMG pod", true, "gmres", "hypre", with(right, hypre), plain(make_policy(G::pod, R::automatic, false))});
    m.push_back({direct_name, true, "preonly", direct, {{"pc_factor_mat_solver_type", "mumps"}}, {}});
    m.push_back({"DGMRES+BoomerAMG", true, "dgmres", "hypre", with(right, hypre), {}});
    m.push_back({"LGMRES+BoomerAMG", true, "lgmres", "hypre", with(right, hypre), {}});
    m.push_back({"Kolmo gmres proj", false, "gmres", "hypre", with(right, hypre), make_policy(G::projection, R::never, false)});
    m.push_back({"Kolmo gmres proj+reuse", false, "gmres", "hypre", with(right, hypre), make_policy(G::projection, R::automatic, false)});
    m.push_back({"Kolmo gcrodr proj+reuse", false, "gmres", "hypre", with(right, hypre), make_policy(G::projection, R::automatic, true)});
    m.push_back({"Kolmo gcrodr proj", false, "gmres", "hypre", with(right, hypre), make_policy(G::projection, R::never, true)});
    m.push_back({"Kolmo gmres auto", false, "gmres", "hypre", with(right, hypre), make_policy(G::automatic, R::never, false)});
    m.push_back({"Kolmo gmres auto+reuse", false, "gmres", "hypre", with(right, hypre), make_policy(G::automatic, R::automatic, false)});
    m.push_back({"Kolmo gmres proj+reuse ordered", false, "gmres", "hypre", with(right, hypre), make_policy(G::projection, R::automatic, false, O::nearest)});
    m.push_back({"Kolmo gcrodr proj+reuse ordered", false, "gmres", "hypre", with(right, hypre), make_policy(G::projection, R::automatic, true, O::nearest)});
  }
  return m;
}

// ---- running ----

// CPU seconds of this process (the machine these figures come from is shared: CPU time of the
// busiest rank is steadier than wall time under other people's load).
double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

struct Result {
  double cpu = 0;  // CPU seconds of the busiest rank
  double total = 0, setup = 0, solve = 0;
  long iterations = 0;
  std::size_t builds = 0, refreshes = 0;
  // Rank 0's set-up seconds (assembly, preconditioner, guess) per kind of system: full build,
  // refresh, kept preconditioner; and the counts.
  double setup_build = 0, setup_refresh = 0, setup_kept = 0;
  long n_build = 0, n_refresh = 0, n_kept = 0;
  long n_matrix_free = 0;  // systems whose affine operator was applied as the sum of its terms
  std::size_t accepted = 0;  // systems whose guess met the tolerance (nothing set up or solved)
  std::size_t projected = 0, unprojected = 0;  // guess auto: systems with / without the projection
  double budget_net = 0;  // guess auto: the budget's estimate of the seconds the projection saved, net
  double worst_residual = 0;
  std::string failure;
  void add(const Result& r) {
    cpu += r.cpu;
    total += r.total;
    setup += r.setup;
    solve += r.solve;
    iterations += r.iterations;
    builds += r.builds;
    refreshes += r.refreshes;
    setup_build += r.setup_build;
    setup_refresh += r.setup_refresh;
    setup_kept += r.setup_kept;
    n_build += r.n_build;
    n_refresh += r.n_refresh;
    n_kept += r.n_kept;
    n_matrix_free += r.n_matrix_free;
    accepted += r.accepted;
    projected += r.projected;
    unprojected += r.unprojected;
    budget_net += r.budget_net;
    worst_residual = std::max(worst_residual, r.worst_residual);
    if (failure.empty()) failure = r.failure;
  }
};

Result run_method(const Problem& p, const Method& m, std::size_t index, const std::vector<Mu>& points) {
  kolmo::SolverSection settings;
  settings.ksp_type = m.ksp;
  settings.pc_type = m.pc;
  settings.rtol = kTolerance;
  settings.atol = 0;
  settings.max_it = 5000;
  settings.petsc = m.petsc;
  // Appended, not "m" + std::string: GCC 12 warns falsely (-Wrestrict) on that once inlined.
  std::string prefix = "m";
  prefix += std::to_string(index) + "_";
  const MPI_Comm comm = p.problem->comm();
  Result r;
  MPI_Barrier(comm);
  const double start = MPI_Wtime();
  const double cpu_start = cpu_seconds();
  try {
    ks::SequenceSolver solver(*p.problem, settings, m.policy, prefix);
    const auto stats = solver.solve_all(points);
    MPI_Barrier(comm);
    r.total = MPI_Wtime() - start;
    for (const auto& s : stats) {
      r.solve += s.solve_seconds;
      r.iterations += s.iterations;
      r.worst_residual = std::max(r.worst_residual, s.relative_residual);
      if (s.matrix_free) ++r.n_matrix_free;
      if (s.pc_refreshed && !s.pc_rebuilt) {
        r.setup_refresh += s.setup_seconds;
        ++r.n_refresh;
      } else if (s.pc_rebuilt) {
        r.setup_build += s.setup_seconds;
        ++r.n_build;
      } else {
        r.setup_kept += s.setup_seconds;
        ++r.n_kept;
      }
    }
    r.builds = solver.pc_builds();
    r.refreshes = solver.pc_refreshes();
    r.accepted = solver.guesses_accepted();
    r.projected = solver.projection_budget().systems_with();
    r.unprojected = solver.projection_budget().systems_without();
    r.budget_net = solver.projection_budget().net_seconds();
    // The solve times are rank 0's; every rank reports the same split.
    MPI_Bcast(&r.solve, 1, MPI_DOUBLE, 0, comm);
    r.setup = r.total - r.solve;
  } catch (const ks::SolverError& e) {
    MPI_Barrier(comm);
    r.total = MPI_Wtime() - start;
    r.failure = KSPConvergedReasons[e.reason()];
  }
  double cpu = cpu_seconds() - cpu_start;
  MPI_Allreduce(&cpu, &r.cpu, 1, MPI_DOUBLE, MPI_MAX, comm);
  if (r.failure.empty() && !(r.worst_residual <= kTolerance * 1.0001)) r.failure = "residual above 1e-8";
  return r;
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, ','))
    if (!part.empty()) parts.push_back(part);
  return parts;
}

std::string option_string(const char* name, const std::string& fallback) {
  char buffer[1024] = {};
  PetscBool set = PETSC_FALSE;
  KOLMO_PETSC_CALL(PetscOptionsGetString(nullptr, nullptr, name, buffer, sizeof buffer, &set));
  return set ? std::string(buffer) : fallback;
}

PetscInt option_int(const char* name, PetscInt fallback) {
  PetscInt value = fallback;
  KOLMO_PETSC_CALL(PetscOptionsGetInt(nullptr, nullptr, name, &value, nullptr));
  return value;
}

// The stencil assembly of Darcy2d equals the grid's element assembly.
void check_darcy_assembly(MPI_Comm comm) {
  const Darcy2d darcy(comm, 24, 4, 1.0);
  Mu point(16);
  std::mt19937_64 rng(3);
  std::normal_distribution<double> normal(0.0, 1.0);
  for (auto& x : point) x = std::clamp(normal(rng), -3.0, 3.0);
  MatHandle fast;
  darcy.assemble_operator(point, fast);
  MatHandle reference = darcy.reference_operator(point);
  PetscReal norm = 0, difference = 0;
  KOLMO_PETSC_CALL(MatNorm(reference, NORM_FROBENIUS, &norm));
  KOLMO_PETSC_CALL(MatAXPY(reference, -1.0, fast, DIFFERENT_NONZERO_PATTERN));
  KOLMO_PETSC_CALL(MatNorm(reference, NORM_FROBENIUS, &difference));
  KOLMO_CHECK(difference <= 1e-12 * norm,
              "Darcy2d stencil assembly differs from StructuredGrid::assemble_matrix by " << difference / norm);
}

}  // namespace

int main(int argc, char** argv) {
  kolmo::Environment environment(argc, argv);
  const MPI_Comm comm = PETSC_COMM_WORLD;
  try {
    kolmo::register_solvers();
    const bool smoke = option_string("-smoke", "no") != "no";
    const PetscInt n = option_int("-n", smoke ? 24 : 256);
    const PetscInt n3 = option_int("-n3", smoke ? 8 : 32);
    const auto systems = static_cast<std::size_t>(option_int("-systems", smoke ? 3 : 16));
    kGuessSize = static_cast<int>(option_int("-guess_size", kGuessSize));
    kWindow = static_cast<int>(option_int("-window", kWindow));
    PetscReal accuracy = kProjectionAccuracy;
    KOLMO_PETSC_CALL(PetscOptionsGetReal(nullptr, nullptr, "-projection_accuracy", &accuracy, nullptr));
    kProjectionAccuracy = accuracy;
    const auto seeds = static_cast<unsigned>(option_int("-seeds", smoke ? 1 : 3));
    const auto repeat = std::max<PetscInt>(1, option_int("-repeat", 1));
    const auto problems = split(option_string("-problems", "thermal,darcy,darcy3d,advection,helmholtz"));
    const auto kinds = split(option_string("-kinds", "iid,ordered,path"));
    const auto only = split(option_string("-methods", ""));
    const std::string csv_name = option_string("-csv", "");
    // Speed-ups compare wall time (default) or the CPU time of the busiest rank (-metric cpu).
    const bool by_cpu = option_string("-metric", "wall") == "cpu";
    auto measure = [by_cpu](const Result& r) { return by_cpu ? r.cpu : r.total; };
    const bool root = kolmo::comm_rank(comm) == 0;
    check_darcy_assembly(comm);

    std::FILE* csv = nullptr;
    if (root && !csv_name.empty()) {
      csv = std::fopen(csv_name.c_str(), "w");
      KOLMO_INPUT_CHECK(csv, "cannot write " << csv_name);
      std::fprintf(csv, "problem,kind,seed,method,baseline,total_s,setup_s,solve_s,cpu_s,iterations,pc_builds,worst_residual,failure\n");
    }
    struct Summary {
      std::string heading, best_baseline, best_kolmo;
      double baseline_time = 0, kolmo_time = 0, min_seed = 1e300, max_seed = 0;
    };
    std::vector<Summary> summaries;
    const int ranks = kolmo::comm_size(comm);

    for (const auto& name : problems) {
      const Problem p = make_problem(comm, name, n, n3);
      const auto methods = methods_for(p);
      // Warm-up: the first BoomerAMG and MUMPS set-ups in a process pay one-time costs.
      run_method(p, methods[0], 0, sequence(p, "iid", 1, 999));
      for (const auto& kind : kinds) {
        std::vector<Result> totals(methods.size());
        std::vector<std::vector<double>> per_seed(methods.size());
        double steps = 0;
        for (unsigned seed = 1; seed <= seeds; ++seed) {
          const auto points = sequence(p, kind, systems, seed);
          steps += step_ratio(p.problem->parameter_space(), points) / static_cast<double>(seeds);
          // Rounds over all methods rather than repeats of one method in a row: a slow spell of the
          // machine (seen lasting tens of seconds) then spoils one run of several methods, not
          // every run of one.
          std::vector<Result> fastest(methods.size());
          std::vector<bool> ran(methods.size(), false);
          for (PetscInt round = 0; round < repeat; ++round) {
            for (std::size_t k = 0; k < methods.size(); ++k) {
              if (!only.empty() && std::find(only.begin(), only.end(), methods[k].name) == only.end()) continue;
              if (ran[k] && !fastest[k].failure.empty()) continue;
              Result next = run_method(p, methods[k], k, points);
              if (!ran[k] || !next.failure.empty() || measure(next) < measure(fastest[k])) fastest[k] = std::move(next);
              ran[k] = true;
            }
          }
          for (std::size_t k = 0; k < methods.size(); ++k) {
            if (!ran[k]) continue;
            const Result& r = fastest[k];
            totals[k].add(r);
            per_seed[k].push_back(r.failure.empty() ? measure(r) : 1e300);
            if (csv)
              std::fprintf(csv, "%s,%s,%u,%s,%d,%.6f,%.6f,%.6f,%.6f,%ld,%zu,%.3e,%s\n", name.c_str(), kind.c_str(), seed,
                           methods[k].name.c_str(), methods[k].baseline ? 1 : 0, r.total, r.setup, r.solve, r.cpu,
                           r.iterations, r.builds, r.worst_residual, r.failure.c_str());
          }
        }
        // Best baseline and best Kolmo policy by total time over the seeds (failed runs excluded).
        std::size_t best_base = methods.size(), best_kolmo = methods.size();
        for (std::size_t k = 0; k < methods.size(); ++k) {
          if (per_seed[k].empty() || !totals[k].failure.empty()) continue;
          std::size_t& best = methods[k].baseline ? best_base : best_kolmo;
          if (best == methods.size() || measure(totals[k]) < measure(totals[best])) best = k;
        }
        Summary s;
        std::ostringstream heading;
        heading << p.description << ", " << kind << ", " << systems << " systems x " << seeds << " seed"
                << (seeds > 1 ? "s" : "") << ", " << ranks << " rank" << (ranks > 1 ? "s" : "");
        s.heading = heading.str();
        if (root) {
          std::printf("\n== %s ==\n", s.heading.c_str());
          std::printf("step between consecutive systems: %.2f of the mean distance between two systems\n", steps);
          std::printf("%-34s %9s %9s %9s %9s %7s %7s %9s %8s\n", "method", "total s", "setup s", "solve s",
                      "cpu s", "iters", "builds", "max res", "speed-up");
          for (std::size_t k = 0; k < methods.size(); ++k) {
            if (per_seed[k].empty()) continue;
            const Result& r = totals[k];
            const double speedup = best_base < methods.size() ? measure(totals[best_base]) / measure(r) : 0.0;
            std::printf("%-34s %9.3f %9.3f %9.3f %9.3f %7ld %7zu %9.1e %7.2fx%s%s\n",
                        (methods[k].baseline ? methods[k].name : std::string("* ") + methods[k].name).c_str(), r.total,
                        r.setup, r.solve, r.cpu, r.iterations, r.builds, r.worst_residual, speedup,
                        r.failure.empty() ? "" : "  FAILED: ", r.failure.c_str());
          }
          // The set-up split for the policies that keep or refresh the preconditioner.
          for (std::size_t k = 0; k < methods.size(); ++k) {
            const Result& r = totals[k];
            const bool automatic = methods[k].policy.guess == ks::InitialGuess::automatic;
            if (per_seed[k].empty() || (r.n_refresh == 0 && r.n_kept == 0 && !automatic) || !r.failure.empty())
              continue;
            auto ms = [](double seconds, long count) { return count > 0 ? 1e3 * seconds / static_cast<double>(count) : 0.0; };
            std::printf("  %-32s set-up per system: full build %.1f ms (%ld), refresh %.1f ms (%ld), kept %.1f ms (%ld);"
                        " guess accepted for %zu; A(mu) not assembled for %ld",
                        methods[k].name.c_str(), ms(r.setup_build, r.n_build), r.n_build, ms(r.setup_refresh, r.n_refresh),
                        r.n_refresh, ms(r.setup_kept, r.n_kept), r.n_kept, r.accepted, r.n_matrix_free);
            if (automatic)
              std::printf("; projection judged on %zu, off for %zu, estimated to save %.1f ms net", r.projected,
                          r.unprojected, 1e3 * r.budget_net);
            std::printf("\n");
          }
        }
        if (best_base < methods.size() && best_kolmo < methods.size()) {
          s.best_baseline = methods[best_base].name;
          s.best_kolmo = methods[best_kolmo].name;
          s.baseline_time = measure(totals[best_base]);
          s.kolmo_time = measure(totals[best_kolmo]);
          for (std::size_t i = 0; i < per_seed[best_kolmo].size(); ++i) {
            // Per seed: the best Kolmo policy (over all seeds) against the best baseline of that seed.
            double base = 1e300;
            for (std::size_t k = 0; k < methods.size(); ++k)
              if (methods[k].baseline && i < per_seed[k].size()) base = std::min(base, per_seed[k][i]);
            const double ratio = base / per_seed[best_kolmo][i];
            s.min_seed = std::min(s.min_seed, ratio);
            s.max_seed = std::max(s.max_seed, ratio);
          }
          if (root)
            std::printf("best baseline %s %.3f s; best Kolmo %s %.3f s: %.2fx (per seed %.2fx .. %.2fx)\n",
                        s.best_baseline.c_str(), s.baseline_time, s.best_kolmo.c_str(), s.kolmo_time,
                        s.baseline_time / s.kolmo_time, s.min_seed, s.max_seed);
        }
        summaries.push_back(s);
        std::fflush(stdout);
      }
    }
    if (root) {
      std::printf("\n== summary: best Kolmo policy against the best baseline (end to end, true residual 1e-8, %s time) ==\n",
                  by_cpu ? "cpu" : "wall");
      for (const auto& s : summaries)
        if (!s.best_kolmo.empty())
          std::printf("%-90s %6.2fx  (%s %.3f s vs %s %.3f s)\n", s.heading.c_str(), s.baseline_time / s.kolmo_time,
                      s.best_kolmo.c_str(), s.kolmo_time, s.best_baseline.c_str(), s.baseline_time);
      if (csv) std::fclose(csv);
    }
  } catch (const std::exception& e) {
    kolmo::abort_all_ranks(comm, e.what());
  }
  return 0;
}
