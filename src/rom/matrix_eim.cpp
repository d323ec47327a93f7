#include "rom/matrix_eim.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/error.hpp"
#include "core/mpi.hpp"

namespace kolmo::rom {
namespace {

std::string number(double value) {
  std::ostringstream text;
  text.precision(17);
  text << value;
  return text.str();
}

// The text of the scaled coordinate t_i = to_unit(mu)_i of parameter i.
std::string unit_coordinate(const Parameter& p) {
  std::ostringstream text;
  if (p.scale == Scale::log)
    text << "(ln(" << p.name << "/" << number(p.min) << ")/" << number(std::log(p.max / p.min)) << ")";
  else
    text << "((" << p.name << " - " << number(p.min) << ")/" << number(p.max - p.min) << ")";
  return text.str();
}

}  // namespace

// Everything beta(mu) needs for a given number of terms, immutable and shared by the
// coefficients of an AffineOperator (which may outlive the MatrixEim).
struct MatrixEim::Source {
  int terms = 0;
  Eigen::MatrixXd inverse;                     // entries -> beta: B^-1 or C^-1 (see source())
  std::vector<MatrixEntry> entries;            // the first `terms` magic entries, then indicators
  Eigen::MatrixXd indicator_rows;              // the terms' values at the indicator entries
  EntryFunction function;                      // mode (a)
  std::shared_ptr<const RbfInterpolant> rbf;   // mode (b), over the active coordinates
  std::vector<std::size_t> active;             // parameters that vary among the samples
  Eigen::VectorXd constant;                    // mode (b) when no parameter varies
  std::vector<std::size_t> rbf_columns;        // the RBF functions of `entries`
  ParameterSpace space;
  std::string rbf_problem;                     // why mode (b) is unavailable, if it is

  // The values of A(mu) at `entries` (the indicator entries included).
  Eigen::VectorXd values(const Mu& mu) const {
    KOLMO_CHECK(function || rbf || constant.size() > 0,
                "matrix EIM: the entries cannot be interpolated over the parameters ("
                    << rbf_problem << "); supply them with use_entries()");
    const std::size_t count = entries.size();
    Eigen::VectorXd v(static_cast<Eigen::Index>(count));
    if (function) {
      const std::vector<double> given = function(mu, entries);
      KOLMO_CHECK(given.size() == count,
                  "matrix EIM: the entry function returned " << given.size() << " values for "
                                                             << count << " entries");
      for (std::size_t p = 0; p < count; ++p) v(static_cast<Eigen::Index>(p)) = given[p];
      return v;
    }
    Eigen::VectorXd all;
    if (rbf) {
      const std::vector<double> unit = space.to_unit(mu);
      std::vector<double> t;
      for (std::size_t i : active) t.push_back(unit[i]);
      all = (*rbf)(t);
    } else {
      all = constant;
    }
    for (std::size_t p = 0; p < count; ++p)
      v(static_cast<Eigen::Index>(p)) = all(static_cast<Eigen::Index>(rbf_columns[p]));
    return v;
  }

