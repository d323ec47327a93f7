#pragma once
/// @file
/// The online evaluation of a surrogate of one reduced-model output, mu -> s_N(mu), in the
/// Chebyshev-Tucker form the offline stage builds (rom/output_surrogate_builder.hpp, from
/// tensor/chebyshev_tucker.hpp):
///   s(mu) ~ sum_j G(j) prod_l [sum_k F_l(k, j_l) T_k(t_l(x_l))],
/// x_l = mu_l for a linear-scale parameter and ln(mu_l) for a log-scale one, t_l the affine map of
/// [lower_l, upper_l] onto [-1, 1]. A query costs one three-term recurrence and one m_l x r_l
/// product per parameter, then one contraction with the r_0 x ... x r_{d-1} core (microseconds;
/// no dependence on the basis size N). Eigen and HDF5 only: no PETSc, no MPI call on serial files,
/// and no dependence on src/tensor (which needs FFTW), so it lives in Kolmo::online.
///
/// The file layout (docs/file-formats.md, "Output surrogates"): group /surrogate with the
/// parameters, and /surrogate/output_<i> per output in the layout of tensor::ChebyshevTucker::save
/// (so the tensor layer reads it back too) plus the output's name, tolerance and measured error.
#include <Eigen/Dense>

#include <string>
#include <string_view>
#include <vector>

#include "core/hdf5_file.hpp"
#include "core/parameter_space.hpp"

namespace kolmo::rom {

/// The value of the attribute `format` of the group /surrogate.
inline constexpr const char* output_surrogate_format = "kolmo-output-surrogate";
/// The layout version this Kolmo writes and reads (attribute `format_version` of /surrogate).
inline constexpr int output_surrogate_format_version = 1;

/// What the offline stage measured about a surrogate (stored with it, shown online).
struct SurrogateAccuracy {
  /// Requested relative tolerance of the construction (Tucker truncation and Chebyshev tails).
  double tolerance = 0.0;
  /// max |s_surrogate(mu) - s_N(mu)| over the check sample: an estimate of the max error against
  /// the reduced model (measured, not a bound); it says nothing about s_N's own error.
  double check_error = 0.0;
  /// check_error / max |s_N(mu)| over the check sample.
  double check_relative_error = 0.0;
  /// Random points of the check sample.
  int check_points = 0;
  /// The basis size N of the reduced model the surrogate approximates.
  int basis_size = 0;
  /// Reduced-model evaluations made to build it (Chebyshev grids and probes).
  long long evaluations = 0;
  /// True iff the Chebyshev interpolation met its tail tolerance within the node caps.
  bool converged = false;
};

/// A surrogate of one scalar output of a reduced model as a function of the parameters, in
/// Chebyshev-Tucker form. A value type: copyable, immutable after construction; evaluate() is
/// const and thread-safe (its workspace is per thread and kept, so a warm query allocates
/// nothing). Not collective.
class ChebyshevTuckerSurrogate {
 public:
  /// An empty surrogate, to be assigned.
  ChebyshevTuckerSurrogate() = default;
  /// Take the parts of the form: the parameter box `space` (d = 1..6 parameters, each with
  /// min < max), factors F_l (m_l x r_l, coefficients of T_0..T_{m_l - 1} of the variable x_l on
  /// the side of the box in x_l: [min, max] or [ln min, ln max]), and the core (r_0 ... r_{d-1}
  /// values, first index fastest).
  /// @throws InputError when the sizes disagree or a value is not finite.
  ChebyshevTuckerSurrogate(std::string output_name, ParameterSpace space,
                           std::vector<Eigen::MatrixXd> factors, Eigen::VectorXd core,
                           SurrogateAccuracy accuracy);

  /// The name of the output it approximates.
  const std::string& output_name() const noexcept { return name_; }
  /// The parameter box (names, ranges, scales) of the model.
  const ParameterSpace& parameter_space() const noexcept { return space_; }
  /// The number of parameters d.
  int dims() const noexcept { return static_cast<int>(factors_.size()); }
  /// The Tucker ranks r_l and the Chebyshev nodes m_l (degree + 1) per parameter.
  std::vector<int> ranks() const;
  std::vector<int> points() const;
  /// The factor F_l (m_l x r_l) and the core (first index fastest).
  const Eigen::MatrixXd& factor(int l) const { return factors_.at(static_cast<std::size_t>(l)); }
  const Eigen::VectorXd& core() const noexcept { return core_; }
  /// Stored doubles (core plus factors).
  long long storage() const;
  /// What the offline stage measured.
  const SurrogateAccuracy& accuracy() const noexcept { return accuracy_; }
  /// The bounds of the tensor's box in the variables x_l (ln mu_l for a log-scale parameter).
  std::vector<double> lower() const;
  std::vector<double> upper() const;

  /// The surrogate at `mu` (one value per parameter, in the model's order).
  /// @throws InputError when mu has the wrong dimension or a value outside the parameter box, with
  /// ParameterSpace::check's message prefixed by `where` ("mu: parameter 'mu2' = 1.5 is outside
  /// its range [0.1, 1]").
  double evaluate(const Mu& mu, std::string_view where = "mu") const;
  /// The surrogate at the variables x (already ln mu_l for log-scale parameters), without the range
  /// check; points outside the box extrapolate the polynomial. For callers that checked x.
  double evaluate_variables(const double* x) const;

 private:
  std::string name_;
  ParameterSpace space_;
  std::vector<double> lower_, upper_;
  std::vector<Eigen::MatrixXd> factors_;
  Eigen::VectorXd core_;
  SurrogateAccuracy accuracy_;
};

/// True iff the file holds output surrogates (the group /surrogate).
bool has_output_surrogates(const h5::File& file);

/// Write `surrogates` (all of the same parameter space, at least one) into `file` as /surrogate
/// and /surrogate/output_<i>; /surrogate must not exist. The content depends on the surrogates
/// only (never on the number of ranks). Collective for a collective file (rank 0's data).
/// @throws Exception when the surrogates disagree on the parameters or writing fails.
void write_output_surrogates(h5::File& file, const std::vector<ChebyshevTuckerSurrogate>& surrogates);

/// Read every surrogate of `file`, in output order. Collective for a collective file.
/// @throws InputError naming the file and the object when /surrogate is missing ("... holds no
/// output surrogate (/surrogate): add 'rom: surrogate:' to the case file and run kolmo offline"),
/// has a newer format version, or is inconsistent.
std::vector<ChebyshevTuckerSurrogate> read_output_surrogates(const h5::File& file);
/// Read the surrogates of the model file `path` (serial HDF5). Not collective; no MPI call.
std::vector<ChebyshevTuckerSurrogate> read_output_surrogates(const std::string& path);

}  // namespace kolmo::rom
