// The online stage against direct truth computations on a small dense affine problem: both
// residual estimators equal the true residual dual norm, the bounds are rigorous, the stable
// estimator stays accurate where the classical one is destroyed by cancellation, the model file
// round-trips exactly, and batch evaluation equals sequential evaluation.
#include <Eigen/Eigenvalues>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <unistd.h>

#include "core/exceptions.hpp"
#include "core/hdf5_file.hpp"
#include "dense_affine_problem.hpp"
#include "rom/online/online_evaluator.hpp"
#include "rom/online/reduced_model_io.hpp"

using namespace kolmo::rom;
using namespace kolmo::rom::testing;

namespace {

using LMatrix = Eigen::Matrix<long double, Eigen::Dynamic, Eigen::Dynamic>;
using LVector = Eigen::Matrix<long double, Eigen::Dynamic, 1>;

std::string scratch(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("kolmo_online_" + std::to_string(getpid()) + "_" + name))
      .string();
}

/// ||f(mu) - A(mu) V u_N||_X' evaluated in long double from the double data, so that it is
/// accurate to ~1e-19 ||f|| even where the residual is tiny.
double true_residual_norm(const DenseAffineProblem& p, const Eigen::MatrixXd& v,
                          const Eigen::VectorXd& u, const std::vector<double>& mu) {
  const int size = static_cast<int>(u.size());
  LVector r = p.rhs_at(mu).cast<long double>();
  const LVector vu = v.leftCols(size).cast<long double>() * u.cast<long double>();
  for (std::size_t q = 0; q < p.a.size(); ++q)
    r -= static_cast<long double>(DenseAffineProblem::theta(p.a_theta[q], mu)) *
         (p.a[q].cast<long double>() * vu);
  const LMatrix x = p.x.cast<long double>();
  const LVector y = x.ldlt().solve(r);
  return static_cast<double>(std::sqrt(r.dot(y)));
}

/// ||u(mu) - V u_N||_X with the truth solution in long double.
double true_error(const DenseAffineProblem& p, const Eigen::MatrixXd& v, const Eigen::VectorXd& u,
                  const std::vector<double>& mu) {
  const LMatrix a = p.operator_at(mu).cast<long double>();
  const LVector truth = a.ldlt().solve(p.rhs_at(mu).cast<long double>());
  const LVector e = truth - v.leftCols(u.size()).cast<long double>() * u.cast<long double>();
  return static_cast<double>(std::sqrt(e.dot(p.x.cast<long double>() * e)));
}

double relative(double a, double b) { return std::abs(a - b) / std::abs(b); }

std::string input_error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const kolmo::InputError& e) {
    return e.what();
  }
  return "no InputError";
}

}  // namespace

TEST_CASE("online solution and both estimators match the truth computations", "[rom][online]") {
  const auto p = make_dense_problem(30, 7);
  const Eigen::MatrixXd v = solution_basis(p, random_points(p, 6, 11));
  OnlineEvaluator evaluator(make_reduced_model(p, v));
  REQUIRE(evaluator.max_size() == 6);
  for (const auto& mu : random_points(p, 20, 12)) {
    for (int size = 1; size <= 6; ++size) {
      const auto stable = evaluator.evaluate(mu, size, "stable");
      const auto classical = evaluator.evaluate(mu, size, "classical");
      // Galerkin solution on the first `size` vectors.
      const Eigen::MatrixXd vs = v.leftCols(size);
      const Eigen::VectorXd u =
          (vs.transpose() * p.operator_at(mu) * vs).lu().solve(vs.transpose() * p.rhs_at(mu));
      REQUIRE(stable.size == size);
      REQUIRE((stable.coefficients - u).norm() <= 1e-10 * u.norm());
      REQUIRE(classical.coefficients == stable.coefficients);

      const double r = true_residual_norm(p, v, stable.coefficients, mu);
      CHECK(relative(stable.residual_dual_norm, r) < 1e-10);
      CHECK(relative(classical.residual_dual_norm, r) < 1e-6);

      // Outputs: the compliant one is f(mu).u_N, the other l(mu).u_N.
      const Eigen::VectorXd un = vs * stable.coefficients;
      CHECK(std::abs(stable.outputs[0] - p.rhs_at(mu).dot(un)) <= 1e-12 * std::abs(stable.outputs[0]));
      CHECK(std::abs(stable.outputs[1] - p.output_at(mu).dot(un)) <=
            1e-12 * p.output_at(mu).norm() * un.norm());
      const double alpha = std::min({mu[0], mu[1], mu[2]});
      CHECK(stable.stability_lower_bound == alpha);
      CHECK(stable.error_bound == stable.residual_dual_norm / alpha);
      // ||l(mu)||_X' from both kinds of dual-norm data.
      const Eigen::VectorXd l = p.output_at(mu);
      const double l_norm = std::sqrt(l.dot(p.x.ldlt().solve(l)));
      CHECK(relative(stable.output_bounds[1], l_norm * stable.error_bound) < 1e-10);
      CHECK(relative(classical.output_bounds[1], l_norm * classical.error_bound) < 1e-6);
      CHECK(stable.output_bounds[0] == stable.residual_dual_norm * stable.residual_dual_norm / alpha);
    }
  }
}