  Eigen::VectorXd beta(const Mu& mu) const { return inverse * values(mu).head(terms); }
};

MatrixEim::MatrixEim(MPI_Comm comm, const ParameterSpace& space, std::vector<Mu> sample_points,
                     std::span<const Mat> samples, const MatrixEimOptions& options)
    : space_(space), sample_points_(std::move(sample_points)), basis_(options.basis),
      kernel_(options.kernel) {
  KOLMO_CHECK(!samples.empty(), "matrix EIM: no sample matrices");
  KOLMO_CHECK(samples.size() == sample_points_.size(),
              "matrix EIM: " << samples.size() << " matrices for " << sample_points_.size()
                             << " sample points");
  for (const Mu& mu : sample_points_)
    KOLMO_CHECK(mu.size() == space_.dimension(),
                "matrix EIM: a sample point has " << mu.size() << " values for "
                                                  << space_.dimension() << " parameters");
  PetscInt rows = 0, cols = 0, lo = 0, hi = 0;
  KOLMO_PETSC_CALL(MatGetSize(samples[0], &rows, &cols));
  KOLMO_PETSC_CALL(MatGetOwnershipRange(samples[0], &lo, &hi));
  bool same = true;
  for (Mat a : samples) {
    PetscInt r = 0, c = 0, l = 0, h = 0;
    KOLMO_PETSC_CALL(MatGetSize(a, &r, &c));
    KOLMO_PETSC_CALL(MatGetOwnershipRange(a, &l, &h));
    same = same && r == rows && c == cols && l == lo && h == hi;
    samples_.push_back(MatHandle::borrow(a));
  }
  KOLMO_CHECK(all_ranks(comm, same), "matrix EIM: the sample matrices must share size and row layout");

  // The entries: the union of the samples' patterns, row by row (sorted columns).
  const std::size_t n_samples = samples.size();
  std::vector<MatrixEntry> local_entries;
  std::vector<std::int64_t> ids;
  std::vector<std::vector<double>> columns(n_samples);
  std::vector<PetscInt> pattern;
  for (PetscInt r = lo; r < hi; ++r) {
    pattern.clear();
    for (Mat a : samples) {
      PetscInt n = 0;
      const PetscInt* c = nullptr;
      KOLMO_PETSC_CALL(MatGetRow(a, r, &n, &c, nullptr));
      pattern.insert(pattern.end(), c, c + n);
      KOLMO_PETSC_CALL(MatRestoreRow(a, r, &n, &c, nullptr));
    }
    std::sort(pattern.begin(), pattern.end());
    pattern.erase(std::unique(pattern.begin(), pattern.end()), pattern.end());
    const std::size_t base = local_entries.size();
    for (PetscInt c : pattern) {
      local_entries.push_back({r, c});
      ids.push_back(static_cast<std::int64_t>(r) * cols + c);
    }
    for (std::size_t k = 0; k < n_samples; ++k) {
      columns[k].resize(local_entries.size(), 0.0);
      PetscInt n = 0;
      const PetscInt* c = nullptr;
      const PetscScalar* v = nullptr;
      KOLMO_PETSC_CALL(MatGetRow(samples[k], r, &n, &c, &v));
      for (PetscInt e = 0; e < n; ++e) {
        const auto at = std::lower_bound(pattern.begin(), pattern.end(), c[e]) - pattern.begin();
        columns[k][base + static_cast<std::size_t>(at)] = v[e];
      }
      KOLMO_PETSC_CALL(MatRestoreRow(samples[k], r, &n, &c, &v));
    }
  }
  Eigen::MatrixXd snapshots(static_cast<Eigen::Index>(local_entries.size()),
                            static_cast<Eigen::Index>(n_samples));
  for (std::size_t k = 0; k < n_samples; ++k)
    snapshots.col(static_cast<Eigen::Index>(k)) =
        Eigen::Map<const Eigen::VectorXd>(columns[k].data(), snapshots.rows());
  columns.clear();

  interpolation_ = operators::EmpiricalInterpolation::build(comm, snapshots, ids, {}, options.eim);

  // Replicate the magic entries, the indicator entry and the samples' values there.
  const auto& points = interpolation_.points();
  const auto& indicator = interpolation_.indicator_points();
  const std::size_t count = points.size() + indicator.size();
  std::vector<std::int64_t> local(2 * count, 0), global(2 * count);
  for (std::size_t p = 0; p < count; ++p) {
    const operators::EimPoint& point = p < points.size() ? points[p] : indicator[p - points.size()];
    if (point.local < 0) continue;
    local[2 * p] = local_entries[static_cast<std::size_t>(point.local)].row;
    local[2 * p + 1] = local_entries[static_cast<std::size_t>(point.local)].col;
  }
  MPI_Allreduce(local.data(), global.data(), static_cast<int>(global.size()), MPI_INT64_T, MPI_SUM, comm);
  for (std::size_t p = 0; p < count; ++p) {
    const MatrixEntry entry{static_cast<PetscInt>(global[2 * p]), static_cast<PetscInt>(global[2 * p + 1])};
    (p < points.size() ? entries_ : indicator_entry_).push_back(entry);
  }
  Eigen::MatrixXd values(static_cast<Eigen::Index>(n_samples), static_cast<Eigen::Index>(count));
  values.leftCols(static_cast<Eigen::Index>(points.size())) = interpolation_.point_values().transpose();
  for (std::size_t k = 0; k < indicator.size(); ++k) {
    Eigen::VectorXd row(static_cast<Eigen::Index>(n_samples));
    if (indicator[k].local >= 0) row = snapshots.row(indicator[k].local).transpose();
    MPI_Bcast(row.data(), static_cast<int>(row.size()), MPI_DOUBLE, indicator[k].owner, comm);
    values.col(static_cast<Eigen::Index>(points.size() + k)) = row;
  }
  entry_values_ = values;
  use_interpolation();
}

void MatrixEim::use_entries(EntryFunction function, std::string description) {
  KOLMO_CHECK(function, "matrix EIM: no entry function");
  entry_function_ = std::move(function);
  entry_description_ = std::move(description);
}

void MatrixEim::use_interpolation() {
  entry_function_ = nullptr;
  entry_description_.clear();
  if (rbf_ || constant_.size() > 0 || !rbf_problem_.empty()) return;
  // Interpolate over the parameters that vary among the samples only: a fixed one would make the
  // polynomial part singular.
  std::vector<std::vector<double>> unit;
  for (const Mu& mu : sample_points_) unit.push_back(space_.to_unit(mu));
  for (std::size_t i = 0; i < space_.dimension(); ++i)
    for (const auto& t : unit)
      if (t[i] != unit[0][i]) {
        active_.push_back(i);
        break;
      }
  if (active_.empty()) {
    constant_ = entry_values_.row(0).transpose();
    return;
  }
  Eigen::MatrixXd centres(static_cast<Eigen::Index>(unit.size()), static_cast<Eigen::Index>(active_.size()));
  for (std::size_t k = 0; k < unit.size(); ++k)
    for (std::size_t a = 0; a < active_.size(); ++a)
      centres(static_cast<Eigen::Index>(k), static_cast<Eigen::Index>(a)) = unit[k][active_[a]];
  try {
    rbf_ = std::make_shared<const RbfInterpolant>(centres, entry_values_, kernel_);
  } catch (const Exception& e) {
    // Mode (b) is unavailable (too few or degenerate samples); mode (a) still works.
    rbf_problem_ = e.what();
  }
}

int MatrixEim::checked_terms(int terms) const {
  if (terms < 0) return size();
  KOLMO_CHECK(terms >= 1 && terms <= size(),
              "matrix EIM: " << terms << " terms requested, " << size() << " available");
  return terms;
}

std::shared_ptr<const MatrixEim::Source> MatrixEim::source(int terms) const {
  terms = checked_terms(terms);
  auto s = std::make_shared<Source>();
  s->terms = terms;
  const bool samples = basis_ == MatrixEimBasis::samples;
  // The terms' values at entry `column` of entries_ + indicator_entry_ (m < terms): the selected
  // samples' (C), or the EIM basis functions' (B, and the indicator rows after it).
  const auto& b = interpolation_.interpolation_matrix();
  const auto& chosen = selected();
  auto term_value = [&](std::size_t column, int m) {
    if (samples)
      return entry_values_(static_cast<Eigen::Index>(chosen[static_cast<std::size_t>(m)]),
                           static_cast<Eigen::Index>(column));
    if (column < entries_.size()) return b(static_cast<Eigen::Index>(column), m);
    return interpolation_.indicator_basis()(static_cast<Eigen::Index>(column - entries_.size()), m);
  };
  Eigen::MatrixXd c(terms, terms);
  for (int p = 0; p < terms; ++p)
    for (int m = 0; m < terms; ++m) c(p, m) = term_value(static_cast<std::size_t>(p), m);
  // B is unit lower triangular and well conditioned (|q_m| <= 1 for the max norm); C, made of
  // nearly dependent samples, may not be.
  s->inverse = samples ? Eigen::MatrixXd(c.fullPivLu().inverse())
                       : Eigen::MatrixXd(c.triangularView<Eigen::UnitLower>().solve(
                             Eigen::MatrixXd::Identity(terms, terms)));
  s->entries.assign(entries_.begin(), entries_.begin() + terms);
  for (int p = 0; p < terms; ++p) s->rbf_columns.push_back(static_cast<std::size_t>(p));
  // The indicator entries: the next magic entries, then the greedy's own indicator entries.
  const std::size_t wanted = indicator_entry_.size() + static_cast<std::size_t>(size() - terms);
  const std::size_t count =
      std::min(wanted, static_cast<std::size_t>(interpolation_.options().indicator_points));
  for (std::size_t k = 0; k < count; ++k) {
    const std::size_t column = static_cast<std::size_t>(terms) + k;  // in entries_ + indicator_entry_
    s->entries.push_back(column < entries_.size() ? entries_[column]
                                                  : indicator_entry_[column - entries_.size()]);
    s->rbf_columns.push_back(column);
  }
  s->indicator_rows.resize(static_cast<Eigen::Index>(count), terms);
  for (Eigen::Index k = 0; k < s->indicator_rows.rows(); ++k)
    for (int m = 0; m < terms; ++m)
      s->indicator_rows(k, m) = term_value(s->rbf_columns[static_cast<std::size_t>(terms + k)], m);
  s->function = entry_function_;
  s->rbf = rbf_;
  s->active = active_;
  s->constant = constant_;
  s->space = space_;
  s->rbf_problem = rbf_problem_;
  return s;
}

std::vector<double> MatrixEim::entries(const Mu& mu, int terms, bool with_indicator) const {
  const auto s = source(terms);
  const Eigen::VectorXd v = s->values(mu);
  const Eigen::Index n = with_indicator ? v.size() : s->terms;
  return std::vector<double>(v.data(), v.data() + n);
}

Eigen::VectorXd MatrixEim::coefficients(const Mu& mu, int terms) const { return source(terms)->beta(mu); }

Eigen::VectorXd MatrixEim::coefficients_from_entries(std::span<const double> entries, int terms) const {
  const auto s = source(terms);
  KOLMO_CHECK(entries.size() == static_cast<std::size_t>(s->terms),
              "matrix EIM: " << entries.size() << " entries for " << s->terms << " terms");
  return s->inverse * Eigen::Map<const Eigen::VectorXd>(entries.data(), s->terms);
}

double MatrixEim::error_indicator(const Mu& mu) const {
  const auto s = source(-1);
  if (s->indicator_rows.rows() == 0) return 0.0;
  const Eigen::VectorXd v = s->values(mu);
  const Eigen::VectorXd beta = s->inverse * v.head(s->terms);
  return (v.tail(s->indicator_rows.rows()) - s->indicator_rows * beta).cwiseAbs().maxCoeff();
}

std::string MatrixEim::coefficient_expression(int m, int terms) const {
  terms = checked_terms(terms);
  KOLMO_CHECK(m >= 0 && m < terms, "matrix EIM: no coefficient " << m << " of " << terms);
  KOLMO_CHECK(rbf_ || constant_.size() > 0,
              "matrix EIM: no interpolation over the parameters (" << rbf_problem_ << ")");
  const auto s = source(terms);
  Eigen::VectorXd combination = Eigen::VectorXd::Zero(entry_values_.cols());
  combination.head(terms) = s->inverse.row(m).transpose();
  if (!rbf_) return number(constant_.dot(combination));
  std::vector<std::string> coordinates;
  for (std::size_t i : active_) coordinates.push_back(unit_coordinate(space_.parameter(i)));
  return rbf_->expression(combination, coordinates);
}

operators::AffineOperator MatrixEim::affine_operator(int terms) const {
  const auto s = source(terms);
  operators::AffineOperator op(comm());
  const auto& chosen = selected();
  const auto& b = interpolation_.interpolation_matrix();
  const auto& values = interpolation_.point_values();
  std::vector<Mat> built;  // the EIM basis matrices so far (owned by `op`)
  for (int m = 0; m < s->terms; ++m) {
    const std::size_t k = chosen[static_cast<std::size_t>(m)];
    MatHandle matrix;
    std::ostringstream name;
    if (basis_ == MatrixEimBasis::samples) {
      matrix = MatHandle::borrow(samples_[k]);
      name << "A_sample" << k;
    } else {
      // Q_m = (A_k - sum_{l<m} c_l Q_l) / pivot, c = the interpolation coefficients of A_k with
      // m terms: the greedy's own recursion, so that each Q_m carries the small residual of its
      // sample and no large coefficients cancel later.
      const Eigen::VectorXd sample_at_points = values.col(static_cast<Eigen::Index>(k));
      const Eigen::VectorXd c = b.topLeftCorner(m, m).triangularView<Eigen::UnitLower>().solve(
          sample_at_points.head(m));
      const double pivot = sample_at_points(m) - b.row(m).head(m).dot(c);
      KOLMO_PETSC_CALL(MatDuplicate(samples_[k], MAT_COPY_VALUES, matrix.out()));
      for (int l = 0; l < m; ++l)
        KOLMO_PETSC_CALL(MatAXPY(matrix, -c(l), built[static_cast<std::size_t>(l)], DIFFERENT_NONZERO_PATTERN));
      KOLMO_PETSC_CALL(MatScale(matrix, 1.0 / pivot));
      name << "Q" << m;
    }
    std::string text;
    if (entry_function_) {
      std::ostringstream t;
      t << "matrix_eim_beta_" << m << " (" << entry_description_ << ")";
      text = t.str();
    } else {
      text = coefficient_expression(m, s->terms);
    }
    built.push_back(matrix);
    operators::Coefficient beta([s, m](const Mu& mu) { return s->beta(mu)(m); }, text);
    op.add_term(std::move(matrix), std::move(beta), name.str());
  }
  return op;
}

MatrixEim make_matrix_eim(const operators::ExternalProblem& problem, const MatrixEimOptions& options) {
  KOLMO_INPUT_CHECK(problem.sample_mode(),
                    "matrix EIM needs an external problem in sample mode ('samples:'), this one "
                    "has an affine operator");
  std::vector<Mat> samples;
  for (std::size_t i = 0; i < problem.sample_points().size(); ++i)
    samples.push_back(problem.sample_matrix(i));
  return MatrixEim(problem.comm(), problem.parameter_space(), problem.sample_points(), samples, options);
}

}  // namespace kolmo::rom
