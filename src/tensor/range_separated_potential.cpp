#include "tensor/range_separated_potential.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <utility>

#include "core/exceptions.hpp"
#include "core/hdf5_file.hpp"
#include "core/text.hpp"

namespace kolmo::tensor {

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::vector<std::string> split_fields(std::string_view line) {
  std::vector<std::string> fields;
  std::string current;
  for (const char c : line) {
    if (c == ',' || c == ' ' || c == '\t' || c == ';') {
      if (!current.empty()) fields.push_back(std::move(current));
      current.clear();
    } else {
      current.push_back(c);
    }
  }
  if (!current.empty()) fields.push_back(std::move(current));
  return fields;
}

ParticleSet read_csv(const std::string& path) {
  std::ifstream in(path);
  KOLMO_INPUT_CHECK(in.good(), path << ": cannot open the particle file (no such file or not readable)");
  std::vector<double> values;
  std::string line;
  int number = 0;
  bool first_data = true;
  while (std::getline(in, line)) {
    ++number;
    const std::string_view text = trim(line);
    if (text.empty() || text.front() == '#') continue;
    const std::vector<std::string> fields = split_fields(text);
    std::vector<double> row;
    bool numeric = true;
    for (const auto& f : fields) {
      const auto v = parse_double(f);
      if (!v) {
        numeric = false;
        break;
      }
      row.push_back(*v);
    }
    // A first line of names is a header.
    if (!numeric && first_data) {
      first_data = false;
      KOLMO_INPUT_CHECK(fields.size() == 4, path << ":" << number << ": the header names "
                                                 << fields.size()
                                                 << " columns; expected 4 (x, y, z, charge)");
      continue;
    }
    first_data = false;
    KOLMO_INPUT_CHECK(fields.size() == 4, path << ":" << number << ": " << fields.size()
                                               << " columns; expected 4 (x, y, z, charge)");
    for (std::size_t k = 0; k < fields.size(); ++k) {
      const auto v = parse_double(fields[k]);
      KOLMO_INPUT_CHECK(v && std::isfinite(*v), path << ":" << number << ": column " << k + 1
                                                     << ": '" << fields[k]
                                                     << "' is not a finite number");
    }
    values.insert(values.end(), row.begin(), row.end());
  }
  KOLMO_INPUT_CHECK(!values.empty(), path << ": no particles (expected lines of x, y, z, charge)");
  const auto n = static_cast<Index>(values.size() / 4);
  ParticleSet p;
  p.positions.resize(3, n);
  p.charges.resize(n);
  for (Index i = 0; i < n; ++i) {
    for (Index l = 0; l < 3; ++l) p.positions(l, i) = values[static_cast<std::size_t>(4 * i + l)];
    p.charges[i] = values[static_cast<std::size_t>(4 * i + 3)];
  }
  return p;
}

ParticleSet read_hdf5(const std::string& path) {
  const h5::File file = h5::File::open_serial(path, h5::Access::read_only);
  KOLMO_INPUT_CHECK(file.exists("/positions") && file.exists("/charges"),
                    path << ": a particle file needs the datasets /positions (N x 3) and /charges (N)");
  const std::vector<double> x = file.read_doubles("/positions");
  const std::vector<double> q = file.read_doubles("/charges");
  KOLMO_INPUT_CHECK(x.size() == 3 * q.size(),
                    path << ": /positions holds " << x.size() << " values for " << q.size()
                         << " charges; expected N x 3 = " << 3 * q.size());
  ParticleSet p;
  const auto n = static_cast<Index>(q.size());
  p.positions = Eigen::Map<const Eigen::MatrixXd>(x.data(), 3, n);
  p.charges = Eigen::Map<const Eigen::VectorXd>(q.data(), n);
  return p;
}

// Gaussian factors exp(-a (x - c)^2) of one dimension for all (particle, term) pairs, column
// index i * K + k.
void gaussian_factors(const Eigen::VectorXd& centres, const Eigen::VectorXd& exponents,
                      const Eigen::VectorXd& x, Eigen::MatrixXd& values) {
  const Index k_count = exponents.size();
  for (Index i = 0; i < centres.size(); ++i) {
    const Eigen::ArrayXd d2 = (x.array() - centres[i]).square();
    for (Index k = 0; k < k_count; ++k) values.col(i * k_count + k) = (-exponents[k] * d2).exp().matrix();
  }
}

}  // namespace