TEST_CASE("the stable estimator takes any orthonormal frame of the representers", "[rom][online]") {
  // ||R c|| = ||Q R c|| for orthogonal Q: a full (not triangular) R gives the same norms.
  const auto p = make_dense_problem(30, 17);
  const Eigen::MatrixXd v = solution_basis(p, random_points(p, 6, 18));
  const ReducedModel triangular = make_reduced_model(p, v);
  ReducedModel full = triangular;
  const auto rows = full.residual.orthonormal.rows();
  const Eigen::HouseholderQR<Eigen::MatrixXd> qr(Eigen::MatrixXd::Random(rows, rows));
  full.residual.orthonormal = qr.householderQ() * full.residual.orthonormal;
  OnlineEvaluator a(triangular), b(full);
  for (const auto& mu : random_points(p, 10, 19)) {
    for (int size : {2, 6}) {
      const double x = a.evaluate(mu, size, "stable").residual_dual_norm;
      const double y = b.evaluate(mu, size, "stable").residual_dual_norm;
      CHECK(relative(y, x) < 1e-12);
    }
  }
}

TEST_CASE("online error and output bounds are rigorous at random points", "[rom][online]") {
  const auto p = make_dense_problem(30, 21);
  const Eigen::MatrixXd v = solution_basis(p, random_points(p, 6, 22));
  OnlineEvaluator evaluator(make_reduced_model(p, v));
  double worst_effectivity = 0;
  for (const auto& mu : random_points(p, 100, 23)) {
    const Eigen::VectorXd truth = p.solve(mu);
    for (int size = 1; size <= 6; ++size) {
      for (const char* estimator : {"classical", "stable"}) {
        const auto result = evaluator.evaluate(mu, size, estimator);
        const double error = true_error(p, v, result.coefficients, mu);
        REQUIRE(error <= result.error_bound);
        worst_effectivity = std::max(worst_effectivity, result.error_bound / error);
        const double compliance = p.rhs_at(mu).dot(truth);
        // Compliant: s - s_N = e^T A e >= 0, and <= ||r||^2 / alpha_LB.
        REQUIRE(compliance - result.outputs[0] >= -1e-14 * std::abs(compliance));
        REQUIRE(compliance - result.outputs[0] <= result.output_bounds[0]);
        REQUIRE(std::abs(p.output_at(mu).dot(truth) - result.outputs[1]) <= result.output_bounds[1]);
      }
    }
  }
  // min-theta on thetas in [0.1, 1] with X = sum A_q: effectivities are at most ~ 1 / 0.1 ... sharp
  // enough to tell a bound from a wrong formula.
  CHECK(worst_effectivity < 200);
}

