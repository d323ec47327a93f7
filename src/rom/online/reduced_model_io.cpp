#include "rom/online/reduced_model_io.hpp"

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include "core/exceptions.hpp"
#include "core/mpi.hpp"
#include "core/parameter_space.hpp"
#include "core/version.hpp"
#include "rom/online/scm_bound.hpp"

namespace kolmo::rom {
namespace {

// Object paths of a reduced model file (docs/file-formats.md, "Reduced model files").
constexpr const char* kCaseText = "/case_text";
constexpr const char* kParameters = "/parameters";
constexpr const char* kLhs = "/lhs";
constexpr const char* kRhs = "/rhs";
constexpr const char* kOutputs = "/outputs";
constexpr const char* kResidual = "/residual";
constexpr const char* kStability = "/stability";
constexpr const char* kSingularValues = "/singular_values";
constexpr const char* kBasis = "/basis";
constexpr const char* kNonaffineRhs = "/nonaffine_rhs";
constexpr const char* kOperatorEim = "/operator_eim";

std::string child(const std::string& group, const std::string& name) { return group + "/" + name; }

std::string output_group(std::size_t k) { return std::string(kOutputs) + "/" + std::to_string(k); }

/// `m` row-major, as HDF5 stores it.
std::vector<double> row_major(const Eigen::MatrixXd& m) {
  std::vector<double> data(static_cast<std::size_t>(m.size()));
  for (Eigen::Index i = 0; i < m.rows(); ++i)
    for (Eigen::Index j = 0; j < m.cols(); ++j)
      data[static_cast<std::size_t>(i * m.cols() + j)] = m(i, j);
  return data;
}

bool is_root(const h5::File& file) { return !file.is_collective() || comm_rank(file.comm()) == 0; }

void write_matrix(h5::File& file, const std::string& path, const Eigen::MatrixXd& m) {
  file.write_doubles(path, {static_cast<hsize_t>(m.rows()), static_cast<hsize_t>(m.cols())},
                     row_major(m));
}

/// Stack equally sized vectors as the rows of a [count, size] dataset.
void write_rows(h5::File& file, const std::string& path, const std::vector<Eigen::VectorXd>& rows,
                Eigen::Index size) {
  std::vector<double> data;
  data.reserve(rows.size() * static_cast<std::size_t>(size));
  for (const auto& r : rows) data.insert(data.end(), r.data(), r.data() + r.size());
  file.write_doubles(path, {static_cast<hsize_t>(rows.size()), static_cast<hsize_t>(size)}, data);
}

void write_residual_data(h5::File& file, const std::string& group, const ResidualNormData& data) {
  if (data.gram.size() > 0) write_matrix(file, child(group, "gram"), data.gram);
  if (data.orthonormal.size() > 0) write_matrix(file, child(group, "orthonormal"), data.orthonormal);
}

// ---- reading, with messages naming the file and the dataset --------------------------------

std::string shape_text(const std::vector<hsize_t>& dims) {
  std::string text = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (i > 0) text += ", ";
    text += std::to_string(dims[i]);
  }
  return text + "]";
}

/// The shape of dataset `path`, which must have `rank` dimensions; an expected extent >= 0 must
/// match (-1: any).
std::vector<hsize_t> checked_shape(const h5::File& file, const std::string& path,
                                   const std::vector<long long>& expected) {
  const std::vector<hsize_t> dims = file.shape(path);
  bool ok = dims.size() == expected.size();
  for (std::size_t i = 0; ok && i < dims.size(); ++i)
    ok = expected[i] < 0 || dims[i] == static_cast<hsize_t>(expected[i]);
  if (!ok) {
    std::string want = "[";
    for (std::size_t i = 0; i < expected.size(); ++i) {
      if (i > 0) want += ", ";
      want += expected[i] < 0 ? std::string("*") : std::to_string(expected[i]);
    }
    want += "]";
    throw InputError(file.path() + ": " + path + ": has shape " + shape_text(dims) +
                     ", expected " + want + " (inconsistent sizes in the reduced model)");
  }
  return dims;
}

Eigen::MatrixXd read_matrix(const h5::File& file, const std::string& path, long long rows,
                            long long cols) {
  const auto dims = checked_shape(file, path, {rows, cols});
  const std::vector<double> data = file.read_doubles(path);
  Eigen::MatrixXd m(static_cast<Eigen::Index>(dims[0]), static_cast<Eigen::Index>(dims[1]));
  for (Eigen::Index i = 0; i < m.rows(); ++i)
    for (Eigen::Index j = 0; j < m.cols(); ++j)
      m(i, j) = data[static_cast<std::size_t>(i * m.cols() + j)];
  return m;
}

std::vector<double> read_vector(const h5::File& file, const std::string& path, long long size) {
  checked_shape(file, path, {size});
  return file.read_doubles(path);
}

std::vector<std::string> read_names(const h5::File& file, const std::string& path,
                                    long long size) {
  checked_shape(file, path, {size});
  return file.read_strings(path);
}

/// The rows of a [count, size] dataset as vectors.
std::vector<Eigen::VectorXd> read_rows(const h5::File& file, const std::string& path,
                                       long long count, long long size) {
  const Eigen::MatrixXd m = read_matrix(file, path, count, size);
  std::vector<Eigen::VectorXd> rows;
  for (Eigen::Index i = 0; i < m.rows(); ++i) rows.emplace_back(m.row(i).transpose());
  return rows;
}

ResidualNormData read_residual_data(const h5::File& file, const std::string& group,
                                    long long representers) {
  ResidualNormData data;
  if (file.exists(child(group, "gram")))
    data.gram = read_matrix(file, child(group, "gram"), representers, representers);
  if (file.exists(child(group, "orthonormal")))
    data.orthonormal = read_matrix(file, child(group, "orthonormal"), -1, representers);
  return data;
}

long long extent(const h5::File& file, const std::string& path, std::size_t dimension) {
  const auto dims = file.shape(path);
  KOLMO_INPUT_CHECK(dims.size() > dimension, file.path() << ": " << path << ": has shape "
                                                         << shape_text(dims) << ", expected at least "
                                                         << dimension + 1 << " dimensions");
  return static_cast<long long>(dims[dimension]);
}

std::string check_residual(const ResidualNormData& data, Eigen::Index representers,
                           const std::string& what) {
  if (data.gram.size() > 0 &&
      (data.gram.rows() != representers || data.gram.cols() != representers))
    return what + " gram is " + std::to_string(data.gram.rows()) + " x " +
           std::to_string(data.gram.cols()) + ", expected " + std::to_string(representers) +
           " x " + std::to_string(representers);
  if (data.orthonormal.size() > 0 && data.orthonormal.cols() != representers)
    return what + " orthonormal has " + std::to_string(data.orthonormal.cols()) +
           " columns, expected " + std::to_string(representers);
  if (!data.gram.allFinite() || !data.orthonormal.allFinite())
    return what + " data hold a value that is not finite";
  return {};
}

template <class Term>
std::string check_affine(const ReducedAffine<Term>& affine, const std::string& what) {
  if (affine.terms.empty()) return what + " has no terms";
  if (affine.theta.size() != affine.terms.size())
    return what + " has " + std::to_string(affine.terms.size()) + " terms but " +
           std::to_string(affine.theta.size()) + " coefficient expressions";
  // A non-finite entry would make every answer and bound NaN or infinite, silently.
  for (std::size_t q = 0; q < affine.terms.size(); ++q)
    if (!affine.terms[q].allFinite())
      return what + "'s term " + std::to_string(q) + " holds a value that is not finite";
  return {};
}

std::string check_nonaffine(const NonaffineRhsTerm& t, const std::vector<std::string>& parameters,
                            std::size_t rhs_terms) {
  const Eigen::Index m = t.interpolation_matrix.rows();
  const auto d = static_cast<Eigen::Index>(t.coordinates.size());
  auto shape = [](const Eigen::MatrixXd& a) {
    return std::to_string(a.rows()) + " x " + std::to_string(a.cols());
  };
  if (t.function.empty()) return "the non-affine rhs term has no function g";
  if (d < 1) return "the non-affine rhs term names no coordinates";
  for (const auto& c : t.coordinates)
    for (const auto& p : parameters)
      if (c == p) return "the non-affine rhs term's coordinate '" + c + "' is also a parameter name";
  if (m < 1 || t.interpolation_matrix.cols() != m)
    return "the non-affine rhs term's interpolation matrix is " + shape(t.interpolation_matrix) +
           ", expected square and non-empty";
  if (t.magic_points.rows() != m || t.magic_points.cols() != d)
    return "the non-affine rhs term's magic points are " + shape(t.magic_points) + ", expected " +
           std::to_string(m) + " x " + std::to_string(d);
  if (t.indicator_points.rows() < 1 || t.indicator_points.cols() != d)
    return "the non-affine rhs term's indicator points are " + shape(t.indicator_points) +
           ", expected at least one row of " + std::to_string(d) + " coordinates (without "
           "indicator points the EIM error would silently count as 0)";
  if (t.indicator_basis.rows() != t.indicator_points.rows() || t.indicator_basis.cols() != m)
    return "the non-affine rhs term's indicator basis is " + shape(t.indicator_basis) +
           ", expected " + std::to_string(t.indicator_points.rows()) + " x " + std::to_string(m);
  if (!(t.dual_norm_factor > 0) || !std::isfinite(t.dual_norm_factor))
    return "the non-affine rhs term's dual-norm factor must be positive and finite";
  if (t.rhs_is_beta && static_cast<Eigen::Index>(rhs_terms) != m)
    return "the non-affine rhs term gives the " + std::to_string(m) +
           " EIM coefficients as the rhs coefficients, but the rhs has " +
           std::to_string(rhs_terms) + " terms";
  return {};
}

}  // namespace

