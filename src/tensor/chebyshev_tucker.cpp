#include "tensor/chebyshev_tucker.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <utility>

#include "core/exceptions.hpp"

namespace kolmo::tensor {

namespace {

constexpr const char* format_name = "kolmo.chebyshev_tucker";
constexpr std::int64_t format_version = 1;
constexpr const char* file_group = "/chebyshev_tucker";
// Points are evaluated in chunks so the P x m basis matrices stay small for any P.
constexpr Index evaluation_chunk = 8192;

TuckerOptions tucker_options(const ChebyshevTuckerOptions& options) {
  TuckerOptions t;
  t.eps = options.eps;
  t.max_ranks = options.max_ranks;
  t.kernel = options.kernel;
  return t;
}

void check_options(const ChebyshevTuckerOptions& options) {
  KOLMO_INPUT_CHECK(options.eps > 0.0 && std::isfinite(options.eps),
                    "Chebyshev-Tucker: eps must be > 0 and finite, got " << options.eps);
  KOLMO_INPUT_CHECK(options.chebyshev_tol >= 0.0 && std::isfinite(options.chebyshev_tol),
                    "Chebyshev-Tucker: chebyshev_tol must be >= 0, got " << options.chebyshev_tol);
}

ChebyshevOptions chebyshev_options(const ChebyshevTuckerOptions& options) {
  ChebyshevOptions c;
  c.tol = options.chebyshev_tol > 0.0 ? options.chebyshev_tol : options.eps / 20.0;
  c.min_points = options.min_points;
  c.max_points = options.max_points;
  c.max_total_points = options.max_total_points;
  c.points = options.points;
  return c;
}

// Zero rows appended so that a factor has m rows (a series of lower degree padded with zeros).
Eigen::MatrixXd padded(const Eigen::MatrixXd& f, Index m) {
  Eigen::MatrixXd p = Eigen::MatrixXd::Zero(m, f.cols());
  p.topRows(f.rows()) = f;
  return p;
}

void check_points_in_box(const Box& box, const Eigen::MatrixXd& points) {
  for (Index p = 0; p < points.cols(); ++p) {
    if (box.contains(std::span<const double>(points.col(p).data(), static_cast<std::size_t>(points.rows()))))
      continue;
    std::ostringstream message;
    message << "Chebyshev-Tucker evaluation at (";
    for (Index l = 0; l < points.rows(); ++l) message << (l ? ", " : "") << points(l, p);
    message << "), outside the box";
    throw Exception(message.str());
  }
}

}  // namespace

Eigen::VectorXd CpFunction::evaluate(const Eigen::MatrixXd& points) const {
  KOLMO_CHECK(points.rows() == dims, "CpFunction: points of dimension " << points.rows()
                                                                        << " for dims " << dims);
  // Chunks of points keep the P x R intermediates small for many terms.
  constexpr Index chunk = 1024;
  Eigen::VectorXd result(points.cols());
  Eigen::MatrixXd product, values;
  for (Index start = 0; start < points.cols(); start += chunk) {
    const Index count = std::min(chunk, points.cols() - start);
    product.setOnes(count, terms());
    values.resize(count, terms());
    for (int l = 0; l < dims; ++l) {
      factors(l, points.row(l).segment(start, count).transpose(), values);
      product.array() *= values.array();
    }
    result.segment(start, count) = product * weights;
  }
  return result;
}

CpFunction CpFunction::from_terms(Eigen::VectorXd weights,
                                  std::vector<std::vector<std::function<double(double)>>> terms) {
  KOLMO_CHECK(static_cast<Index>(terms.size()) == weights.size(),
              "CpFunction: " << terms.size() << " terms for " << weights.size() << " weights");
  KOLMO_CHECK(!terms.empty(), "CpFunction: no terms");
  const auto d = terms.front().size();
  for (const auto& t : terms) KOLMO_CHECK(t.size() == d, "CpFunction: terms of different dimension");
  CpFunction f;
  f.dims = static_cast<int>(d);
  f.weights = std::move(weights);
  f.factors = [terms = std::move(terms)](int l, const Eigen::VectorXd& x, Eigen::MatrixXd& values) {
    for (std::size_t nu = 0; nu < terms.size(); ++nu)
      for (Index i = 0; i < x.size(); ++i)
        values(i, static_cast<Index>(nu)) = terms[nu][static_cast<std::size_t>(l)](x[i]);
  };
  return f;
}

ChebyshevTucker::ChebyshevTucker(Box box, TuckerTensor coefficients)
    : box_(std::move(box)), coefficients_(std::move(coefficients)) {
  coefficients_.validate();
  KOLMO_CHECK(coefficients_.order() == box_.dims(),
              "Chebyshev-Tucker: a tensor of order " << coefficients_.order()
                                                     << " for a box of dimension " << box_.dims());
}

ChebyshevTucker ChebyshevTucker::from_function(const BatchFunction& f, const Box& box,
                                               const ChebyshevTuckerOptions& options,
                                               ChebyshevTuckerReport* report) {
  check_options(options);
  ChebyshevTuckerReport local;
  ChebyshevTuckerReport& rep = report ? *report : local;
  const ChebyshevInterpolant interpolant =
      ChebyshevInterpolant::interpolate(f, box, chebyshev_options(options), &rep.chebyshev);
  return from_interpolant(interpolant, options, &rep.hosvd);
}

ChebyshevTucker ChebyshevTucker::from_interpolant(const ChebyshevInterpolant& interpolant,
                                                  const ChebyshevTuckerOptions& options,
                                                  HosvdReport* report) {
  check_options(options);
  return ChebyshevTucker(interpolant.box(),
                         st_hosvd(interpolant.coefficients(), tucker_options(options), report));
}

ChebyshevTucker ChebyshevTucker::from_values(const Box& box, const DenseTensor& values,
                                             const ChebyshevTuckerOptions& options,
                                             HosvdReport* report) {
  return from_interpolant(ChebyshevInterpolant::from_values(box, values), options, report);
}

ChebyshevTucker ChebyshevTucker::from_cp(const CpFunction& f, const Box& box,
                                         const ChebyshevTuckerOptions& options,
                                         ChebyshevTuckerReport* report) {
  check_options(options);
  const int d = box.dims();
  KOLMO_INPUT_CHECK(f.dims == d, "Chebyshev-Tucker: a CP function of dimension "
                                     << f.dims << " on a box of dimension " << d);
  KOLMO_INPUT_CHECK(f.terms() > 0 && static_cast<bool>(f.factors),
                    "Chebyshev-Tucker: the CP function has no terms");
  KOLMO_INPUT_CHECK(f.weights.allFinite(), "Chebyshev-Tucker: CP weights must be finite");
  const ChebyshevOptions copt = chebyshev_options(options);
  KOLMO_INPUT_CHECK(copt.min_points >= 2 && copt.max_points >= copt.min_points,
                    "Chebyshev-Tucker: need 2 <= min_points <= max_points");
  ChebyshevTuckerReport local;
  ChebyshevTuckerReport& rep = report ? *report : local;
  rep = ChebyshevTuckerReport{};
  const Index big_r = f.terms();

  Dims m(static_cast<std::size_t>(d), copt.min_points);
  const bool fixed = !copt.points.empty();
  if (fixed) {
    KOLMO_INPUT_CHECK(copt.points.size() == 1 || static_cast<int>(copt.points.size()) == d,
                      "Chebyshev-Tucker: " << copt.points.size() << " node counts for dimension "
                                           << d);
    for (int l = 0; l < d; ++l) {
      m[static_cast<std::size_t>(l)] = copt.points.size() == 1 ? copt.points[0] : copt.points[static_cast<std::size_t>(l)];
      KOLMO_INPUT_CHECK(m[static_cast<std::size_t>(l)] >= 1, "Chebyshev-Tucker: node counts must be >= 1");
    }
  }

  // Per dimension: the terms' coefficient vectors (m_l x R) and their largest node values.
  std::vector<Eigen::MatrixXd> coefficients(static_cast<std::size_t>(d));
  std::vector<Eigen::VectorXd> amplitude(static_cast<std::size_t>(d));
  std::vector<Eigen::VectorXd> profiles(static_cast<std::size_t>(d));
  double largest_term = 0.0;
  bool converged = true;
  for (;;) {
    for (int l = 0; l < d; ++l) {
      const auto ul = static_cast<std::size_t>(l);
      const Eigen::VectorXd nodes = chebyshev_points(m[ul], box.lower(l), box.upper(l));
      Eigen::MatrixXd values = Eigen::MatrixXd::Zero(m[ul], big_r);
      f.factors(l, nodes, values);
      KOLMO_CHECK(values.rows() == m[ul] && values.cols() == big_r,
                  "CpFunction::factors resized its value matrix");
      rep.chebyshev.evaluations += values.size();
      for (Index nu = 0; nu < big_r; ++nu)
        for (Index i = 0; i < m[ul]; ++i)
          KOLMO_INPUT_CHECK(std::isfinite(values(i, nu)),
                            "Chebyshev-Tucker: factor " << nu << " of dimension " << l << " at "
                                                        << nodes[i] << " is not finite ("
                                                        << values(i, nu) << ")");
      amplitude[ul] = values.cwiseAbs().colwise().maxCoeff().transpose();
      coefficients[ul] = chebyshev_coefficients(values);
    }
    // The size of each term on the box, so that a term contributes to the decay test in
    // proportion to its weight in f rather than relative to itself.
    Eigen::VectorXd size = f.weights.cwiseAbs();
    for (int l = 0; l < d; ++l) size = size.cwiseProduct(amplitude[static_cast<std::size_t>(l)]);
    largest_term = size.size() ? size.maxCoeff() : 0.0;
    Dims next = m;
    bool grow = false, blocked = false;
    for (int l = 0; l < d; ++l) {
      const auto ul = static_cast<std::size_t>(l);
      Eigen::VectorXd scale(big_r);
      for (Index nu = 0; nu < big_r; ++nu)
        scale[nu] = amplitude[ul][nu] > 0.0 ? size[nu] / amplitude[ul][nu] : 0.0;
      profiles[ul] = (coefficients[ul].cwiseAbs() * scale.asDiagonal()).rowwise().maxCoeff();
      if (fixed || largest_term <= 0.0) continue;
      const Index tail = std::min(m[ul], std::max<Index>(2, m[ul] / 8));
      if (profiles[ul].tail(tail).maxCoeff() <= copt.tol * largest_term) continue;
      if (m[ul] >= copt.max_points) {
        blocked = true;
        continue;
      }
      next[ul] = std::min(2 * m[ul] - 1, copt.max_points);
      grow = true;
    }
    if (!grow) {
      converged = !blocked;
      break;
    }
    m = next;
  }
  rep.chebyshev.sampled_points = m;
  rep.chebyshev.converged = converged;

  CpTensor cp;
  cp.weights = f.weights;
  for (int l = 0; l < d; ++l) {
    const auto ul = static_cast<std::size_t>(l);
    Index keep = m[ul];
    if (!fixed && largest_term > 0.0)
      while (keep > 1 && profiles[ul][keep - 1] <= copt.tol * largest_term) --keep;
    rep.chebyshev.points.push_back(keep);
    rep.chebyshev.tail.push_back(largest_term > 0.0 ? profiles[ul].tail(std::min<Index>(2, keep)).maxCoeff() / largest_term : 0.0);
    cp.factors.push_back(coefficients[ul].topRows(keep));
  }
  return ChebyshevTucker(box, rhosvd(cp, tucker_options(options), &rep.hosvd));
}

double ChebyshevTucker::operator()(std::span<const double> x) const {
  KOLMO_CHECK(static_cast<int>(x.size()) == dims(),
              "a point of dimension " << x.size() << " for a box of dimension " << dims());
  const Eigen::MatrixXd p = Eigen::Map<const Eigen::VectorXd>(x.data(), static_cast<Index>(x.size()));
  return evaluate(p)[0];
}

Eigen::VectorXd ChebyshevTucker::evaluate(const Eigen::MatrixXd& points) const {
  KOLMO_CHECK(points.rows() == dims(),
              "points of dimension " << points.rows() << " for a box of dimension " << dims());
  check_points_in_box(box_, points);
  Eigen::VectorXd values(points.cols());
  std::vector<Eigen::MatrixXd> rows(static_cast<std::size_t>(dims()));
  for (Index start = 0; start < points.cols(); start += evaluation_chunk) {
    const Index count = std::min(evaluation_chunk, points.cols() - start);
    for (int l = 0; l < dims(); ++l) {
      const auto& f = coefficients_.factors[static_cast<std::size_t>(l)];
      rows[static_cast<std::size_t>(l)].noalias() =
          chebyshev_basis(f.rows(), points.row(l).segment(start, count).transpose(),
                          box_.lower(l), box_.upper(l)) *
          f;
    }
    values.segment(start, count) = contract_rows(coefficients_.core, rows);
  }
  return values;
}

std::vector<Eigen::MatrixXd> ChebyshevTucker::grid_factors(
    const std::vector<Eigen::VectorXd>& grid) const {
  KOLMO_CHECK(static_cast<int>(grid.size()) == dims(),
              "a grid of dimension " << grid.size() << " for a box of dimension " << dims());
  std::vector<Eigen::MatrixXd> factors;
  for (int l = 0; l < dims(); ++l) {
    const auto& g = grid[static_cast<std::size_t>(l)];
    const double pad = 1e-12 * box_.width(l);
    KOLMO_CHECK(g.size() == 0 || (g.minCoeff() >= box_.lower(l) - pad && g.maxCoeff() <= box_.upper(l) + pad),
                "grid coordinate " << l << " leaves the box [" << box_.lower(l) << ", "
                                   << box_.upper(l) << "]");
    const auto& f = coefficients_.factors[static_cast<std::size_t>(l)];
    factors.push_back(chebyshev_basis(f.rows(), g, box_.lower(l), box_.upper(l)) * f);
  }
  return factors;
}

TuckerTensor ChebyshevTucker::on_grid(const std::vector<Eigen::VectorXd>& grid) const {
  return TuckerTensor{coefficients_.core, grid_factors(grid)};
}

DenseTensor ChebyshevTucker::full_grid(const std::vector<Eigen::VectorXd>& grid) const {
  return on_grid(grid).full();
}

double ChebyshevTucker::integral() const {
  std::vector<Eigen::MatrixXd> rows;
  for (int l = 0; l < dims(); ++l) {
    const auto& f = coefficients_.factors[static_cast<std::size_t>(l)];
    rows.push_back(chebyshev_integrals(f.rows(), box_.lower(l), box_.upper(l)).transpose() * f);
  }
  return contract_rows(coefficients_.core, rows)[0];
}

ChebyshevTucker ChebyshevTucker::derivative(int l) const {
  KOLMO_CHECK(l >= 0 && l < dims(), "derivative: dimension " << l << " of " << dims());
  TuckerTensor t = coefficients_;
  auto& f = t.factors[static_cast<std::size_t>(l)];
  f = chebyshev_derivative(f, box_.lower(l), box_.upper(l));
  return ChebyshevTucker(box_, std::move(t));
}

ChebyshevInterpolant ChebyshevTucker::to_interpolant() const {
  return ChebyshevInterpolant(box_, coefficients_.full());
}

ChebyshevTucker ChebyshevTucker::scaled(double alpha) const {
  TuckerTensor t = coefficients_;
  t.core *= alpha;
  return ChebyshevTucker(box_, std::move(t));
}

void ChebyshevTucker::save(h5::File& file, const std::string& group) const {
  save_tucker(file, group, coefficients_);
  file.write_attribute(group, "format", std::string(format_name));
  file.write_attribute(group, "format_version", format_version);
  file.write_attribute(group, "lower", box_.lower());
  file.write_attribute(group, "upper", box_.upper());
}

ChebyshevTucker ChebyshevTucker::load(const h5::File& file, const std::string& group) {
  KOLMO_INPUT_CHECK(file.exists(group),
                    file.path() << ": no Chebyshev-Tucker tensor at '" << group << "'");
  KOLMO_INPUT_CHECK(file.has_attribute(group, "format") &&
                        file.read_string_attribute(group, "format") == format_name,
                    file.path() << ": " << group << " is not a " << format_name << " group");
  const std::int64_t version = file.read_int_attribute(group, "format_version");
  KOLMO_INPUT_CHECK(version == format_version, file.path() << ": " << group << ": format version "
                                                            << version << " (this build reads "
                                                            << format_version << ")");
  Box box(file.read_doubles_attribute(group, "lower"), file.read_doubles_attribute(group, "upper"));
  TuckerTensor t = load_tucker(file, group);
  KOLMO_INPUT_CHECK(t.order() == box.dims(), file.path() << ": " << group << ": a tensor of order "
                                                          << t.order() << " on a box of dimension "
                                                          << box.dims());
  return ChebyshevTucker(std::move(box), std::move(t));
}

void ChebyshevTucker::save(const std::string& path) const {
  h5::File file = h5::File::create_serial(path, true);
  save(file, file_group);
  file.close();
}

ChebyshevTucker ChebyshevTucker::load(const std::string& path) {
  const h5::File file = h5::File::open_serial(path, h5::Access::read_only);
  return load(file, file_group);
}

ChebyshevTucker add(const ChebyshevTucker& a, const ChebyshevTucker& b, double eps, double alpha,
                    double beta) {
  KOLMO_CHECK(a.box() == b.box(), "adding Chebyshev-Tucker tensors on different boxes");
  TuckerTensor ta = a.tucker(), tb = b.tucker();
  for (int l = 0; l < a.dims(); ++l) {
    const auto ul = static_cast<std::size_t>(l);
    const Index m = std::max(ta.factors[ul].rows(), tb.factors[ul].rows());
    ta.factors[ul] = padded(ta.factors[ul], m);
    tb.factors[ul] = padded(tb.factors[ul], m);
  }
  TuckerOptions options;
  options.eps = eps;
  return ChebyshevTucker(a.box(), recompress(tucker_sum(ta, tb, alpha, beta), options));
}

ChebyshevTucker hadamard(const ChebyshevTucker& a, const ChebyshevTucker& b, double eps) {
  KOLMO_CHECK(a.box() == b.box(), "multiplying Chebyshev-Tucker tensors on different boxes");
  KOLMO_INPUT_CHECK(eps > 0.0 && std::isfinite(eps), "hadamard: eps must be > 0, got " << eps);
  const Box& box = a.box();
  const int d = a.dims();
  TuckerTensor product;
  for (int l = 0; l < d; ++l) {
    const auto ul = static_cast<std::size_t>(l);
    const auto& fa = a.tucker().factors[ul];
    const auto& fb = b.tucker().factors[ul];
    // The product of degrees m_a - 1 and m_b - 1 is interpolated exactly at m_a + m_b - 1 nodes.
    const Index m = fa.rows() + fb.rows() - 1;
    const Eigen::VectorXd nodes = chebyshev_points(m, box.lower(l), box.upper(l));
    const Eigen::MatrixXd va = chebyshev_basis(fa.rows(), nodes, box.lower(l), box.upper(l)) * fa;
    const Eigen::MatrixXd vb = chebyshev_basis(fb.rows(), nodes, box.lower(l), box.upper(l)) * fb;
    Eigen::MatrixXd values(m, va.cols() * vb.cols());
    for (Index j = 0; j < vb.cols(); ++j)
      values.middleCols(j * va.cols(), va.cols()) = (va.array().colwise() * vb.col(j).array()).matrix();
    product.factors.push_back(chebyshev_coefficients(values));
  }
  product.core = kronecker(a.tucker().core, b.tucker().core);
  TuckerOptions options;
  options.eps = 0.7 * eps;
  TuckerTensor t = recompress(product, options);
  // Orthonormal factors: zeroing trailing rows E of F_l changes the tensor by at most
  // ||E F_l||_F ||G||, so each dimension may drop rows of total squared norm (0.3 eps / d)^2.
  const double budget = std::pow(0.3 * eps / d, 2);
  for (auto& f : t.factors) {
    Index keep = f.rows();
    double dropped = 0.0;
    while (keep > 1 && dropped + f.row(keep - 1).squaredNorm() <= budget) {
      dropped += f.row(keep - 1).squaredNorm();
      --keep;
    }
    f = Eigen::MatrixXd(f.topRows(keep));
  }
  return ChebyshevTucker(box, std::move(t));
}

}  // namespace kolmo::tensor
