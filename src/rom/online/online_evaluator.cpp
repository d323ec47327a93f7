#include "rom/online/online_evaluator.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <limits>
#include <optional>
#include <thread>
#include <utility>

#include "core/exceptions.hpp"
#include "rom/online/reduced_model_io.hpp"
#include "rom/online/scm_bound.hpp"

namespace kolmo::rom {
namespace {

enum class Estimator { classical, stable };

ParameterSpace space_of(const ReducedModel& model) {
  std::vector<Parameter> parameters;
  for (std::size_t i = 0; i < model.parameter_names.size(); ++i)
    parameters.push_back({model.parameter_names[i], model.parameter_min[i], model.parameter_max[i],
                          model.parameter_scale[i] == "log" ? Scale::log : Scale::linear});
  return ParameterSpace(std::move(parameters));
}

std::vector<ParameterExpression> compile(const std::vector<std::string>& texts,
                                         const std::vector<std::string>& variables) {
  std::vector<ParameterExpression> compiled;
  compiled.reserve(texts.size());
  for (const auto& text : texts) compiled.emplace_back(text, variables);
  return compiled;
}

void evaluate_all(std::vector<ParameterExpression>& expressions, const Mu& mu,
                  std::vector<double>& values) {
  values.resize(expressions.size());
  for (std::size_t q = 0; q < expressions.size(); ++q) values[q] = expressions[q](mu);
}

bool has_data(const ResidualNormData& data, Estimator e) {
  return e == Estimator::classical ? data.gram.size() > 0 : data.orthonormal.size() > 0;
}

/// True iff every entry below the diagonal of `m` is zero: R from Gram-Schmidt or QR in the
/// representers' order is upper trapezoidal, and a triangular product then halves the work.
bool is_upper_trapezoidal(const Eigen::MatrixXd& m) {
  for (Eigen::Index j = 0; j < m.cols(); ++j)
    for (Eigen::Index i = j + 1; i < m.rows(); ++i)
      if (m(i, j) != 0.0) return false;
  return m.size() > 0;
}

// The lower triangle of A = sum_q theta[q] T_q (T_q column-major, leading dimension ld, its
// leading n x n block used) into a (n x n, column-major), four terms per pass, then its Cholesky
// factor L in place, right-looking by panels of four columns: the trailing columns take one
// rank-4 update per panel, so each load and store of a(i, k) serves four multiply-adds (a
// column-by-column update is bound by those loads and stores: 1.6x slower at n = 50). Every
// loop is contiguous and vectorises. False when a pivot is not positive (A not positive definite).
#define KOLMO_ONLINE_ASSEMBLE_CHOLESKY_BODY                                          \
  for (Eigen::Index j = 0; j < n; ++j) {                                             \
    double* aj = a + j * n;                                                          \
    for (Eigen::Index i = j; i < n; ++i) aj[i] = 0.0;                                \
    std::size_t q = 0;                                                               \
    for (; q + 4 <= count; q += 4) {                                                 \
      const double* t0 = terms[q] + j * ld;                                          \
      const double* t1 = terms[q + 1] + j * ld;                                      \
      const double* t2 = terms[q + 2] + j * ld;                                      \
      const double* t3 = terms[q + 3] + j * ld;                                      \
      const double f0 = theta[q], f1 = theta[q + 1], f2 = theta[q + 2];              \
      const double f3 = theta[q + 3];                                                \
      for (Eigen::Index i = j; i < n; ++i)                                           \
        aj[i] += (f0 * t0[i] + f1 * t1[i]) + (f2 * t2[i] + f3 * t3[i]);              \
    }                                                                                \
    for (; q < count; ++q) {                                                         \
      const double* tq = terms[q] + j * ld;                                          \
      const double f = theta[q];                                                     \
      for (Eigen::Index i = j; i < n; ++i) aj[i] += f * tq[i];                       \
    }                                                                                \
  }                                                                                  \
  for (Eigen::Index jb = 0; jb < n; jb += 4) {                                       \
    const Eigen::Index je = std::min<Eigen::Index>(jb + 4, n);                       \
    for (Eigen::Index j = jb; j < je; ++j) {                                         \
      double* aj = a + j * n;                                                        \
      if (!(aj[j] > 0.0)) return false;                                              \
      const double d = std::sqrt(aj[j]);                                             \
      aj[j] = d;                                                                     \
      for (Eigen::Index i = j + 1; i < n; ++i) aj[i] /= d;                           \
      for (Eigen::Index k = j + 1; k < je; ++k) {                                    \
        double* ak = a + k * n;                                                      \
        const double f = aj[k];                                                      \
        for (Eigen::Index i = k; i < n; ++i) ak[i] -= f * aj[i];                     \
      }                                                                              \
    }                                                                                \
    if (je - jb == 4) {                                                              \
      const double* a0 = a + jb * n;                                                 \
      const double* a1 = a0 + n;                                                     \
      const double* a2 = a1 + n;                                                     \
      const double* a3 = a2 + n;                                                     \
      for (Eigen::Index k = je; k < n; ++k) {                                        \
        double* ak = a + k * n;                                                      \
        const double f0 = a0[k], f1 = a1[k], f2 = a2[k], f3 = a3[k];                 \
        for (Eigen::Index i = k; i < n; ++i)                                         \
          ak[i] -= (f0 * a0[i] + f1 * a1[i]) + (f2 * a2[i] + f3 * a3[i]);            \
      }                                                                              \
    }                                                                                \
  }                                                                                  \
  return true;

bool assemble_cholesky(const double* const* terms, const double* theta, std::size_t count,
                       Eigen::Index ld, Eigen::Index n, double* a) {
  KOLMO_ONLINE_ASSEMBLE_CHOLESKY_BODY
}

#if defined(__GNUC__) && defined(__x86_64__)
#define KOLMO_ONLINE_AVX2 1
/// assemble_cholesky compiled for AVX2 + FMA (same operations, 4-wide; contractions into fused
/// multiply-adds only change round-off); called only after a run-time check of the processor.
__attribute__((target("avx2,fma"))) bool assemble_cholesky_avx2(const double* const* terms,
                                                                const double* theta,
                                                                std::size_t count, Eigen::Index ld,
                                                                Eigen::Index n, double* a) {
  KOLMO_ONLINE_ASSEMBLE_CHOLESKY_BODY
}
/// ||R c||_2^2 for R upper trapezoidal (rows <= cols), row-major with leading dimension cols:
/// four rows at a time, so each load of c serves four rows, with 4-wide fused multiply-adds.
/// Compiled for AVX2 + FMA whatever the build flags and called only after a run-time check of
/// the processor, so the binary stays portable; the sums are only reassociated (round-off).
__attribute__((target("avx2,fma"))) double upper_squared_norm_avx2(const double* r,
                                                                   Eigen::Index rows,
                                                                   Eigen::Index cols,
                                                                   const double* c) {
  typedef double v4 __attribute__((vector_size(32)));
  double sum = 0.0;
  Eigen::Index i = 0;
  for (; i + 4 <= rows; i += 4) {
    const double* r0 = r + i * cols;
    const double* r1 = r0 + cols;
    const double* r2 = r1 + cols;
    const double* r3 = r2 + cols;
    // The 4 x 4 triangle on the diagonal, then the full columns to its right.
    double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0;
    for (Eigen::Index j = i; j < std::min(i + 4, cols); ++j) {
      const double cj = c[j];
      a0 += r0[j] * cj;
      if (j >= i + 1) a1 += r1[j] * cj;
      if (j >= i + 2) a2 += r2[j] * cj;
      if (j >= i + 3) a3 += r3[j] * cj;
    }
    v4 b0{}, b1{}, b2{}, b3{}, x, y;
    Eigen::Index j = i + 4;
    for (; j + 4 <= cols; j += 4) {
      __builtin_memcpy(&x, c + j, sizeof x);
      __builtin_memcpy(&y, r0 + j, sizeof y);
      b0 += y * x;
      __builtin_memcpy(&y, r1 + j, sizeof y);
      b1 += y * x;
      __builtin_memcpy(&y, r2 + j, sizeof y);
      b2 += y * x;
      __builtin_memcpy(&y, r3 + j, sizeof y);
      b3 += y * x;
    }
    for (; j < cols; ++j) {
      const double cj = c[j];
      a0 += r0[j] * cj;
      a1 += r1[j] * cj;
      a2 += r2[j] * cj;
      a3 += r3[j] * cj;
    }
    a0 += (b0[0] + b0[1]) + (b0[2] + b0[3]);
    a1 += (b1[0] + b1[1]) + (b1[2] + b1[3]);
    a2 += (b2[0] + b2[1]) + (b2[2] + b2[3]);
    a3 += (b3[0] + b3[1]) + (b3[2] + b3[3]);
    sum += a0 * a0 + a1 * a1 + a2 * a2 + a3 * a3;
  }
  for (; i < rows; ++i) {
    double a = 0.0;
    for (Eigen::Index j = i; j < cols; ++j) a += r[i * cols + j] * c[j];
    sum += a * a;
  }
  return sum;
}

/// c^T G c for G symmetric of order m, column-major, its lower triangle read:
/// sum_j c_j (G_jj c_j + 2 sum_{i>j} G_ij c_i), four columns at a time (each column's part below
/// the diagonal is contiguous, so this is upper_squared_norm_avx2's access pattern), reading half
/// of G like the self-adjoint product it replaces; the sums are only reassociated (round-off).
__attribute__((target("avx2,fma"))) double lower_quadratic_form_avx2(const double* g,
                                                                     Eigen::Index m,
                                                                     const double* c) {
  typedef double v4 __attribute__((vector_size(32)));
  double sum = 0.0;
  Eigen::Index j = 0;
  for (; j + 4 <= m; j += 4) {
    const double* g0 = g + j * m;
    const double* g1 = g0 + m;
    const double* g2 = g1 + m;
    const double* g3 = g2 + m;
    // The strictly lower part of the 4 x 4 diagonal block, then the full rows below it.
    double a0 = g0[j + 1] * c[j + 1] + g0[j + 2] * c[j + 2] + g0[j + 3] * c[j + 3];
    double a1 = g1[j + 2] * c[j + 2] + g1[j + 3] * c[j + 3];
    double a2 = g2[j + 3] * c[j + 3];
    double a3 = 0.0;
    v4 b0{}, b1{}, b2{}, b3{}, x, y;
    Eigen::Index i = j + 4;
    for (; i + 4 <= m; i += 4) {
      __builtin_memcpy(&x, c + i, sizeof x);
      __builtin_memcpy(&y, g0 + i, sizeof y);
      b0 += y * x;
      __builtin_memcpy(&y, g1 + i, sizeof y);
      b1 += y * x;
      __builtin_memcpy(&y, g2 + i, sizeof y);
      b2 += y * x;
      __builtin_memcpy(&y, g3 + i, sizeof y);
      b3 += y * x;
    }
    for (; i < m; ++i) {
      const double ci = c[i];
      a0 += g0[i] * ci;
      a1 += g1[i] * ci;
      a2 += g2[i] * ci;
      a3 += g3[i] * ci;
    }
    a0 += (b0[0] + b0[1]) + (b0[2] + b0[3]);
    a1 += (b1[0] + b1[1]) + (b1[2] + b1[3]);
    a2 += (b2[0] + b2[1]) + (b2[2] + b2[3]);
    a3 += (b3[0] + b3[1]) + (b3[2] + b3[3]);
    sum += c[j] * (g0[j] * c[j] + 2.0 * a0) + c[j + 1] * (g1[j + 1] * c[j + 1] + 2.0 * a1) +
           c[j + 2] * (g2[j + 2] * c[j + 2] + 2.0 * a2) +
           c[j + 3] * (g3[j + 3] * c[j + 3] + 2.0 * a3);
  }
  for (; j < m; ++j) {
    double a = 0.0;
    for (Eigen::Index i = j + 1; i < m; ++i) a += g[j * m + i] * c[i];
    sum += c[j] * (g[j * m + j] * c[j] + 2.0 * a);
  }
  return sum;
}
#endif
#undef KOLMO_ONLINE_ASSEMBLE_CHOLESKY_BODY

/// Gather the columns (and, for a square Gram matrix, the rows) of the representers that are
/// active for basis size `size` from the q-major / n-minor ordering at size `max_size`.
Eigen::MatrixXd active_block(const Eigen::MatrixXd& full, Eigen::Index qf, Eigen::Index qa,
                             Eigen::Index max_size, Eigen::Index size, bool rows_too) {
  if (size == max_size) return full;
  std::vector<Eigen::Index> index;
  for (Eigen::Index q = 0; q < qf; ++q) index.push_back(q);
  for (Eigen::Index q = 0; q < qa; ++q)
    for (Eigen::Index n = 0; n < size; ++n) index.push_back(qf + q * max_size + n);
  const auto m = static_cast<Eigen::Index>(index.size());
  Eigen::MatrixXd block(rows_too ? m : full.rows(), m);
  for (Eigen::Index j = 0; j < m; ++j) {
    if (rows_too) {
      for (Eigen::Index i = 0; i < m; ++i) block(i, j) = full(index[i], index[j]);
    } else {
      block.col(j) = full.col(index[j]);
    }
  }
  return block;
}

}  // namespace

struct OnlineEvaluator::Compiled {
  std::vector<ParameterExpression> lhs, rhs;
  std::vector<std::vector<ParameterExpression>> outputs;
  std::optional<ParameterExpression> t;  // eigen_interval stability bound
  std::optional<ParameterExpression> g;  // the non-affine rhs term's g(coordinates, mu)