TEST_CASE("the stable estimator stays accurate when the residual is tiny", "[rom][online]") {
  // V contains u(mu*) up to a perturbation of relative size delta, so at mu* the residual is of
  // order delta ||f||; the classical c^T G c loses everything below sqrt(eps) ~ 1e-8 relative,
  // the stable ||R c|| only the usual eps ||f|| of forming the residual from its terms.
  const auto p = make_dense_problem(30, 31);
  const std::vector<double> star{0.3, 0.7, 0.45};
  auto points = random_points(p, 4, 32);
  const Eigen::VectorXd u_star = p.solve(star);
  const double f_norm = std::sqrt(p.rhs_at(star).dot(p.x.ldlt().solve(p.rhs_at(star))));
  std::mt19937_64 rng(33);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  Eigen::VectorXd z(p.n);
  for (int i = 0; i < p.n; ++i) z(i) = uniform(rng);
  z *= u_star.norm() / z.norm();

  for (double delta : {1e-6, 1e-8, 1e-10, 1e-12}) {
    Eigen::MatrixXd s(p.n, 5);
    s.col(0) = u_star + delta * z;
    for (int i = 0; i < 4; ++i) s.col(i + 1) = p.solve(points[static_cast<std::size_t>(i)]);
    const Eigen::HouseholderQR<Eigen::MatrixXd> qr(s);
    const Eigen::MatrixXd v = qr.householderQ() * Eigen::MatrixXd::Identity(p.n, 5);
    OnlineEvaluator evaluator(make_reduced_model(p, v));
    const auto stable = evaluator.evaluate(star, -1, "stable");
    const auto classical = evaluator.evaluate(star, -1, "classical");
    const double r = true_residual_norm(p, v, stable.coefficients, star);
    const double error = true_error(p, v, stable.coefficients, star);
    const double stable_error = relative(stable.residual_dual_norm, r);
    const double classical_error = relative(classical.residual_dual_norm, r);
    std::printf("delta %.0e: ||r||/||f|| = %.2e, relative error of the residual norm: stable %.1e, "
                "classical %.1e; true error %.2e <= stable bound %.2e\n",
                delta, r / f_norm, stable_error, classical_error, error, stable.error_bound);
    REQUIRE(r < 1e3 * delta * f_norm);
    // Forming ||r|| from terms of size ||f|| costs some eps ||f|| in any double-precision method:
    // the stable estimator achieves that (so ~1e-4 relative at ||r|| ~ 1e-12 ||f||) ...
    const double eps = std::numeric_limits<double>::epsilon();
    CHECK(stable_error * r / f_norm < 100 * eps);
    if (r / f_norm >= 1e-9) CHECK(stable_error < 1e-6);
    CHECK(stable_error < 1e-3);
    // ... while the classical c^T G c has nothing left below sqrt(eps) ||f||.
    if (r / f_norm < 1e-8) CHECK(classical_error > 1e-2);
    // The stable bound is rigorous down to the smallest residuals.
    CHECK(error <= stable.error_bound);
  }
}

