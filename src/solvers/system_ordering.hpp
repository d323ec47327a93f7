#pragma once
/// @file
/// Orderings of a set of linear systems so that neighbours in the order are similar, which is what
/// makes a previous solution, a kept preconditioner or a recycled Krylov space useful for the next
/// system (the "sorting" of Sorting Krylov Recycling).
///
/// Four orders:
/// - nearest: greedy nearest neighbour on the parameter points in the unit cube of the
///   ParameterSpace (ParameterSpace::to_unit, so log-scale parameters are compared by ratio);
/// - hilbert: the order of the points along a d-dimensional Hilbert curve (any d; Skilling's
///   transpose algorithm, "Programming the Hilbert curve", AIP Conf. Proc. 707, 2004), 16 bits per
///   dimension;
/// - signature: greedy nearest neighbour on a cheap feature vector of each matrix (a random bilinear
///   sketch w_i^T A z_j and sampled diagonal entries), for systems known only by their matrices;
/// - farthest: the opposite aim, farthest-point first (each next point the one farthest from all
///   earlier ones, as a reduced-basis greedy samples): the early solutions then span the whole
///   parameter box, which is what a projection guess needs; neighbours are not similar.
/// All orders are deterministic (ties go to the lower index) and computed from data that is the
/// same on every rank; the functions that take a communicator broadcast rank 0's order so that
/// rounding in reductions can never make ranks disagree.
#include <mpi.h>
#include <petscmat.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/parameter_space.hpp"

namespace kolmo::solvers {

/// How a sequence of systems is ordered before it is solved.
enum class SystemOrder {
  given,      ///< as given (sample order)
  nearest,    ///< greedy nearest neighbour on the parameters
  hilbert,    ///< along a Hilbert curve through the parameter box
  signature,  ///< greedy nearest neighbour on matrix signatures
  farthest,   ///< farthest-point first on the parameters (spreads the early systems)
};

/// The case-file name of `order` ("given", "nearest", "hilbert", "signature", "farthest").
const char* to_string(SystemOrder order);
/// The case-file names of the orders, in declaration order.
const std::vector<std::string>& system_order_names();
/// The order called `name`. @throws InputError with the nearest valid name as a suggestion.
SystemOrder parse_system_order(const std::string& name);

/// Points in R^d, one std::vector<double> each (all of one dimension).
using PointSet = std::vector<std::vector<double>>;

/// True iff `order` holds each of 0, ..., n-1 exactly once.
bool is_permutation(std::span<const std::size_t> order, std::size_t n);

/// Total Euclidean length of the path that visits `points` in `order`. Not collective.
double path_length(const PointSet& points, std::span<const std::size_t> order);

/// Greedy nearest-neighbour path through `points`: it starts at the point farthest from their
/// centroid (an end of the cloud rather than its middle, which shortens the path) and moves each
/// time to the nearest point not yet visited; ties go to the lower index. O(n^2 d). Not collective.
/// @throws kolmo::Exception if the points differ in dimension.
std::vector<std::size_t> nearest_neighbour_order(const PointSet& points);

/// Farthest-point order of `points`: it starts at the point nearest to their centroid and takes
/// each time the point whose distance to the nearest point already taken is largest; ties go to
/// the lower index. The distance of each new point to those before it never increases along the
/// order, and the first k points cover the set within twice the best radius any k of them reach
/// (Gonzalez 1985). O(n^2 d). Not collective.
/// @throws kolmo::Exception if the points differ in dimension.
std::vector<std::size_t> farthest_point_order(const PointSet& points);

/// The Hilbert index of the cell with integer coordinates `coords` (each < 2^bits) on the
/// d-dimensional Hilbert curve of 2^(d bits) cells, d = coords.size(), as d*bits binary digits in
/// big-endian 64-bit words (compare the vectors lexicographically). Consecutive indices are cells
/// that share a face. Not collective. @pre 1 <= bits <= 32.
std::vector<std::uint64_t> hilbert_index(std::span<const std::uint32_t> coords, int bits);

/// The points of the unit cube [0,1]^d (coordinates outside are clamped) sorted by their Hilbert
/// index at `bits` bits per dimension; points in the same cell keep their relative order. Not
/// collective. @throws kolmo::Exception if the points differ in dimension or bits is not in [1, 32].
std::vector<std::size_t> hilbert_order(const PointSet& unit_points, int bits = 16);

/// The order of parameter points `points` of `space` (given, nearest, hilbert or farthest, on
/// space.to_unit coordinates). Not collective.
/// @throws kolmo::Exception for SystemOrder::signature (it needs the matrices: matrix_signature).
std::vector<std::size_t> order_parameters(const ParameterSpace& space, const std::vector<Mu>& points,
                                          SystemOrder order);

/// What matrix_signature samples.
struct SignatureOptions {
  int probes = 4;             ///< p: features w_i^T A z_j for p x p pairs of +-1 vectors
  int diagonal_samples = 16;  ///< entries of the diagonal at pseudo-random rows
  unsigned seed = 1;          ///< the pseudo-random vectors and rows depend on it only
};

/// A cheap feature vector of the square matrix `a`: the bilinear sketch w_i^T A z_j / p for
/// pseudo-random +-1 vectors w_i, z_j (i, j < p; p matrix-vector products), whose squared
/// Euclidean distances estimate the squared Frobenius distance between two matrices, followed by
/// sqrt(n / m) a_rr at m pseudo-random rows r (the same estimate for the diagonal). The vectors and
/// rows depend only on the seed and the global size, not on the number of ranks, so the features
/// agree across rank counts up to rounding. Collective on the matrix's communicator.
std::vector<double> matrix_signature(Mat a, const SignatureOptions& options = {});

/// Greedy nearest-neighbour order on signatures (nearest_neighbour_order). Not collective.
std::vector<std::size_t> signature_order(const PointSet& signatures);

/// Replace `order` on every rank of comm by rank 0's. Collective on comm.
void broadcast_order(MPI_Comm comm, std::vector<std::size_t>& order);

}  // namespace kolmo::solvers