  explicit Compiled(const ReducedModel& model) {
    const auto& names = model.parameter_names;
    lhs = compile(model.lhs.theta, names);
    // With rhs_is_beta the rhs coefficients come from the EIM solve: their (long) expressions
    // are neither compiled nor evaluated.
    if (!(model.nonaffine_rhs && model.nonaffine_rhs->rhs_is_beta))
      rhs = compile(model.rhs.theta, names);
    for (const auto& output : model.outputs) outputs.push_back(compile(output.functional.theta, names));
    if (model.stability.kind == "eigen_interval") t.emplace(model.stability.t_expression, names);
    if (model.nonaffine_rhs) {
      std::vector<std::string> variables = model.nonaffine_rhs->coordinates;
      variables.insert(variables.end(), names.begin(), names.end());
      g.emplace(model.nonaffine_rhs->function, std::move(variables));
    }
  }
};

/// Immutable data derived from the model once, shared by copies of an evaluator: layouts of the
/// residual data that make the per-query products faster, and whether the reduced operator is
/// symmetric positive definite (then factorised by Cholesky, about 1.5 times cheaper than LU).
struct OnlineEvaluator::Prepared {
  /// The stable data R row-major: R c is then a sequence of contiguous dot products (about 30 %
  /// faster than the column-major product for the sizes of interest); empty when R is absent.
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> orthonormal;
  /// Every operator term is symmetric (to round-off) and the stability bound is a coercivity
  /// bound, so A_N(mu) is symmetric positive definite wherever the bound is positive.
  bool spd = false;
  bool upper = false;  // R is upper trapezoidal
  bool avx2 = false;   // the processor runs upper_squared_norm_avx2