TEST_CASE("a reduced model file round-trips exactly", "[rom][online]") {
  const auto p = make_dense_problem(20, 41);
  const Eigen::MatrixXd v = solution_basis(p, random_points(p, 5, 42));
  ReducedModel model = make_reduced_model(p, v);
  model.case_text = "problem:\n  type: dense_test\n";
  model.method = "greedy";
  model.parameter_scale[2] = "log";
  const std::string path = scratch("roundtrip.h5");
  write_reduced_model(model, path);
  const ReducedModel back = read_reduced_model(path);

  CHECK(back.problem_type == model.problem_type);
  CHECK(back.parameter_names == model.parameter_names);
  CHECK(back.parameter_min == model.parameter_min);
  CHECK(back.parameter_max == model.parameter_max);
  CHECK(back.parameter_scale == model.parameter_scale);
  CHECK(back.case_text == model.case_text);
  CHECK(back.method == model.method);
  CHECK(back.estimator == model.estimator);
  CHECK(back.lhs.theta == model.lhs.theta);
  REQUIRE(back.lhs.terms.size() == model.lhs.terms.size());
  for (std::size_t q = 0; q < model.lhs.terms.size(); ++q) CHECK(back.lhs.terms[q] == model.lhs.terms[q]);
  CHECK(back.rhs.theta == model.rhs.theta);
  for (std::size_t q = 0; q < model.rhs.terms.size(); ++q) CHECK(back.rhs.terms[q] == model.rhs.terms[q]);
  REQUIRE(back.outputs.size() == 2);
  for (std::size_t k = 0; k < 2; ++k) {
    CHECK(back.outputs[k].name == model.outputs[k].name);
    CHECK(back.outputs[k].compliant == model.outputs[k].compliant);
    CHECK(back.outputs[k].functional.theta == model.outputs[k].functional.theta);
    CHECK(back.outputs[k].dual_norm.gram == model.outputs[k].dual_norm.gram);
    CHECK(back.outputs[k].dual_norm.orthonormal == model.outputs[k].dual_norm.orthonormal);
  }
  CHECK(back.residual.gram == model.residual.gram);
  CHECK(back.residual.orthonormal == model.residual.orthonormal);
  CHECK(back.stability.kind == model.stability.kind);
  CHECK(back.stability.theta_bar == model.stability.theta_bar);
  CHECK(back.singular_values == model.singular_values);

  OnlineEvaluator a(model), b(back);
  for (const auto& mu : random_points(p, 10, 43)) {
    for (const char* estimator : {"classical", "stable"}) {
      const auto x = a.evaluate(mu, -1, estimator), y = b.evaluate(mu, -1, estimator);
      CHECK(x.coefficients == y.coefficients);
      CHECK(x.outputs == y.outputs);
      CHECK(x.output_bounds == y.output_bounds);
      CHECK(x.error_bound == y.error_bound);
    }
  }

  {
    const auto file = kolmo::h5::File::open_serial(path, kolmo::h5::Access::read_only);
    CHECK(file.read_string_attribute("/", "kolmo_format") == "kolmo-reduced-model");
    CHECK(file.read_int_attribute("/", "kolmo_format_version") == 1);
    CHECK(!file.read_string_attribute("/", "kolmo_version").empty());
    CHECK(file.read_string_attribute("/", "created").size() == 20);
    CHECK(file.shape("/lhs/terms") == std::vector<hsize_t>{3, 5, 5});
  }

  // A model without the classical data still evaluates with the stable estimator only.
  model.residual.gram.resize(0, 0);
  write_reduced_model(model, path);
  OnlineEvaluator c(read_reduced_model(path));
  CHECK(c.evaluate(random_points(p, 1, 44)[0]).error_bound > 0);
  CHECK_THAT(input_error_of([&] { c.evaluate({0.5, 0.5, 0.5}, -1, "classical"); }),
             Catch::Contains("no data for the classical estimator"));
  std::filesystem::remove(path);
}

TEST_CASE("reading a file that is not a consistent reduced model is an InputError", "[rom][online]") {
  const std::string other = scratch("other.h5");
  {
    auto file = kolmo::h5::File::create_serial(other, true);
    file.write_doubles("/data", {3}, {1, 2, 3});
  }
  CHECK_THAT(input_error_of([&] { read_reduced_model(other); }),
             Catch::Contains(other) && Catch::Contains("not a Kolmo reduced model file"));
  CHECK_THAT(input_error_of([&] { read_reduced_model(scratch("missing.h5")); }),
             Catch::Contains("no such file"));

  const auto p = make_dense_problem(12, 51);
  const Eigen::MatrixXd v = solution_basis(p, random_points(p, 3, 52));
  const std::string path = scratch("bad.h5");
  write_reduced_model(make_reduced_model(p, v), path);
  {
    // Replace /rhs/terms by a dataset with one entry too many per term.
    auto file = kolmo::h5::File::open_serial(path, kolmo::h5::Access::read_write);
    REQUIRE(H5Ldelete(file.id(), "/rhs/terms", H5P_DEFAULT) >= 0);
    file.write_doubles("/rhs/terms", {2, 4}, std::vector<double>(8, 1.0));
    REQUIRE(H5Ldelete(file.id(), "/residual/gram", H5P_DEFAULT) >= 0);
    file.write_doubles("/residual/gram", {2, 2}, std::vector<double>(4, 1.0));
  }
  CHECK_THAT(input_error_of([&] { read_reduced_model(path); }),
             Catch::Contains(path + ": /rhs/terms: has shape [2, 4], expected [2, 3]"));
  {
    auto file = kolmo::h5::File::open_serial(path, kolmo::h5::Access::read_write);
    REQUIRE(H5Ldelete(file.id(), "/rhs/terms", H5P_DEFAULT) >= 0);
    file.write_doubles("/rhs/terms", {2, 3}, std::vector<double>(6, 1.0));
  }
  CHECK_THAT(input_error_of([&] { read_reduced_model(path); }),
             Catch::Contains(path + ": /residual/gram: has shape [2, 2], expected [11, 11]"));
  std::filesystem::remove(path);
  std::filesystem::remove(other);

  // An inconsistent model in memory is refused before anything is written.
  ReducedModel model = make_reduced_model(p, v);
  model.lhs.theta.pop_back();
  CHECK_THAT(input_error_of([&] { write_reduced_model(model, path); }),
             Catch::Contains("3 terms but 2 coefficient expressions"));
  CHECK(!std::filesystem::exists(path));
  CHECK_THAT(input_error_of([&] { OnlineEvaluator e(model); }),
             Catch::Contains("reduced model: the operator has 3 terms"));
}

