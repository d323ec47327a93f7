#include "rom/online/chebyshev_tucker_surrogate.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>

#include "core/exceptions.hpp"

namespace kolmo::rom {
namespace {

constexpr const char* kGroup = "/surrogate";
// The per-output groups use the layout of tensor::ChebyshevTucker::save, whose format name and
// version these are, so that the tensor layer reads them back unchanged.
constexpr const char* kTensorFormat = "kolmo.chebyshev_tucker";
constexpr std::int64_t kTensorFormatVersion = 1;
constexpr int kMaxDims = 6;

using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

std::string output_group(std::size_t i) {
  std::string group = kGroup;
  group += "/output_";
  group += std::to_string(i);
  return group;
}

double variable(const Parameter& p, double value) {
  return p.scale == Scale::log ? std::log(value) : value;
}

bool all_finite(const double* data, Eigen::Index n) {
  for (Eigen::Index i = 0; i < n; ++i)
    if (!std::isfinite(data[i])) return false;
  return true;
}

bool close(double a, double b, double width) { return std::abs(a - b) <= 1e-12 * std::max(1.0, width); }

// out = A w, A rows x cols column-major: column by column, so the inner loop is a contiguous axpy
// that the compiler vectorises. Compiled twice, for the baseline and for AVX2 + FMA, the latter
// chosen at run time (no -march=native needed); the results agree to round-off.
[[gnu::always_inline]] inline void contract_kernel(const double* __restrict a, Eigen::Index rows,
                                                   Eigen::Index cols, const double* __restrict w,
                                                   double* __restrict out) {
  for (Eigen::Index i = 0; i < rows; ++i) out[i] = 0.0;
  for (Eigen::Index j = 0; j < cols; ++j) {
    const double wj = w[j];
    const double* column = a + rows * j;
    for (Eigen::Index i = 0; i < rows; ++i) out[i] += column[i] * wj;
  }
}

void contract_baseline(const double* a, Eigen::Index rows, Eigen::Index cols, const double* w,
                       double* out) {
  contract_kernel(a, rows, cols, w, out);
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2,fma"))) void contract_avx2(const double* a, Eigen::Index rows,
                                                       Eigen::Index cols, const double* w,
                                                       double* out) {
  contract_kernel(a, rows, cols, w, out);
}

using Contract = void (*)(const double*, Eigen::Index, Eigen::Index, const double*, double*);
Contract select_contract() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? contract_avx2
                                                                         : contract_baseline;
}
void contract(const double* a, Eigen::Index rows, Eigen::Index cols, const double* w, double* out) {
  static const Contract chosen = select_contract();
  chosen(a, rows, cols, w, out);
}
#else
void contract(const double* a, Eigen::Index rows, Eigen::Index cols, const double* w, double* out) {
  contract_baseline(a, rows, cols, w, out);
}
#endif

}  // namespace

ChebyshevTuckerSurrogate::ChebyshevTuckerSurrogate(std::string output_name, ParameterSpace space,
                                                   std::vector<Eigen::MatrixXd> factors,
                                                   Eigen::VectorXd core, SurrogateAccuracy accuracy)
    : name_(std::move(output_name)),
      space_(std::move(space)),
      factors_(std::move(factors)),
      core_(std::move(core)),
      accuracy_(accuracy) {
  const std::size_t d = space_.dimension();
  KOLMO_INPUT_CHECK(d >= 1 && d <= static_cast<std::size_t>(kMaxDims),
                    "surrogate of '" << name_ << "': " << d
                                     << " parameters; a Chebyshev-Tucker surrogate takes 1 to "
                                     << kMaxDims);
  KOLMO_INPUT_CHECK(factors_.size() == d, "surrogate of '" << name_ << "': " << factors_.size()
                                                           << " factors for " << d << " parameters");
  Eigen::Index core_size = 1;
  for (std::size_t l = 0; l < d; ++l) {
    const Parameter& p = space_.parameter(l);
    KOLMO_INPUT_CHECK(p.min < p.max, "surrogate of '" << name_ << "': parameter '" << p.name
                                                      << "' has an empty range [" << p.min << ", "
                                                      << p.max << "]");
    lower_.push_back(variable(p, p.min));
    upper_.push_back(variable(p, p.max));
    const Eigen::MatrixXd& f = factors_[l];
    KOLMO_INPUT_CHECK(f.rows() >= 1 && f.cols() >= 1 && all_finite(f.data(), f.size()),
                      "surrogate of '" << name_ << "': factor " << l << " (" << f.rows() << " x "
                                       << f.cols() << ") is empty or not finite");
    core_size *= f.cols();
  }
  KOLMO_INPUT_CHECK(core_.size() == core_size && all_finite(core_.data(), core_.size()),
                    "surrogate of '" << name_ << "': the core has " << core_.size()
                                     << " values, the ranks need " << core_size
                                     << " (or a value is not finite)");
}

