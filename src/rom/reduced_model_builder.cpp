#include "rom/reduced_model_builder.hpp"

#include <cmath>

#include "core/expression.hpp"
#include "rom/basis_vectors.hpp"

namespace kolmo::rom {
namespace {

std::vector<std::string> expressions(const operators::AffineOperator& terms,
                                     const ParameterSpace& space) {
  std::vector<std::string> texts;
  for (std::size_t q = 0; q < terms.num_terms(); ++q) texts.push_back(terms.coefficient(q).text());
  for (std::size_t q = 0; q < texts.size(); ++q) {
    try {
      ParameterExpression check(texts[q], space.names());
    } catch (const InputError& e) {
      throw InputError("operator term '" + terms.name(q) + "': its coefficient '" + texts[q] +
                       "' is not an expression of the parameters, which the online stage needs (" +
                       e.what() + ")");
    }
  }
  return texts;
}

std::vector<std::string> expressions(const operators::AffineVector& terms,
                                     const ParameterSpace& space, const std::string& what) {
  std::vector<std::string> texts;
  for (std::size_t q = 0; q < terms.num_terms(); ++q) texts.push_back(terms.coefficient(q).text());
  for (std::size_t q = 0; q < texts.size(); ++q) {
    try {
      ParameterExpression check(texts[q], space.names());
    } catch (const InputError& e) {
      throw InputError(what + " term '" + terms.name(q) + "': its coefficient '" + texts[q] +
                       "' is not an expression of the parameters, which the online stage needs (" +
                       e.what() + ")");
    }
  }
  return texts;
}

ResidualNormData norm_data(const RepresenterSet& set, const std::vector<std::size_t>& order,
                           const ModelBuilderOptions& options) {
  ResidualNormData data;
  const auto k = static_cast<Eigen::Index>(order.size());
  if (options.classical) {
    const Eigen::MatrixXd g = set.gram();
    data.gram.resize(k, k);
    for (Eigen::Index i = 0; i < k; ++i)
      for (Eigen::Index j = 0; j < k; ++j)
        data.gram(i, j) = g(static_cast<Eigen::Index>(order[i]), static_cast<Eigen::Index>(order[j]));
  }
  if (options.stable) {
    const Eigen::MatrixXd r = set.orthonormal_coefficients();
    data.orthonormal.resize(r.rows(), k);
    for (Eigen::Index j = 0; j < k; ++j) data.orthonormal.col(j) = r.col(static_cast<Eigen::Index>(order[j]));
  }
  return data;
}

// The problem's EIM error data as the model stores it, checked (sizes, and g parses as an
// expression of the coordinates and parameters) before any solve.
std::optional<NonaffineRhsTerm> nonaffine_term(const operators::ParametrizedProblem& problem) {
  const auto error = problem.rhs_eim_error();
  if (!error) return std::nullopt;
  NonaffineRhsTerm t;
  t.coordinates = error->coordinates;
  t.function = error->function;
  t.magic_points = error->magic_points;
  t.interpolation_matrix = error->interpolation_matrix;
  t.indicator_points = error->indicator_points;
  t.indicator_basis = error->indicator_basis;
  t.dual_norm_factor = error->dual_norm_factor;
  t.rhs_is_beta = error->rhs_is_beta;
  KOLMO_INPUT_CHECK(t.indicator_points.rows() >= 1,
                    "problem '" << problem.type() << "': its EIM has no indicator points, so the "
                                   "reduced model could not estimate the EIM error of its "
                                   "right-hand side; ask for at least one (eim.indicator_points)");
  std::vector<std::string> variables = t.coordinates;
  const auto names = problem.parameter_space().names();
  variables.insert(variables.end(), names.begin(), names.end());
  try {
    ParameterExpression check(t.function, variables);
  } catch (const InputError& e) {
    throw InputError("problem '" + problem.type() + "': its EIM source g = '" + t.function +
                     "' is not an expression of the coordinates and parameters, which the online "
                     "stage needs (" + e.what() + ")");
  }
  return t;
}

std::vector<std::size_t> identity_order(std::size_t k) {
  std::vector<std::size_t> order(k);
  for (std::size_t i = 0; i < k; ++i) order[i] = i;
  return order;
}

}  // namespace

ReducedModelBuilder::ReducedModelBuilder(const operators::ParametrizedProblem& problem, int capacity,
                                         ModelBuilderOptions options)
    : problem_(problem), options_(options), capacity_(std::max(capacity, 1)) {
  KOLMO_INPUT_CHECK(problem.lhs().num_terms() > 0,
                    "problem '" << problem.type()
                                << "' has no affine operator terms (its matrices are known only at "
                                   "sample points): it needs matrix EIM before it can be reduced");
  KOLMO_INPUT_CHECK(problem.rhs().num_terms() > 0,
                    "problem '" << problem.type() << "' has no affine right-hand side terms");
  // Fail early (before any solve) if a coefficient cannot be stored for the online stage.
  expressions(problem.lhs(), problem.parameter_space());
  expressions(problem.rhs(), problem.parameter_space(), "right-hand side");
  for (const auto& output : problem.outputs())
    expressions(output.functional, problem.parameter_space(), "output '" + output.name + "'");
  nonaffine_rhs_ = nonaffine_term(problem);

  qa_ = problem.lhs().num_terms();
  qf_ = problem.rhs().num_terms();
  work_ = problem.create_vector();
  representer_ = problem.create_vector();
  basis_ = create_basis_vectors(work_, capacity_, problem.inner_product());
  KOLMO_PETSC_CALL(BVSetActiveColumns(basis_, 0, 0));
  for (std::size_t q = 0; q < qa_; ++q) {
    MatHandle m;
    KOLMO_PETSC_CALL(MatCreateSeqDense(PETSC_COMM_SELF, capacity_, capacity_, nullptr, m.out()));
    KOLMO_PETSC_CALL(MatZeroEntries(m));
    projected_lhs_.push_back(std::move(m));
  }
  projected_rhs_.resize(qf_);
  projected_outputs_.resize(problem.outputs().size());
  for (std::size_t o = 0; o < problem.outputs().size(); ++o)
    projected_outputs_[o].resize(problem.outputs()[o].functional.num_terms());

  riesz_ = std::make_unique<RieszSolver>(problem.inner_product(), "riesz_", options_.direct_limit);
  residual_ = std::make_unique<RepresenterSet>(problem.inner_product(), work_,
                                               qf_ + qa_ * static_cast<std::size_t>(capacity_),
                                               options_.drop_tolerance);
  for (std::size_t q = 0; q < qf_; ++q) {
    riesz_->solve(problem.rhs().vector(q), representer_);
    residual_->append(representer_);
  }
  for (const auto& output : problem.outputs()) {
    auto set = std::make_unique<RepresenterSet>(problem.inner_product(), work_,
                                                output.functional.num_terms(), options_.drop_tolerance);
    for (std::size_t q = 0; q < output.functional.num_terms(); ++q) {
      riesz_->solve(output.functional.vector(q), representer_);
      set->append(representer_);
    }
    output_norms_.push_back(std::move(set));
  }
}

ReducedModelBuilder::~ReducedModelBuilder() = default;

bool ReducedModelBuilder::add(Vec v) {
  const auto n = static_cast<PetscInt>(size_);
  ensure_columns(basis_, n + 1);
  KOLMO_PETSC_CALL(BVInsertVec(basis_, n, v));
  const auto o = orthonormalize_column(basis_, n, options_.dependence_tolerance);
  if (o.dependent) {
    KOLMO_PETSC_CALL(BVSetActiveColumns(basis_, 0, n));
    return false;
  }

  // Projections: the new row and column of every V^T A_q V (BVMatProject skips the leading n x n
  // block), and the new entries of V^T f_q and V^T l_q.
  if (n + 1 > capacity_) {
    const int bigger = std::max(2 * capacity_, static_cast<int>(n) + 1);
    for (auto& m : projected_lhs_) {
      MatHandle grown;
      KOLMO_PETSC_CALL(MatCreateSeqDense(PETSC_COMM_SELF, bigger, bigger, nullptr, grown.out()));
      KOLMO_PETSC_CALL(MatZeroEntries(grown));
      const Eigen::MatrixXd old = from_seqdense(m, n, n);
      PetscScalar* data = nullptr;
      PetscInt lda = 0;
      KOLMO_PETSC_CALL(MatDenseGetLDA(grown, &lda));
      KOLMO_PETSC_CALL(MatDenseGetArray(grown, &data));
      for (PetscInt c = 0; c < n; ++c)
        for (PetscInt r = 0; r < n; ++r) data[r + c * lda] = old(r, c);
      KOLMO_PETSC_CALL(MatDenseRestoreArray(grown, &data));
      m = std::move(grown);
    }
    capacity_ = bigger;
  }
  KOLMO_PETSC_CALL(BVSetActiveColumns(basis_, n, n + 1));
  for (std::size_t q = 0; q < qa_; ++q)
    KOLMO_PETSC_CALL(BVMatProject(basis_, problem_.lhs().matrix(q), basis_, projected_lhs_[q]));
  KOLMO_PETSC_CALL(BVSetActiveColumns(basis_, 0, n + 1));

  Vec column = nullptr;
  KOLMO_PETSC_CALL(BVGetColumn(basis_, n, &column));
  KOLMO_PETSC_CALL(VecCopy(column, work_));
  KOLMO_PETSC_CALL(BVRestoreColumn(basis_, n, &column));
  for (std::size_t q = 0; q < qf_; ++q) {
    PetscScalar dot = 0;
    KOLMO_PETSC_CALL(VecDot(work_, problem_.rhs().vector(q), &dot));
    projected_rhs_[q].push_back(dot);
  }
  for (std::size_t o = 0; o < projected_outputs_.size(); ++o)
    for (std::size_t q = 0; q < projected_outputs_[o].size(); ++q) {
      PetscScalar dot = 0;
      KOLMO_PETSC_CALL(VecDot(work_, problem_.outputs()[o].functional.vector(q), &dot));
      projected_outputs_[o][q].push_back(dot);
    }

  // The representers of A_q v_n, q-major within this n (the model reorders them), solved as one
  // block of right-hand sides.
  PetscInt local = 0;
  KOLMO_PETSC_CALL(VecGetLocalSize(work_, &local));
  const auto qa = static_cast<PetscInt>(qa_);
  MatHandle products, representers;
  KOLMO_PETSC_CALL(MatCreateDense(problem_.comm(), local, PETSC_DECIDE, PETSC_DETERMINE, qa, nullptr,
                                  products.out()));
  for (PetscInt q = 0; q < qa; ++q) {
    Vec column_q = nullptr;
    KOLMO_PETSC_CALL(MatDenseGetColumnVecWrite(products, q, &column_q));
    KOLMO_PETSC_CALL(MatMult(problem_.lhs().matrix(static_cast<std::size_t>(q)), work_, column_q));
    KOLMO_PETSC_CALL(MatDenseRestoreColumnVecWrite(products, q, &column_q));
  }
  KOLMO_PETSC_CALL(MatAssemblyBegin(products, MAT_FINAL_ASSEMBLY));
  KOLMO_PETSC_CALL(MatAssemblyEnd(products, MAT_FINAL_ASSEMBLY));
  KOLMO_PETSC_CALL(MatDuplicate(products, MAT_DO_NOT_COPY_VALUES, representers.out()));
  riesz_->solve(products, representers);
  std::vector<VecHandle> block(qa_);
  std::vector<Vec> columns(qa_);
  for (PetscInt q = 0; q < qa; ++q) {
    Vec column_q = nullptr;
    KOLMO_PETSC_CALL(MatDenseGetColumnVecRead(representers, q, &column_q));
    block[static_cast<std::size_t>(q)] = problem_.create_vector();
    KOLMO_PETSC_CALL(VecCopy(column_q, block[static_cast<std::size_t>(q)]));
    KOLMO_PETSC_CALL(MatDenseRestoreColumnVecRead(representers, q, &column_q));
    columns[static_cast<std::size_t>(q)] = block[static_cast<std::size_t>(q)];
  }
  residual_->append(columns);
  ++size_;
  return true;
}

ReducedModel ReducedModelBuilder::model(const std::string& only_estimator) const {
  ModelBuilderOptions data = options_;
  if (!only_estimator.empty()) {
    KOLMO_CHECK(only_estimator == "classical" || only_estimator == "stable",
                "unknown residual estimator '" << only_estimator << "'");
    data.classical = only_estimator == "classical";
    data.stable = only_estimator == "stable";
  }
  const auto& space = problem_.parameter_space();
  ReducedModel model;
  model.problem_type = problem_.type();
  model.parameter_names = space.names();
  for (const auto& p : space.parameters()) {
    model.parameter_min.push_back(p.min);
    model.parameter_max.push_back(p.max);
    model.parameter_scale.push_back(p.scale == Scale::log ? "log" : "linear");
  }
  const auto n = static_cast<Eigen::Index>(size_);
  model.lhs.theta = expressions(problem_.lhs(), space);
  for (const auto& m : projected_lhs_) model.lhs.terms.push_back(from_seqdense(m, size_, size_));
  model.rhs.theta = expressions(problem_.rhs(), space, "right-hand side");
  for (const auto& values : projected_rhs_)
    model.rhs.terms.push_back(Eigen::Map<const Eigen::VectorXd>(values.data(), n));
  for (std::size_t o = 0; o < problem_.outputs().size(); ++o) {
    const auto& output = problem_.outputs()[o];
    ReducedOutput reduced;
    reduced.name = output.name;
    reduced.functional.theta = expressions(output.functional, space, "output '" + output.name + "'");
    for (const auto& values : projected_outputs_[o])
      reduced.functional.terms.push_back(Eigen::Map<const Eigen::VectorXd>(values.data(), n));
    reduced.dual_norm = norm_data(*output_norms_[o], identity_order(output_norms_[o]->size()), data);
    reduced.compliant = problem_.compliant() && o == 0;
    model.outputs.push_back(std::move(reduced));
  }
  // Representers were appended f first, then per basis vector n all q; the model orders them
  // f first, then q-major / n-minor: model index qf + q * N + n.
  std::vector<std::size_t> order(qf_ + qa_ * size_);
  for (std::size_t q = 0; q < qf_; ++q) order[q] = q;
  for (std::size_t q = 0; q < qa_; ++q)
    for (std::size_t k = 0; k < static_cast<std::size_t>(size_); ++k)
      order[qf_ + q * size_ + k] = qf_ + k * qa_ + q;
  model.residual = norm_data(*residual_, order, data);
  model.nonaffine_rhs = nonaffine_rhs_;
  return model;
}

double ReducedModelBuilder::rhs_dual_norm(const Mu& mu) const {
  const auto theta = problem_.rhs().coefficients(mu);
  const Eigen::Map<const Eigen::VectorXd> c(theta.data(), static_cast<Eigen::Index>(theta.size()));
  const Eigen::MatrixXd r = residual_->orthonormal_coefficients();
  return (r.leftCols(static_cast<Eigen::Index>(qf_)) * c).norm();
}

}  // namespace kolmo::rom