TEST_CASE("a damaged model file fails its checksums instead of giving wrong answers", "[rom][online]") {
  const auto p = make_dense_problem(12, 71);
  ReducedModel model = make_reduced_model(p, solution_basis(p, random_points(p, 3, 72)));
  // Values with byte patterns found nowhere else in the file, to damage one dataset at a time.
  const double in_lhs = 1234.5678901234567, in_rhs = -8765.4321098765432;
  model.lhs.terms[0](0, 0) = in_lhs;
  model.rhs.terms[0](1) = in_rhs;
  const std::string path = scratch("damaged.h5");
  const auto damage = [&](double value) {
    write_reduced_model(model, path);
    std::FILE* f = std::fopen(path.c_str(), "r+b");
    REQUIRE(f != nullptr);
    std::vector<unsigned char> bytes(static_cast<std::size_t>(std::filesystem::file_size(path)));
    REQUIRE(std::fread(bytes.data(), 1, bytes.size(), f) == bytes.size());
    unsigned char pattern[sizeof(double)];
    std::memcpy(pattern, &value, sizeof value);
    const auto at = std::search(bytes.begin(), bytes.end(), std::begin(pattern), std::end(pattern));
    REQUIRE(at != bytes.end());
    // One bit of the lowest mantissa byte: a change no range check could see.
    std::fseek(f, static_cast<long>(at - bytes.begin()), SEEK_SET);
    std::fputc(*at ^ 1, f);
    std::fclose(f);
  };
  write_reduced_model(model, path);
  CHECK_NOTHROW(read_reduced_model(path));
  damage(in_lhs);
  CHECK_THAT(input_error_of([&] { read_reduced_model(path); }),
             Catch::Contains(path + ": /lhs/terms: its data fail their checksum"));
  damage(in_rhs);
  CHECK_THAT(input_error_of([&] { read_reduced_model(path); }),
             Catch::Contains(path + ": /rhs/terms: its data fail their checksum"));
  std::filesystem::remove(path);

  // A model with a non-finite number is refused when written (and would be when read).
  model.lhs.terms[1](0, 1) = std::numeric_limits<double>::infinity();
  CHECK_THAT(input_error_of([&] { write_reduced_model(model, path); }),
             Catch::Contains("the operator's term 1 holds a value that is not finite"));
  CHECK(!std::filesystem::exists(path));
}