void ParticleSet::validate(const std::string& source) const {
  KOLMO_INPUT_CHECK(positions.rows() == 3, source << ": positions need 3 coordinates, got "
                                                  << positions.rows());
  KOLMO_INPUT_CHECK(positions.cols() == charges.size(),
                    source << ": " << positions.cols() << " positions for " << charges.size()
                           << " charges");
  KOLMO_INPUT_CHECK(charges.size() > 0, source << ": no particles");
  KOLMO_INPUT_CHECK(positions.allFinite() && charges.allFinite(),
                    source << ": positions and charges must be finite");
}

Box ParticleSet::bounding_box(double margin) const {
  std::vector<double> lo(3), hi(3);
  for (int l = 0; l < 3; ++l) {
    lo[static_cast<std::size_t>(l)] = positions.row(l).minCoeff() - margin;
    hi[static_cast<std::size_t>(l)] = positions.row(l).maxCoeff() + margin;
    if (hi[static_cast<std::size_t>(l)] <= lo[static_cast<std::size_t>(l)]) {
      lo[static_cast<std::size_t>(l)] -= 1.0;
      hi[static_cast<std::size_t>(l)] += 1.0;
    }
  }
  return Box(lo, hi);
}

ParticleSet read_particles(const std::string& path) {
  ParticleSet p = (ends_with(path, ".h5") || ends_with(path, ".hdf5")) ? read_hdf5(path) : read_csv(path);
  p.validate(path);
  return p;
}

CpFunction particle_cp_function(const ParticleSet& particles, const GaussianSum& kernel) {
  particles.validate();
  const Index n = particles.size(), k_count = kernel.terms();
  CpFunction f;
  f.dims = 3;
  f.weights.resize(n * k_count);
  for (Index i = 0; i < n; ++i)
    f.weights.segment(i * k_count, k_count) = particles.charges[i] * kernel.weights;
  const Eigen::MatrixXd positions = particles.positions;
  const Eigen::VectorXd exponents = kernel.exponents;
  f.factors = [positions, exponents](int l, const Eigen::VectorXd& x, Eigen::MatrixXd& values) {
    gaussian_factors(positions.row(l).transpose(), exponents, x, values);
  };
  return f;
}

Eigen::VectorXd direct_potential(const ParticleSet& particles, const Eigen::MatrixXd& points,
                                 const GaussianSum* kernel) {
  KOLMO_CHECK(points.rows() == 3, "direct_potential: points must be 3 x P");
  Eigen::VectorXd phi = Eigen::VectorXd::Zero(points.cols());
  Eigen::VectorXd r(points.cols());
  for (Index i = 0; i < particles.size(); ++i) {
    r = (points.colwise() - particles.positions.col(i)).colwise().norm().transpose();
    if (kernel)
      phi += particles.charges[i] * (*kernel)(r);
    else
      phi.array() += particles.charges[i] / r.array();
  }
  return phi;
}

Eigen::MatrixXd direct_field(const ParticleSet& particles, const Eigen::MatrixXd& points,
                             const GaussianSum* kernel) {
  KOLMO_CHECK(points.rows() == 3, "direct_field: points must be 3 x P");
  Eigen::MatrixXd e = Eigen::MatrixXd::Zero(3, points.cols());
  Eigen::VectorXd r(points.cols()), scale(points.cols());
  for (Index i = 0; i < particles.size(); ++i) {
    const Eigen::MatrixXd d = points.colwise() - particles.positions.col(i);
    r = d.colwise().norm().transpose();
    // E = -grad V = -x V'(r)/r; for 1/r, V'(r)/r = -1/r^3.
    if (kernel)
      scale = -particles.charges[i] * kernel->derivative_over_r(r);
    else
      scale = particles.charges[i] * r.array().cube().inverse().matrix();
    e += d * scale.asDiagonal();
  }
  return e;
}