std::vector<int> ChebyshevTuckerSurrogate::ranks() const {
  std::vector<int> r;
  for (const auto& f : factors_) r.push_back(static_cast<int>(f.cols()));
  return r;
}

std::vector<int> ChebyshevTuckerSurrogate::points() const {
  std::vector<int> m;
  for (const auto& f : factors_) m.push_back(static_cast<int>(f.rows()));
  return m;
}

long long ChebyshevTuckerSurrogate::storage() const {
  long long n = core_.size();
  for (const auto& f : factors_) n += f.size();
  return n;
}

std::vector<double> ChebyshevTuckerSurrogate::lower() const { return lower_; }
std::vector<double> ChebyshevTuckerSurrogate::upper() const { return upper_; }

double ChebyshevTuckerSurrogate::evaluate(const Mu& mu, std::string_view where) const {
  KOLMO_CHECK(!factors_.empty(), "ChebyshevTuckerSurrogate::evaluate: an empty surrogate");
  space_.check(mu, where);
  double x[kMaxDims];
  for (std::size_t l = 0; l < mu.size(); ++l) x[l] = variable(space_.parameter(l), mu[l]);
  return evaluate_variables(x);
}

double ChebyshevTuckerSurrogate::evaluate_variables(const double* x) const {
  const int d = dims();
  // One workspace per thread, grown as needed and kept: no allocation per query once warm, and
  // evaluate() stays const and thread-safe. Layout: w_0 .. w_{d-1} (r_l each), the basis values
  // (max m_l), then two buffers for the partial contractions (core size / r_{d-1} at most).
  thread_local std::vector<double> work;
  Eigen::Index max_points = 0, sum_ranks = 0;
  for (const auto& f : factors_) {
    max_points = std::max(max_points, f.rows());
    sum_ranks += f.cols();
  }
  const Eigen::Index partial = core_.size() / factors_.back().cols();
  const auto needed = static_cast<std::size_t>(sum_ranks + max_points + 2 * partial);
  if (work.size() < needed) work.resize(needed);
  double* const w = work.data();
  double* const basis = w + sum_ranks;
  double* const buffer[2] = {basis + max_points, basis + max_points + partial};

  // w_l = F_l^T b_l, b_l(k) = T_k(t_l) by the three-term recurrence (|T_k| <= 1 inside the box,
  // so the recurrence is stable there).
  Eigen::Index offset = 0;
  for (int l = 0; l < d; ++l) {
    const auto ul = static_cast<std::size_t>(l);
    const Eigen::MatrixXd& f = factors_[ul];
    const double t = (2.0 * x[l] - lower_[ul] - upper_[ul]) / (upper_[ul] - lower_[ul]);
    basis[0] = 1.0;
    if (f.rows() > 1) basis[1] = t;
    for (Eigen::Index k = 2; k < f.rows(); ++k) basis[k] = 2.0 * t * basis[k - 1] - basis[k - 2];
    Eigen::Map<Eigen::VectorXd>(w + offset, f.cols()).noalias() =
        f.transpose() * Eigen::Map<const Eigen::VectorXd>(basis, f.rows());
    offset += f.cols();
  }
  // Contract the core mode by mode, the slowest first: viewed as (r_0 ... r_{l-1}) x r_l (first
  // index fastest, so column-major), the partial core times w_l is a matrix-vector product with
  // long contiguous columns, which vectorises (the fastest mode first would give dot products of
  // length r_0, which do not).
  const double* current = core_.data();
  Eigen::Index rest = core_.size();
  offset = sum_ranks;
  for (int l = d - 1; l >= 0; --l) {
    const Eigen::Index r = factors_[static_cast<std::size_t>(l)].cols();
    rest /= r;
    offset -= r;
    double* next = buffer[l % 2];
    contract(current, rest, r, w + offset, next);
    current = next;
  }
  return current[0];
}

