#include "solvers/pc_polynomial.hpp"

#include <petsc/private/pcimpl.h>

#include <Eigen/Dense>
#include <Eigen/Eigenvalues>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/error.hpp"
#include "core/petsc_handle.hpp"

namespace kolmo::solvers {
namespace {

constexpr double upper_safety = 1.1;

struct Polynomial {
  bool lsq = false;
  PetscInt degree = 8;
  PetscInt lanczos_steps = 20;
  PetscReal lower_fraction = 0;
  PetscBool jacobi = PETSC_TRUE;
  // Set up:
  bool ready = false;
  PolynomialInfo info;
  std::vector<double> coefficients;  // lsq: p = sum c_k T_k(2 lambda / b - 1)
  VecHandle inverse_diagonal, w1, w2, w3, w4;
};

Polynomial* data_of(PC pc) { return static_cast<Polynomial*>(pc->data); }

// Start vector of the Lanczos process: smooth-plus-oscillating, from global indices only.
void fill_start(Vec v) {
  PetscInt low = 0, high = 0;
  KOLMO_PETSC_CALL(VecGetOwnershipRange(v, &low, &high));
  PetscScalar* x = nullptr;
  KOLMO_PETSC_CALL(VecGetArray(v, &x));
  for (PetscInt g = low; g < high; ++g)
    x[g - low] = 1.0 + 0.5 * std::sin(0.7 * static_cast<double>(g)) + 0.25 * std::cos(1.3 * static_cast<double>(g * g % 97));
  KOLMO_PETSC_CALL(VecRestoreArray(v, &x));
}

VecHandle inverse_sqrt_or_inverse_diagonal(Mat a, bool sqrt_of) {
  VecHandle d;
  KOLMO_PETSC_CALL(MatCreateVecs(a, d.out(), nullptr));
  KOLMO_PETSC_CALL(MatGetDiagonal(a, d));
  PetscInt n = 0;
  KOLMO_PETSC_CALL(VecGetLocalSize(d, &n));
  PetscScalar* x = nullptr;
  KOLMO_PETSC_CALL(VecGetArray(d, &x));
  bool positive = true;
  for (PetscInt i = 0; i < n; ++i) {
    if (!(PetscRealPart(x[i]) > 0)) positive = false;
    else x[i] = sqrt_of ? 1.0 / std::sqrt(PetscRealPart(x[i])) : 1.0 / PetscRealPart(x[i]);
  }
  KOLMO_PETSC_CALL(VecRestoreArray(d, &x));
  int ok = positive ? 1 : 0;
  MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, PetscObjectComm(reinterpret_cast<PetscObject>(a)));
  KOLMO_CHECK(ok == 1, "kolmo_poly: Jacobi scaling needs a positive diagonal (use -pc_kolmo_poly_jacobi false)");
  return d;
}

// Gershgorin bound of D^-1 A: max_i sum_j |a_ij| / a_ii (or sum_j |a_ij| without scaling).
double gershgorin_bound(Mat a, bool jacobi) {
  PetscInt low = 0, high = 0;
  KOLMO_PETSC_CALL(MatGetOwnershipRange(a, &low, &high));
  double bound = 0;
  for (PetscInt row = low; row < high; ++row) {
    PetscInt count = 0;
    const PetscInt* cols = nullptr;
    const PetscScalar* values = nullptr;
    KOLMO_PETSC_CALL(MatGetRow(a, row, &count, &cols, &values));
    double sum = 0, diag = 0;
    for (PetscInt q = 0; q < count; ++q) {
      sum += std::abs(PetscRealPart(values[q]));
      if (cols[q] == row) diag = PetscRealPart(values[q]);
    }
    KOLMO_PETSC_CALL(MatRestoreRow(a, row, &count, &cols, &values));
    bound = std::max(bound, jacobi && diag > 0 ? sum / diag : sum);
  }
  MPI_Allreduce(MPI_IN_PLACE, &bound, 1, MPI_DOUBLE, MPI_MAX, PetscObjectComm(reinterpret_cast<PetscObject>(a)));
  return bound;
}

// z = D^-1 r (or a copy without scaling).
void scale(const Polynomial& d, Vec r, Vec z) {
  if (d.jacobi)
    KOLMO_PETSC_CALL(VecPointwiseMult(z, d.inverse_diagonal, r));
  else
    KOLMO_PETSC_CALL(VecCopy(r, z));
}

void apply_chebyshev(const Polynomial& d, Mat a, Vec r, Vec z) {
  // Chebyshev iteration (Saad, Iterative Methods, Alg. 12.1) for D^-1 A x = D^-1 r from x = 0,
  // `degree` steps; x after the steps is z.
  const double lo = d.info.lower, hi = d.info.upper;
  const double theta = 0.5 * (hi + lo), delta = 0.5 * (hi - lo), sigma = theta / delta;
  Vec res = d.w1, dir = d.w2, tmp = d.w3;
  scale(d, r, dir);
  KOLMO_PETSC_CALL(VecScale(dir, 1.0 / theta));
  KOLMO_PETSC_CALL(VecCopy(dir, z));
  KOLMO_PETSC_CALL(VecCopy(r, res));
  double rho = 1.0 / sigma;
  for (PetscInt k = 1; k < d.info.degree; ++k) {
    KOLMO_PETSC_CALL(MatMult(a, dir, tmp));
    KOLMO_PETSC_CALL(VecAXPY(res, -1.0, tmp));
    const double rho_next = 1.0 / (2.0 * sigma - rho);
    scale(d, res, tmp);
    KOLMO_PETSC_CALL(VecAXPBY(dir, 2.0 * rho_next / delta, rho_next * rho, tmp));
    KOLMO_PETSC_CALL(VecAXPY(z, 1.0, dir));
    rho = rho_next;
  }
}

void apply_lsq(const Polynomial& d, Mat a, Vec r, Vec z) {
  // z = sum_k c_k T_k(t(M)) v0, M = D^-1 A, t(M) = 2 M / b - I, v0 = D^-1 r, by the three-term
  // recurrence v_{k+1} = 2 t(M) v_k - v_{k-1}.
  const double b = d.info.upper;
  Vec prev = d.w1, cur = d.w2, next = d.w3, tmp = d.w4;
  scale(d, r, prev);
  KOLMO_PETSC_CALL(VecCopy(prev, z));
  KOLMO_PETSC_CALL(VecScale(z, d.coefficients[0]));
  const auto n = static_cast<PetscInt>(d.coefficients.size());
  if (n == 1) return;
  // v1 = t(M) v0 = (2/b) D^-1 A v0 - v0
  KOLMO_PETSC_CALL(MatMult(a, prev, tmp));
  scale(d, tmp, cur);
  KOLMO_PETSC_CALL(VecAXPBY(cur, -1.0, 2.0 / b, prev));
  KOLMO_PETSC_CALL(VecAXPY(z, d.coefficients[1], cur));
  for (PetscInt k = 2; k < n; ++k) {
    KOLMO_PETSC_CALL(MatMult(a, cur, tmp));
    scale(d, tmp, next);
    // next = (4/b) D^-1 A cur - 2 cur - prev
    KOLMO_PETSC_CALL(VecAXPBYPCZ(next, -2.0, -1.0, 4.0 / b, cur, prev));
    KOLMO_PETSC_CALL(VecAXPY(z, d.coefficients[k], next));
    std::swap(prev, cur);
    std::swap(cur, next);
  }
}

// Least-squares coefficients: minimise sum_j (1 - lambda_j p(lambda_j))^2 over Chebyshev points
// lambda_j of [0, b], p = sum_{k < n} c_k T_k(2 lambda / b - 1).
std::vector<double> lsq_coefficients(int n, double b) {
  const int m = 4 * n;
  Eigen::MatrixXd g(m, n);
  Eigen::VectorXd ones = Eigen::VectorXd::Ones(m);
  for (int j = 0; j < m; ++j) {
    const double t = std::cos(M_PI * (j + 0.5) / m);
    const double lambda = 0.5 * b * (t + 1.0);
    double t_prev = 1, t_cur = t;
    for (int k = 0; k < n; ++k) {
      double tk = 1.0;
      if (k == 1) {
        tk = t;
      } else if (k >= 2) {
        tk = 2 * t * t_cur - t_prev;
        t_prev = t_cur;
        t_cur = tk;
      }
      g(j, k) = lambda * tk;
    }
  }
  const Eigen::VectorXd c = g.colPivHouseholderQr().solve(ones);
  return {c.data(), c.data() + n};
}

double lsq_value(const std::vector<double>& c, double b, double lambda) {
  const double t = 2 * lambda / b - 1;
  double t0 = 1, t1 = t, p = c[0] + (c.size() > 1 ? c[1] * t : 0.0);
  for (std::size_t k = 2; k < c.size(); ++k) {
    const double tk = 2 * t * t1 - t0;
    p += c[k] * tk;
    t0 = t1;
    t1 = tk;
  }
  return p;
}

PetscErrorCode PCSetUp_Poly(PC pc) {
  Polynomial* d = data_of(pc);
  PetscFunctionBegin;
  PetscCall(kolmo::petsc_callback([&] {
    Mat a = pc->pmat;
    KOLMO_CHECK(d->degree >= 1, "kolmo_poly: degree must be >= 1, got " << d->degree);
    d->info.type = d->lsq ? "lsq" : "chebyshev";
    d->info.degree = static_cast<int>(d->degree);
    d->info.ritz = lanczos_ritz_bounds(a, static_cast<int>(d->lanczos_steps), d->jacobi);
    const double gersh = gershgorin_bound(a, d->jacobi);
    d->info.upper = std::min(upper_safety * d->info.ritz.largest, gersh);
    KOLMO_CHECK(d->info.upper > 0, "kolmo_poly: the operator does not look positive definite "
                                   "(largest Ritz value " << d->info.ritz.largest << ")");
    if (d->jacobi) d->inverse_diagonal = inverse_sqrt_or_inverse_diagonal(a, false);
    d->w1 = VecHandle();
    KOLMO_PETSC_CALL(MatCreateVecs(a, d->w1.out(), nullptr));
    for (VecHandle* w : {&d->w2, &d->w3, &d->w4}) {
      *w = VecHandle();
      KOLMO_PETSC_CALL(VecDuplicate(d->w1, w->out()));
    }
    if (d->lsq) {
      d->info.lower = 0;
      d->coefficients = lsq_coefficients(static_cast<int>(d->degree), d->info.upper);
      double worst = 1;
      for (int j = 1; j <= 1000; ++j) {
        const double lambda = d->info.upper * j / 1000.0;
        worst = std::min(worst, lambda * lsq_value(d->coefficients, d->info.upper, lambda));
      }
      if (worst <= 0)
        KOLMO_PETSC_CALL(PetscFPrintf(PetscObjectComm(reinterpret_cast<PetscObject>(pc)), PETSC_STDERR,
                                      "WARNING: kolmo_poly lsq polynomial of degree %d is not positive "
                                      "on (0, b]; CG may fail\n", static_cast<int>(d->degree)));
    } else {
      const double lower = d->lower_fraction > 0 ? d->lower_fraction * d->info.upper
                                                 : d->info.ritz.smallest;
      d->info.lower = std::clamp(lower, 1e-12 * d->info.upper, 0.99 * d->info.upper);
    }
    d->ready = true;
  }));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode PCApply_Poly(PC pc, Vec r, Vec z) {
  Polynomial* d = data_of(pc);
  PetscFunctionBegin;
  PetscCall(kolmo::petsc_callback([&] {
    if (d->lsq)
      apply_lsq(*d, pc->pmat, r, z);
    else
      apply_chebyshev(*d, pc->pmat, r, z);
  }));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode PCSetFromOptions_Poly(PC pc, PetscOptionItems* PetscOptionsObject) {
  Polynomial* d = data_of(pc);
  static const char* const types[] = {"chebyshev", "lsq", "PolynomialType", "", nullptr};
  PetscInt type = d->lsq ? 1 : 0;
  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "Kolmo polynomial preconditioner options");
  PetscCall(PetscOptionsEList("-pc_kolmo_poly_type", "polynomial", "PCKOLMOPOLY", types, 2,
                              types[type], &type, nullptr));
  PetscCall(PetscOptionsInt("-pc_kolmo_poly_degree", "degree (products with A + 1)", "PCKOLMOPOLY",
                            d->degree, &d->degree, nullptr));
  PetscCall(PetscOptionsInt("-pc_kolmo_poly_lanczos_steps", "Lanczos steps for the bounds",
                            "PCKOLMOPOLY", d->lanczos_steps, &d->lanczos_steps, nullptr));
  PetscCall(PetscOptionsReal("-pc_kolmo_poly_lower_fraction", "a = fraction * b (0: Ritz value)",
                             "PCKOLMOPOLY", d->lower_fraction, &d->lower_fraction, nullptr));
  PetscCall(PetscOptionsBool("-pc_kolmo_poly_jacobi", "scale by the diagonal", "PCKOLMOPOLY",
                             d->jacobi, &d->jacobi, nullptr));
  PetscOptionsHeadEnd();
  d->lsq = type == 1;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode PCView_Poly(PC pc, PetscViewer viewer) {
  Polynomial* d = data_of(pc);
  PetscBool ascii = PETSC_FALSE;
  PetscFunctionBegin;
  PetscCall(PetscObjectTypeCompare(reinterpret_cast<PetscObject>(viewer), PETSCVIEWERASCII, &ascii));
  if (ascii && d->ready)
    PetscCall(PetscViewerASCIIPrintf(viewer, "  %s polynomial, degree %d on [%g, %g]%s\n",
                                     d->lsq ? "least-squares" : "Chebyshev", d->info.degree,
                                     d->info.lower, d->info.upper, d->jacobi ? ", Jacobi scaled" : ""));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode PCDestroy_Poly(PC pc) {
  PetscFunctionBegin;
  delete data_of(pc);
  pc->data = nullptr;
  PetscFunctionReturn(PETSC_SUCCESS);
}

}  // namespace

RitzBounds lanczos_ritz_bounds(Mat a, int steps, bool jacobi) {
  KOLMO_CHECK(steps >= 1, "lanczos_ritz_bounds: steps must be >= 1, got " << steps);
  VecHandle s, v, v_prev, w, tmp;
  if (jacobi) s = inverse_sqrt_or_inverse_diagonal(a, true);
  KOLMO_PETSC_CALL(MatCreateVecs(a, v.out(), nullptr));
  KOLMO_PETSC_CALL(VecDuplicate(v, v_prev.out()));
  KOLMO_PETSC_CALL(VecDuplicate(v, w.out()));
  KOLMO_PETSC_CALL(VecDuplicate(v, tmp.out()));
  fill_start(v);
  PetscReal norm = 0;
  KOLMO_PETSC_CALL(VecNormalize(v, &norm));
  KOLMO_PETSC_CALL(VecSet(v_prev, 0.0));
  std::vector<double> alpha, beta;
  double beta_prev = 0;
  for (int j = 0; j < steps; ++j) {
    // w = S v with S = D^-1/2 A D^-1/2
    if (jacobi) {
      KOLMO_PETSC_CALL(VecPointwiseMult(tmp, s, v));
      KOLMO_PETSC_CALL(MatMult(a, tmp, w));
      KOLMO_PETSC_CALL(VecPointwiseMult(w, s, w));
    } else {
      KOLMO_PETSC_CALL(MatMult(a, v, w));
    }
    KOLMO_PETSC_CALL(VecAXPY(w, -beta_prev, v_prev));
    PetscScalar a_j = 0;
    KOLMO_PETSC_CALL(VecDot(w, v, &a_j));
    KOLMO_PETSC_CALL(VecAXPY(w, -a_j, v));
    alpha.push_back(PetscRealPart(a_j));
    PetscReal b_j = 0;
    KOLMO_PETSC_CALL(VecNorm(w, NORM_2, &b_j));
    if (b_j <= 1e-12 * std::abs(alpha.front()) || j + 1 == steps) break;
    beta.push_back(b_j);
    KOLMO_PETSC_CALL(VecCopy(v, v_prev));
    KOLMO_PETSC_CALL(VecCopy(w, v));
    KOLMO_PETSC_CALL(VecScale(v, 1.0 / b_j));
    beta_prev = b_j;
  }
  const auto m = static_cast<Eigen::Index>(alpha.size());
  Eigen::VectorXd diag = Eigen::Map<Eigen::VectorXd>(alpha.data(), m);
  Eigen::VectorXd sub(std::max<Eigen::Index>(m - 1, 0));
  for (Eigen::Index i = 0; i + 1 < m; ++i) sub(i) = beta[static_cast<std::size_t>(i)];
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig;
  eig.computeFromTridiagonal(diag, sub, Eigen::EigenvaluesOnly);
  RitzBounds out;
  out.smallest = eig.eigenvalues()(0);
  out.largest = eig.eigenvalues()(m - 1);
  out.steps = static_cast<int>(m);
  return out;
}

PetscErrorCode pc_create_polynomial(PC pc) {
  PetscFunctionBegin;
  PetscCall(kolmo::petsc_callback([&] { pc->data = new Polynomial(); }));
  pc->ops->setup = PCSetUp_Poly;
  pc->ops->apply = PCApply_Poly;
  pc->ops->setfromoptions = PCSetFromOptions_Poly;
  pc->ops->view = PCView_Poly;
  pc->ops->destroy = PCDestroy_Poly;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PolynomialInfo polynomial_pc_info(PC pc) {
  PetscBool match = PETSC_FALSE;
  KOLMO_PETSC_CALL(PetscObjectTypeCompare(reinterpret_cast<PetscObject>(pc), pc_type_polynomial, &match));
  KOLMO_CHECK(match, "polynomial_pc_info: the PC is not of type " << pc_type_polynomial);
  const Polynomial* d = data_of(pc);
  KOLMO_CHECK(d->ready, "polynomial_pc_info: the PC is not set up");
  return d->info;
}

}  // namespace kolmo::solvers