RangeSeparatedPotential::RangeSeparatedPotential(ParticleSet particles,
                                                 const RangeSeparatedOptions& options,
                                                 RangeSeparatedReport* report)
    : particles_(std::move(particles)) {
  particles_.validate();
  KOLMO_INPUT_CHECK(options.eps > 0.0 && std::isfinite(options.eps),
                    "range-separated potential: eps must be > 0, got " << options.eps);
  KOLMO_INPUT_CHECK(options.kernel_eps >= 0.0 && std::isfinite(options.kernel_eps),
                    "range-separated potential: kernel_eps must be >= 0, got " << options.kernel_eps);
  KOLMO_INPUT_CHECK(options.split_width >= 0.0 && std::isfinite(options.split_width),
                    "range-separated potential: split_width must be >= 0 (0: automatic), got "
                        << options.split_width);
  KOLMO_INPUT_CHECK(options.r_min >= 0.0 && std::isfinite(options.r_min),
                    "range-separated potential: r_min must be >= 0 (0: automatic), got " << options.r_min);
  RangeSeparatedReport local;
  RangeSeparatedReport& rep = report ? *report : local;
  rep = RangeSeparatedReport{};
  const auto start = std::chrono::steady_clock::now();

  split_width_ = options.split_width;
  if (split_width_ <= 0.0) {
    const Box tight = particles_.bounding_box(0.0);
    split_width_ = 0.5 * std::cbrt(tight.volume() / static_cast<double>(particles_.size()));
  }
  const Box box = options.box.dims() > 0 ? options.box : particles_.bounding_box(2.0 * split_width_);
  KOLMO_INPUT_CHECK(box.dims() == 3, "range-separated potential: the box must be 3-D, got dimension "
                                         << box.dims());
  for (Index i = 0; i < particles_.size(); ++i)
    KOLMO_INPUT_CHECK(box.contains(std::span<const double>(particles_.positions.col(i).data(), 3)),
                      "range-separated potential: particle " << i << " at ("
                          << particles_.positions(0, i) << ", " << particles_.positions(1, i) << ", "
                          << particles_.positions(2, i) << ") lies outside the box");
  double diameter = 0.0;
  for (int l = 0; l < 3; ++l) diameter += box.width(l) * box.width(l);
  rep.r_max = std::sqrt(diameter);
  rep.r_min = options.r_min > 0.0 ? options.r_min : 1e-3 * rep.r_max;
  KOLMO_INPUT_CHECK(rep.r_min < rep.r_max, "range-separated potential: r_min = "
                                               << rep.r_min << " is not below the box diameter "
                                               << rep.r_max);
  const double kernel_eps = options.kernel_eps > 0.0 ? options.kernel_eps : options.eps;
  kernel_ = newton_gaussian_sum(rep.r_min, rep.r_max, kernel_eps, options.kernel_method, &rep.kernel);
  std::tie(short_, long_) = split_by_width(kernel_, split_width_);
  cutoff_ = short_.terms() > 0 ? short_.cutoff_radius(kernel_eps / (8.0 * split_width_)) : 0.0;
  rep.seconds_kernel = seconds_since(start);

  const auto long_start = std::chrono::steady_clock::now();
  if (long_.terms() > 0) {
    ChebyshevTuckerOptions copt;
    copt.eps = options.eps;
    copt.max_points = options.max_points;
    copt.min_points = std::min<Index>(17, options.max_points);
    long_range_ = ChebyshevTucker::from_cp(particle_cp_function(particles_, long_), box, copt,
                                           &rep.tucker);
  } else {
    // No wide Gaussian: the long-range part is zero.
    TuckerTensor zero;
    zero.core = DenseTensor({1, 1, 1});
    for (int l = 0; l < 3; ++l) zero.factors.push_back(Eigen::MatrixXd::Zero(1, 1));
    long_range_ = ChebyshevTucker(box, std::move(zero));
  }
  for (int l = 0; l < 3; ++l) gradient_.push_back(long_range_.derivative(l));
  rep.seconds_long_range = seconds_since(long_start);

  // Cell lists over the particles' bounding box, cells of size >= cutoff.
  const Box tight = particles_.bounding_box(0.0);
  const double cell = std::max(cutoff_, 1e-12 * rep.r_max);
  for (int l = 0; l < 3; ++l) {
    cell_origin_[l] = tight.lower(l);
    // At least `cell` wide, so that the 27 cells around a point hold all particles within cutoff.
    const auto count = std::clamp<Index>(static_cast<Index>(std::floor(tight.width(l) / cell)), 1, 1024);
    cells_[static_cast<std::size_t>(l)] = count;
    cell_width_[l] = count == 1 ? std::max(tight.width(l), cell) : tight.width(l) / static_cast<double>(count);
  }
  const Index total = cells_[0] * cells_[1] * cells_[2];
  std::vector<Index> cell_of(static_cast<std::size_t>(particles_.size()));
  cell_start_.assign(static_cast<std::size_t>(total + 1), 0);
  const auto cell_index = [&](const Eigen::Vector3d& x, int l) {
    return std::clamp<Index>(static_cast<Index>(std::floor((x[l] - cell_origin_[l]) / cell_width_[l])), 0,
                             cells_[static_cast<std::size_t>(l)] - 1);
  };
  for (Index i = 0; i < particles_.size(); ++i) {
    const Eigen::Vector3d x = particles_.positions.col(i);
    const Index c = cell_index(x, 0) + cells_[0] * (cell_index(x, 1) + cells_[1] * cell_index(x, 2));
    cell_of[static_cast<std::size_t>(i)] = c;
    ++cell_start_[static_cast<std::size_t>(c + 1)];
  }
  for (Index c = 0; c < total; ++c)
    cell_start_[static_cast<std::size_t>(c + 1)] += cell_start_[static_cast<std::size_t>(c)];
  cell_particles_.assign(static_cast<std::size_t>(particles_.size()), 0);
  std::vector<Index> fill(cell_start_.begin(), cell_start_.end() - 1);
  for (Index i = 0; i < particles_.size(); ++i)
    cell_particles_[static_cast<std::size_t>(fill[static_cast<std::size_t>(cell_of[static_cast<std::size_t>(i)])]++)] = i;
}