void check_reduced_model(const ReducedModel& model, const std::string& where) {
  auto fail = [&](const std::string& what) { throw InputError(where + ": " + what); };
  const std::size_t p = model.parameter_names.size();
  if (model.parameter_min.size() != p || model.parameter_max.size() != p ||
      model.parameter_scale.size() != p)
    fail("parameter names, minima, maxima and scales differ in number (" + std::to_string(p) +
         ", " + std::to_string(model.parameter_min.size()) + ", " +
         std::to_string(model.parameter_max.size()) + ", " +
         std::to_string(model.parameter_scale.size()) + ")");
  std::vector<Parameter> parameters;
  for (std::size_t i = 0; i < p; ++i) {
    const std::string& scale = model.parameter_scale[i];
    if (scale != "linear" && scale != "log")
      fail("parameter '" + model.parameter_names[i] + "' has scale '" + scale +
           "' (expected linear or log)");
    parameters.push_back({model.parameter_names[i], model.parameter_min[i], model.parameter_max[i],
                          scale == "log" ? Scale::log : Scale::linear});
  }
  try {
    ParameterSpace space(std::move(parameters));
  } catch (const InputError& e) {
    fail(e.what());
  }
  if (model.estimator != "classical" && model.estimator != "stable")
    fail("estimator '" + model.estimator + "' is neither classical nor stable");

  if (auto problem = check_affine(model.lhs, "the operator"); !problem.empty()) fail(problem);
  const Eigen::Index n = model.max_size();
  if (n < 1) fail("the reduced basis is empty");
  for (std::size_t q = 0; q < model.lhs.terms.size(); ++q)
    if (model.lhs.terms[q].rows() != n || model.lhs.terms[q].cols() != n)
      fail("operator term " + std::to_string(q) + " is " + std::to_string(model.lhs.terms[q].rows()) +
           " x " + std::to_string(model.lhs.terms[q].cols()) + ", expected " + std::to_string(n) +
           " x " + std::to_string(n));
  if (auto problem = check_affine(model.rhs, "the right-hand side"); !problem.empty()) fail(problem);
  for (std::size_t q = 0; q < model.rhs.terms.size(); ++q)
    if (model.rhs.terms[q].size() != n)
      fail("right-hand side term " + std::to_string(q) + " has " +
           std::to_string(model.rhs.terms[q].size()) + " entries, expected " + std::to_string(n));
  const auto representers = static_cast<Eigen::Index>(model.rhs.terms.size() +
                                                      model.lhs.terms.size() * static_cast<std::size_t>(n));
  if (auto problem = check_residual(model.residual, representers, "the residual's");
      !problem.empty())
    fail(problem);

  for (std::size_t k = 0; k < model.outputs.size(); ++k) {
    const ReducedOutput& output = model.outputs[k];
    const std::string what = "output " + std::to_string(k) + " ('" + output.name + "')";
    if (auto problem = check_affine(output.functional, what); !problem.empty()) fail(problem);
    for (std::size_t q = 0; q < output.functional.terms.size(); ++q)
      if (output.functional.terms[q].size() != n)
        fail(what + " term " + std::to_string(q) + " has " +
             std::to_string(output.functional.terms[q].size()) + " entries, expected " +
             std::to_string(n));
    if (auto problem = check_residual(output.dual_norm,
                                      static_cast<Eigen::Index>(output.functional.terms.size()),
                                      what + "'s dual-norm");
        !problem.empty())
      fail(problem);
  }

  const StabilityBound& s = model.stability;
  if (s.kind == "min_theta") {
    if (s.theta_bar.size() != model.lhs.terms.size())
      fail("the min_theta stability bound has " + std::to_string(s.theta_bar.size()) +
           " reference coefficients theta_bar, expected one per operator term (" +
           std::to_string(model.lhs.terms.size()) + ")");
    for (double t : s.theta_bar)
      if (!(t > 0) || !std::isfinite(t))
        fail("the min_theta stability bound needs positive finite theta_bar values");
  } else if (s.kind == "constant") {
    if (!(s.constant > 0) || !std::isfinite(s.constant))
      fail("the constant stability bound must be positive and finite");
  } else if (s.kind == "eigen_interval") {
    if (s.t_expression.empty()) fail("the eigen_interval stability bound has no t(mu) expression");
    if (std::isnan(s.sigma_tail)) fail("the eigen_interval stability bound has sigma_tail = NaN");
  } else if (s.kind == "scm") {
    if (auto problem = check_scm_data(s.sigma, model.lhs.terms.size()); !problem.empty()) fail(problem);
  } else {
    fail("unknown stability bound kind '" + s.kind +
         "' (expected min_theta, constant, eigen_interval or scm)");
  }
  if (model.nonaffine_rhs)
    if (auto problem = check_nonaffine(*model.nonaffine_rhs, model.parameter_names,
                                       model.rhs.terms.size());
        !problem.empty())
      fail(problem);
  if (model.operator_eim) {
    const OperatorEimError& e = *model.operator_eim;
    if (!(e.operator_error >= 0) || !std::isfinite(e.operator_error) || !(e.rhs_error >= 0) ||
        !std::isfinite(e.rhs_error))
      fail("operator EIM error: eps_A = " + std::to_string(e.operator_error) + ", eps_f = " +
           std::to_string(e.rhs_error) + " (expected finite values >= 0)");
    if (e.measured_operator.size() != e.points.size() ||
        (!e.measured_rhs.empty() && e.measured_rhs.size() != e.points.size()))
      fail("operator EIM error: " + std::to_string(e.points.size()) + " calibration points but " +
           std::to_string(e.measured_operator.size()) + " operator and " +
           std::to_string(e.measured_rhs.size()) + " rhs measurements");
    for (const auto& point : e.points)
      if (point.size() != model.parameter_names.size())
        fail("operator EIM error: a calibration point has " + std::to_string(point.size()) +
             " values for " + std::to_string(model.parameter_names.size()) + " parameters");
  }
}