  explicit Prepared(const ReducedModel& model) {
    if (model.residual.orthonormal.size() > 0) orthonormal = model.residual.orthonormal;
    upper = is_upper_trapezoidal(model.residual.orthonormal);
#ifdef KOLMO_ONLINE_AVX2
    __builtin_cpu_init();  // harmless if done; needed when called before main (static objects)
    avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
    const std::string& kind = model.stability.kind;
    spd = (kind == "min_theta" || kind == "scm") && !model.lhs.terms.empty();
    for (const auto& term : model.lhs.terms) {
      const double scale = term.cwiseAbs().maxCoeff();
      if ((term - term.transpose()).cwiseAbs().maxCoeff() > 1e-12 * scale) spd = false;
    }
  }
};

/// Everything a query writes, sized by N and Q only. The residual matrices restricted to the
/// active representers are cached for the last basis size used.
struct OnlineEvaluator::Workspace {
  std::vector<double> theta_a, theta_f, theta_l;
  Eigen::MatrixXd a;
  Eigen::VectorXd b;
  Eigen::PartialPivLU<Eigen::MatrixXd> lu;
  std::vector<const double*> lhs_terms;  // model.lhs.terms[q].data()
  Eigen::VectorXd c, product;
  int cached_size = -1;
  // restricted to the active representers of cached_size
  Eigen::MatrixXd gram;
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> orthonormal;
  std::vector<double> variables;      // coordinates then parameters, for g
  Eigen::VectorXd g_magic, beta, g_indicator;  // g at the magic points, EIM coefficients, g - I_M g
};

OnlineEvaluator::OnlineEvaluator(const ReducedModel& model) {
  check_reduced_model(model, "reduced model");
  model_ = std::make_shared<const ReducedModel>(model);
  space_ = std::make_shared<const ParameterSpace>(space_of(*model_));
  compiled_ = std::make_unique<Compiled>(*model_);
  prepared_ = std::make_shared<const Prepared>(*model_);
  work_ = std::make_unique<Workspace>();
}

OnlineEvaluator::OnlineEvaluator(const OnlineEvaluator& other)
    : model_(other.model_),
      space_(other.space_),
      compiled_(std::make_unique<Compiled>(*other.model_)),
      prepared_(other.prepared_),
      work_(std::make_unique<Workspace>()) {}

OnlineEvaluator& OnlineEvaluator::operator=(const OnlineEvaluator& other) {
  if (this != &other) *this = OnlineEvaluator(other);
  return *this;
}

OnlineEvaluator::OnlineEvaluator(OnlineEvaluator&&) noexcept = default;
OnlineEvaluator& OnlineEvaluator::operator=(OnlineEvaluator&&) noexcept = default;
OnlineEvaluator::~OnlineEvaluator() = default;

const ReducedModel& OnlineEvaluator::model() const noexcept { return *model_; }
const ParameterSpace& OnlineEvaluator::parameter_space() const noexcept { return *space_; }
int OnlineEvaluator::max_size() const noexcept { return model_->max_size(); }

namespace {

Estimator parse_estimator(const ReducedModel& model, std::string_view name) {
  const std::string_view chosen = name.empty() ? std::string_view(model.estimator) : name;
  Estimator e;
  if (chosen == "classical") {
    e = Estimator::classical;
  } else if (chosen == "stable") {
    e = Estimator::stable;
  } else {
    throw InputError("estimator '" + std::string(chosen) + "' is neither classical nor stable");
  }
  KOLMO_INPUT_CHECK(has_data(model.residual, e),
                    "the reduced model holds no data for the " << chosen << " estimator (/residual/"
                        << (e == Estimator::classical ? "gram" : "orthonormal") << ")");
  return e;
}

int checked_size(const ReducedModel& model, int size) {
  const int n = model.max_size();
  if (size < 0) return n;
  KOLMO_INPUT_CHECK(size >= 1 && size <= n, "basis size " << size
                                                          << " is out of range: the model has sizes 1 to "
                                                          << n);
  return size;
}

/// ||sum_q theta_q l_q||_X' from the dual-norm data `data` with coefficients `c` (all columns),
/// without temporaries (c is short).
double dual_norm(const ResidualNormData& data, Estimator e, const std::vector<double>& c) {
  const auto q = static_cast<Eigen::Index>(c.size());
  double sum = 0.0;
  if (e == Estimator::classical) {
    for (Eigen::Index i = 0; i < q; ++i)
      for (Eigen::Index j = 0; j < q; ++j)
        sum += c[static_cast<std::size_t>(i)] * data.gram(i, j) * c[static_cast<std::size_t>(j)];
    return std::sqrt(std::max(0.0, sum));
  }
  for (Eigen::Index i = 0; i < data.orthonormal.rows(); ++i) {
    double row = 0.0;
    for (Eigen::Index j = 0; j < q; ++j)
      row += data.orthonormal(i, j) * c[static_cast<std::size_t>(j)];
    sum += row * row;
  }
  return std::sqrt(sum);
}

/// g at every row of `points` (coordinates), with the parameters `mu`, into `values`.
void evaluate_at(ParameterExpression& g, const Eigen::MatrixXd& points, const Mu& mu,
                 std::vector<double>& variables, Eigen::VectorXd& values) {
  const auto d = static_cast<std::size_t>(points.cols());
  variables.resize(d + mu.size());
  std::copy(mu.begin(), mu.end(), variables.begin() + static_cast<std::ptrdiff_t>(d));
  values.resize(points.rows());
  for (Eigen::Index i = 0; i < points.rows(); ++i) {
    for (std::size_t k = 0; k < d; ++k) variables[k] = points(i, static_cast<Eigen::Index>(k));
    values(i) = g(variables);
  }
}

}  // namespace

OnlineResult OnlineEvaluator::evaluate(const Mu& mu, int size, const std::string& estimator) {
  OnlineResult result;
  evaluate(mu, size, estimator, result, "mu");
  return result;
}

void OnlineEvaluator::evaluate(const Mu& mu, int size, std::string_view estimator,
                               OnlineResult& result, std::string_view where) {
  const ReducedModel& model = *model_;
  space_->check(mu, where);
  const int n = checked_size(model, size);
  const Estimator e = parse_estimator(model, estimator);
  Workspace& w = *work_;
  Compiled& x = *compiled_;

  evaluate_all(x.lhs, mu, w.theta_a);
  // The EIM coefficients of a non-affine rhs term (reduced_model.hpp, NonaffineRhsTerm), from g
  // at the magic points exactly as the offline EIM computes them.
  if (model.nonaffine_rhs) {
    const NonaffineRhsTerm& term = *model.nonaffine_rhs;
    evaluate_at(*x.g, term.magic_points, mu, w.variables, w.g_magic);
    w.beta = term.interpolation_matrix.triangularView<Eigen::UnitLower>().solve(w.g_magic);
  }
  if (model.nonaffine_rhs && model.nonaffine_rhs->rhs_is_beta) {
    w.theta_f.assign(w.beta.data(), w.beta.data() + w.beta.size());
  } else {
    evaluate_all(x.rhs, mu, w.theta_f);
  }

  // The reduced system, on the leading n x n blocks of the stored terms.
  const Prepared& p = *prepared_;
  w.a.resize(n, n);
  w.b.resize(n);
  w.b.setZero();
  for (std::size_t q = 0; q < w.theta_f.size(); ++q)
    w.b.noalias() += w.theta_f[q] * model.rhs.terms[q].head(n);
  result.size = n;
  result.coefficients.resize(n);
  // Cholesky reads the lower triangle only: assemble just that, a column at a time. When it
  // fails (A_N(mu) not positive definite: the point is then not certified anyway) LU decides.
  bool solved = false;
  if (p.spd) {
    w.lhs_terms.resize(model.lhs.terms.size());
    for (std::size_t q = 0; q < w.lhs_terms.size(); ++q) w.lhs_terms[q] = model.lhs.terms[q].data();
    const Eigen::Index ld = model.max_size();
#ifdef KOLMO_ONLINE_AVX2
    if (p.avx2) {
      solved = assemble_cholesky_avx2(w.lhs_terms.data(), w.theta_a.data(), w.theta_a.size(), ld,
                                      n, w.a.data());
    } else {
      solved = assemble_cholesky(w.lhs_terms.data(), w.theta_a.data(), w.theta_a.size(), ld, n,
                                 w.a.data());
    }
#else
    solved = assemble_cholesky(w.lhs_terms.data(), w.theta_a.data(), w.theta_a.size(), ld, n,
                               w.a.data());
#endif
    if (solved) {
      result.coefficients = w.b;
      w.a.triangularView<Eigen::Lower>().solveInPlace(result.coefficients);
      w.a.triangularView<Eigen::Lower>().transpose().solveInPlace(result.coefficients);
    }
  }
  if (!solved) {
    w.a.setZero();
    for (std::size_t q = 0; q < w.theta_a.size(); ++q)
      w.a.noalias() += w.theta_a[q] * model.lhs.terms[q].topLeftCorner(n, n);
    w.lu.compute(w.a);
    result.coefficients.noalias() = w.lu.solve(w.b);
  }
  const auto& u = result.coefficients;

  // Residual dual norm: c = [theta_f; -(theta_a_q u_n)] over the active representers.
  const auto qf = static_cast<Eigen::Index>(w.theta_f.size());
  const auto qa = static_cast<Eigen::Index>(w.theta_a.size());
  const Eigen::Index max_n = model.max_size();
  if (w.cached_size != n) {
    if (n == max_n) {
      w.gram.resize(0, 0);
      w.orthonormal.resize(0, 0);
    } else {
      w.gram = model.residual.gram.size() > 0
                   ? active_block(model.residual.gram, qf, qa, max_n, n, true)
                   : Eigen::MatrixXd();
      if (model.residual.orthonormal.size() > 0) {
        w.orthonormal = active_block(model.residual.orthonormal, qf, qa, max_n, n, false);
      } else {
        w.orthonormal.resize(0, 0);
      }
    }
    w.cached_size = n;
  }
  const Eigen::Index m = qf + qa * n;
  w.c.resize(m);
  for (Eigen::Index q = 0; q < qf; ++q) w.c(q) = w.theta_f[static_cast<std::size_t>(q)];
  for (Eigen::Index q = 0; q < qa; ++q)
    w.c.segment(qf + q * n, n) = -w.theta_a[static_cast<std::size_t>(q)] * u;
  const Eigen::MatrixXd& gram = n == max_n ? model.residual.gram : w.gram;
  const auto& orthonormal = n == max_n ? p.orthonormal : w.orthonormal;
  if (e == Estimator::classical) {
    double square = 0.0;
#ifdef KOLMO_ONLINE_AVX2
    if (p.avx2) {
      square = lower_quadratic_form_avx2(gram.data(), m, w.c.data());
    } else
#endif
    {
      w.product.resize(m);
      w.product.noalias() = gram.selfadjointView<Eigen::Lower>() * w.c;
      square = w.c.dot(w.product);
    }
    result.residual_dual_norm = std::sqrt(std::max(0.0, square));
  } else {
    bool done = false;
#ifdef KOLMO_ONLINE_AVX2
    if (n == max_n && p.upper && p.avx2) {
      result.residual_dual_norm = std::sqrt(upper_squared_norm_avx2(
          orthonormal.data(), orthonormal.rows(), orthonormal.cols(), w.c.data()));
      done = true;
    }
#endif
    if (!done) {
      w.product.resize(orthonormal.rows());
      if (n == max_n && p.upper) {
        w.product.noalias() = orthonormal.triangularView<Eigen::Upper>() * w.c;
      } else {
        w.product.noalias() = orthonormal * w.c;
      }
      result.residual_dual_norm = w.product.norm();
    }
  }

  // Stability lower bound (reduced_model.hpp, StabilityBound).
  const StabilityBound& s = model.stability;
  double alpha = 0.0;
  if (s.kind == "min_theta") {
    alpha = std::numeric_limits<double>::infinity();
    for (std::size_t q = 0; q < w.theta_a.size(); ++q)
      alpha = std::min(alpha, w.theta_a[q] / s.theta_bar[q]);
  } else if (s.kind == "constant") {
    alpha = s.constant;
  } else if (s.kind == "scm") {
    alpha = scm_lower_bound(s.sigma, w.theta_a);
  } else {
    const double t = (*x.t)(mu);
    // The eigenvalues not stored are >= sigma_tail: when t < sigma_tail, |sigma - t| / (sigma + 1)
    // is monotone in sigma from sigma_tail on with limit 1, so its infimum is the smaller of 1 and
    // its value at sigma_tail; otherwise one of them may equal t.
    if (std::isinf(s.sigma_tail)) {
      alpha = std::numeric_limits<double>::infinity();  // every eigenvalue is stored
    } else {
      alpha = t >= s.sigma_tail ? 0.0 : std::min(1.0, (s.sigma_tail - t) / (s.sigma_tail + 1.0));
    }
    for (double sigma : s.sigma) alpha = std::min(alpha, std::abs(sigma - t) / (sigma + 1.0));
  }
  result.stability_lower_bound = alpha;

  // The non-affine rhs term: the EIM residual of g at the indicator points.
  result.rhs_error = 0.0;
  if (model.nonaffine_rhs) {
    const NonaffineRhsTerm& term = *model.nonaffine_rhs;
    evaluate_at(*x.g, term.indicator_points, mu, w.variables, w.g_indicator);
    w.g_indicator.noalias() -= term.indicator_basis * w.beta;
    result.rhs_error = term.dual_norm_factor * w.g_indicator.cwiseAbs().maxCoeff();
  }

  // The matrix-EIM error of a sampled operator (reduced_model.hpp, OperatorEimError): the truth's
  // residual gains eps_f + eps_A ||u_N||_X (||V u_N||_X = |u_N|_2, V X-orthonormal) and its
  // stability constant is at least alpha_LB - eps_A.
  const double inf = std::numeric_limits<double>::infinity();
  const double r = result.residual_dual_norm;
  double eps_a = 0.0;
  result.operator_error = 0.0;
  if (model.operator_eim) {
    eps_a = model.operator_eim->operator_error;
    result.operator_error = model.operator_eim->rhs_error + eps_a * u.norm();
  }
  const double alpha_truth = alpha - eps_a;
  result.error_bound = alpha_truth > 0 ? (r + result.rhs_error + result.operator_error) / alpha_truth : inf;

  // Outputs and their bounds.
  result.outputs.resize(model.outputs.size());
  result.output_bounds.resize(model.outputs.size());
  for (std::size_t k = 0; k < model.outputs.size(); ++k) {
    const ReducedOutput& output = model.outputs[k];
    evaluate_all(x.outputs[k], mu, w.theta_l);
    double value = 0.0;
    for (std::size_t q = 0; q < w.theta_l.size(); ++q)
      value += w.theta_l[q] * output.functional.terms[q].head(n).dot(u);
    result.outputs[k] = value;
    if (output.compliant && model.nonaffine_rhs) {
      result.output_bounds[k] = std::numeric_limits<double>::quiet_NaN();
      continue;
    }
    // With an operator EIM error the model is not the Galerkin projection of the truth, so the
    // compliant r^2 / alpha does not hold; |l.(u - u_N)| <= ||l||_X' Delta (below) still does.
    if (output.compliant && !model.operator_eim) {
      result.output_bounds[k] = alpha > 0 ? r * r / alpha : inf;
      continue;
    }
    // ||l(mu)||_X' is not small, so either evaluation is accurate: use the other if needed.
    const Estimator le = has_data(output.dual_norm, e)
                             ? e
                             : (e == Estimator::classical ? Estimator::stable : Estimator::classical);
    if (!has_data(output.dual_norm, le)) {
      result.output_bounds[k] = std::numeric_limits<double>::quiet_NaN();
      continue;
    }
    result.output_bounds[k] = dual_norm(output.dual_norm, le, w.theta_l) * result.error_bound;
  }
}

int OnlineEvaluator::batch_workers(std::size_t points, int threads) {
  const std::size_t requested = threads > 0 ? static_cast<std::size_t>(threads)
                                            : std::max(1u, std::thread::hardware_concurrency());
  const std::size_t useful = std::max<std::size_t>(1, (points + 31) / 32);
  return static_cast<int>(std::min(requested, useful));
}

std::vector<OnlineResult> OnlineEvaluator::evaluate_batch(const std::vector<Mu>& points, int size,
                                                          int threads,
                                                          const std::string& estimator) const {
  for (std::size_t i = 0; i < points.size(); ++i)
    space_->check(points[i], "point " + std::to_string(i));
  checked_size(*model_, size);
  parse_estimator(*model_, estimator);
  std::vector<OnlineResult> results(points.size());
  if (points.empty()) return results;

  const auto workers = static_cast<std::size_t>(batch_workers(points.size(), threads));
  std::atomic<std::size_t> next{0};
  std::vector<std::exception_ptr> errors(workers);
  auto work = [&](std::size_t worker) {
    try {
      OnlineEvaluator local(*this);
      // Chunks of consecutive points: few atomic operations, still balanced.
      constexpr std::size_t chunk = 16;
      for (std::size_t begin = next.fetch_add(chunk); begin < points.size();
           begin = next.fetch_add(chunk)) {
        const std::size_t end = std::min(points.size(), begin + chunk);
        for (std::size_t i = begin; i < end; ++i)
          local.evaluate(points[i], size, estimator, results[i], "point");
      }
    } catch (...) {
      errors[worker] = std::current_exception();
    }
  };
  if (workers == 1) {
    work(0);
  } else {
    std::vector<std::thread> pool;
    pool.reserve(workers);
    for (std::size_t t = 0; t < workers; ++t) pool.emplace_back(work, t);
    for (auto& thread : pool) thread.join();
  }
  for (const auto& error : errors)
    if (error) std::rethrow_exception(error);
  return results;
}

}  // namespace kolmo::rom
