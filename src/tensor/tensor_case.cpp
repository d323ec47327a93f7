#include "tensor/tensor_case.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <sstream>

#include "core/exceptions.hpp"
#include "core/expression.hpp"
#include "core/hdf5_file.hpp"
#include "core/mpi.hpp"
#include "core/text.hpp"
#include "core/version.hpp"
#include "core/xdmf.hpp"
#include "tensor/chebyshev_tucker.hpp"
#include "tensor/distributed_tensor.hpp"

namespace kolmo::tensor {

namespace {

// Grids larger than this are refused: the slab of one rank is held in memory.
constexpr Index max_grid_points = Index(1) << 28;
constexpr Index check_point_count = 2000;

std::string number_text(double value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string resolve(const std::string& case_path, const std::string& name) {
  const std::filesystem::path p(name);
  const std::filesystem::path dir = std::filesystem::path(case_path).parent_path();
  if (p.is_absolute() || dir.empty()) return name;
  return (dir / p).lexically_normal().string();
}

Box read_box(MapReader& parent, bool required_key) {
  if (!parent.has("box")) {
    if (required_key) parent.node().fail_at_key("missing required key 'box' ({lower: [...], upper: [...]})");
    parent.allow("box");
    return Box();
  }
  MapReader reader(parent.child("box"));
  const auto lower = reader.required<std::vector<double>>("lower");
  const auto upper = reader.required<std::vector<double>>("upper");
  reader.reject_unknown_keys();
  if (lower.size() != upper.size())
    reader.child("upper").fail("has " + std::to_string(upper.size()) + " entries, 'lower' has " +
                               std::to_string(lower.size()));
  if (lower.size() < 2 || lower.size() > 6)
    reader.child("lower").fail("the box must have 2 to 6 dimensions, got " + std::to_string(lower.size()));
  for (std::size_t l = 0; l < lower.size(); ++l)
    if (!(upper[l] > lower[l]))
      reader.child("upper").fail("side " + std::to_string(l) + " has zero or negative width: [" +
                                 number_text(lower[l]) + ", " + number_text(upper[l]) + "]");
  return Box(lower, upper);
}

// A function of the case's expression, evaluated point by point (muparser is not thread-safe;
// each BatchFunction owns its compiled copy).
BatchFunction expression_function(const TensorCase& c) {
  auto expression = std::make_shared<ParameterExpression>(c.expression, c.variables);
  return [expression](const Eigen::MatrixXd& points, Eigen::VectorXd& values) {
    for (Index p = 0; p < points.cols(); ++p)
      values[p] = (*expression)(std::span<const double>(points.col(p).data(), static_cast<std::size_t>(points.rows())));
  };
}

Eigen::MatrixXd random_points(const Box& box, Index count) {
  std::mt19937_64 rng(20261122);
  Eigen::MatrixXd points(box.dims(), count);
  for (Index p = 0; p < count; ++p)
    for (int l = 0; l < box.dims(); ++l)
      points(l, p) = std::uniform_real_distribution<double>(box.lower(l), box.upper(l))(rng);
  return points;
}

double relative_max_error(const Eigen::VectorXd& exact, const Eigen::VectorXd& approx) {
  const double scale = exact.cwiseAbs().maxCoeff();
  const double diff = (exact - approx).cwiseAbs().maxCoeff();
  return scale > 0.0 ? diff / scale : diff;
}

// Write the values of `f` (a function of the points of a slab) on the uniform grid of `box`:
// dataset `dataset` of prod(n) doubles, first coordinate fastest; each rank its slab of the last
// dimension.
void write_grid_dataset(MPI_Comm comm, h5::File& file, const std::string& dataset,
                        const std::vector<Eigen::VectorXd>& grid,
                        const std::function<Eigen::VectorXd(Index begin, Index count)>& slab_values) {
  const Index total = [&] {
    Index t = 1;
    for (const auto& g : grid) t *= g.size();
    return t;
  }();
  const Index last = grid.back().size();
  const Index plane = total / last;
  const auto [begin, count] = DistributedTensor::partition(last, comm_size(comm), comm_rank(comm));
  file.create_fixed_dataset(dataset, H5T_IEEE_F64LE, {static_cast<hsize_t>(total)}, false);
  const Eigen::VectorXd values = count > 0 ? slab_values(begin, count) : Eigen::VectorXd();
  file.write_block(dataset, {static_cast<hsize_t>(begin * plane)}, {static_cast<hsize_t>(count * plane)},
                   H5T_NATIVE_DOUBLE, values.data(), count > 0);
}

// The points of the slab [begin, begin + count) of the last dimension of a tensor grid (d x P,
// first coordinate fastest).
Eigen::MatrixXd slab_points(const std::vector<Eigen::VectorXd>& grid, Index begin, Index count) {
  const int d = static_cast<int>(grid.size());
  Index plane = 1;
  for (int l = 0; l + 1 < d; ++l) plane *= grid[static_cast<std::size_t>(l)].size();
  Eigen::MatrixXd points(d, plane * count);
  std::vector<Index> index(static_cast<std::size_t>(d), 0);
  index.back() = begin;
  for (Index p = 0; p < points.cols(); ++p) {
    for (int l = 0; l < d; ++l) points(l, p) = grid[static_cast<std::size_t>(l)][index[static_cast<std::size_t>(l)]];
    for (int l = 0; l < d; ++l) {
      const auto ul = static_cast<std::size_t>(l);
      if (++index[ul] < grid[ul].size() || l == d - 1) break;
      index[ul] = 0;
    }
  }
  return points;
}

// The values of a Tucker tensor on the slab [begin, begin + count) of its last mode.
Eigen::VectorXd tucker_slab(const TuckerTensor& t, Index begin, Index count) {
  TuckerTensor s = t;
  s.factors.back() = Eigen::MatrixXd(t.factors.back().middleRows(begin, count));
  return s.full().vector();
}

}  // namespace

TensorCase parse_tensor_case(const std::string& text, const std::string& path) {
  const auto file = std::make_shared<const std::string>(path);
  const YAML::Node root = parse_yaml_document(text, path);
  const ConfigNode top_node(root, file, "");
  if (!top_node.defined()) top_node.fail("the case file is empty; it needs 'function:' or 'particles:'");
  MapReader top(top_node);
  TensorCase c;
  c.path = path;
  const bool has_function = top.has("function"), has_particles = top.has("particles");
  if (has_function == has_particles)
    top_node.fail(has_function ? "give either 'function:' or 'particles:', not both"
                               : "missing input: give 'function:' (an expression on a box) or "
                                 "'particles:' (a particle file)");
  if (has_function) {
    c.kind = TensorCase::Kind::function;
    c.input_node = top.child("function");
    MapReader f(c.input_node);
    c.expression = f.required<std::string>("expression");
    if (trim(c.expression).empty()) f.child("expression").fail("expected an expression");
    c.box = read_box(f, true);
    static const std::vector<std::string> default_names{"x", "y", "z", "u", "v", "w"};
    const auto d = static_cast<std::size_t>(c.box.dims());
    if (f.has("variables")) {
      c.variables = f.required<std::vector<std::string>>("variables");
      if (c.variables.size() != d)
        f.child("variables").fail(std::to_string(c.variables.size()) + " names for a box of " +
                                  std::to_string(d) + " dimensions");
    } else {
      c.variables.assign(default_names.begin(), default_names.begin() + static_cast<std::ptrdiff_t>(d));
    }
    f.reject_unknown_keys();
    try {
      ParameterExpression check(c.expression, c.variables);
    } catch (const InputError& e) {
      f.child("expression").fail(e.what());
    }
  } else {
    c.kind = TensorCase::Kind::particles;
    c.input_node = top.child("particles");
    MapReader p(c.input_node);
    c.file_node = p.child("file");
    const std::string name = p.required<std::string>("file");
    if (trim(name).empty()) c.file_node.fail("expected a file name");
    c.particle_file = resolve(path, name);
    c.kernel = p.choice("kernel", {"newton"}, "newton");
    c.split_width = p.optional<double>("split_width", 0.0);
    if (p.has("split_width") && !(c.split_width > 0.0))
      p.child("split_width").fail("must be > 0, got " + number_text(c.split_width));
    c.r_min = p.optional<double>("r_min", 0.0);
    if (p.has("r_min") && !(c.r_min > 0.0)) p.child("r_min").fail("must be > 0, got " + number_text(c.r_min));
    c.box = read_box(p, false);
    if (c.box.dims() != 0 && c.box.dims() != 3)
      p.child("box").fail("a particle box must be 3-D, got " + std::to_string(c.box.dims()) + " dimensions");
    p.reject_unknown_keys();
  }
  c.tolerance = top.optional<double>("tolerance", 1e-8);
  if (!(c.tolerance > 0.0) || c.tolerance >= 1.0)
    top.child("tolerance").fail("must be in (0, 1), got " + number_text(c.tolerance));
  const int d = c.kind == TensorCase::Kind::function ? c.box.dims() : 3;
  MapReader out(top.child("output"));
  const std::string stem = std::filesystem::path(path).stem().string();
  c.output_file = resolve(path, out.optional<std::string>("file", (stem.empty() ? std::string("tensor") : stem) + "_tensor.h5"));
  if (out.has("grid")) {
    const auto grid = out.required<std::vector<std::size_t>>("grid");
    if (grid.size() != 1 && static_cast<int>(grid.size()) != d)
      out.child("grid").fail(std::to_string(grid.size()) + " sizes for " + std::to_string(d) +
                             " dimensions (give one for all, or one per dimension)");
    Index total = 1;
    for (int l = 0; l < d; ++l) {
      const auto n = static_cast<Index>(grid.size() == 1 ? grid[0] : grid[static_cast<std::size_t>(l)]);
      if (n < 2) out.child("grid").fail("every grid size must be >= 2");
      c.grid.push_back(n);
      total = total > max_grid_points / n ? max_grid_points + 1 : total * n;
    }
    if (total > max_grid_points)
      out.child("grid").fail("the grid has more than 2^28 points; choose a smaller one");
  }
  out.reject_unknown_keys();
  top.reject_unknown_keys();
  return c;
}

TensorCase read_tensor_case(MPI_Comm comm, const std::string& path) {
  std::string text, error;
  if (comm_rank(comm) == 0 && !read_text_file(path, text, error) && error.empty())
    error = path + ": cannot read the case file";
  broadcast_string(comm, error);
  if (!error.empty()) throw InputError("cannot read the case file: " + error);
  broadcast_string(comm, text);
  return parse_tensor_case(text, path);
}

TensorCaseResult run_tensor_case(MPI_Comm comm, const TensorCase& c) {
  TensorCaseResult result;
  const auto start = std::chrono::steady_clock::now();
  ChebyshevTucker tensor;
  std::unique_ptr<RangeSeparatedPotential> potential;
  if (c.kind == TensorCase::Kind::function) {
    const BatchFunction f = expression_function(c);
    ChebyshevTuckerOptions options;
    options.eps = c.tolerance;
    ChebyshevTuckerReport report;
    try {
      tensor = ChebyshevTucker::from_function(f, c.box, options, &report);
    } catch (const InputError& e) {
      c.input_node.child("expression").fail(e.what());
    }
    if (!report.chebyshev.converged) {
      // The dimensions sampled at the cap are the unresolved ones; none there means the grid as
      // a whole ran out of its budget of points.
      std::vector<std::string> at_cap;
      for (std::size_t l = 0; l < report.chebyshev.sampled_points.size(); ++l)
        if (report.chebyshev.sampled_points[l] >= options.max_points) at_cap.push_back(std::to_string(l));
      std::ostringstream why;
      why << "the function is not resolved to the tolerance " << c.tolerance << ": ";
      if (at_cap.empty())
        why << "the Chebyshev grid reached its budget of " << options.max_total_points << " points";
      else
        why << "its Chebyshev coefficients do not decay within " << options.max_points
            << " nodes along dimension " << join(at_cap);
      why << " (a function with a kink or a jump on the box cannot be resolved; a smaller box or a "
             "larger tolerance may help)";
      result.unresolved = why.str();
    }
    result.build_seconds = seconds_since(start);
    const Eigen::MatrixXd points = random_points(c.box, check_point_count);
    Eigen::VectorXd exact(points.cols());
    f(points, exact);
    result.max_error = relative_max_error(exact, tensor.evaluate(points));
    result.check_points = points.cols();
  } else {
    ParticleSet particles;
    try {
      particles = read_particles(c.particle_file);
    } catch (const InputError& e) {
      c.file_node.fail(e.what());
    }
    RangeSeparatedOptions options;
    options.eps = c.tolerance;
    options.split_width = c.split_width;
    options.r_min = c.r_min;
    options.box = c.box;
    try {
      potential = std::make_unique<RangeSeparatedPotential>(std::move(particles), options);
    } catch (const InputError& e) {
      c.input_node.fail(e.what());
    }
    tensor = potential->long_range();
    result.build_seconds = seconds_since(start);
    const Eigen::MatrixXd points = random_points(tensor.box(), check_point_count);
    const Eigen::VectorXd exact_long =
        direct_potential(potential->particles(), points, &potential->long_range_kernel());
    result.max_error = relative_max_error(exact_long, potential->long_range_potential(points));
    result.max_error_total =
        relative_max_error(direct_potential(potential->particles(), points), potential->potential(points));
    result.check_points = points.cols();
    result.particles = potential->particles().size();
    result.kernel_terms = potential->kernel().terms();
    result.short_terms = potential->short_range_kernel().terms();
    result.long_terms = potential->long_range_kernel().terms();
    result.split_width = potential->split_width();
    result.cutoff = potential->cutoff();
  }
  result.ranks = tensor.ranks();
  result.points = tensor.points();
  result.storage = tensor.storage();

  const auto grid_start = std::chrono::steady_clock::now();
  h5::File file = h5::File::create(comm, c.output_file, true);
  file.write_attribute("/", "kolmo_format", std::string("kolmo-tensor"));
  file.write_attribute("/", "kolmo_format_version", std::int64_t{1});
  file.write_attribute("/", "kolmo_version", std::string(version_string));
  file.write_attribute("/", "case", c.path);
  file.write_attribute("/", "tolerance", c.tolerance);
  tensor.save(file, "/chebyshev_tucker");
  if (potential) {
    const GaussianSum& k = potential->kernel();
    file.create_group("/kernel");
    file.write_doubles("/kernel/weights", {static_cast<hsize_t>(k.terms())},
                       std::vector<double>(k.weights.data(), k.weights.data() + k.terms()));
    file.write_doubles("/kernel/exponents", {static_cast<hsize_t>(k.terms())},
                       std::vector<double>(k.exponents.data(), k.exponents.data() + k.terms()));
    file.write_attribute("/kernel", "split_width", potential->split_width());
    file.write_attribute("/kernel", "cutoff", potential->cutoff());
    file.write_attribute("/kernel", "long_range_terms", static_cast<std::int64_t>(potential->long_range_kernel().terms()));
    const auto n = static_cast<hsize_t>(potential->particles().size());
    // Rank 0's data are written; every rank computes them (cheap) so the call stays collective.
    const Eigen::VectorXd phi = potential->potential_at_particles();
    const Eigen::MatrixXd e = potential->field_at_particles();
    file.create_group("/particles");
    const Eigen::MatrixXd x = potential->particles().positions;
    file.write_doubles("/particles/positions", {n, 3}, std::vector<double>(x.data(), x.data() + x.size()));
    const Eigen::VectorXd q = potential->particles().charges;
    file.write_doubles("/particles/charges", {n}, std::vector<double>(q.data(), q.data() + q.size()));
    file.write_doubles("/particles/potential", {n}, std::vector<double>(phi.data(), phi.data() + phi.size()));
    file.write_doubles("/particles/field", {n, 3}, std::vector<double>(e.data(), e.data() + e.size()));
  }
  if (!c.grid.empty()) {
    const Box& box = tensor.box();
    const int d = box.dims();
    std::vector<Eigen::VectorXd> grid;
    for (int l = 0; l < d; ++l)
      grid.push_back(uniform_points(c.grid[static_cast<std::size_t>(l)], box.lower(l), box.upper(l)));
    file.create_group("/grid");
    for (int l = 0; l < d; ++l) {
      const auto& g = grid[static_cast<std::size_t>(l)];
      file.write_doubles("/grid/x" + std::to_string(l), {static_cast<hsize_t>(g.size())},
                         std::vector<double>(g.data(), g.data() + g.size()));
    }
    const TuckerTensor on_grid = tensor.on_grid(grid);
    std::vector<std::string> fields;
    if (potential) {
      write_grid_dataset(comm, file, "/grid/long_range", grid,
                         [&](Index b, Index n) { return tucker_slab(on_grid, b, n); });
      write_grid_dataset(comm, file, "/grid/potential", grid, [&](Index b, Index n) {
        return Eigen::VectorXd(tucker_slab(on_grid, b, n) + potential->short_range_potential(slab_points(grid, b, n)));
      });
      fields = {"long_range", "potential"};
    } else {
      write_grid_dataset(comm, file, "/grid/values", grid,
                         [&](Index b, Index n) { return tucker_slab(on_grid, b, n); });
      fields = {"values"};
    }
    if (d <= 3) {
      FieldLayout layout;
      layout.dimension = d;
      for (int l = 0; l < d; ++l) {
        layout.nodes[static_cast<std::size_t>(l)] = grid[static_cast<std::size_t>(l)].size();
        layout.origin[static_cast<std::size_t>(l)] = box.lower(l);
        layout.spacing[static_cast<std::size_t>(l)] = box.width(l) / static_cast<double>(grid[static_cast<std::size_t>(l)].size() - 1);
      }
      layout.component_names = {"f"};
      write_field_layout(file, "/layout", layout);
      file.create_group("/views");
      std::vector<XdmfAttribute> attributes;
      for (const auto& name : fields) {
        create_field_views(file, "/grid/" + name, -1, layout, name, "/views/" + name);
        for (auto& a : field_views(layout, name, "/views/" + name)) attributes.push_back(a);
      }
      file.close();
      std::string failure;
      if (comm_rank(comm) == 0) {
        try {
          XdmfSeries series;
          series.h5_file = std::filesystem::path(c.output_file).filename().string();
          series.name = std::filesystem::path(c.output_file).stem().string();
          series.layout = layout;
          series.temporal = false;
          series.steps.push_back(XdmfStep{0.0, series.name, "Chebyshev-Tucker tensor of " + c.path, attributes});
          write_xdmf_file(xdmf_sidecar_path(c.output_file), series);
        } catch (const std::exception& e) {
          failure = e.what();
          if (failure.empty()) failure = "unknown error";
        }
      }
      broadcast_string(comm, failure);
      if (!failure.empty()) throw Exception(failure);
      result.xdmf = true;
    }
  }
  if (file.is_open()) file.close();
  result.grid_seconds = seconds_since(grid_start);
  return result;
}

}  // namespace kolmo::tensor