namespace {

// The oldest layout that holds everything in `model`, so that older readers keep reading the
// files they understand and refuse those whose bound they would misread.
int format_version(const ReducedModel& model) {
  if (model.operator_eim) return 3;
  return model.nonaffine_rhs ? 2 : 1;
}

}  // namespace

void write_reduced_model(h5::File& file, const ReducedModel& model) {
  check_reduced_model(model, file.path());
  const auto n = static_cast<hsize_t>(model.max_size());
  file.write_attributes("/", {{"kolmo_format", std::string(reduced_model_format)},
                              {"kolmo_format_version", std::int64_t{format_version(model)}},
                              {"kolmo_version", std::string(version_string)},
                              {"created", h5::utc_timestamp()},
                              {"problem_type", model.problem_type},
                              {"method", model.method},
                              {"estimator", model.estimator},
                              {"max_size", static_cast<std::int64_t>(n)}});
  file.write_string(kCaseText, model.case_text);

  file.create_group(kParameters);
  file.write_strings(child(kParameters, "names"), model.parameter_names);
  file.write_doubles(child(kParameters, "min"), {model.parameter_min.size()}, model.parameter_min);
  file.write_doubles(child(kParameters, "max"), {model.parameter_max.size()}, model.parameter_max);
  file.write_strings(child(kParameters, "scale"), model.parameter_scale);

  // The operator terms as one [Qa, N, N] dataset (write_doubles handles 1-D and 2-D only).
  file.create_group(kLhs);
  file.write_strings(child(kLhs, "theta"), model.lhs.theta);
  const auto qa = static_cast<hsize_t>(model.lhs.terms.size());
  std::vector<double> lhs;
  lhs.reserve(qa * n * n);
  for (const auto& term : model.lhs.terms) {
    const auto rows = row_major(term);
    lhs.insert(lhs.end(), rows.begin(), rows.end());
  }
  file.create_fixed_dataset(child(kLhs, "terms"), H5T_IEEE_F64LE, {qa, n, n}, false, true);
  file.write_block(child(kLhs, "terms"), {0, 0, 0}, {qa, n, n}, H5T_NATIVE_DOUBLE, lhs.data(),
                   is_root(file));

  file.create_group(kRhs);
  file.write_strings(child(kRhs, "theta"), model.rhs.theta);
  write_rows(file, child(kRhs, "terms"), model.rhs.terms, static_cast<Eigen::Index>(n));

  file.create_group(kOutputs);
  std::vector<std::string> names;
  for (const auto& output : model.outputs) names.push_back(output.name);
  file.write_strings(child(kOutputs, "names"), names);
  for (std::size_t k = 0; k < model.outputs.size(); ++k) {
    const ReducedOutput& output = model.outputs[k];
    const std::string group = output_group(k);
    file.create_group(group);
    file.write_attributes(group, {{"name", output.name},
                                  {"compliant", std::int64_t{output.compliant ? 1 : 0}}});
    file.write_strings(child(group, "theta"), output.functional.theta);
    write_rows(file, child(group, "terms"), output.functional.terms, static_cast<Eigen::Index>(n));
    write_residual_data(file, group, output.dual_norm);
  }

  file.create_group(kResidual);
  file.write_attribute(kResidual, "representers",
                       static_cast<std::int64_t>(model.rhs.terms.size() + qa * n));
  write_residual_data(file, kResidual, model.residual);

  const StabilityBound& s = model.stability;
  file.create_group(kStability);
  file.write_attributes(kStability, {{"kind", s.kind},
                                     {"constant", s.constant},
                                     {"sigma_tail", s.sigma_tail},
                                     {"t_expression", s.t_expression}});
  file.write_doubles(child(kStability, "theta_bar"), {s.theta_bar.size()}, s.theta_bar);
  file.write_doubles(child(kStability, "sigma"), {s.sigma.size()}, s.sigma);

  file.write_doubles(kSingularValues, {model.singular_values.size()}, model.singular_values);

  if (model.nonaffine_rhs) {
    const NonaffineRhsTerm& t = *model.nonaffine_rhs;
    file.create_group(kNonaffineRhs);
    file.write_attributes(kNonaffineRhs, {{"kind", std::string("eim")},
                                          {"function", t.function},
                                          {"dual_norm_factor", t.dual_norm_factor},
                                          {"rhs_is_beta", std::int64_t{t.rhs_is_beta ? 1 : 0}}});
    file.write_strings(child(kNonaffineRhs, "coordinates"), t.coordinates);
    write_matrix(file, child(kNonaffineRhs, "magic_points"), t.magic_points);
    write_matrix(file, child(kNonaffineRhs, "interpolation_matrix"), t.interpolation_matrix);
    write_matrix(file, child(kNonaffineRhs, "indicator_points"), t.indicator_points);
    write_matrix(file, child(kNonaffineRhs, "indicator_basis"), t.indicator_basis);
  }

  if (model.operator_eim) {
    const OperatorEimError& e = *model.operator_eim;
    file.create_group(kOperatorEim);
    file.write_attributes(kOperatorEim, {{"kind", std::string("estimate")},
                                         {"operator_error", e.operator_error},
                                         {"rhs_error", e.rhs_error},
                                         {"safety_factor", e.safety_factor},
                                         {"method", e.method}});
    Eigen::MatrixXd points(static_cast<Eigen::Index>(e.points.size()),
                           static_cast<Eigen::Index>(model.parameter_names.size()));
    for (std::size_t i = 0; i < e.points.size(); ++i)
      for (std::size_t k = 0; k < e.points[i].size(); ++k)
        points(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(k)) = e.points[i][k];
    write_matrix(file, child(kOperatorEim, "points"), points);
    file.write_doubles(child(kOperatorEim, "measured_operator"), {e.measured_operator.size()},
                       e.measured_operator);
    file.write_doubles(child(kOperatorEim, "measured_rhs"), {e.measured_rhs.size()}, e.measured_rhs);
  }
}

