#pragma once
/// @file
/// The case file of `kolmo tensor`: a function (muparser expression on a box, d = 2..6) or a
/// particle file (Newton kernel, range-separated) put in Chebyshev-Tucker form, and the output
/// (HDF5 file with the tensor, optionally the values on a uniform grid with an XDMF sidecar).
///
///   function:                        # or particles: (exactly one of the two)
///     expression: exp(-(x^2 + y^2 + z^2))
///     variables: [x, y, z]           # optional; default x, y, z, u, v, w (as many as the box)
///     box: {lower: [-2, -2, -2], upper: [2, 2, 2]}
///   particles:
///     file: charges.csv              # x, y, z, charge per line, or HDF5 /positions, /charges
///     kernel: newton                 # the only kernel so far
///     split_width: 1.0               # Gaussians wider than this are long range (optional)
///     r_min: 0.01                    # kernel accurate from here on (optional)
///     box: {lower: [...], upper: [...]}  # long-range domain (optional)
///   tolerance: 1e-8
///   output: {file: result.h5, grid: [64, 64, 64]}   # grid optional; one entry: all dimensions
///
/// Relative file names are relative to the case file's directory. Errors name the case file,
/// line, column and key.
#include <mpi.h>

#include <string>
#include <vector>

#include "core/config_node.hpp"
#include "tensor/box.hpp"
#include "tensor/range_separated_potential.hpp"

namespace kolmo::tensor {

/// A parsed `kolmo tensor` case. Plain value type.
struct TensorCase {
  std::string path;                    ///< the case file as given
  enum class Kind { function, particles } kind = Kind::function;
  std::string expression;              ///< function: muparser text
  std::vector<std::string> variables;  ///< function: one name per dimension
  Box box;                             ///< function: the box; particles: dims 0 = automatic
  ConfigNode input_node;               ///< the function: or particles: node, for later errors
  ConfigNode file_node;                ///< particles: the file key, for errors in the file
  std::string particle_file;           ///< particles: resolved path
  std::string kernel = "newton";
  double split_width = 0.0;            ///< 0: automatic
  double r_min = 0.0;                  ///< 0: automatic
  double tolerance = 1e-8;
  std::string output_file;             ///< resolved path
  std::vector<Index> grid;             ///< output grid points per dimension (empty: no grid)
};

/// Parse the text of a case file named `path` (for messages and relative names). Not collective.
/// @throws kolmo::InputError "path:line:col: 'key': message" for every invalid entry.
TensorCase parse_tensor_case(const std::string& text, const std::string& path);
/// Read (on rank 0, broadcast) and parse a case file. Collective on comm.
TensorCase read_tensor_case(MPI_Comm comm, const std::string& path);

/// What run_tensor_case() built and measured.
struct TensorCaseResult {
  Dims ranks, points;           ///< Tucker ranks and Chebyshev nodes per dimension
  Index storage = 0;            ///< doubles in core and factors
  double build_seconds = 0.0;   ///< building the tensor (all ranks build the same one)
  double grid_seconds = 0.0;    ///< expanding and writing the output grid
  Index check_points = 0;       ///< random points of the accuracy check
  double max_error = 0.0;       ///< max |f - f_approx| / max |f| there (particles: long range
                                ///< against its direct sum)
  double max_error_total = 0.0;  ///< particles: the whole potential against sum q / r
  Index particles = 0, kernel_terms = 0, short_terms = 0, long_terms = 0;
  double split_width = 0.0, cutoff = 0.0;
  bool xdmf = false;            ///< an XDMF sidecar was written
  /// function: empty when the interpolation met the tolerance in every dimension within its node
  /// cap; otherwise why not (the tensor is written all the same, for inspection).
  std::string unresolved;
};

/// Build the tensor of the case, check it at random points, and write the output file (the
/// tensor in group /chebyshev_tucker, for particles also /kernel and /particles with potential and
/// field at every particle, and the grid values under /grid with views and an XDMF sidecar for
/// 2-D and 3-D). Every rank builds the same tensor; the grid is expanded in slabs of its last
/// dimension, one per rank, and written collectively. Collective on comm.
/// @throws kolmo::InputError "case:line:col: 'key': message" for bad input found while building
/// (non-finite function values, a bad particle file). A function not resolved to the tolerance is
/// not an exception here (the output is written); it is reported in `unresolved`.
TensorCaseResult run_tensor_case(MPI_Comm comm, const TensorCase& c);

}  // namespace kolmo::tensor