template <class Visit>
void RangeSeparatedPotential::for_neighbours(const Eigen::Vector3d& x, Visit&& visit) const {
  if (short_.terms() == 0) return;
  std::array<Index, 3> lo{}, hi{};
  for (int l = 0; l < 3; ++l) {
    const auto ul = static_cast<std::size_t>(l);
    const Index c = static_cast<Index>(std::floor((x[l] - cell_origin_[l]) / cell_width_[l]));
    // Clip the neighbour range, not the point: a point far outside sees an empty range.
    lo[ul] = std::max<Index>(c - 1, 0);
    hi[ul] = std::min<Index>(c + 1, cells_[ul] - 1);
  }
  const double cut2 = cutoff_ * cutoff_;
  for (Index k = lo[2]; k <= hi[2]; ++k)
    for (Index j = lo[1]; j <= hi[1]; ++j)
      for (Index i = lo[0]; i <= hi[0]; ++i) {
        const Index c = i + cells_[0] * (j + cells_[1] * k);
        for (Index s = cell_start_[static_cast<std::size_t>(c)]; s < cell_start_[static_cast<std::size_t>(c + 1)]; ++s) {
          const Index p = cell_particles_[static_cast<std::size_t>(s)];
          const Eigen::Vector3d d = x - particles_.positions.col(p);
          const double r2 = d.squaredNorm();
          if (r2 <= cut2) visit(p, d, r2);
        }
      }
}

Eigen::VectorXd RangeSeparatedPotential::long_range_potential(const Eigen::MatrixXd& points) const {
  return long_range_.evaluate(points);
}