void write_reduced_model(const ReducedModel& model, const std::string& path) {
  check_reduced_model(model, path);
  const std::string temporary = path + ".tmp";
  {
    h5::File file = h5::File::create_serial(temporary, true);
    try {
      write_reduced_model(file, model);
      file.close();
    } catch (...) {
      file = h5::File();
      std::error_code ignored;
      std::filesystem::remove(temporary, ignored);
      throw;
    }
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw InputError(path + ": cannot write the reduced model (" + error.message() + ")");
  }
}

ReducedModel read_reduced_model(const h5::File& file) {
  const std::string& path = file.path();
  KOLMO_INPUT_CHECK(file.has_attribute("/", "kolmo_format") &&
                        file.read_string_attribute("/", "kolmo_format") == reduced_model_format,
                    path << ": not a Kolmo reduced model file (its root attribute kolmo_format is not '"
                         << reduced_model_format << "')");
  const std::int64_t version = file.read_int_attribute("/", "kolmo_format_version");
  KOLMO_INPUT_CHECK(version <= reduced_model_format_version,
                    path << ": reduced model format " << version << " (written by Kolmo "
                         << file.read_string_attribute("/", "kolmo_version") << "); this is Kolmo "
                         << version_string << ", which reads format "
                         << reduced_model_format_version);

  ReducedModel model;
  model.problem_type = file.read_string_attribute("/", "problem_type");
  model.method = file.read_string_attribute("/", "method");
  model.estimator = file.read_string_attribute("/", "estimator");
  model.case_text = file.read_string(kCaseText);

  const std::string names_path = child(kParameters, "names");
  model.parameter_names = read_names(file, names_path, -1);
  const auto p = static_cast<long long>(model.parameter_names.size());
  model.parameter_min = read_vector(file, child(kParameters, "min"), p);
  model.parameter_max = read_vector(file, child(kParameters, "max"), p);
  model.parameter_scale = read_names(file, child(kParameters, "scale"), p);

  const std::string lhs_terms = child(kLhs, "terms");
  const long long qa = extent(file, lhs_terms, 0);
  const long long n = extent(file, lhs_terms, 1);
  const auto max_size = file.read_int_attribute("/", "max_size");
  KOLMO_INPUT_CHECK(max_size == n, path << ": " << lhs_terms << ": holds terms of size " << n
                                        << ", the root attribute max_size says " << max_size
                                        << " (inconsistent sizes in the reduced model)");
  KOLMO_INPUT_CHECK(qa >= 1 && n >= 1,
                    path << ": " << lhs_terms << ": the reduced operator has no terms or size 0");
  checked_shape(file, lhs_terms, {qa, n, n});
  const std::vector<double> lhs = file.read_doubles(lhs_terms);
  for (long long q = 0; q < qa; ++q) {
    Eigen::MatrixXd term(n, n);
    for (long long i = 0; i < n; ++i)
      for (long long j = 0; j < n; ++j) term(i, j) = lhs[static_cast<std::size_t>((q * n + i) * n + j)];
    model.lhs.terms.push_back(std::move(term));
  }
  model.lhs.theta = read_names(file, child(kLhs, "theta"), qa);

  const std::string rhs_terms = child(kRhs, "terms");
  const long long qf = extent(file, rhs_terms, 0);
  model.rhs.terms = read_rows(file, rhs_terms, qf, n);
  model.rhs.theta = read_names(file, child(kRhs, "theta"), qf);

  const auto output_names = read_names(file, child(kOutputs, "names"), -1);
  for (std::size_t k = 0; k < output_names.size(); ++k) {
    const std::string group = output_group(k);
    ReducedOutput output;
    output.name = file.read_string_attribute(group, "name");
    KOLMO_INPUT_CHECK(output.name == output_names[k],
                      path << ": " << group << ": is named '" << output.name << "', "
                           << child(kOutputs, "names") << " says '" << output_names[k] << "'");
    output.compliant = file.read_int_attribute(group, "compliant") != 0;
    const std::string terms = child(group, "terms");
    const long long ql = extent(file, terms, 0);
    output.functional.terms = read_rows(file, terms, ql, n);
    output.functional.theta = read_names(file, child(group, "theta"), ql);
    output.dual_norm = read_residual_data(file, group, ql);
    model.outputs.push_back(std::move(output));
  }

  model.residual = read_residual_data(file, kResidual, qf + qa * n);

  StabilityBound& s = model.stability;
  s.kind = file.read_string_attribute(kStability, "kind");
  s.constant = file.read_double_attribute(kStability, "constant");
  s.sigma_tail = file.read_double_attribute(kStability, "sigma_tail");
  s.t_expression = file.read_string_attribute(kStability, "t_expression");
  s.theta_bar = read_vector(file, child(kStability, "theta_bar"), -1);
  s.sigma = read_vector(file, child(kStability, "sigma"), -1);

  model.singular_values = read_vector(file, kSingularValues, -1);

  if (file.exists(kNonaffineRhs)) {
    const std::string kind = file.read_string_attribute(kNonaffineRhs, "kind");
    KOLMO_INPUT_CHECK(kind == "eim", path << ": " << kNonaffineRhs << ": unknown kind '" << kind
                                          << "' (expected eim)");
    NonaffineRhsTerm t;
    t.function = file.read_string_attribute(kNonaffineRhs, "function");
    t.dual_norm_factor = file.read_double_attribute(kNonaffineRhs, "dual_norm_factor");
    t.rhs_is_beta = file.has_attribute(kNonaffineRhs, "rhs_is_beta") &&
                    file.read_int_attribute(kNonaffineRhs, "rhs_is_beta") != 0;
    t.coordinates = read_names(file, child(kNonaffineRhs, "coordinates"), -1);
    const auto d = static_cast<long long>(t.coordinates.size());
    t.interpolation_matrix = read_matrix(file, child(kNonaffineRhs, "interpolation_matrix"), -1, -1);
    const long long m = t.interpolation_matrix.rows();
    t.magic_points = read_matrix(file, child(kNonaffineRhs, "magic_points"), m, d);
    t.indicator_points = read_matrix(file, child(kNonaffineRhs, "indicator_points"), -1, d);
    t.indicator_basis = read_matrix(file, child(kNonaffineRhs, "indicator_basis"),
                                    t.indicator_points.rows(), m);
    model.nonaffine_rhs = std::move(t);
  }
  // Absent in files of format < 3 (and in models of affine problems): eps_A = eps_f = 0.
  if (file.exists(kOperatorEim)) {
    OperatorEimError e;
    e.operator_error = file.read_double_attribute(kOperatorEim, "operator_error");
    e.rhs_error = file.read_double_attribute(kOperatorEim, "rhs_error");
    e.safety_factor = file.read_double_attribute(kOperatorEim, "safety_factor");
    e.method = file.read_string_attribute(kOperatorEim, "method");
    const Eigen::MatrixXd points = read_matrix(
        file, child(kOperatorEim, "points"), -1, static_cast<long long>(model.parameter_names.size()));
    e.points.assign(static_cast<std::size_t>(points.rows()),
                    std::vector<double>(static_cast<std::size_t>(points.cols())));
    for (Eigen::Index i = 0; i < points.rows(); ++i)
      for (Eigen::Index k = 0; k < points.cols(); ++k)
        e.points[static_cast<std::size_t>(i)][static_cast<std::size_t>(k)] = points(i, k);
    e.measured_operator = read_vector(file, child(kOperatorEim, "measured_operator"), points.rows());
    e.measured_rhs = read_vector(file, child(kOperatorEim, "measured_rhs"), -1);
    model.operator_eim = std::move(e);
  }
  check_reduced_model(model, path);
  return model;
}

ReducedModel read_reduced_model(const std::string& path) {
  const h5::File file = h5::File::open_serial(path, h5::Access::read_only);
  return read_reduced_model(file);
}

bool has_reduced_basis(const h5::File& file) { return file.exists(kBasis); }

Eigen::MatrixXd read_reduced_basis(const h5::File& file, int size) {
  KOLMO_INPUT_CHECK(file.exists(kBasis), file.path() << ": " << kBasis
                                                     << ": no such dataset (the model file holds "
                                                        "no reduced basis)");
  const auto dims = checked_shape(file, kBasis, {-1, -1});
  KOLMO_INPUT_CHECK(size >= 0 && static_cast<hsize_t>(size) <= dims[1],
                    file.path() << ": " << kBasis << ": holds " << dims[1]
                                << " basis vectors, " << size << " requested");
  const auto rows = static_cast<Eigen::Index>(dims[0]);
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> block(rows, size);
  file.read_block(kBasis, {0, 0}, {dims[0], static_cast<hsize_t>(size)}, H5T_NATIVE_DOUBLE,
                  block.data(), true);
  return block;
}

}  // namespace kolmo::rom
