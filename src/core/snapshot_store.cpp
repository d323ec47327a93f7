#include "core/snapshot_store.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <sstream>

#include "core/error.hpp"
#include "core/hdf5_vector.hpp"
#include "core/mpi.hpp"
#include "core/text.hpp"
#include "core/version.hpp"
#include "core/xdmf.hpp"

namespace kolmo {
namespace {

constexpr const char* kFormat = "kolmo-snapshots";
constexpr std::int64_t kFormatVersion = 1;

// Dataset paths of a snapshot file (docs/file-formats.md).
constexpr const char* kCaseText = "/case_text";
constexpr const char* kParameters = "/parameters";
constexpr const char* kLayout = "/layout";
constexpr const char* kVectors = "/snapshots/vectors";
constexpr const char* kComplete = "/snapshots/complete";
constexpr const char* kChecksum = "/snapshots/checksum";
constexpr const char* kOutputs = "/snapshots/outputs";
constexpr const char* kIterations = "/snapshots/iterations";
constexpr const char* kResidual = "/snapshots/residual";
constexpr const char* kSeconds = "/snapshots/seconds";
constexpr const char* kReason = "/snapshots/reason";

constexpr const char* kViews = "/views";

/// Where the views (xdmf.hpp) of slot i live.
std::string view_prefix(std::int64_t i) {
  return std::string(kViews) + "/snapshot_" + std::to_string(i);
}

/// The name ParaView shows for the snapshots: the component's name for a scalar field.
std::string field_name(const FieldLayout& layout) {
  if (layout.components == 1 && !layout.component_names.empty() &&
      !layout.component_names.front().empty())
    return layout.component_names.front();
  return "solution";
}

/// The sidecar is rewritten after a write at most this often (and always at close), so that a
/// long study does not spend its time rewriting an ever longer XML file.
constexpr std::chrono::seconds kSidecarInterval{2};

/// Run `body` on rank 0 only; if it throws there, every rank throws the same error (an
/// InputError stays an InputError).
void on_root(MPI_Comm comm, const std::function<void()>& body) {
  std::string failure;  // first character: 'I' for InputError, 'E' otherwise
  if (comm_rank(comm) == 0) {
    try {
      body();
    } catch (const InputError& e) {
      failure = std::string("I") + e.what();
    } catch (const std::exception& e) {
      failure = std::string("E") + e.what();
    }
  }
  broadcast_string(comm, failure);
  if (failure.empty()) return;
  if (failure.front() == 'I') throw InputError(failure.substr(1));
  throw Exception(failure.substr(1));
}

std::string list_or_none(const std::vector<std::string>& items) {
  return items.empty() ? std::string("(none)") : join(items);
}

/// "k=0.1, f=2": names with the shortest text that reads back as each value.
std::string format_point(const std::vector<std::string>& names, const Mu& mu) {
  std::string text;
  for (std::size_t k = 0; k < mu.size(); ++k) {
    if (k > 0) text += ", ";
    text += k < names.size() ? names[k] : "mu" + std::to_string(k);
    text += '=';
    text += json_number(mu[k]);
  }
  return text;
}

bool same_value(double a, double b) {
  if (a == b) return true;
  return std::abs(a - b) <= 1e-14 * std::max(std::abs(a), std::abs(b));
}

template <class T>
T broadcast_value(MPI_Comm comm, T value) {
  MPI_Bcast(&value, sizeof(T), MPI_BYTE, 0, comm);
  return value;
}

}  // namespace

std::uint64_t snapshot_checksum(Vec natural) {
  PetscInt low = 0, high = 0;
  KOLMO_PETSC_CALL(VecGetOwnershipRange(natural, &low, &high));
  const PetscScalar* values = nullptr;
  KOLMO_PETSC_CALL(VecGetArrayRead(natural, &values));
  std::uint64_t local = 0;
  for (PetscInt k = 0; k < high - low; ++k) {
    const double value = values[k];
    std::uint64_t bits = 0;
    std::memcpy(&bits, &value, sizeof bits);
    local += splitmix64(static_cast<std::uint64_t>(low + k) ^ splitmix64(bits));
  }
  KOLMO_PETSC_CALL(VecRestoreArrayRead(natural, &values));
  std::uint64_t global = 0;
  MPI_Allreduce(&local, &global, 1, MPI_UINT64_T, MPI_SUM,
                PetscObjectComm(reinterpret_cast<PetscObject>(natural)));
  return global;
}

SnapshotStore& SnapshotStore::operator=(SnapshotStore&& other) noexcept {
  if (this != &other) {
    try {
      close();
    } catch (...) {  // a destructor-like path: the old file is released regardless
    }
    file_ = std::move(other.file_);
    path_ = std::move(other.path_);
    header_ = std::move(other.header_);
    parameters_ = std::move(other.parameters_);
    complete_ = std::move(other.complete_);
    outputs_ = std::move(other.outputs_);
    records_ = std::move(other.records_);
    checksums_ = std::move(other.checksums_);
    kolmo_version_ = std::move(other.kolmo_version_);
    created_ = std::move(other.created_);
    sidecar_stale_ = other.sidecar_stale_;
    last_sidecar_ = other.last_sidecar_;
  }
  return *this;
}

SnapshotStore::~SnapshotStore() {
  try {
    close();
  } catch (...) {  // destructors must not throw; close() explicitly to see errors
  }
}

SnapshotStore SnapshotStore::create_or_resume(MPI_Comm comm, const std::string& path,
                                              const SnapshotHeader& header,
                                              const std::vector<Mu>& sample) {
  KOLMO_CHECK(!sample.empty(), path << ": a snapshot file needs at least one parameter point");
  KOLMO_CHECK(header.vector_size > 0,
              path << ": vector size must be positive, got " << header.vector_size);
  const std::size_t dimension = header.parameter_names.size();
  for (std::size_t i = 0; i < sample.size(); ++i)
    KOLMO_CHECK(sample[i].size() == dimension, path << ": parameter point " << i << " has "
                                                    << sample[i].size() << " values, expected "
                                                    << dimension);
  if (header.layout.has_mesh()) {
    KOLMO_CHECK(field_size(header.layout) == header.vector_size,
                path << ": the field layout has " << field_size(header.layout)
                     << " values, the vector size is " << header.vector_size);
  }

  int exists = 0;
  if (comm_rank(comm) == 0) {
    std::error_code error;
    exists = std::filesystem::exists(path, error) ? 1 : 0;
  }
  exists = broadcast_value(comm, exists);

  if (!exists) {
    // Rank 0 builds the file alone with the serial driver (creating thousands of small objects
    // collectively costs milliseconds each in synchronisation, serially microseconds), under a
    // temporary name renamed into place only once complete: a run killed during creation leaves
    // no half-made file at `path`. The other ranks wait, and share any failure.
    on_root(comm, [&] {
      const std::string temporary = path + ".creating";
      const std::int64_t n = static_cast<std::int64_t>(sample.size());
      const hsize_t rows = static_cast<hsize_t>(n);
      h5::File file = h5::File::create_serial(temporary, true);
      file.write_attribute("/", "kolmo_format", std::string(kFormat));
      file.write_attribute("/", "kolmo_format_version", kFormatVersion);
      file.write_attribute("/", "kolmo_version", std::string(version_string));
      file.write_attribute("/", "created", h5::utc_timestamp());
      file.write_attribute("/", "problem_type", header.problem_type);
      file.write_attribute("/", "parameter_names", header.parameter_names);
      file.write_attribute("/", "output_names", header.output_names);
      file.write_attribute("/", "vector_size", header.vector_size);
      file.write_attribute("/", "capacity", n);
      file.write_string(kCaseText, header.case_text);
      file.write_attribute("/", "definition", header.definition);
      std::vector<double> points;
      points.reserve(sample.size() * dimension);
      for (const auto& mu : sample) points.insert(points.end(), mu.begin(), mu.end());
      file.write_doubles(kParameters, {rows, static_cast<hsize_t>(dimension)}, points);
      write_field_layout(file, kLayout, header.layout);
      file.create_group("/snapshots");
      file.create_fixed_dataset(kVectors, H5T_IEEE_F64LE,
                                {rows, static_cast<hsize_t>(header.vector_size)}, false);
      file.create_fixed_dataset(kComplete, H5T_STD_U8LE, {rows}, true);
      file.create_fixed_dataset(kChecksum, H5T_STD_U64LE, {rows}, true);
      file.create_fixed_dataset(kOutputs, H5T_IEEE_F64LE,
                                {rows, static_cast<hsize_t>(header.output_names.size())}, true);
      file.create_fixed_dataset(kIterations, H5T_STD_I64LE, {rows}, true);
      file.create_fixed_dataset(kResidual, H5T_IEEE_F64LE, {rows}, true);
      file.create_fixed_dataset(kSeconds, H5T_IEEE_F64LE, {rows}, true);
      file.create_fixed_dataset(kReason, H5T_STD_I32LE, {rows}, true);
      if (header.layout.has_mesh()) {
        file.create_group(kViews);
        for (std::int64_t i = 0; i < n; ++i)
          create_field_views(file, kVectors, i, header.layout, field_name(header.layout),
                             view_prefix(i));
      }
      file.flush();
      file.close();
      std::error_code error;
      std::filesystem::rename(temporary, path, error);
      KOLMO_CHECK(!error,
                  path << ": cannot move the new snapshot file into place: " << error.message());
    });
  }

  SnapshotStore store = load(h5::File::open(comm, path, h5::Access::read_write));

  // The existing file must be the same study: refuse rather than mix snapshots of two studies.
  std::ostringstream difference;
  const SnapshotHeader& stored = store.header_;
  if (stored.problem_type != header.problem_type) {
    difference << "it holds problem '" << stored.problem_type << "', this run solves '"
               << header.problem_type << "'";
  } else if (stored.vector_size != header.vector_size) {
    difference << "its vectors have " << stored.vector_size << " entries, this run's have "
               << header.vector_size;
  } else if (stored.parameter_names != header.parameter_names) {
    difference << "its parameters are (" << join(stored.parameter_names) << "), this run's are ("
               << join(header.parameter_names) << ")";
  } else if (stored.output_names != header.output_names) {
    difference << "its outputs are (" << list_or_none(stored.output_names) << "), this run's are ("
               << list_or_none(header.output_names) << ")";
  } else if (!stored.definition.empty() && !header.definition.empty() && stored.definition != header.definition) {
    difference << "it was solved for " << stored.definition << "; this run is for " << header.definition;
  } else if (store.parameters_.size() != sample.size()) {
    difference << "it was made for a sample of " << store.parameters_.size()
               << " points, this run's sample has " << sample.size();
  } else {
    for (std::size_t i = 0; i < sample.size(); ++i) {
      bool same = true;
      for (std::size_t k = 0; k < dimension; ++k)
        same = same && same_value(store.parameters_[i][k], sample[i][k]);
      if (!same) {
        difference << "its parameter point " << i << " is ("
                   << format_point(stored.parameter_names, store.parameters_[i])
                   << "), this run's is (" << format_point(header.parameter_names, sample[i])
                   << ")";
        break;
      }
    }
  }
  const std::string what = difference.str();
  if (!what.empty()) {
    store.file_.close();
    throw InputError(path + ": this snapshot file belongs to another study: " + what +
                     ". Delete the file to start afresh, or set snapshots.file in the case file "
                     "to another path.");
  }
  return store;
}

SnapshotStore SnapshotStore::open(MPI_Comm comm, const std::string& path) {
  return load(h5::File::open(comm, path, h5::Access::read_only));
}

SnapshotStore SnapshotStore::load(h5::File file) {
  const std::string& path = file.path();
  const bool is_snapshot_file = file.has_attribute("/", "kolmo_format") &&
                                file.read_string_attribute("/", "kolmo_format") == kFormat;
  KOLMO_INPUT_CHECK(is_snapshot_file,
                    path << ": not a Kolmo snapshot file (its root attribute kolmo_format is not '"
                         << kFormat << "')");
  const std::int64_t format_version = file.read_int_attribute("/", "kolmo_format_version");
  KOLMO_INPUT_CHECK(format_version <= kFormatVersion,
                    path << ": snapshot file format " << format_version
                         << " was written by a newer Kolmo ("
                         << file.read_string_attribute("/", "kolmo_version") << "); this is Kolmo "
                         << version_string << ", which reads format " << kFormatVersion);

  SnapshotStore store;
  store.path_ = path;
  SnapshotHeader& header = store.header_;
  header.problem_type = file.read_string_attribute("/", "problem_type");
  header.parameter_names = file.read_strings_attribute("/", "parameter_names");
  header.output_names = file.read_strings_attribute("/", "output_names");
  header.vector_size = file.read_int_attribute("/", "vector_size");
  header.case_text = file.read_string(kCaseText);
  if (file.has_attribute("/", "definition")) header.definition = file.read_string_attribute("/", "definition");
  header.layout = read_field_layout(file, kLayout);
  store.kolmo_version_ = file.read_string_attribute("/", "kolmo_version");
  store.created_ = file.read_string_attribute("/", "created");
  const std::int64_t capacity = file.read_int_attribute("/", "capacity");
  KOLMO_INPUT_CHECK(capacity > 0 && header.vector_size > 0, path << ": corrupt header (capacity "
                                                                 << capacity << ", vector size "
                                                                 << header.vector_size << ")");
  const auto rows = static_cast<hsize_t>(capacity);
  const std::size_t p = header.parameter_names.size();
  const std::size_t m = header.output_names.size();

  auto expect_shape = [&](const char* dataset, const std::vector<hsize_t>& shape) {
    const auto found = file.shape(dataset);
    if (found == shape) return;
    std::ostringstream message;
    message << path << ": " << dataset << " has shape (";
    for (std::size_t d = 0; d < found.size(); ++d) message << (d ? ", " : "") << found[d];
    message << "), expected (";
    for (std::size_t d = 0; d < shape.size(); ++d) message << (d ? ", " : "") << shape[d];
    message << "); the file is corrupt";
    throw InputError(message.str());
  };
  expect_shape(kParameters, {rows, p});
  expect_shape(kVectors, {rows, static_cast<hsize_t>(header.vector_size)});
  expect_shape(kOutputs, {rows, m});
  for (const char* dataset : {kComplete, kChecksum, kIterations, kResidual, kSeconds, kReason})
    expect_shape(dataset, {rows});

  const auto points = file.read_doubles(kParameters);
  store.parameters_.assign(capacity, Mu(p));
  for (std::int64_t i = 0; i < capacity; ++i)
    std::copy_n(points.begin() + static_cast<std::ptrdiff_t>(i * p), p,
                store.parameters_[i].begin());

  store.complete_.assign(capacity, 0);
  file.read_block(kComplete, {0}, {rows}, H5T_NATIVE_UCHAR, store.complete_.data(), true);
  store.checksums_.assign(capacity, 0);
  file.read_block(kChecksum, {0}, {rows}, H5T_NATIVE_UINT64, store.checksums_.data(), true);
  const auto outputs = file.read_doubles(kOutputs);
  store.outputs_.assign(capacity, std::vector<double>(m));
  for (std::int64_t i = 0; i < capacity; ++i)
    std::copy_n(outputs.begin() + static_cast<std::ptrdiff_t>(i * m), m, store.outputs_[i].begin());
  const auto iterations = file.read_ints(kIterations);
  const auto residuals = file.read_doubles(kResidual);
  const auto seconds = file.read_doubles(kSeconds);
  const auto reasons = file.read_ints(kReason);
  store.records_.resize(capacity);
  for (std::int64_t i = 0; i < capacity; ++i) {
    store.records_[i] =
        SolveRecord{iterations[i], residuals[i], seconds[i], static_cast<int>(reasons[i])};
  }
  store.file_ = std::move(file);
  return store;
}

const Mu& SnapshotStore::parameter(std::int64_t i) const {
  check_index(i);
  return parameters_[i];
}

bool SnapshotStore::is_complete(std::int64_t i) const {
  check_index(i);
  return complete_[i] != 0;
}

std::int64_t SnapshotStore::count_complete() const noexcept {
  return std::count_if(complete_.begin(), complete_.end(), [](unsigned char c) { return c != 0; });
}

std::vector<std::int64_t> SnapshotStore::complete_indices() const {
  std::vector<std::int64_t> indices;
  for (std::int64_t i = 0; i < capacity(); ++i)
    if (complete_[i]) indices.push_back(i);
  return indices;
}

const std::vector<double>& SnapshotStore::outputs(std::int64_t i) const {
  KOLMO_CHECK(is_complete(i), path_ << ": snapshot " << i << " has not been computed");
  return outputs_[i];
}

const SolveRecord& SnapshotStore::record(std::int64_t i) const {
  KOLMO_CHECK(is_complete(i), path_ << ": snapshot " << i << " has not been computed");
  return records_[i];
}

std::uint64_t SnapshotStore::checksum(std::int64_t i) const {
  KOLMO_CHECK(is_complete(i), path_ << ": snapshot " << i << " has not been computed");
  return checksums_[i];
}

void SnapshotStore::check_index(std::int64_t i) const {
  KOLMO_CHECK(i >= 0 && i < capacity(),
              path_ << ": snapshot index " << i << " out of range [0, " << capacity() << ")");
}

void SnapshotStore::set_complete(std::int64_t i, bool complete) {
  const unsigned char flag = complete ? 1 : 0;
  file_.write_block(kComplete, {static_cast<hsize_t>(i)}, {1}, H5T_NATIVE_UCHAR, &flag,
                    comm_rank(comm()) == 0);
  file_.flush();
  complete_[i] = flag;
}

void SnapshotStore::write(std::int64_t i, Vec natural, const std::vector<double>& outputs,
                          const SolveRecord& record) {
  KOLMO_CHECK(is_open() && is_writable(), path_ << ": the snapshot file is not open for writing");
  check_index(i);
  KOLMO_CHECK(outputs.size() == header_.output_names.size(),
              path_ << ": snapshot " << i << " has " << outputs.size() << " outputs, expected "
                    << header_.output_names.size() << " (" << list_or_none(header_.output_names)
                    << ")");
  PetscInt size = 0;
  KOLMO_PETSC_CALL(VecGetSize(natural, &size));
  KOLMO_CHECK(size == header_.vector_size, path_ << ": snapshot " << i << " has " << size
                                                 << " entries, the file holds vectors of "
                                                 << header_.vector_size);
  const MPI_Comm comm = file_.comm();
  const bool root = comm_rank(comm) == 0;

  // Completion protocol (docs/file-formats.md): data first, flushed, then the flag, flushed.
  if (complete_[i]) set_complete(i, false);
  h5::write_vec(file_, kVectors, i, natural);
  const std::uint64_t sum = snapshot_checksum(natural);

  // Rank 0's outputs and record are the ones stored; keep every rank's index identical to them.
  std::vector<double> stored_outputs = outputs;
  if (!stored_outputs.empty())
    MPI_Bcast(stored_outputs.data(), static_cast<int>(stored_outputs.size()), MPI_DOUBLE, 0, comm);
  const SolveRecord stored_record = broadcast_value(comm, record);
  const std::int64_t iterations = stored_record.iterations;
  const std::int32_t reason = stored_record.reason;
  const auto row = static_cast<hsize_t>(i);
  const auto m = static_cast<hsize_t>(stored_outputs.size());
  file_.write_block(kOutputs, {row, 0}, {1, m}, H5T_NATIVE_DOUBLE, stored_outputs.data(), root);
  file_.write_block(kIterations, {row}, {1}, H5T_NATIVE_INT64, &iterations, root);
  file_.write_block(kResidual, {row}, {1}, H5T_NATIVE_DOUBLE, &stored_record.residual, root);
  file_.write_block(kSeconds, {row}, {1}, H5T_NATIVE_DOUBLE, &stored_record.seconds, root);
  file_.write_block(kReason, {row}, {1}, H5T_NATIVE_INT32, &reason, root);
  file_.write_block(kChecksum, {row}, {1}, H5T_NATIVE_UINT64, &sum, root);
  file_.flush();
  set_complete(i, true);

  outputs_[i] = std::move(stored_outputs);
  records_[i] = stored_record;
  checksums_[i] = sum;
  sidecar_stale_ = true;

  int due = 0;
  if (root && header_.layout.has_mesh()) {
    const auto now = std::chrono::steady_clock::now();
    due = (now - last_sidecar_ >= kSidecarInterval || count_complete() == capacity()) ? 1 : 0;
  }
  if (broadcast_value(comm, due)) write_sidecar();
}

void SnapshotStore::read(std::int64_t i, Vec natural) const {
  KOLMO_CHECK(is_open(), path_ << ": the snapshot file is closed");
  check_index(i);
  KOLMO_INPUT_CHECK(complete_[i] != 0,
                    path_ << ": snapshot " << i << " has not been computed (its slot is empty)");
  h5::read_vec(file_, kVectors, i, natural);
  const std::uint64_t sum = snapshot_checksum(natural);
  KOLMO_INPUT_CHECK(sum == checksums_[i],
                    path_ << ": snapshot " << i << " is corrupt (checksum mismatch: stored "
                          << checksums_[i] << ", data gives " << sum
                          << "); recompute it by deleting the file or restoring a copy");
}

void SnapshotStore::write_sidecar() const {
  if (!header_.layout.has_mesh()) return;
  on_root(file_.comm(), [&] {
    XdmfSeries series;
    series.h5_file = std::filesystem::path(path_).filename().string();
    series.name = "snapshots";
    series.layout = header_.layout;
    series.temporal = true;
    const std::string name = field_name(header_.layout);
    for (const std::int64_t i : complete_indices()) {
      series.steps.push_back(XdmfStep{static_cast<double>(i), "snapshot " + std::to_string(i),
                                      format_point(header_.parameter_names, parameters_[i]),
                                      field_views(header_.layout, name, view_prefix(i))});
    }
    write_xdmf_file(xdmf_sidecar_path(path_), series);
  });
  sidecar_stale_ = false;
  last_sidecar_ = std::chrono::steady_clock::now();
}

void SnapshotStore::close() {
  if (!file_.is_open()) return;
  if (sidecar_stale_) write_sidecar();
  file_.close();
}

namespace {

struct Stats {
  double min = 0, mean = 0, max = 0;
  std::size_t count = 0;
};

Stats stats_of(const std::vector<double>& values) {
  Stats s;
  s.count = values.size();
  if (values.empty()) return s;
  s.min = *std::min_element(values.begin(), values.end());
  s.max = *std::max_element(values.begin(), values.end());
  double sum = 0;
  for (const double v : values) sum += v;
  s.mean = sum / static_cast<double>(values.size());
  return s;
}

Json stats_json(const Stats& s) {
  if (s.count == 0) return Json();
  return Json::object().set("min", s.min).set("mean", s.mean).set("max", s.max);
}

std::string short_number(double value) {
  std::ostringstream out;
  out.precision(6);
  out << value;
  return out.str();
}

Json layout_json(const FieldLayout& layout) {
  Json json = Json::object();
  json.set("dimension", layout.dimension);
  Json nodes = Json::array(), origin = Json::array(), spacing = Json::array();
  for (int d = 0; d < 3; ++d) {
    nodes.push_back(static_cast<long long>(layout.nodes[d]));
    origin.push_back(layout.origin[d]);
    spacing.push_back(layout.spacing[d]);
  }
  json.set("nodes", nodes).set("origin", origin).set("spacing", spacing);
  json.set("components", layout.components).set("component_names", layout.component_names);
  return json;
}

Json snapshot_json(const SnapshotStore& store) {
  const SnapshotHeader& header = store.header();
  Json json = Json::object();
  json.set("path", store.path()).set("kind", "kolmo-snapshots");
  json.set("kolmo_version", store.kolmo_version()).set("created", store.created());
  json.set("problem_type", header.problem_type);
  json.set("capacity", static_cast<long long>(store.capacity()));
  json.set("complete", static_cast<long long>(store.count_complete()));
  json.set("vector_size", static_cast<long long>(header.vector_size));
  json.set("layout", layout_json(header.layout));
  Json parameters = Json::array();
  for (std::size_t k = 0; k < header.parameter_names.size(); ++k) {
    double low = std::numeric_limits<double>::infinity(), high = -low;
    for (const auto& mu : store.parameters()) {
      low = std::min(low, mu[k]);
      high = std::max(high, mu[k]);
    }
    parameters.push_back(
        Json::object().set("name", header.parameter_names[k]).set("min", low).set("max", high));
  }
  json.set("parameters", parameters);
  json.set("outputs", header.output_names);
  std::vector<double> iterations, seconds, residuals;
  for (const std::int64_t i : store.complete_indices()) {
    iterations.push_back(static_cast<double>(store.record(i).iterations));
    seconds.push_back(store.record(i).seconds);
    residuals.push_back(store.record(i).residual);
  }
  json.set("solver", Json::object()
                         .set("iterations", stats_json(stats_of(iterations)))
                         .set("seconds", stats_json(stats_of(seconds)))
                         .set("residual", stats_json(stats_of(residuals))));
  return json;
}

std::string snapshot_text(const SnapshotStore& store) {
  const SnapshotHeader& header = store.header();
  std::ostringstream out;
  out << store.path() << ": Kolmo snapshot file\n";
  out << "  problem       " << header.problem_type << "\n";
  out << "  written by    Kolmo " << store.kolmo_version() << ", created " << store.created()
      << "\n";
  out << "  snapshots     " << store.count_complete() << " of " << store.capacity()
      << " complete\n";
  out << "  vector size   " << header.vector_size;
  const FieldLayout& layout = header.layout;
  if (layout.has_mesh()) {
    out << " (" << layout.nodes[0] << " x " << layout.nodes[1];
    if (layout.dimension == 3) out << " x " << layout.nodes[2];
    out << " nodes, " << layout.components
        << (layout.components == 1 ? " component" : " components");
    if (!layout.component_names.empty()) out << ": " << join(layout.component_names);
    out << ")";
  }
  out << "\n";
  out << "  parameters    ";
  for (std::size_t k = 0; k < header.parameter_names.size(); ++k) {
    double low = std::numeric_limits<double>::infinity(), high = -low;
    for (const auto& mu : store.parameters()) {
      low = std::min(low, mu[k]);
      high = std::max(high, mu[k]);
    }
    out << (k ? ", " : "") << header.parameter_names[k] << " in [" << short_number(low) << ", "
        << short_number(high) << "]";
  }
  if (header.parameter_names.empty()) out << "(none)";
  out << "  (range of the " << store.capacity() << " sample points)\n";
  out << "  outputs       " << list_or_none(header.output_names) << "\n";
  std::vector<double> iterations, seconds;
  for (const std::int64_t i : store.complete_indices()) {
    iterations.push_back(static_cast<double>(store.record(i).iterations));
    seconds.push_back(store.record(i).seconds);
  }
  out << "  solver        ";
  if (iterations.empty()) {
    out << "no snapshot computed yet\n";
  } else {
    const Stats it = stats_of(iterations), time = stats_of(seconds);
    out << "iterations min " << short_number(it.min) << " / mean " << short_number(it.mean)
        << " / max " << short_number(it.max) << "; time min " << short_number(time.min)
        << " s / mean " << short_number(time.mean) << " s / max " << short_number(time.max)
        << " s\n";
  }
  return out.str();
}

struct ObjectEntry {
  std::string path;
  bool dataset = false;
  std::vector<hsize_t> shape;
  std::string type;
};

std::string type_name(hid_t type) {
  const H5T_class_t type_class = H5Tget_class(type);
  const std::size_t size = H5Tget_size(type);
  switch (type_class) {
    case H5T_INTEGER:
      return std::string(H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int") +
             std::to_string(8 * size);
    case H5T_FLOAT:
      return "float" + std::to_string(8 * size);
    case H5T_STRING:
      return "string";
    case H5T_COMPOUND:
      return "compound";
    case H5T_ENUM:
      return "enum";
    case H5T_ARRAY:
      return "array";
    case H5T_VLEN:
      return "vlen";
    default:
      return "other";
  }
}

herr_t collect_link(hid_t, const char* name, const H5L_info_t* info, void* data) {
  if (info->type == H5L_TYPE_HARD) static_cast<std::vector<std::string>*>(data)->push_back(name);
  return 0;
}

std::vector<ObjectEntry> list_objects(const h5::File& file) {
  std::vector<std::string> names;
  KOLMO_H5_INPUT_CALL(file.path(), "/",
                      H5Lvisit(file.id(), H5_INDEX_NAME, H5_ITER_INC, collect_link, &names));
  std::vector<ObjectEntry> entries;
  for (const auto& name : names) {
    ObjectEntry entry;
    entry.path = "/" + name;
    h5::ObjectHandle object(KOLMO_H5_INPUT_CALL(file.path(), entry.path,
                                                H5Oopen(file.id(), name.c_str(), H5P_DEFAULT)));
    if (H5Iget_type(object) == H5I_DATASET) {
      entry.dataset = true;
      entry.shape = file.shape(entry.path);
      h5::DatatypeHandle type(KOLMO_H5_INPUT_CALL(file.path(), entry.path, H5Dget_type(object)));
      entry.type = type_name(type);
    } else if (H5Iget_type(object) != H5I_GROUP) {
      continue;
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

std::string shape_text(const std::vector<hsize_t>& shape) {
  if (shape.empty()) return "scalar";
  std::string text;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (d) text += " x ";
    text += std::to_string(shape[d]);
  }
  return text;
}

/// Root attributes whose values are short enough to show: name -> text.
std::vector<std::pair<std::string, std::string>> root_attributes(const h5::File& file) {
  std::vector<std::string> names;
  hsize_t index = 0;
  KOLMO_H5_INPUT_CALL(file.path(), "/",
                      H5Aiterate(
                          file.id(), H5_INDEX_NAME, H5_ITER_INC, &index,
                          [](hid_t, const char* name, const H5A_info_t*, void* data) -> herr_t {
                            static_cast<std::vector<std::string>*>(data)->push_back(name);
                            return 0;
                          },
                          &names));
  std::vector<std::pair<std::string, std::string>> result;
  for (const auto& name : names) {
    std::string text;
    try {
      const auto strings = file.read_strings_attribute("/", name);
      text = join(strings);
    } catch (const InputError&) {
      try {
        const auto values = file.read_doubles_attribute("/", name);
        std::vector<std::string> parts;
        for (const double v : values) parts.push_back(short_number(v));
        text = join(parts);
      } catch (const InputError&) {
        text = "(unsupported type)";
      }
    }
    if (text.size() > 72) text = text.substr(0, 69) + "...";
    result.emplace_back(name, text);
  }
  return result;
}

bool is_snapshot_file(const h5::File& file) {
  return file.has_attribute("/", "kolmo_format") &&
         file.read_string_attribute("/", "kolmo_format") == kFormat;
}

}  // namespace

std::string describe_hdf5_file(MPI_Comm comm, const std::string& path) {
  h5::File file = h5::File::open(comm, path, h5::Access::read_only);
  if (is_snapshot_file(file)) {
    file.close();
    const SnapshotStore store = SnapshotStore::open(comm, path);
    return snapshot_text(store);
  }
  std::ostringstream out;
  out << path << ": HDF5 file\n";
  const auto attributes = root_attributes(file);
  if (!attributes.empty()) {
    out << "  attributes\n";
    for (const auto& [name, value] : attributes) out << "    " << name << " = " << value << "\n";
  }
  const auto entries = list_objects(file);
  out << "  objects" << (entries.empty() ? " (none)" : "") << "\n";
  for (const auto& entry : entries) {
    out << "    " << entry.path;
    if (entry.dataset) {
      out << "  dataset " << entry.type << " [" << shape_text(entry.shape) << "]";
    } else {
      out << "/  group";
    }
    out << "\n";
  }
  return out.str();
}

Json describe_hdf5_file_json(MPI_Comm comm, const std::string& path) {
  h5::File file = h5::File::open(comm, path, h5::Access::read_only);
  if (is_snapshot_file(file)) {
    file.close();
    const SnapshotStore store = SnapshotStore::open(comm, path);
    return snapshot_json(store);
  }
  Json json = Json::object();
  json.set("path", path).set("kind", "hdf5");
  Json attributes = Json::object();
  for (const auto& [name, value] : root_attributes(file)) attributes.set(name, value);
  json.set("attributes", attributes);
  Json objects = Json::array();
  for (const auto& entry : list_objects(file)) {
    Json object = Json::object();
    object.set("path", entry.path).set("type", entry.dataset ? "dataset" : "group");
    if (entry.dataset) {
      Json shape = Json::array();
      for (const hsize_t d : entry.shape) shape.push_back(static_cast<unsigned long long>(d));
      object.set("shape", shape).set("datatype", entry.type);
    }
    objects.push_back(object);
  }
  json.set("objects", objects);
  return json;
}

}  // namespace kolmo