TEST_CASE("bad queries are rejected with clear messages", "[rom][online]") {
  const auto p = make_dense_problem(12, 61);
  OnlineEvaluator evaluator(make_reduced_model(p, solution_basis(p, random_points(p, 3, 62))));
  CHECK(input_error_of([&] { evaluator.evaluate({0.5, 1.5, 0.5}); }) ==
        "mu: parameter 'mu2' = 1.5 is outside its range [0.1, 1]");
  OnlineResult result;
  CHECK(input_error_of([&] { evaluator.evaluate({0.05, 0.5, 0.5}, -1, "", result, "--mu"); }) ==
        "--mu: parameter 'mu1' = 0.05 is outside its range [0.1, 1]");
  CHECK_THAT(input_error_of([&] { evaluator.evaluate({0.5, 0.5}); }),
             Catch::Contains("expected 3 values"));
  CHECK_THAT(input_error_of([&] { evaluator.evaluate({0.5, 0.5, 0.5}, 4); }),
             Catch::Contains("basis size 4 is out of range: the model has sizes 1 to 3"));
  CHECK_THAT(input_error_of([&] { evaluator.evaluate({0.5, 0.5, 0.5}, 0); }),
             Catch::Contains("basis size 0"));
  CHECK_THAT(input_error_of([&] { evaluator.evaluate({0.5, 0.5, 0.5}, -1, "exact"); }),
             Catch::Contains("estimator 'exact' is neither classical nor stable"));
  CHECK_THAT(input_error_of([&] { evaluator.evaluate_batch({{0.5, 0.5, 0.5}, {0.5, 0.5, 2.0}}); }),
             Catch::Contains("point 1: parameter 'mu3' = 2 is outside its range"));
  ReducedModel bad = evaluator.model();
  bad.lhs.theta[0] = "mu1 +* 2";
  CHECK_THAT(input_error_of([&] { OnlineEvaluator e(bad); }), Catch::Contains("mu1 +* 2"));
  bad.lhs.theta[0] = "nu1";
  CHECK_THAT(input_error_of([&] { OnlineEvaluator e(bad); }), Catch::Contains("nu1"));
}

TEST_CASE("batch evaluation on threads equals sequential evaluation", "[rom][online]") {
  const auto p = make_dense_problem(30, 71);
  OnlineEvaluator evaluator(make_reduced_model(p, solution_basis(p, random_points(p, 6, 72))));
  const auto points = random_points(p, 257, 73);
  for (int size : {-1, 4}) {
    std::vector<OnlineResult> sequential;
    for (const auto& mu : points) sequential.push_back(evaluator.evaluate(mu, size, "classical"));
    for (int threads : {0, 1, 2, 3}) {
      const auto batch = evaluator.evaluate_batch(points, size, threads, "classical");
      REQUIRE(batch.size() == points.size());
      for (std::size_t i = 0; i < points.size(); ++i) {
        REQUIRE(batch[i].size == sequential[i].size);
        REQUIRE(batch[i].coefficients == sequential[i].coefficients);
        REQUIRE(batch[i].outputs == sequential[i].outputs);
        REQUIRE(batch[i].output_bounds == sequential[i].output_bounds);
        REQUIRE(batch[i].residual_dual_norm == sequential[i].residual_dual_norm);
        REQUIRE(batch[i].error_bound == sequential[i].error_bound);
      }
    }
  }
  CHECK(evaluator.evaluate_batch({}, -1, 2).empty());
}