bool has_output_surrogates(const h5::File& file) { return file.exists(kGroup); }

void write_output_surrogates(h5::File& file,
                             const std::vector<ChebyshevTuckerSurrogate>& surrogates) {
  KOLMO_CHECK(!surrogates.empty(), "write_output_surrogates: no surrogate to write");
  const ParameterSpace& space = surrogates.front().parameter_space();
  std::vector<std::string> names, scales;
  std::vector<double> minimum, maximum;
  for (const auto& p : space.parameters()) {
    names.push_back(p.name);
    scales.push_back(p.scale == Scale::log ? "log" : "linear");
    minimum.push_back(p.min);
    maximum.push_back(p.max);
  }
  for (const auto& s : surrogates) {
    bool same = s.parameter_space().dimension() == space.dimension();
    for (std::size_t l = 0; same && l < space.dimension(); ++l) {
      const Parameter &a = s.parameter_space().parameter(l), &b = space.parameter(l);
      same = a.name == b.name && a.min == b.min && a.max == b.max && a.scale == b.scale;
    }
    KOLMO_CHECK(same, "write_output_surrogates: the surrogate of '"
                          << s.output_name() << "' has other parameters than that of '"
                          << surrogates.front().output_name() << "'");
  }
  file.create_group(kGroup);
  file.write_attributes(kGroup, {{"format", std::string(output_surrogate_format)},
                                 {"format_version", std::int64_t{output_surrogate_format_version}},
                                 {"count", static_cast<std::int64_t>(surrogates.size())},
                                 {"parameter_names", names},
                                 {"parameter_min", minimum},
                                 {"parameter_max", maximum},
                                 {"parameter_scale", scales}});
  for (std::size_t i = 0; i < surrogates.size(); ++i) {
    const ChebyshevTuckerSurrogate& s = surrogates[i];
    const std::string group = output_group(i);
    file.create_group(group);
    std::vector<std::int64_t> ranks, points;
    for (const int r : s.ranks()) ranks.push_back(r);
    for (const int m : s.points()) points.push_back(m);
    const SurrogateAccuracy& a = s.accuracy();
    file.write_attributes(group, {{"format", std::string(kTensorFormat)},
                                  {"format_version", kTensorFormatVersion},
                                  {"ranks", ranks},
                                  {"dims", points},
                                  {"core_order", std::string("first index fastest")},
                                  {"lower", s.lower()},
                                  {"upper", s.upper()},
                                  {"output", s.output_name()},
                                  {"tolerance", a.tolerance},
                                  {"check_error", a.check_error},
                                  {"check_relative_error", a.check_relative_error},
                                  {"check_points", std::int64_t{a.check_points}},
                                  {"basis_size", std::int64_t{a.basis_size}},
                                  {"evaluations", static_cast<std::int64_t>(a.evaluations)},
                                  {"converged", std::int64_t{a.converged ? 1 : 0}}});
    const Eigen::VectorXd& core = s.core();
    file.write_doubles(group + "/core", {static_cast<hsize_t>(core.size())},
                       std::vector<double>(core.data(), core.data() + core.size()));
    for (int l = 0; l < s.dims(); ++l) {
      const RowMajor f = s.factor(l);
      file.write_doubles(group + "/factor_" + std::to_string(l),
                         {static_cast<hsize_t>(f.rows()), static_cast<hsize_t>(f.cols())},
                         std::vector<double>(f.data(), f.data() + f.size()));
    }
  }
}