Eigen::MatrixXd RangeSeparatedPotential::long_range_field(const Eigen::MatrixXd& points) const {
  Eigen::MatrixXd e(3, points.cols());
  for (int l = 0; l < 3; ++l) e.row(l) = -gradient_[static_cast<std::size_t>(l)].evaluate(points).transpose();
  return e;
}

Eigen::VectorXd RangeSeparatedPotential::short_range_potential(const Eigen::MatrixXd& points) const {
  KOLMO_CHECK(points.rows() == 3, "short_range_potential: points must be 3 x P");
  Eigen::VectorXd phi = Eigen::VectorXd::Zero(points.cols());
  const Index k_count = short_.terms();
  for (Index p = 0; p < points.cols(); ++p) {
    double sum = 0.0;
    for_neighbours(points.col(p), [&](Index i, const Eigen::Vector3d&, double r2) {
      double v = 0.0;
      for (Index k = 0; k < k_count; ++k) v += short_.weights[k] * std::exp(-short_.exponents[k] * r2);
      sum += particles_.charges[i] * v;
    });
    phi[p] = sum;
  }
  return phi;
}

Eigen::MatrixXd RangeSeparatedPotential::short_range_field(const Eigen::MatrixXd& points) const {
  KOLMO_CHECK(points.rows() == 3, "short_range_field: points must be 3 x P");
  Eigen::MatrixXd e = Eigen::MatrixXd::Zero(3, points.cols());
  const Index k_count = short_.terms();
  for (Index p = 0; p < points.cols(); ++p) {
    Eigen::Vector3d sum = Eigen::Vector3d::Zero();
    for_neighbours(points.col(p), [&](Index i, const Eigen::Vector3d& d, double r2) {
      double dv = 0.0;  // V'(r) / r
      for (Index k = 0; k < k_count; ++k)
        dv -= 2.0 * short_.exponents[k] * short_.weights[k] * std::exp(-short_.exponents[k] * r2);
      sum -= particles_.charges[i] * dv * d;
    });
    e.col(p) = sum;
  }
  return e;
}

Eigen::VectorXd RangeSeparatedPotential::potential(const Eigen::MatrixXd& points) const {
  return long_range_potential(points) + short_range_potential(points);
}

Eigen::MatrixXd RangeSeparatedPotential::field(const Eigen::MatrixXd& points) const {
  return long_range_field(points) + short_range_field(points);
}

Eigen::VectorXd RangeSeparatedPotential::potential_at_particles() const {
  return potential(particles_.positions) - kernel_.at_zero() * particles_.charges;
}

Eigen::MatrixXd RangeSeparatedPotential::field_at_particles() const {
  // The self-field is zero (V is radial); the short-range sum's own term has d = 0 already.
  return field(particles_.positions);
}

TuckerTensor RangeSeparatedPotential::long_range_on_grid(const std::vector<Eigen::VectorXd>& grid) const {
  return long_range_.on_grid(grid);
}

TuckerTensor RangeSeparatedPotential::long_range_field_on_grid(const std::vector<Eigen::VectorXd>& grid,
                                                              int l) const {
  KOLMO_CHECK(l >= 0 && l < 3, "long_range_field_on_grid: component " << l << " of 3");
  TuckerTensor t = gradient_[static_cast<std::size_t>(l)].on_grid(grid);
  t.core *= -1.0;
  return t;
}

CpTensor RangeSeparatedPotential::short_range_reference(Index n) const {
  KOLMO_CHECK(n >= 1, "short_range_reference: n must be >= 1");
  const Eigen::VectorXd x = cutoff_ > 0.0 ? uniform_points(n, -cutoff_, cutoff_) : Eigen::VectorXd::Zero(n);
  CpTensor t;
  t.weights = short_.weights;
  Eigen::MatrixXd f(n, short_.terms());
  for (Index k = 0; k < short_.terms(); ++k) f.col(k) = (-short_.exponents[k] * x.array().square()).exp().matrix();
  t.factors.assign(3, f);
  return t;
}

}  // namespace kolmo::tensor
