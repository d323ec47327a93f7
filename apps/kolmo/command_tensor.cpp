// kolmo tensor CASE: a function or the long-range potential of a particle file in Chebyshev-Tucker
// form, written to HDF5 (core and factors), with its values on an output grid and an XDMF sidecar.
#include <string>

#include "commands.hpp"
#include "core/mpi.hpp"
#include "study.hpp"
#include "tensor/tensor_case.hpp"

namespace kolmo::app {

namespace {

std::string sizes_text(const tensor::Dims& sizes) {
  std::string text;
  for (std::size_t k = 0; k < sizes.size(); ++k) {
    if (k) text += " x ";
    text += std::to_string(sizes[k]);
  }
  return text;
}

Json sizes_json(const tensor::Dims& sizes) {
  Json array = Json::array();
  for (const auto s : sizes) array.push_back(static_cast<long long>(s));
  return array;
}

}  // namespace

int run_tensor(MPI_Comm comm, const CommandLine& line) {
  check_options(line, {"json"});
  const tensor::TensorCase c =
      tensor::read_tensor_case(comm, positional(line, 0, "a tensor case file (CASE.yaml)"));
  const tensor::TensorCaseResult r = tensor::run_tensor_case(comm, c);
  const bool particles = c.kind == tensor::TensorCase::Kind::particles;
  print_root(comm, "%s: %s, tolerance %g\n", c.path.c_str(),
             particles ? "range-separated Newton potential" : c.expression.c_str(), c.tolerance);
  if (particles)
    print_root(comm,
               "  particles       %lld from %s\n  kernel          %lld Gaussians (%lld short range, "
               "%lld long range), split width %g, cutoff %g\n",
               static_cast<long long>(r.particles), c.particle_file.c_str(),
               static_cast<long long>(r.kernel_terms), static_cast<long long>(r.short_terms),
               static_cast<long long>(r.long_terms), r.split_width, r.cutoff);
  print_root(comm, "  Chebyshev nodes %s\n  Tucker ranks    %s (%lld doubles)\n  build           %.3f s\n",
             sizes_text(r.points).c_str(), sizes_text(r.ranks).c_str(),
             static_cast<long long>(r.storage), r.build_seconds);
  if (particles)
    print_root(comm,
               "  max error       %.2e long range vs direct sum, %.2e whole potential vs sum q/r "
               "(%lld random points, relative to the max)\n",
               r.max_error, r.max_error_total, static_cast<long long>(r.check_points));
  else
    print_root(comm, "  max error       %.2e (%lld random points, relative to max |f|)\n", r.max_error,
               static_cast<long long>(r.check_points));
  print_root(comm, "  output          %s%s (%.3f s%s)\n", c.output_file.c_str(),
             r.xdmf ? " + .xdmf for ParaView" : "", r.grid_seconds,
             c.grid.empty() ? ", no grid" : (", grid " + sizes_text(c.grid)).c_str());

  Json report = Json::object();
  report.set("case", c.path)
      .set("input", particles ? "particles" : "function")
      .set("tolerance", c.tolerance)
      .set("ranks", sizes_json(r.ranks))
      .set("chebyshev_nodes", sizes_json(r.points))
      .set("storage", static_cast<long long>(r.storage))
      .set("build_seconds", r.build_seconds)
      .set("grid_seconds", r.grid_seconds)
      .set("max_error", r.max_error)
      .set("output", c.output_file)
      .set("mpi_ranks", comm_size(comm));
  if (particles)
    report.set("particles", static_cast<long long>(r.particles))
        .set("kernel_terms", static_cast<long long>(r.kernel_terms))
        .set("max_error_total", r.max_error_total);
  report.set("resolved", r.unresolved.empty());
  write_json_report(comm, line, report);
  // A tolerance the tensor does not meet is a failure, reported after the output is written so
  // that the result stays available for inspection.
  if (!r.unresolved.empty())
    throw InputError(c.path + ": " + r.unresolved + "; the tensor reached a max error of " +
                     format_short(r.max_error) + " and is in " + c.output_file);
  return 0;
}

}  // namespace kolmo::app
