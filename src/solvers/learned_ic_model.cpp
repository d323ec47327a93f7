#include "solvers/learned_ic_model.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <numeric>
#include <utility>

#include "core/error.hpp"
#include "core/hdf5_file.hpp"

namespace kolmo::solvers {
namespace {

// Pivots are kept above this fraction of the (shifted) diagonal, so L has a positive diagonal.
constexpr double min_pivot_fraction = 1e-3;
// Starting weights: omega = sigmoid(-6) ~ 0.0025, delta = exp(-8) ~ 3e-4, i.e. IC(0).
constexpr double initial_omega_bias = -6.0;
constexpr double initial_shift_bias = -8.0;
constexpr double initial_lumping_bias = -8.0;
constexpr int model_file_version = 1;

double sigmoid(double t) { return 1.0 / (1.0 + std::exp(-t)); }

MPI_Comm comm_of(Mat a) { return PetscObjectComm(reinterpret_cast<PetscObject>(a)); }

// Relaxed modified ILU(0) in IKJ order on the symmetric pattern of `block` (the values are
// A's, the diagonal shifted by delta_i): the fill that ILU(0) drops in row i is added to the
// pivot with weight omega_i. For symmetric A and a symmetric pattern this gives U = D L^T, so
// L D L^T = L_c L_c^T with L_c = L D^1/2. Returns the combined factor; `pivots` gets u_ii / a_ii.
LocalCsr factor_core(const LocalCsr& block, const std::vector<double>& omega,
                     const std::vector<double>& delta, const std::vector<double>& lumped,
                     std::vector<double>* pivots) {
  LocalCsr lu = block;
  const PetscInt n = block.rows();
  std::vector<PetscInt> position(static_cast<std::size_t>(n), -1);
  if (pivots) pivots->assign(static_cast<std::size_t>(n), 0.0);
  for (PetscInt i = 0; i < n; ++i) {
    const PetscInt di = lu.diag[i];
    const double a_ii = block.values[di] * (1.0 + delta[i]);
    lu.values[di] = a_ii - lumped[i];
    for (PetscInt p = lu.row_start[i]; p < lu.row_start[i + 1]; ++p) position[lu.cols[p]] = p;
    for (PetscInt p = lu.row_start[i]; p < di; ++p) {
      const PetscInt k = lu.cols[p];
      const double l_ik = lu.values[p] / lu.values[lu.diag[k]];
      lu.values[p] = l_ik;
      for (PetscInt q = lu.diag[k] + 1; q < lu.row_start[k + 1]; ++q) {
        const PetscInt j = lu.cols[q];
        const double update = l_ik * lu.values[q];
        if (position[j] >= 0)
          lu.values[position[j]] -= update;
        else
          lu.values[di] -= omega[i] * update;
      }
    }
    lu.values[di] = std::max(lu.values[di], min_pivot_fraction * a_ii);
    if (pivots) (*pivots)[i] = lu.values[di] / a_ii;
    for (PetscInt p = lu.row_start[i]; p < lu.row_start[i + 1]; ++p) position[lu.cols[p]] = -1;
  }
  return lu;
}

// y = (L U) x for the combined factor.
void multiply_factor(const LocalCsr& lu, const std::vector<double>& x, std::vector<double>& y) {
  const PetscInt n = lu.rows();
  std::vector<double> ux(static_cast<std::size_t>(n), 0.0);
  for (PetscInt i = 0; i < n; ++i) {
    double s = 0;
    for (PetscInt p = lu.diag[i]; p < lu.row_start[i + 1]; ++p) s += lu.values[p] * x[lu.cols[p]];
    ux[i] = s;
  }
  y.assign(static_cast<std::size_t>(n), 0.0);
  for (PetscInt i = 0; i < n; ++i) {
    double s = ux[i];
    for (PetscInt p = lu.row_start[i]; p < lu.diag[i]; ++p) s += lu.values[p] * ux[lu.cols[p]];
    y[i] = s;
  }
}

// Minimise f by L-BFGS (memory 6) with Armijo backtracking and central-difference gradients.
// Every rank runs the same iteration on the same (allreduced) values.
template <class F>
std::pair<Eigen::VectorXd, int> minimise(F&& f, Eigen::VectorXd w, int max_iterations,
                                         double* value, int* evaluations) {
  const Eigen::Index m = w.size();
  auto gradient = [&](const Eigen::VectorXd& at) {
    Eigen::VectorXd g(m);
    constexpr double h = 1e-4;
    for (Eigen::Index i = 0; i < m; ++i) {
      Eigen::VectorXd plus = at, minus = at;
      plus(i) += h;
      minus(i) -= h;
      g(i) = (f(plus) - f(minus)) / (2 * h);
      *evaluations += 2;
    }
    return g;
  };
  double fw = f(w);
  ++*evaluations;
  Eigen::VectorXd g = gradient(w);
  std::deque<std::pair<Eigen::VectorXd, Eigen::VectorXd>> memory;
  int it = 0;
  for (; it < max_iterations; ++it) {
    // Two-loop recursion for d = -H g.
    Eigen::VectorXd q = g;
    std::vector<double> alphas;
    for (auto rit = memory.rbegin(); rit != memory.rend(); ++rit) {
      const double a = rit->first.dot(q) / rit->second.dot(rit->first);
      alphas.push_back(a);
      q -= a * rit->second;
    }
    if (!memory.empty()) {
      const auto& [s, y] = memory.back();
      q *= s.dot(y) / y.dot(y);
    } else {
      q /= std::max(1.0, g.norm());
    }
    std::size_t a_index = alphas.size();
    for (const auto& [s, y] : memory) {
      const double b = y.dot(q) / y.dot(s);
      q += s * (alphas[--a_index] - b);
    }
    Eigen::VectorXd d = -q;
    double slope = g.dot(d);
    if (!(slope < 0)) {
      d = -g / std::max(1.0, g.norm());
      slope = g.dot(d);
      memory.clear();
    }
    if (!(slope < 0)) break;
    double step = 1.0, f_new = 0;
    bool accepted = false;
    for (int tries = 0; tries < 30; ++tries, step *= 0.5) {
      f_new = f(w + step * d);
      ++*evaluations;
      if (std::isfinite(f_new) && f_new <= fw + 1e-4 * step * slope) {
        accepted = true;
        break;
      }
    }
    if (!accepted) break;
    const Eigen::VectorXd s = step * d;
    w += s;
    const Eigen::VectorXd g_new = gradient(w);
    const Eigen::VectorXd y = g_new - g;
    if (s.dot(y) > 1e-12 * s.norm() * y.norm()) {
      memory.emplace_back(s, y);
      if (memory.size() > 6) memory.pop_front();
    }
    const double decrease = fw - f_new;
    fw = f_new;
    g = g_new;
    if (decrease <= 1e-7 * std::abs(fw) || g.norm() < 1e-10) {
      ++it;
      break;
    }
  }
  *value = fw;
  return {w, it};
}

}  // namespace

LocalCsr local_diagonal_block(Mat a) {
  Mat block = nullptr;
  KOLMO_PETSC_CALL(MatGetDiagonalBlock(a, &block));
  PetscInt n = 0, n_cols = 0;
  KOLMO_PETSC_CALL(MatGetLocalSize(a, &n, &n_cols));
  KOLMO_CHECK(n == n_cols, "the learned preconditioner needs a square diagonal block, got "
                               << n << " x " << n_cols << " local rows x columns");
  LocalCsr csr;
  csr.row_start.assign(static_cast<std::size_t>(n) + 1, 0);
  csr.diag.assign(static_cast<std::size_t>(n), -1);
  for (PetscInt i = 0; i < n; ++i) {
    PetscInt count = 0;
    const PetscInt* cols = nullptr;
    const PetscScalar* values = nullptr;
    KOLMO_PETSC_CALL(MatGetRow(block, i, &count, &cols, &values));
    std::vector<std::pair<PetscInt, PetscReal>> row;
    for (PetscInt p = 0; p < count; ++p) row.emplace_back(cols[p], PetscRealPart(values[p]));
    KOLMO_PETSC_CALL(MatRestoreRow(block, i, &count, &cols, &values));
    std::sort(row.begin(), row.end());
    for (const auto& [c, v] : row) {
      if (c == i) csr.diag[i] = static_cast<PetscInt>(csr.cols.size());
      csr.cols.push_back(c);
      csr.values.push_back(v);
    }
    KOLMO_CHECK(csr.diag[i] >= 0 && csr.values[csr.diag[i]] > 0,
                "the learned IC preconditioner needs a positive diagonal; local row " << i
                                                                                    << " has none");
    csr.row_start[i + 1] = static_cast<PetscInt>(csr.cols.size());
  }
  return csr;
}

LearnedIcModel::LearnedIcModel() : weights_(Eigen::VectorXd::Zero(weight_count)) {
  weights_(0) = initial_omega_bias;
  weights_(feature_count) = initial_shift_bias;
  weights_(2 * feature_count) = initial_lumping_bias;
}

void LearnedIcModel::set_weights(const Eigen::VectorXd& w) {
  KOLMO_CHECK(w.size() == weight_count,
              "learned_ic has " << weight_count << " weights, got " << w.size());
  weights_ = w;
}

LearnedIcModel::Prepared LearnedIcModel::prepare(Mat a) {
  Prepared p;
  p.block = local_diagonal_block(a);
  const PetscInt n = p.block.rows();
  p.features = Eigen::MatrixXd::Zero(n, feature_count);
  PetscInt low = 0, high = 0;
  KOLMO_PETSC_CALL(MatGetOwnershipRange(a, &low, &high));
  for (PetscInt i = 0; i < n; ++i) {
    PetscInt count = 0;
    const PetscInt* cols = nullptr;
    const PetscScalar* values = nullptr;
    const PetscInt row = low + i;
    KOLMO_PETSC_CALL(MatGetRow(a, row, &count, &cols, &values));
    double diag = 0, sum = 0, largest = 0, smallest = std::numeric_limits<double>::infinity();
    int off = 0, outside = 0;
    double outside_sum = 0;
    for (PetscInt q = 0; q < count; ++q) {
      const double v = PetscRealPart(values[q]);
      sum += v;
      if (cols[q] == row) {
        diag = v;
      } else if (v != 0) {
        ++off;
        if (cols[q] < low || cols[q] >= high) {
          ++outside;
          outside_sum += std::abs(v);
        }
        largest = std::max(largest, std::abs(v));
        smallest = std::min(smallest, std::abs(v));
      }
    }
    KOLMO_PETSC_CALL(MatRestoreRow(a, row, &count, &cols, &values));
    p.features(i, 0) = 1.0;
    p.features(i, 1) = sum / diag;
    p.features(i, 2) = off > 0 ? std::log(largest / smallest) / 4.0 : 0.0;
    p.features(i, 3) = off > 0 ? static_cast<double>(outside) / off : 0.0;
    p.outside.push_back(outside_sum);
  }
  std::vector<double> pivots;
  const std::vector<double> zero(static_cast<std::size_t>(n), 0.0);
  factor_core(p.block, zero, zero, zero, &pivots);
  for (PetscInt i = 0; i < n; ++i) p.features(i, 4) = pivots[i];
  return p;
}

LocalCsr LearnedIcModel::factor(const Prepared& p, const Eigen::VectorXd& w, double* min_pivot,
                                double* mean_omega) {
  const Eigen::Index n = p.features.rows();
  const Eigen::VectorXd t = p.features * w.segment(0, feature_count);
  const Eigen::VectorXd s = p.features * w.segment(feature_count, feature_count);
  const Eigen::VectorXd c = p.features * w.segment(2 * feature_count, feature_count);
  std::vector<double> omega(static_cast<std::size_t>(n)), delta(static_cast<std::size_t>(n)),
      lumped(static_cast<std::size_t>(n));
  for (Eigen::Index i = 0; i < n; ++i) {
    omega[i] = sigmoid(t(i));
    lumped[i] = sigmoid(c(i)) * p.outside[static_cast<std::size_t>(i)];
    // Clamp the exponent so that a wild trial step in the line search stays finite.
    delta[i] = std::exp(std::min(s(i), 5.0));
  }
  std::vector<double> pivots;
  LocalCsr lu = factor_core(p.block, omega, delta, lumped, &pivots);
  if (min_pivot) *min_pivot = n > 0 ? *std::min_element(pivots.begin(), pivots.end()) : 1.0;
  if (mean_omega)
    *mean_omega = n > 0 ? std::accumulate(omega.begin(), omega.end(), 0.0) / static_cast<double>(n) : 0.0;
  return lu;
}

void LearnedIcModel::setup(Mat a) {
  const Prepared p = prepare(a);
  factor_ = factor(p, weights_, &min_relative_pivot_, &mean_omega_);
}

void LearnedIcModel::solve(const LocalCsr& lu, const PetscScalar* r, PetscScalar* z) {
  const PetscInt n = lu.rows();
  for (PetscInt i = 0; i < n; ++i) {
    PetscScalar s = r[i];
    for (PetscInt p = lu.row_start[i]; p < lu.diag[i]; ++p) s -= lu.values[p] * z[lu.cols[p]];
    z[i] = s;
  }
  for (PetscInt i = n - 1; i >= 0; --i) {
    PetscScalar s = z[i];
    for (PetscInt p = lu.diag[i] + 1; p < lu.row_start[i + 1]; ++p) s -= lu.values[p] * z[lu.cols[p]];
    z[i] = s / lu.values[lu.diag[i]];
  }
}

void LearnedIcModel::apply(Vec r, Vec z) const {
  KOLMO_CHECK(!factor_.row_start.empty(), "learned_ic: apply() before setup()");
  PetscInt n = 0;
  KOLMO_PETSC_CALL(VecGetLocalSize(r, &n));
  KOLMO_CHECK(n == factor_.rows(), "learned_ic: vector of local size " << n << " for a factor of "
                                                                        << factor_.rows() << " rows");
  const PetscScalar* rv = nullptr;
  PetscScalar* zv = nullptr;
  KOLMO_PETSC_CALL(VecGetArrayRead(r, &rv));
  KOLMO_PETSC_CALL(VecGetArray(z, &zv));
  solve(factor_, rv, zv);
  KOLMO_PETSC_CALL(VecRestoreArray(z, &zv));
  KOLMO_PETSC_CALL(VecRestoreArrayRead(r, &rv));
}

std::vector<double> LearnedIcModel::local_loss(const std::vector<Prepared>& systems,
                                               const std::vector<std::vector<LocalPair>>& pairs,
                                               const Eigen::VectorXd& w) {
  std::vector<double> parts;
  std::vector<double> m;
  for (std::size_t s = 0; s < systems.size(); ++s) {
    const LocalCsr lu = factor(systems[s], w, nullptr, nullptr);
    for (const auto& pair : pairs[s]) {
      // M is block diagonal, so on rows coupled to other processes part of A x is out of its
      // reach; the lumping head is what reduces the loss there.
      multiply_factor(lu, pair.x, m);
      double num = 0, den = 0;
      for (std::size_t i = 0; i < m.size(); ++i) {
        num += (m[i] - pair.b[i]) * (m[i] - pair.b[i]);
        den += pair.b[i] * pair.b[i];
      }
      parts.push_back(num);
      parts.push_back(den);
    }
  }
  return parts;
}

std::vector<std::vector<LearnedIcModel::LocalPair>> LearnedIcModel::local_pairs(
    const TrainingData& data) {
  std::vector<std::vector<LocalPair>> out;
  for (const auto& sys : data.systems) {
    PetscInt rows = 0, cols = 0;
    KOLMO_PETSC_CALL(MatGetLocalSize(sys.matrix, &rows, &cols));
    std::vector<LocalPair> pairs;
    VecHandle b;
    KOLMO_PETSC_CALL(MatCreateVecs(sys.matrix, nullptr, b.out()));
    for (const auto& x : sys.solutions) {
      PetscInt n = 0;
      KOLMO_PETSC_CALL(VecGetLocalSize(x, &n));
      KOLMO_CHECK(n == rows, "learned model: a training solution of local size "
                                 << n << " for a matrix of " << rows << " local rows");
      KOLMO_PETSC_CALL(MatMult(sys.matrix, x, b));
      LocalPair pair;
      const PetscScalar* v = nullptr;
      KOLMO_PETSC_CALL(VecGetArrayRead(x, &v));
      pair.x.assign(v, v + n);
      KOLMO_PETSC_CALL(VecRestoreArrayRead(x, &v));
      KOLMO_PETSC_CALL(VecGetArrayRead(b, &v));
      pair.b.assign(v, v + n);
      KOLMO_PETSC_CALL(VecRestoreArrayRead(b, &v));
      pairs.push_back(std::move(pair));
    }
    out.push_back(std::move(pairs));
  }
  return out;
}

namespace {

// Mean over training pairs of ||M x - A x||^2 / ||A x||^2 from the per-process parts.
double global_mean_loss(MPI_Comm comm, std::vector<double> parts) {
  if (parts.empty()) return 0.0;
  KOLMO_CHECK(parts.size() < static_cast<std::size_t>(std::numeric_limits<int>::max()),
              "learned model: too many training pairs");
  MPI_Allreduce(MPI_IN_PLACE, parts.data(), static_cast<int>(parts.size()), MPI_DOUBLE, MPI_SUM,
                comm);
  double total = 0;
  for (std::size_t k = 0; k + 1 < parts.size(); k += 2)
    total += parts[k + 1] > 0 ? parts[k] / parts[k + 1] : 0.0;
  return total / static_cast<double>(parts.size() / 2);
}

}  // namespace

FitReport LearnedIcModel::fit(const TrainingData& data) {
  KOLMO_CHECK(!data.systems.empty(), "learned_ic: fit() needs at least one training system");
  const MPI_Comm comm = comm_of(data.systems.front().matrix);
  std::vector<Prepared> systems;
  for (const auto& sys : data.systems) systems.push_back(prepare(sys.matrix));
  const auto pairs = local_pairs(data);
  std::size_t count = 0;
  for (const auto& ps : pairs) count += ps.size();
  KOLMO_CHECK(count > 0, "learned_ic: fit() needs at least one training solution");
  // The lumping head acts only on rows coupled to other processes; without any, its weights
  // have no gradient and are left as they are.
  double outside = 0;
  for (const auto& p : systems)
    for (double v : p.outside) outside = std::max(outside, v);
  MPI_Allreduce(MPI_IN_PLACE, &outside, 1, MPI_DOUBLE, MPI_MAX, comm);
  const Eigen::Index active = outside > 0 ? weight_count : 2 * feature_count;
  const Eigen::VectorXd fixed = weights_;
  auto full = [&](const Eigen::VectorXd& v) {
    Eigen::VectorXd w = fixed;
    w.head(active) = v;
    return w;
  };
  auto objective = [&](const Eigen::VectorXd& v) {
    return global_mean_loss(comm, local_loss(systems, pairs, full(v)));
  };
  FitReport report;
  report.initial_loss = objective(weights_.head(active));
  auto [v, iterations] = minimise(objective, Eigen::VectorXd(weights_.head(active)),
                                  max_iterations_, &report.final_loss, &report.loss_evaluations);
  weights_ = full(v);
  report.iterations = iterations;
  return report;
}

double LearnedIcModel::loss(const TrainingData& data) const {
  KOLMO_CHECK(!data.systems.empty(), "learned_ic: loss() needs at least one training system");
  std::vector<Prepared> systems;
  for (const auto& sys : data.systems) systems.push_back(prepare(sys.matrix));
  return global_mean_loss(comm_of(data.systems.front().matrix),
                          local_loss(systems, local_pairs(data), weights_));
}

void LearnedIcModel::save(MPI_Comm comm, const std::string& path) const {
  h5::File file = h5::File::create(comm, path, true);
  file.write_attribute("/", "kolmo_model", std::string(type_name));
  file.write_attribute("/", "version", std::int64_t{model_file_version});
  file.write_attribute("/", "feature_count", std::int64_t{feature_count});
  file.write_attribute("/", "created", h5::utc_timestamp());
  file.write_doubles("/weights", {static_cast<hsize_t>(weight_count)},
                     std::vector<double>(weights_.data(), weights_.data() + weights_.size()));
  file.close();
}

void LearnedIcModel::load(MPI_Comm comm, const std::string& path) {
  const std::string stored = learned_model_name_in_file(comm, path);
  KOLMO_INPUT_CHECK(stored == type_name, path << ": holds a model of type '" << stored
                                              << "', not '" << type_name << "'");
  h5::File file = h5::File::open(comm, path, h5::Access::read_only);
  const std::int64_t version = file.read_int_attribute("/", "version");
  KOLMO_INPUT_CHECK(version == model_file_version,
                    path << ": learned_ic model file version " << version << ", this Kolmo reads "
                         << model_file_version);
  const std::int64_t features = file.read_int_attribute("/", "feature_count");
  KOLMO_INPUT_CHECK(features == feature_count,
                    path << ": learned_ic model with " << features << " features, this Kolmo uses "
                         << feature_count);
  const std::vector<double> w = file.read_doubles("/weights");
  KOLMO_INPUT_CHECK(static_cast<int>(w.size()) == weight_count,
                    path << ": /weights has " << w.size() << " values, learned_ic needs "
                         << weight_count);
  for (double v : w) KOLMO_INPUT_CHECK(std::isfinite(v), path << ": /weights holds a NaN or Inf");
  weights_ = Eigen::Map<const Eigen::VectorXd>(w.data(), weight_count);
  file.close();
}

}  // namespace kolmo::solvers