TEST_CASE("the eigen_interval bound is the exact inf-sup constant of K - t M", "[rom][online]") {
  // A = K - t M with X = K + M: the generalized eigenvectors of (K, M) diagonalise both, so the
  // inf-sup constant in X is min_i |sigma_i - t| / (sigma_i + 1).
  const int n = 16;
  std::mt19937_64 rng(81);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  Eigen::MatrixXd b(n, n), c(n, n);
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < n; ++i) b(i, j) = uniform(rng), c(i, j) = uniform(rng);
  const Eigen::MatrixXd k = b * b.transpose() + 0.5 * Eigen::MatrixXd::Identity(n, n);
  const Eigen::MatrixXd m = c * c.transpose() / n + 0.5 * Eigen::MatrixXd::Identity(n, n);
  const Eigen::GeneralizedSelfAdjointEigenSolver<Eigen::MatrixXd> eig(k, m);
  const Eigen::VectorXd sigma = eig.eigenvalues();

  ReducedModel model;
  model.parameter_names = {"k2"};
  model.parameter_min = {0.0};
  model.parameter_max = {2.0 * sigma(n - 1)};
  model.parameter_scale = {"linear"};
  model.lhs.theta = {"1", "-k2"};
  model.lhs.terms = {Eigen::MatrixXd::Identity(2, 2), Eigen::MatrixXd::Identity(2, 2) * 0.1};
  model.rhs.theta = {"1"};
  model.rhs.terms = {Eigen::VectorXd::Ones(2)};
  model.residual.orthonormal = Eigen::MatrixXd::Identity(5, 5);
  model.stability.kind = "eigen_interval";
  model.stability.t_expression = "k2";
  model.stability.sigma.assign(sigma.data(), sigma.data() + n);
  model.stability.sigma_tail = std::numeric_limits<double>::infinity();
  OnlineEvaluator all(model);
  // Only the 5 smallest eigenvalues, with the 6th as the tail bound.
  model.stability.sigma.resize(5);
  model.stability.sigma_tail = sigma(5);
  OnlineEvaluator low(model);

  const Eigen::LLT<Eigen::MatrixXd> x(k + m);
  for (double t : {0.0, 0.5 * sigma(0), 0.5 * (sigma(2) + sigma(3)), sigma(4) * 1.01, sigma(10) * 0.99,
                   1.5 * sigma(n - 1)}) {
    // Exact inf-sup constant: smallest singular value of L^-1 A L^-T.
    const Eigen::MatrixXd li_a = x.matrixL().solve(Eigen::MatrixXd(k - t * m));
    const Eigen::MatrixXd s = x.matrixL().solve(li_a.transpose()).transpose();
    const double beta = Eigen::JacobiSVD<Eigen::MatrixXd>(s).singularValues().minCoeff();
    const double bound_all = all.evaluate({t}).stability_lower_bound;
    const double bound_low = low.evaluate({t}).stability_lower_bound;
    CHECK(std::abs(bound_all - beta) <= 1e-10 * std::max(beta, 1e-3));
    CHECK(bound_low <= beta * (1 + 1e-10));
    if (t < sigma(4)) CHECK(std::abs(bound_low - beta) <= 1e-10 * std::max(beta, 1e-3));
    if (t >= sigma(5)) CHECK(bound_low == 0.0);
  }
}

