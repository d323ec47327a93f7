#include "operators/gaussian.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <sstream>

#include "core/error.hpp"
#include "operators/element_kernels.hpp"
#include "operators/settings_reader.hpp"

namespace kolmo::operators {
namespace {

// The checks shared by the reader (which reports them at a key) and the constructor (which may
// get settings built in code); each returns "" when the settings pass.
std::string cells_problem(const GaussianSettings& s) {
  std::ostringstream message;
  if (s.cells[0] < 1 || s.cells[1] < 1)
    message << "cells must be positive, got [" << s.cells[0] << ", " << s.cells[1] << "]";
  return message.str();
}

std::string center_problem(const std::array<std::string, 2>& center, const ParameterSpace& space) {
  std::ostringstream message;
  if (center[0].empty() && center[1].empty()) {
    if (space.dimension() < 2)
      message << "the centre of the Gaussian needs two parameters, but there "
              << (space.dimension() == 1 ? "is " : "are ") << space.dimension()
              << (space.dimension() == 1 ? " parameter" : " parameters")
              << "; declare two, or name them in 'center: [px, py]'";
    return message.str();
  }
  for (const auto& name : center) {
    if (!space.index_of(name)) {
      message << "'" << name << "' is not a parameter (parameters: "
              << (space.dimension() ? join(space.names()) : std::string("none")) << ")";
      return message.str();
    }
  }
  if (center[0] == center[1])
    message << "the centre's x and y must be two different parameters, got '" << center[0]
            << "' twice";
  return message.str();
}

std::string width_problem(double width) {
  std::ostringstream message;
  if (!(width > 0)) message << "the width s must be positive, got " << width;
  return message.str();
}

std::string eim_problem(const GaussianEimSettings& e) {
  std::ostringstream message;
  if (!(e.tolerance >= 0))
    message << "eim.tolerance must be non-negative, got " << e.tolerance;
  else if (e.max_terms < 1)
    message << "eim.max_terms must be at least 1, got " << e.max_terms;
  else if (e.training < 2)
    message << "eim.training must be at least 2 (points per centre parameter), got " << e.training;
  else if (e.indicator_points < 0)
    message << "eim.indicator_points must be non-negative, got " << e.indicator_points;
  return message.str();
}

// A number at full precision for expressions (shortest form that reads back exactly is not
// needed: 17 significant digits round-trip).
std::string number(double value) {
  std::ostringstream text;
  text.precision(17);
  text << value;
  return text.str();
}

GridSpec checked_spec(const GaussianSettings& s, const ParameterSpace& space) {
  std::string problem = cells_problem(s);
  if (problem.empty()) problem = center_problem(s.center, space);
  if (problem.empty()) problem = width_problem(s.width);
  if (problem.empty()) problem = eim_problem(s.eim);
  KOLMO_INPUT_CHECK(problem.empty(), "gaussian: " << problem);
  GridSpec spec;
  spec.cells_x = s.cells[0];
  spec.cells_y = s.cells[1];
  return spec;
}

}  // namespace

GaussianSettings read_gaussian_settings(const ConfigNode& problem, const ParameterSpace& space) {
  GaussianSettings s;
  MapReader reader(problem);
  reader.allow("type");
  s.cells = read_cells(reader, "cells", s.cells);
  if (reader.has("center")) {
    const ConfigNode node = reader.child("center");
    const auto names = node.as<std::vector<std::string>>();
    if (names.size() != 2) {
      std::ostringstream message;
      message << "expected a list [px, py] of two parameter names, got " << names.size()
              << (names.size() == 1 ? " value" : " values");
      node.fail(message.str());
    }
    s.center = {names[0], names[1]};
    if (const std::string p = center_problem(s.center, space); !p.empty()) node.fail(p);
  } else {
    reader.allow("center");
    if (const std::string p = center_problem(s.center, space); !p.empty()) reader.node().fail(p);
  }
  if (reader.has("width")) {
    s.width = reader.optional<double>("width", s.width);
    if (const std::string p = width_problem(s.width); !p.empty()) reader.child("width").fail(p);
  } else {
    reader.allow("width");
  }
  if (reader.has("eim")) {
    MapReader eim(reader.child("eim"));
    auto checked = [&](const std::string& key, auto value, const std::string& p) {
      if (!p.empty()) eim.child(key).fail(p);
      return value;
    };
    if (eim.has("tolerance")) {
      const double t = eim.optional<double>("tolerance", s.eim.tolerance);
      std::ostringstream p;
      if (!(t >= 0)) p << "the tolerance must be non-negative, got " << t;
      s.eim.tolerance = checked("tolerance", t, p.str());
    }
    if (eim.has("max_terms")) {
      const int m = eim.optional<int>("max_terms", s.eim.max_terms);
      std::ostringstream p;
      if (m < 1) p << "max_terms must be at least 1, got " << m;
      s.eim.max_terms = checked("max_terms", m, p.str());
    }
    s.eim.norm = parse_eim_norm(eim.choice("norm", {"max", "l2"}, to_string(s.eim.norm)));
    if (eim.has("training")) {
      const std::size_t n = eim.optional<std::size_t>("training", s.eim.training);
      std::ostringstream p;
      if (n < 2) p << "training must be at least 2 (grid points per centre parameter), got " << n;
      s.eim.training = checked("training", n, p.str());
    }
    if (eim.has("indicator_points")) {
      const int k = eim.optional<int>("indicator_points", s.eim.indicator_points);
      std::ostringstream p;
      // The reduced model's error bound rests on the indicator, so it needs at least one point.
      if (k < 1) p << "indicator_points must be at least 1 (the error bound uses them), got " << k;
      s.eim.indicator_points = checked("indicator_points", k, p.str());
    }
    eim.allow("indicator_points");
    eim.allow("tolerance");
    eim.allow("max_terms");
    eim.allow("training");
    eim.reject_unknown_keys();
  } else {
    reader.allow("eim");
  }
  reader.reject_unknown_keys();
  return s;
}

GaussianProblem::GaussianProblem(MPI_Comm comm, const ParameterSpace& space,
                                 GaussianSettings settings)
    : GridProblem(comm, space, checked_spec(settings, space), {"u"}), settings_(std::move(settings)) {
  if (settings_.center[0].empty()) settings_.center = {space_.parameter(0).name, space_.parameter(1).name};
  center_x_ = *space_.index_of(settings_.center[0]);
  center_y_ = *space_.index_of(settings_.center[1]);

  MatHandle stiffness = grid_.assemble_matrix(
      [](PetscInt, PetscInt, std::span<const QuadraturePoint> points, std::span<double> ke) {
        add_stiffness(points, 1.0, ke);
      });
  mark_symmetric(stiffness);
  inner_product_ = copy_matrix(stiffness);
  mark_symmetric(inner_product_);
  lhs_.add_term(std::move(stiffness), Coefficient::constant(1.0), "K");
  reference_theta_ = {1.0};

  // The quadrature points of this rank's elements, numbered (element, point) so that the ids do
  // not depend on the distribution. The grid hands them out only to its assembly callbacks.
  const PetscInt cells_x = settings_.cells[0];
  element_offset_.assign(static_cast<std::size_t>(cells_x * settings_.cells[1]), -1);
  PointSet points;
  points.dimension = 2;
  grid_.assemble_vector(
      [&](PetscInt ex, PetscInt ey, std::span<const QuadraturePoint> quadrature, std::span<double>) {
        const std::int64_t element = static_cast<std::int64_t>(ey) * cells_x + ex;
        element_offset_[static_cast<std::size_t>(element)] = static_cast<std::int64_t>(points.size());
        for (std::size_t k = 0; k < quadrature.size(); ++k) {
          points.coordinates.push_back(quadrature[k].x);
          points.coordinates.push_back(quadrature[k].y);
          points.weights.push_back(quadrature[k].weight);
          points.ids.push_back(element * static_cast<std::int64_t>(quadrature.size()) +
                               static_cast<std::int64_t>(k));
        }
      });

  // Training: a tensor grid over the centre's two parameters, the others at mid-range (g does
  // not depend on them).
  const std::size_t n = settings_.eim.training;
  std::vector<Mu> training;
  std::vector<double> unit(space_.dimension(), 0.5);
  for (std::size_t j = 0; j < n; ++j)
    for (std::size_t i = 0; i < n; ++i) {
      unit[center_x_] = static_cast<double>(i) / static_cast<double>(n - 1);
      unit[center_y_] = static_cast<double>(j) / static_cast<double>(n - 1);
      training.push_back(space_.from_unit(unit));
    }
  EimOptions options;
  options.norm = settings_.eim.norm;
  options.tolerance = settings_.eim.tolerance;
  options.max_terms = settings_.eim.max_terms;
  options.indicator_points = settings_.eim.indicator_points;
  const double s = settings_.width;
  const std::size_t cx = center_x_, cy = center_y_;
  eim_ = std::make_shared<const EimFunction>(
      comm, std::move(points),
      [s, cx, cy](std::span<const double> x, const Mu& mu) {
        const double dx = x[0] - mu[cx], dy = x[1] - mu[cy];
        return std::exp(-(dx * dx + dy * dy) / s);
      },
      std::move(training), options);

  // The rhs terms: the load of each basis function, with beta_m(mu) as coefficient. Its text is
  // beta_m(mu) = sum_{j <= m} (B^-1)_mj g(x_j; mu) written out as an expression.
  const auto& interpolation = eim_->interpolation();
  const int m_terms = eim_->size();
  const Eigen::MatrixXd inverse =
      interpolation.interpolation_matrix().triangularView<Eigen::UnitLower>().solve(
          Eigen::MatrixXd::Identity(m_terms, m_terms));
  const Eigen::MatrixXd& magic = eim_->magic_points();
  const std::string& px = settings_.center[0];
  const std::string& py = settings_.center[1];
  for (int m = 0; m < m_terms; ++m) {
    std::ostringstream text;
    for (int j = 0; j <= m; ++j) {
      const double c = inverse(m, j);
      if (c == 0.0) continue;
      if (text.tellp() > 0) text << (c < 0 ? " - " : " + ");
      else if (c < 0) text << "-";
      text << number(std::abs(c)) << "*exp(-((" << number(magic(j, 0)) << " - " << px << ")^2 + ("
           << number(magic(j, 1)) << " - " << py << ")^2)/" << number(s) << ")";
    }
    if (text.tellp() == 0) text << "0";
    const std::shared_ptr<const EimFunction> eim = eim_;
    Coefficient beta([eim, m](const Mu& mu) { return eim->coefficients(mu)(m); }, text.str());
    const Eigen::VectorXd column = interpolation.local_basis().col(m);
    std::ostringstream name;
    name << "eim_beta_" << m;
    rhs_.add_term(load_of(std::span<const double>(column.data(), static_cast<std::size_t>(column.size()))),
                  std::move(beta), name.str());
  }

  VecHandle mean = grid_.assemble_vector(
      [](PetscInt, PetscInt, std::span<const QuadraturePoint> quadrature, std::span<double> fe) {
        add_load(quadrature, [](double, double) { return 1.0; }, fe);
      });
  OutputFunctional output{"mean", AffineVector(comm)};
  output.functional.add_term(std::move(mean), Coefficient::constant(1.0), "mean");
  outputs_.push_back(std::move(output));

  stability_ = Stability::parametrically_coercive;
  symmetric_ = true;
  compliant_ = false;
}

double GaussianProblem::source(double x, double y, const Mu& mu) const {
  const double dx = x - mu.at(center_x_), dy = y - mu.at(center_y_);
  return std::exp(-(dx * dx + dy * dy) / settings_.width);
}

VecHandle GaussianProblem::load_of(std::span<const double> local_values) const {
  KOLMO_CHECK(local_values.size() == eim_->points().size(),
              "gaussian: " << local_values.size() << " values for " << eim_->points().size()
                           << " local quadrature points");
  const PetscInt cells_x = settings_.cells[0];
  return grid_.assemble_vector(
      [&](PetscInt ex, PetscInt ey, std::span<const QuadraturePoint> quadrature, std::span<double> fe) {
        const std::int64_t offset =
            element_offset_[static_cast<std::size_t>(static_cast<std::int64_t>(ey) * cells_x + ex)];
        for (std::size_t k = 0; k < quadrature.size(); ++k) {
          const double value = local_values[static_cast<std::size_t>(offset) + k];
          for (int a = 0; a < 4; ++a) fe[a] += quadrature[k].weight * value * quadrature[k].phi[a];
        }
      });
}

void GaussianProblem::assemble_rhs(const Mu& mu, Vec out) const {
  VecHandle load = grid_.assemble_vector(
      [&](PetscInt, PetscInt, std::span<const QuadraturePoint> quadrature, std::span<double> fe) {
        add_load(quadrature, [&](double x, double y) { return source(x, y, mu); }, fe);
      });
  KOLMO_PETSC_CALL(VecCopy(load, out));
}

double GaussianProblem::rhs_dual_norm_factor() const {
  const GridSpec& spec = grid_.spec();
  const double a = spec.x1 - spec.x0, b = spec.y1 - spec.y0;
  const double pi = std::numbers::pi;
  const double lambda = pi * pi * (1.0 / (a * a) + 1.0 / (b * b));
  return std::sqrt(a * b / lambda);
}

double GaussianProblem::rhs_error_estimate(const Mu& mu) const {
  return rhs_dual_norm_factor() * eim_->error_indicator(mu);
}

std::optional<NonaffineRhsError> GaussianProblem::rhs_eim_error() const {
  NonaffineRhsError e;
  const auto& names = space_.names();
  auto is_parameter = [&](const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  for (std::string name : {"x", "y"}) {
    while (is_parameter(name)) name += "_";
    e.coordinates.push_back(name);
  }
  // The same operations in the same order as source(), so that both round alike.
  std::ostringstream text;
  text << "exp(-((" << e.coordinates[0] << " - " << settings_.center[0] << ")^2 + ("
       << e.coordinates[1] << " - " << settings_.center[1] << ")^2) / " << number(settings_.width)
       << ")";
  e.function = text.str();
  const EmpiricalInterpolation& interpolation = eim_->interpolation();
  e.magic_points = eim_->magic_points();
  e.interpolation_matrix = interpolation.interpolation_matrix();
  e.indicator_points = eim_->indicator_points();
  e.indicator_basis = interpolation.indicator_basis();
  e.dual_norm_factor = rhs_dual_norm_factor();
  e.rhs_is_beta = true;  // the rhs terms are the loads of q_m with coefficients beta_m
  return e;
}

std::unique_ptr<ParametrizedProblem> make_gaussian(MPI_Comm comm, const CaseFile& c) {
  return std::make_unique<GaussianProblem>(
      comm, c.parameters, read_gaussian_settings(c.problem.settings, c.parameters));
}

}  // namespace kolmo::operators