std::vector<ChebyshevTuckerSurrogate> read_output_surrogates(const h5::File& file) {
  const std::string& path = file.path();
  KOLMO_INPUT_CHECK(file.exists(kGroup),
                    path << ": holds no output surrogate (/surrogate): add 'surrogate:' to the "
                            "'rom:' section of the case file and run kolmo offline again");
  KOLMO_INPUT_CHECK(file.has_attribute(kGroup, "format") &&
                        file.read_string_attribute(kGroup, "format") == output_surrogate_format,
                    path << ": /surrogate is not a " << output_surrogate_format << " group");
  const std::int64_t version = file.read_int_attribute(kGroup, "format_version");
  KOLMO_INPUT_CHECK(version >= 1 && version <= output_surrogate_format_version,
                    path << ": /surrogate has format version " << version << "; this Kolmo reads "
                         << output_surrogate_format_version << " and older: update Kolmo");
  const auto names = file.read_strings_attribute(kGroup, "parameter_names");
  const auto minimum = file.read_doubles_attribute(kGroup, "parameter_min");
  const auto maximum = file.read_doubles_attribute(kGroup, "parameter_max");
  const auto scales = file.read_strings_attribute(kGroup, "parameter_scale");
  const std::size_t d = names.size();
  KOLMO_INPUT_CHECK(d >= 1 && minimum.size() == d && maximum.size() == d && scales.size() == d,
                    path << ": /surrogate: parameter attributes of different lengths");
  std::vector<Parameter> parameters;
  for (std::size_t l = 0; l < d; ++l) {
    KOLMO_INPUT_CHECK(scales[l] == "linear" || scales[l] == "log",
                      path << ": /surrogate: unknown parameter scale '" << scales[l] << "'");
    parameters.push_back({names[l], minimum[l], maximum[l],
                          scales[l] == "log" ? Scale::log : Scale::linear});
  }
  const ParameterSpace space(std::move(parameters));
  const std::int64_t count = file.read_int_attribute(kGroup, "count");
  KOLMO_INPUT_CHECK(count >= 1 && count < 1000000,
                    path << ": /surrogate: count " << count << " is not positive");

  std::vector<ChebyshevTuckerSurrogate> surrogates;
  for (std::size_t i = 0; i < static_cast<std::size_t>(count); ++i) {
    const std::string group = output_group(i);
    KOLMO_INPUT_CHECK(file.exists(group), path << ": " << group << " is missing (count is "
                                               << count << ")");
    const auto ranks = file.read_ints_attribute(group, "ranks");
    const auto points = file.read_ints_attribute(group, "dims");
    const auto lower = file.read_doubles_attribute(group, "lower");
    const auto upper = file.read_doubles_attribute(group, "upper");
    KOLMO_INPUT_CHECK(ranks.size() == d && points.size() == d && lower.size() == d &&
                          upper.size() == d,
                      path << ": " << group << ": ranks, dims, lower or upper do not have one "
                           << "entry per parameter (" << d << ")");
    std::vector<Eigen::MatrixXd> factors;
    for (std::size_t l = 0; l < d; ++l) {
      const Parameter& p = space.parameter(l);
      KOLMO_INPUT_CHECK(close(lower[l], variable(p, p.min), upper[l] - lower[l]) &&
                            close(upper[l], variable(p, p.max), upper[l] - lower[l]),
                        path << ": " << group << ": the box of side " << l
                             << " does not match the range of parameter '" << p.name << "'");
      const std::string name = group + "/factor_" + std::to_string(l);
      const auto shape = file.shape(name);
      KOLMO_INPUT_CHECK(shape.size() == 2 && static_cast<std::int64_t>(shape[0]) == points[l] &&
                            static_cast<std::int64_t>(shape[1]) == ranks[l],
                        path << ": " << name << " is not " << points[l] << " x " << ranks[l]);
      const std::vector<double> f = file.read_doubles(name);
      factors.emplace_back(Eigen::Map<const RowMajor>(f.data(), static_cast<Eigen::Index>(shape[0]),
                                                      static_cast<Eigen::Index>(shape[1])));
    }
    const std::vector<double> core = file.read_doubles(group + "/core");
    SurrogateAccuracy a;
    a.tolerance = file.read_double_attribute(group, "tolerance");
    a.check_error = file.read_double_attribute(group, "check_error");
    a.check_relative_error = file.read_double_attribute(group, "check_relative_error");
    a.check_points = static_cast<int>(file.read_int_attribute(group, "check_points"));
    a.basis_size = static_cast<int>(file.read_int_attribute(group, "basis_size"));
    a.evaluations = file.read_int_attribute(group, "evaluations");
    a.converged = file.read_int_attribute(group, "converged") != 0;
    try {
      surrogates.emplace_back(file.read_string_attribute(group, "output"), space,
                              std::move(factors),
                              Eigen::Map<const Eigen::VectorXd>(core.data(),
                                                                static_cast<Eigen::Index>(core.size())),
                              a);
    } catch (const InputError& e) {
      throw InputError(path + ": " + group + ": " + e.what());
    }
  }
  return surrogates;
}

std::vector<ChebyshevTuckerSurrogate> read_output_surrogates(const std::string& path) {
  const h5::File file = h5::File::open_serial(path, h5::Access::read_only);
  return read_output_surrogates(file);
}

}  // namespace kolmo::rom
