#pragma once
/// @file
/// EIM of a function g(x; mu) on a distributed point set (the quadrature points or the nodes of a
/// grid): g(x; mu) ~ sum_m beta_m(mu) q_m(x), with beta(mu) = B^-1 g(x_magic; mu) computed from M
/// evaluations of g, and an error indicator from one more point (the "M + 1" estimate).
#include <mpi.h>

#include <Eigen/Dense>

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "core/parameter_space.hpp"
#include "operators/empirical_interpolation.hpp"

namespace kolmo::operators {

/// The local part of a distributed point set. Each rank holds its own points; ids are unique over
/// all ranks and should not depend on the distribution (e.g. the point's index in a global
/// numbering), so that the EIM selects the same points on any number of ranks.
struct PointSet {
  int dimension = 2;
  std::vector<double> coordinates;  ///< dimension values per local point
  std::vector<double> weights;      ///< quadrature weights, one per local point (empty: all 1)
  std::vector<std::int64_t> ids;    ///< global ids, one per local point

  std::size_t size() const noexcept { return ids.size(); }
  /// The coordinates of local point i.
  std::span<const double> point(std::size_t i) const {
    return {coordinates.data() + i * static_cast<std::size_t>(dimension),
            static_cast<std::size_t>(dimension)};
  }
};

/// g(x; mu), x a point of the point set's dimension.
using PointFunction = std::function<double(std::span<const double> x, const Mu& mu)>;

/// The EIM of g over a training set of parameters. A value type: it keeps g, the local points
/// and the training set (to evaluate errors and build variants) and the interpolation data. The
/// communicator is not owned. Calls on parameters (coefficients, error_indicator, interpolate)
/// are not collective; calls that need all points are marked collective.
class EimFunction {
 public:
  /// Evaluate g at every local point and training parameter, and run the greedy with `options`
  /// (norm max or l2 with the point weights, tolerance, max_terms). Memory: the local snapshots,
  /// n_local x training.size() doubles (twice during the greedy). Collective on comm.
  /// @throws kolmo::Exception on an inconsistent point set or an empty training set, and as
  /// EmpiricalInterpolation::build.
  EimFunction(MPI_Comm comm, PointSet points, PointFunction function, std::vector<Mu> training,
              const EimOptions& options);

  MPI_Comm comm() const noexcept { return interpolation_.comm(); }
  const EmpiricalInterpolation& interpolation() const noexcept { return interpolation_; }
  const PointSet& points() const noexcept { return points_; }
  const std::vector<Mu>& training() const noexcept { return training_; }
  /// Number of terms M.
  int size() const noexcept { return interpolation_.size(); }
  /// The coordinates of the interpolation points (num_points x dimension, replicated).
  const Eigen::MatrixXd& magic_points() const noexcept { return magic_; }
  /// The coordinates of the error indicator's points (indicator_points x dimension, replicated).
  const Eigen::MatrixXd& indicator_points() const noexcept { return indicator_; }

  /// beta(mu) from g at the interpolation points (num_points evaluations). Not collective.
  Eigen::VectorXd coefficients(const Mu& mu) const;
  /// max_e |g(x_e; mu) - (I_M g)(x_e; mu)| over the indicator points x_e: an estimate (from
  /// below) of the max-norm error ||g - I_M g||_inf over the points, from num_points +
  /// indicator_points evaluations (options.indicator_points; 1 is the classical M + 1 estimate).
  /// Not collective.
  double error_indicator(const Mu& mu) const;
  /// g(x; mu) at the local points. Not collective.
  void evaluate(const Mu& mu, std::span<double> local) const;
  /// (I_M g)(x; mu) at the local points. Not collective.
  void interpolate(const Mu& mu, std::span<double> local) const;
  /// The symmetric formulation (Casenave, Ern, Lelievre): the same interpolant written with x and
  /// mu in symmetric roles,
  ///   (I_M g)(x; mu) = sum_ij g(x; mu_j) (G^-1)_ji g(x_i; mu),   G_ij = g(x_i; mu_j),
  /// mu_j the training parameters the greedy selected, x_i the magic points. It needs 2M
  /// evaluations of g and, unlike interpolate(), works at any x, not only at the point set's.
  /// Not collective. (G is less well conditioned than B: use it with moderate M.)
  double interpolate_at(std::span<const double> x, const Mu& mu) const;
  /// The training parameters mu_1..mu_M selected by the greedy.
  std::vector<Mu> selected_parameters() const;
  /// The true error ||g - I_M g|| over all points in `norm` (l2: weighted by the point weights).
  /// Collective on comm.
  double error(const Mu& mu, EimNorm norm) const;

  /// The nested EIM with the first m terms (see EmpiricalInterpolation::truncated). Not collective.
  EimFunction truncated(int m) const;
  /// The rectangular extension (see EmpiricalInterpolation::with_points): drop the interpolation
  /// points `dropped` and add `extra` points; the snapshots are evaluated again. Collective on comm.
  EimFunction with_points(std::span<const std::size_t> dropped, int extra) const;

 private:
  EimFunction() = default;
  Eigen::MatrixXd snapshots() const;
  void locate_points();
  std::vector<double> values_at(const Eigen::MatrixXd& coordinates, const Mu& mu) const;

  PointSet points_;
  PointFunction function_;
  std::vector<Mu> training_;
  EmpiricalInterpolation interpolation_;
  Eigen::MatrixXd magic_;
  Eigen::MatrixXd indicator_;
};

}  // namespace kolmo::operators