TEST_CASE("a non-affine rhs term adds its EIM estimate to the bounds and round-trips",
          "[rom][online][nonaffine]") {
  const auto p = make_dense_problem(20, 51);
  const Eigen::MatrixXd v = solution_basis(p, random_points(p, 4, 52));
  ReducedModel model = make_reduced_model(p, v);
  const ReducedModel affine = model;
  // A hand-made term: g(x, y; mu) = exp(mu1 x) + mu3 y, two magic points, two indicator points.
  NonaffineRhsTerm term;
  term.coordinates = {"x", "y"};
  term.function = "exp(mu1 * x) + mu3 * y";
  term.magic_points.resize(2, 2);
  term.magic_points << 0.0, 0.0, 1.0, 0.5;
  term.interpolation_matrix.resize(2, 2);
  term.interpolation_matrix << 1.0, 0.0, 0.25, 1.0;
  term.indicator_points.resize(2, 2);
  term.indicator_points << 0.5, 1.0, 0.25, 0.0;
  term.indicator_basis.resize(2, 2);
  term.indicator_basis << 0.5, -0.75, 0.125, 2.0;
  term.dual_norm_factor = 0.3;
  model.nonaffine_rhs = term;

  // The known answer, written out: beta from the triangular system, the residual at the
  // indicator points.
  auto eta = [](const std::vector<double>& mu) {
    auto g = [&](double x, double y) { return std::exp(mu[0] * x) + mu[2] * y; };
    const double beta0 = g(0.0, 0.0);
    const double beta1 = g(1.0, 0.5) - 0.25 * beta0;
    const double e0 = std::abs(g(0.5, 1.0) - (0.5 * beta0 - 0.75 * beta1));
    const double e1 = std::abs(g(0.25, 0.0) - (0.125 * beta0 + 2.0 * beta1));
    return 0.3 * std::max(e0, e1);
  };
  OnlineEvaluator with(model), without(affine);
  for (const auto& mu : random_points(p, 8, 53)) {
    const auto a = with.evaluate(mu), b = without.evaluate(mu);
    CHECK(a.rhs_error == Approx(eta(mu)).epsilon(1e-14));
    CHECK(b.rhs_error == 0.0);
    CHECK(a.coefficients == b.coefficients);
    CHECK(a.residual_dual_norm == b.residual_dual_norm);
    CHECK(b.error_bound == Approx(b.residual_dual_norm / b.stability_lower_bound).epsilon(1e-15));
    CHECK(a.error_bound ==
          Approx((a.residual_dual_norm + eta(mu)) / a.stability_lower_bound).epsilon(1e-14));
    // The compliant output loses its bound (s = f.u is not f_M.u); the other output's bound
    // follows the larger error bound.
    CHECK(std::isnan(a.output_bounds[0]));
    CHECK(a.output_bounds[1] == Approx(b.output_bounds[1] * a.error_bound / b.error_bound).epsilon(1e-13));
  }

  const std::string path = scratch("nonaffine.h5");
  write_reduced_model(model, path);
  {
    const auto file = kolmo::h5::File::open_serial(path, kolmo::h5::Access::read_only);
    CHECK(file.read_int_attribute("/", "kolmo_format_version") == 2);
    CHECK(file.read_string_attribute("/nonaffine_rhs", "function") == term.function);
  }
  const ReducedModel back = read_reduced_model(path);
  REQUIRE(back.nonaffine_rhs.has_value());
  CHECK(back.nonaffine_rhs->coordinates == term.coordinates);
  CHECK(back.nonaffine_rhs->function == term.function);
  CHECK(back.nonaffine_rhs->magic_points == term.magic_points);
  CHECK(back.nonaffine_rhs->interpolation_matrix == term.interpolation_matrix);
  CHECK(back.nonaffine_rhs->indicator_points == term.indicator_points);
  CHECK(back.nonaffine_rhs->indicator_basis == term.indicator_basis);
  CHECK(back.nonaffine_rhs->dual_norm_factor == term.dual_norm_factor);
  CHECK_FALSE(back.nonaffine_rhs->rhs_is_beta);
  OnlineEvaluator read(back);
  const std::vector<double> mu{0.3, 0.6, 0.9};
  CHECK(read.evaluate(mu).error_bound == with.evaluate(mu).error_bound);

  // Without the term the file keeps format version 1 (older readers still read it) and loads
  // without one.
  write_reduced_model(affine, path);
  {
    const auto file = kolmo::h5::File::open_serial(path, kolmo::h5::Access::read_only);
    CHECK(file.read_int_attribute("/", "kolmo_format_version") == 1);
    CHECK_FALSE(file.exists("/nonaffine_rhs"));
  }
  CHECK_FALSE(read_reduced_model(path).nonaffine_rhs.has_value());
  std::filesystem::remove(path);

  // Inconsistent terms are refused with the reason.
  ReducedModel bad = model;
  bad.nonaffine_rhs->indicator_points.resize(0, 2);
  bad.nonaffine_rhs->indicator_basis.resize(0, 2);
  CHECK_THAT(input_error_of([&] { OnlineEvaluator e(bad); }),
             Catch::Contains("indicator points are 0 x 2"));
  bad = model;
  bad.nonaffine_rhs->coordinates = {"x", "mu2"};
  CHECK_THAT(input_error_of([&] { OnlineEvaluator e(bad); }),
             Catch::Contains("coordinate 'mu2' is also a parameter name"));
  bad = model;
  bad.nonaffine_rhs->rhs_is_beta = true;  // 2 EIM terms, 2 rhs terms: consistent
  CHECK_NOTHROW(OnlineEvaluator(bad));
  bad.nonaffine_rhs->interpolation_matrix = Eigen::MatrixXd::Identity(3, 3);
  bad.nonaffine_rhs->magic_points = Eigen::MatrixXd::Zero(3, 2);
  bad.nonaffine_rhs->indicator_basis = Eigen::MatrixXd::Zero(2, 3);
  CHECK_THAT(input_error_of([&] { OnlineEvaluator e(bad); }),
             Catch::Contains("3 EIM coefficients as the rhs coefficients, but the rhs has 2 terms"));
  bad = model;
  bad.nonaffine_rhs->function = "exp(z)";
  CHECK_THAT(input_error_of([&] { OnlineEvaluator e(bad); }), Catch::Contains("z"));
}
