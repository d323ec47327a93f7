#include "core/hdf5_file.hpp"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <limits>
#include <numeric>

#include "core/mpi.hpp"

namespace kolmo::h5 {

namespace {

std::string base_name(const char* file) { return std::filesystem::path(file).filename().string(); }

herr_t collect_error(unsigned, const H5E_error2_t* error, void* data) {
  auto& parts = *static_cast<std::vector<std::string>*>(data);
  std::string text;
  // HDF5's descriptions may span lines ("time = <ctime>\n, name = ..."): keep one line.
  for (const char* c = error->desc ? error->desc : ""; *c; ++c) {
    if (*c == '\n' || *c == '\r') continue;
    text += *c;
  }
  if (text.empty() && error->func_name) text = std::string(error->func_name) + "() failed";
  if (!text.empty() && (parts.empty() || parts.back() != text)) parts.push_back(std::move(text));
  return 0;
}

std::size_t product(const std::vector<hsize_t>& shape) {
  return std::accumulate(shape.begin(), shape.end(), std::size_t{1},
                         [](std::size_t a, hsize_t b) { return a * static_cast<std::size_t>(b); });
}

/// A fixed-length, null-terminated UTF-8 string type of `size` bytes (at least 1).
DatatypeHandle fixed_string_type(std::size_t size, std::string_view file) {
  DatatypeHandle type(KOLMO_H5_CALL(file, "", H5Tcopy(H5T_C_S1)));
  KOLMO_H5_CALL(file, "", H5Tset_size(type, std::max<std::size_t>(size, 1)));
  KOLMO_H5_CALL(file, "", H5Tset_strpad(type, H5T_STR_NULLTERM));
  KOLMO_H5_CALL(file, "", H5Tset_cset(type, H5T_CSET_UTF8));
  return type;
}

std::size_t longest(const std::vector<std::string>& strings) {
  std::size_t size = 0;
  for (const auto& s : strings) size = std::max(size, s.size());
  return size + 1;
}

/// Pack strings into `size`-byte null-padded records.
std::vector<char> pack_strings(const std::vector<std::string>& strings, std::size_t size) {
  std::vector<char> buffer(std::max<std::size_t>(strings.size(), 1) * size, '\0');
  for (std::size_t i = 0; i < strings.size(); ++i)
    std::memcpy(buffer.data() + i * size, strings[i].data(), strings[i].size());
  return buffer;
}

/// Read `count` strings of the object `id` (a dataset or an attribute) whose file type is `type`,
/// fixed or variable length. `read` is called with a memory type and a buffer.
template <class Read>
std::vector<std::string> read_string_array(hid_t type, std::size_t count, std::string_view file,
                                           std::string_view object, Read read) {
  KOLMO_INPUT_CHECK(H5Tget_class(type) == H5T_STRING,
                    file << ": " << object << ": expected text, found another type");
  std::vector<std::string> result(count);
  if (count == 0) return result;
  if (KOLMO_H5_INPUT_CALL(file, object, H5Tis_variable_str(type)) > 0) {
    DatatypeHandle memory(KOLMO_H5_CALL(file, object, H5Tcopy(H5T_C_S1)));
    KOLMO_H5_CALL(file, object, H5Tset_size(memory, H5T_VARIABLE));
    // HDF5 does not convert between character sets: read in the file's own.
    KOLMO_H5_CALL(file, object, H5Tset_cset(memory, H5Tget_cset(type)));
    std::vector<char*> pointers(count, nullptr);
    read(memory.get(), static_cast<void*>(pointers.data()));
    for (std::size_t i = 0; i < count; ++i) {
      if (pointers[i]) result[i] = pointers[i];
      H5free_memory(pointers[i]);
    }
  } else {
    const std::size_t size = H5Tget_size(type);
    KOLMO_INPUT_CHECK(size > 0, file << ": " << object << ": string type of size 0");
    // The file's own type in memory: no conversion (HDF5 converts no character sets), and
    // records are cut at their first null below whatever the padding.
    DatatypeHandle memory(KOLMO_H5_CALL(file, object, H5Tcopy(type)));
    std::vector<char> buffer(count * size, '\0');
    read(memory.get(), static_cast<void*>(buffer.data()));
    for (std::size_t i = 0; i < count; ++i) {
      const char* begin = buffer.data() + i * size;
      result[i].assign(begin, strnlen(begin, size));
    }
  }
  return result;
}

std::string object_of(const std::string& object_path, const std::string& attribute) {
  return object_path + "@" + attribute;
}

}  // namespace

void silence_error_printing() noexcept { H5Eset_auto(H5E_DEFAULT, nullptr, nullptr); }

std::string take_error_stack() {
  std::vector<std::string> parts;
  H5Ewalk(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect_error, &parts);
  H5Eclear(H5E_DEFAULT);
  std::string text;
  for (const auto& part : parts) {
    if (!text.empty()) text += ": ";
    text += part;
  }
  return text;
}

namespace detail {

void throw_hdf5_error(bool input_error, std::string_view file, std::string_view object,
                      const char* expression, const char* source, int line) {
  std::string text(file);
  if (!object.empty()) {
    text += ": ";
    text += object;
  }
  // Reading a user's file: the call and Kolmo's source line mean nothing to the reader of the
  // message; what HDF5 found does, and a failed checksum deserves plain words.
  if (input_error) {
    const std::string stack = take_error_stack();
    if (stack.find("Fletcher32") != std::string::npos)
      throw InputError(text + ": its data fail their checksum: the file is damaged (or was "
                              "changed after Kolmo wrote it)");
    throw InputError(text + ": HDF5 cannot read it (" +
                     (stack.empty() ? std::string("no reason given") : stack) + ")");
  }
  text += ": ";
  text += expression;
  text += " failed";
  const std::string stack = take_error_stack();
  if (!stack.empty()) {
    text += ": ";
    text += stack;
  }
  text += " [at ";
  text += base_name(source);
  text += ":";
  text += std::to_string(line);
  text += "]";
  throw Exception(text);
}

}  // namespace detail

File File::create(MPI_Comm comm, const std::string& path, bool overwrite) {
  return create_impl(comm, path, overwrite, true);
}

File File::open(MPI_Comm comm, const std::string& path, Access access) {
  return open_impl(comm, path, access, true);
}

File File::create_serial(const std::string& path, bool overwrite) {
  return create_impl(MPI_COMM_SELF, path, overwrite, false);
}

File File::open_serial(const std::string& path, Access access) {
  return open_impl(MPI_COMM_SELF, path, access, false);
}

File File::create_impl(MPI_Comm comm, const std::string& path, bool overwrite, bool collective) {
  silence_error_printing();
  File file;
  file.path_ = path;
  file.comm_ = comm;
  file.collective_ = collective;
  file.writable_ = true;
  PropertyListHandle fapl(KOLMO_H5_CALL(path, "", H5Pcreate(H5P_FILE_ACCESS)));
  if (collective) {
    KOLMO_H5_CALL(path, "", H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL));
  } else {
    // HDF5's advisory lock fails on file systems without flock (some parallel file systems) and
    // protects nothing here: Kolmo builds its files under temporary names.
    KOLMO_H5_CALL(path, "", H5Pset_file_locking(fapl, false, true));
  }
  // The 1.8 file format checksums its metadata too (object headers, B-trees), which the default,
  // oldest format does not; every HDF5 since 1.8 (2008) reads it.
  KOLMO_H5_CALL(path, "", H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_LATEST));
  file.file_ = FileHandle(
      H5Fcreate(path.c_str(), overwrite ? H5F_ACC_TRUNC : H5F_ACC_EXCL, H5P_DEFAULT, fapl));
  const bool ok = collective ? all_ranks(comm, file.file_.get() >= 0) : file.file_.get() >= 0;
  if (!ok) {
    std::string reason = take_error_stack();
    if (collective) broadcast_string(comm, reason);
    // A rank that did create the file cannot close it alone (closing is collective).
    file.file_.release();
    // Usually the user's path: a missing directory, no permission, or an existing file.
    throw InputError(path + ": cannot create the file (" + reason + ")");
  }
  file.transfer_ = PropertyListHandle(KOLMO_H5_CALL(path, "", H5Pcreate(H5P_DATASET_XFER)));
  if (collective) KOLMO_H5_CALL(path, "", H5Pset_dxpl_mpio(file.transfer_, H5FD_MPIO_COLLECTIVE));
  return file;
}

File File::open_impl(MPI_Comm comm, const std::string& path, Access access, bool collective) {
  silence_error_printing();
  int present = 0;
  if (!collective || comm_rank(comm) == 0) {
    std::error_code error;
    present = std::filesystem::is_regular_file(path, error) ? 1 : 0;
  }
  if (collective) MPI_Bcast(&present, 1, MPI_INT, 0, comm);
  KOLMO_INPUT_CHECK(present != 0, path << ": no such file");

  File file;
  file.path_ = path;
  file.comm_ = comm;
  file.collective_ = collective;
  file.writable_ = access == Access::read_write;
  PropertyListHandle fapl(KOLMO_H5_CALL(path, "", H5Pcreate(H5P_FILE_ACCESS)));
  if (collective) {
    KOLMO_H5_CALL(path, "", H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL));
  } else {
    // A reader must be able to look at a file another process is writing (kolmo info during a
    // run); HDF5's advisory lock would refuse it.
    KOLMO_H5_CALL(path, "", H5Pset_file_locking(fapl, false, true));
  }
  file.file_ = FileHandle(
      H5Fopen(path.c_str(), access == Access::read_write ? H5F_ACC_RDWR : H5F_ACC_RDONLY, fapl));
  const bool ok = collective ? all_ranks(comm, file.file_.get() >= 0) : file.file_.get() >= 0;
  if (!ok) {
    std::string reason = take_error_stack();
    if (collective) broadcast_string(comm, reason);
    file.file_.release();
    if (reason.empty()) reason = "HDF5 cannot open it";
    throw InputError(path + ": not a valid HDF5 file (" + reason + ")");
  }
  file.transfer_ = PropertyListHandle(KOLMO_H5_CALL(path, "", H5Pcreate(H5P_DATASET_XFER)));
  if (collective) KOLMO_H5_CALL(path, "", H5Pset_dxpl_mpio(file.transfer_, H5FD_MPIO_COLLECTIVE));
  return file;
}

bool File::is_root() const { return !collective_ || comm_rank(comm_) == 0; }

void File::flush() {
  KOLMO_CHECK(is_open(), path_ << ": flush on a closed file");
  KOLMO_H5_CALL(path_, "", H5Fflush(file_, H5F_SCOPE_GLOBAL));
}

void File::close() {
  transfer_.reset();
  if (file_) KOLMO_H5_CALL(path_, "", H5Fclose(file_.release()));
}

bool File::exists(const std::string& object_path) const {
  if (object_path.empty() || object_path == "/") return true;
  std::size_t position = 0;
  while (position != std::string::npos) {
    position = object_path.find('/', position + 1);
    const std::string prefix = object_path.substr(0, position);
    if (prefix.empty() || prefix == "/") continue;
    if (KOLMO_H5_INPUT_CALL(path_, prefix, H5Lexists(file_, prefix.c_str(), H5P_DEFAULT)) <= 0)
      return false;
  }
  return KOLMO_H5_INPUT_CALL(path_, object_path,
                             H5Oexists_by_name(file_, object_path.c_str(), H5P_DEFAULT)) > 0;
}

bool File::has_attribute(const std::string& object_path, const std::string& name) const {
  if (!exists(object_path)) return false;
  return KOLMO_H5_INPUT_CALL(
             path_, object_path,
             H5Aexists_by_name(file_, object_path.c_str(), name.c_str(), H5P_DEFAULT)) > 0;
}

GroupHandle File::create_group(const std::string& object_path) {
  return GroupHandle(
      KOLMO_H5_CALL(path_, object_path,
                    H5Gcreate(file_, object_path.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)));
}

GroupHandle File::open_group(const std::string& object_path) const {
  KOLMO_INPUT_CHECK(exists(object_path), path_ << ": " << object_path << ": no such group");
  return GroupHandle(
      KOLMO_H5_INPUT_CALL(path_, object_path, H5Gopen(file_, object_path.c_str(), H5P_DEFAULT)));
}

DatasetHandle File::open_dataset(const std::string& object_path) const {
  KOLMO_INPUT_CHECK(exists(object_path), path_ << ": " << object_path << ": no such dataset");
  return DatasetHandle(
      KOLMO_H5_INPUT_CALL(path_, object_path, H5Dopen(file_, object_path.c_str(), H5P_DEFAULT)));
}

std::vector<hsize_t> File::shape(const std::string& object_path) const {
  DatasetHandle dataset = open_dataset(object_path);
  DataspaceHandle space(KOLMO_H5_INPUT_CALL(path_, object_path, H5Dget_space(dataset)));
  const int rank = KOLMO_H5_INPUT_CALL(path_, object_path, H5Sget_simple_extent_ndims(space));
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (rank > 0)
    KOLMO_H5_INPUT_CALL(path_, object_path, H5Sget_simple_extent_dims(space, dims.data(), nullptr));
  return dims;
}

void File::write_attribute(const std::string& object_path, const std::string& name,
                           const AttributeValue& value) {
  const std::string where = object_of(object_path, name);
  if (has_attribute(object_path, name)) {
    KOLMO_H5_CALL(path_, where,
                  H5Adelete_by_name(file_, object_path.c_str(), name.c_str(), H5P_DEFAULT));
  }
  auto create = [&](hid_t type, const std::vector<hsize_t>& dims) {
    DataspaceHandle space(
        dims.empty() ? KOLMO_H5_CALL(path_, where, H5Screate(H5S_SCALAR))
                     : KOLMO_H5_CALL(path_, where, H5Screate_simple(1, dims.data(), nullptr)));
    return AttributeHandle(
        KOLMO_H5_CALL(path_, where,
                      H5Acreate_by_name(file_, object_path.c_str(), name.c_str(), type, space,
                                        H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)));
  };
  if (const auto* text = std::get_if<std::string>(&value)) {
    DatatypeHandle type = fixed_string_type(text->size() + 1, path_);
    AttributeHandle attribute = create(type, {});
    const std::vector<char> buffer = pack_strings({*text}, text->size() + 1);
    KOLMO_H5_CALL(path_, where, H5Awrite(attribute, type, buffer.data()));
  } else if (const auto* integer = std::get_if<std::int64_t>(&value)) {
    AttributeHandle attribute = create(H5T_STD_I64LE, {});
    KOLMO_H5_CALL(path_, where, H5Awrite(attribute, H5T_NATIVE_INT64, integer));
  } else if (const auto* real = std::get_if<double>(&value)) {
    AttributeHandle attribute = create(H5T_IEEE_F64LE, {});
    KOLMO_H5_CALL(path_, where, H5Awrite(attribute, H5T_NATIVE_DOUBLE, real));
  } else if (const auto* reals = std::get_if<std::vector<double>>(&value)) {
    AttributeHandle attribute = create(H5T_IEEE_F64LE, {reals->size()});
    if (!reals->empty())
      KOLMO_H5_CALL(path_, where, H5Awrite(attribute, H5T_NATIVE_DOUBLE, reals->data()));
  } else if (const auto* integers = std::get_if<std::vector<std::int64_t>>(&value)) {
    AttributeHandle attribute = create(H5T_STD_I64LE, {integers->size()});
    if (!integers->empty())
      KOLMO_H5_CALL(path_, where, H5Awrite(attribute, H5T_NATIVE_INT64, integers->data()));
  } else if (const auto* texts = std::get_if<std::vector<std::string>>(&value)) {
    const std::size_t size = longest(*texts);
    DatatypeHandle type = fixed_string_type(size, path_);
    AttributeHandle attribute = create(type, {texts->size()});
    const std::vector<char> buffer = pack_strings(*texts, size);
    if (!texts->empty()) KOLMO_H5_CALL(path_, where, H5Awrite(attribute, type, buffer.data()));
  }
}

void File::write_attributes(const std::string& object_path,
                            const std::map<std::string, AttributeValue>& attributes) {
  for (const auto& [name, value] : attributes) write_attribute(object_path, name, value);
}

namespace {

/// An open attribute with its element count; InputError when it is missing.
struct OpenAttribute {
  AttributeHandle attribute;
  DatatypeHandle type;
  std::size_t count = 0;
};

OpenAttribute open_attribute(const File& file, const std::string& object_path,
                             const std::string& name) {
  const std::string where = object_path + "@" + name;
  KOLMO_INPUT_CHECK(file.has_attribute(object_path, name),
                    file.path() << ": " << object_path << ": missing attribute '" << name << "'");
  OpenAttribute result;
  result.attribute = AttributeHandle(KOLMO_H5_INPUT_CALL(
      file.path(), where,
      H5Aopen_by_name(file.id(), object_path.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT)));
  result.type =
      DatatypeHandle(KOLMO_H5_INPUT_CALL(file.path(), where, H5Aget_type(result.attribute)));
  DataspaceHandle space(KOLMO_H5_INPUT_CALL(file.path(), where, H5Aget_space(result.attribute)));
  const hssize_t count =
      KOLMO_H5_INPUT_CALL(file.path(), where, H5Sget_simple_extent_npoints(space));
  result.count = static_cast<std::size_t>(count);
  return result;
}

template <class T>
std::vector<T> read_numeric_attribute(const File& file, const std::string& object_path,
                                      const std::string& name, hid_t memory_type) {
  const std::string where = object_path + "@" + name;
  OpenAttribute open = open_attribute(file, object_path, name);
  const H5T_class_t type_class = H5Tget_class(open.type);
  KOLMO_INPUT_CHECK(type_class == H5T_INTEGER || type_class == H5T_FLOAT,
                    file.path() << ": " << where << ": expected a number");
  std::vector<T> values(open.count);
  if (!values.empty())
    KOLMO_H5_INPUT_CALL(file.path(), where, H5Aread(open.attribute, memory_type, values.data()));
  return values;
}

}  // namespace

std::string File::read_string_attribute(const std::string& object_path,
                                        const std::string& name) const {
  const auto values = read_strings_attribute(object_path, name);
  KOLMO_INPUT_CHECK(values.size() == 1, path_ << ": " << object_path << "@" << name
                                              << ": expected one string, found " << values.size());
  return values.front();
}

std::vector<std::string> File::read_strings_attribute(const std::string& object_path,
                                                      const std::string& name) const {
  const std::string where = object_of(object_path, name);
  OpenAttribute open = open_attribute(*this, object_path, name);
  return read_string_array(open.type, open.count, path_, where, [&](hid_t memory, void* buffer) {
    KOLMO_H5_INPUT_CALL(path_, where, H5Aread(open.attribute, memory, buffer));
  });
}

std::int64_t File::read_int_attribute(const std::string& object_path,
                                      const std::string& name) const {
  const auto values = read_ints_attribute(object_path, name);
  KOLMO_INPUT_CHECK(values.size() == 1, path_ << ": " << object_path << "@" << name
                                              << ": expected one number, found " << values.size());
  return values.front();
}

double File::read_double_attribute(const std::string& object_path, const std::string& name) const {
  const auto values = read_doubles_attribute(object_path, name);
  KOLMO_INPUT_CHECK(values.size() == 1, path_ << ": " << object_path << "@" << name
                                              << ": expected one number, found " << values.size());
  return values.front();
}

std::vector<double> File::read_doubles_attribute(const std::string& object_path,
                                                 const std::string& name) const {
  return read_numeric_attribute<double>(*this, object_path, name, H5T_NATIVE_DOUBLE);
}

std::vector<std::int64_t> File::read_ints_attribute(const std::string& object_path,
                                                    const std::string& name) const {
  return read_numeric_attribute<std::int64_t>(*this, object_path, name, H5T_NATIVE_INT64);
}

void File::set_checksummed_layout(hid_t dcpl, hid_t file_type, const std::vector<hsize_t>& shape,
                                  const std::string& object_path) const {
  // Chunks of at most 2 MiB: whole rows of the trailing dimensions when they fit, else a part of
  // one row.
  std::vector<hsize_t> chunk = shape;
  hsize_t row_values = 1;
  for (std::size_t d = 1; d < shape.size(); ++d) row_values *= shape[d];
  const hsize_t limit = std::max<hsize_t>((hsize_t{1} << 21) / H5Tget_size(file_type), 1);
  chunk[0] = std::clamp<hsize_t>(limit / std::max<hsize_t>(row_values, 1), 1, shape[0]);
  for (std::size_t d = 1; d < shape.size() && row_values > limit; ++d) {
    chunk[d] = 1;
    if (d + 1 == shape.size()) chunk[d] = std::min(shape[d], limit);
  }
  KOLMO_H5_CALL(path_, object_path, H5Pset_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data()));
  KOLMO_H5_CALL(path_, object_path, H5Pset_fletcher32(dcpl));
  // A chunk whose index entry is damaged reads as the fill value: NaN, not a plausible zero.
  if (H5Tget_class(file_type) == H5T_FLOAT) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    KOLMO_H5_CALL(path_, object_path, H5Pset_fill_value(dcpl, H5T_NATIVE_DOUBLE, &nan));
  }
}

void File::write_numeric(const std::string& object_path, const std::vector<hsize_t>& shape,
                         hid_t file_type, hid_t memory_type, const void* data, std::size_t count) {
  KOLMO_CHECK(
      shape.size() == 1 || shape.size() == 2,
      path_ << ": " << object_path << ": datasets are 1-D or 2-D, got rank " << shape.size());
  KOLMO_CHECK(product(shape) == count, path_ << ": " << object_path << ": shape holds "
                                             << product(shape) << " values, data has " << count);
  DataspaceHandle space(KOLMO_H5_CALL(
      path_, object_path, H5Screate_simple(static_cast<int>(shape.size()), shape.data(), nullptr)));
  // Datasets written whole (a reduced model, a sweep table, a tensor) are small and their files
  // are copied around: their numbers carry HDF5's Fletcher-32 checksums, so that a damaged copy
  // fails to read instead of giving wrong answers.
  PropertyListHandle dcpl(KOLMO_H5_CALL(path_, object_path, H5Pcreate(H5P_DATASET_CREATE)));
  if (count > 0) set_checksummed_layout(dcpl, file_type, shape, object_path);
  DatasetHandle dataset(KOLMO_H5_CALL(path_, object_path,
                                      H5Dcreate(file_, object_path.c_str(), file_type, space,
                                                H5P_DEFAULT, dcpl, H5P_DEFAULT)));
  if (count == 0) return;
  const bool mine = is_root();
  if (!mine) KOLMO_H5_CALL(path_, object_path, H5Sselect_none(space));
  DataspaceHandle memory(KOLMO_H5_CALL(
      path_, object_path, H5Screate_simple(static_cast<int>(shape.size()), shape.data(), nullptr)));
  if (!mine) KOLMO_H5_CALL(path_, object_path, H5Sselect_none(memory));
  KOLMO_H5_CALL(path_, object_path, H5Dwrite(dataset, memory_type, memory, space, transfer_, data));
}

void File::write_doubles(const std::string& object_path, const std::vector<hsize_t>& shape,
                         const std::vector<double>& data) {
  write_numeric(object_path, shape, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, data.data(), data.size());
}

void File::write_ints(const std::string& object_path, const std::vector<hsize_t>& shape,
                      const std::vector<std::int64_t>& data) {
  write_numeric(object_path, shape, H5T_STD_I64LE, H5T_NATIVE_INT64, data.data(), data.size());
}

void File::write_strings(const std::string& object_path, const std::vector<std::string>& data) {
  const std::size_t size = longest(data);
  DatatypeHandle type = fixed_string_type(size, path_);
  const hsize_t count = data.size();
  DataspaceHandle space(KOLMO_H5_CALL(path_, object_path, H5Screate_simple(1, &count, nullptr)));
  // Names and expressions (a model's theta) are checksummed like numbers: a damaged one could
  // still parse, as another expression.
  PropertyListHandle dcpl(KOLMO_H5_CALL(path_, object_path, H5Pcreate(H5P_DATASET_CREATE)));
  if (count > 0) set_checksummed_layout(dcpl, type, {count}, object_path);
  DatasetHandle dataset(KOLMO_H5_CALL(
      path_, object_path,
      H5Dcreate(file_, object_path.c_str(), type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT)));
  if (count == 0) return;
  const std::vector<char> buffer = pack_strings(data, size);
  DataspaceHandle memory(KOLMO_H5_CALL(path_, object_path, H5Screate_simple(1, &count, nullptr)));
  if (!is_root()) {
    KOLMO_H5_CALL(path_, object_path, H5Sselect_none(space));
    KOLMO_H5_CALL(path_, object_path, H5Sselect_none(memory));
  }
  KOLMO_H5_CALL(path_, object_path,
                H5Dwrite(dataset, type, memory, space, transfer_, buffer.data()));
}

void File::write_string(const std::string& object_path, const std::string& text) {
  DatatypeHandle type = fixed_string_type(text.size() + 1, path_);
  DataspaceHandle space(KOLMO_H5_CALL(path_, object_path, H5Screate(H5S_SCALAR)));
  DatasetHandle dataset(KOLMO_H5_CALL(
      path_, object_path,
      H5Dcreate(file_, object_path.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)));
  const std::vector<char> buffer = pack_strings({text}, text.size() + 1);
  DataspaceHandle memory(KOLMO_H5_CALL(path_, object_path, H5Screate(H5S_SCALAR)));
  if (!is_root()) {
    KOLMO_H5_CALL(path_, object_path, H5Sselect_none(space));
    KOLMO_H5_CALL(path_, object_path, H5Sselect_none(memory));
  }
  KOLMO_H5_CALL(path_, object_path,
                H5Dwrite(dataset, type, memory, space, transfer_, buffer.data()));
}

void File::read_numeric(const std::string& object_path, hid_t memory_type, void* data,
                        std::size_t count) const {
  DatasetHandle dataset = open_dataset(object_path);
  DatatypeHandle type(KOLMO_H5_INPUT_CALL(path_, object_path, H5Dget_type(dataset)));
  const H5T_class_t type_class = H5Tget_class(type);
  KOLMO_INPUT_CHECK(type_class == H5T_INTEGER || type_class == H5T_FLOAT,
                    path_ << ": " << object_path << ": expected a numeric dataset");
  if (count == 0) return;
  KOLMO_H5_INPUT_CALL(path_, object_path,
                      H5Dread(dataset, memory_type, H5S_ALL, H5S_ALL, transfer_, data));
}

std::vector<double> File::read_doubles(const std::string& object_path) const {
  std::vector<double> values(product(shape(object_path)));
  read_numeric(object_path, H5T_NATIVE_DOUBLE, values.data(), values.size());
  return values;
}

std::vector<std::int64_t> File::read_ints(const std::string& object_path) const {
  std::vector<std::int64_t> values(product(shape(object_path)));
  read_numeric(object_path, H5T_NATIVE_INT64, values.data(), values.size());
  return values;
}

std::vector<std::string> File::read_strings(const std::string& object_path) const {
  DatasetHandle dataset = open_dataset(object_path);
  DatatypeHandle type(KOLMO_H5_INPUT_CALL(path_, object_path, H5Dget_type(dataset)));
  const std::size_t count = product(shape(object_path));
  return read_string_array(type, count, path_, object_path, [&](hid_t memory, void* buffer) {
    KOLMO_H5_INPUT_CALL(path_, object_path,
                        H5Dread(dataset, memory, H5S_ALL, H5S_ALL, transfer_, buffer));
  });
}

std::string File::read_string(const std::string& object_path) const {
  const auto values = read_strings(object_path);
  KOLMO_INPUT_CHECK(values.size() == 1, path_ << ": " << object_path
                                              << ": expected one string, found " << values.size());
  return values.front();
}

void File::create_fixed_dataset(const std::string& object_path, hid_t file_type,
                                const std::vector<hsize_t>& shape, bool zero_fill,
                                bool checksummed) {
  DataspaceHandle space(KOLMO_H5_CALL(
      path_, object_path, H5Screate_simple(static_cast<int>(shape.size()), shape.data(), nullptr)));
  PropertyListHandle dcpl(KOLMO_H5_CALL(path_, object_path, H5Pcreate(H5P_DATASET_CREATE)));
  if (checksummed && product(shape) > 0) {
    // Filtered chunks are allocated when written; unwritten ones read as the fill value.
    set_checksummed_layout(dcpl, file_type, shape, object_path);
  } else {
    KOLMO_H5_CALL(path_, object_path, H5Pset_layout(dcpl, H5D_CONTIGUOUS));
    KOLMO_H5_CALL(path_, object_path, H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY));
    KOLMO_H5_CALL(path_, object_path,
                  H5Pset_fill_time(dcpl, zero_fill ? H5D_FILL_TIME_ALLOC : H5D_FILL_TIME_NEVER));
  }
  KOLMO_H5_CALL(path_, object_path, H5Pset_obj_track_times(dcpl, false));
  DatasetHandle dataset(KOLMO_H5_CALL(
      path_, object_path,
      H5Dcreate(file_, object_path.c_str(), file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT)));
}

void File::write_block(const std::string& object_path, const std::vector<hsize_t>& start,
                       const std::vector<hsize_t>& count, hid_t memory_type, const void* data,
                       bool participate) {
  KOLMO_CHECK(start.size() == count.size(), "write_block: start and count differ in rank");
  DatasetHandle dataset = open_dataset(object_path);
  DataspaceHandle space(KOLMO_H5_CALL(path_, object_path, H5Dget_space(dataset)));
  // A dataset without elements has no storage to write to (every rank sees the same shape).
  if (KOLMO_H5_CALL(path_, object_path, H5Sget_simple_extent_npoints(space)) == 0) return;
  const std::size_t n = product(count);
  const hsize_t memory_count = std::max<hsize_t>(n, 1);
  DataspaceHandle memory(
      KOLMO_H5_CALL(path_, object_path, H5Screate_simple(1, &memory_count, nullptr)));
  if (participate && n > 0) {
    KOLMO_H5_CALL(
        path_, object_path,
        H5Sselect_hyperslab(space, H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr));
  } else {
    KOLMO_H5_CALL(path_, object_path, H5Sselect_none(space));
    KOLMO_H5_CALL(path_, object_path, H5Sselect_none(memory));
  }
  // HDF5 wants a non-null buffer even when nothing is selected.
  const double dummy = 0.0;
  KOLMO_H5_CALL(path_, object_path,
                H5Dwrite(dataset, memory_type, memory, space, transfer_,
                         participate && n > 0 ? data : static_cast<const void*>(&dummy)));
}

void File::read_block(const std::string& object_path, const std::vector<hsize_t>& start,
                      const std::vector<hsize_t>& count, hid_t memory_type, void* data,
                      bool participate) const {
  KOLMO_CHECK(start.size() == count.size(), "read_block: start and count differ in rank");
  DatasetHandle dataset = open_dataset(object_path);
  DataspaceHandle space(KOLMO_H5_INPUT_CALL(path_, object_path, H5Dget_space(dataset)));
  if (KOLMO_H5_INPUT_CALL(path_, object_path, H5Sget_simple_extent_npoints(space)) == 0) return;
  const std::size_t n = product(count);
  const hsize_t memory_count = std::max<hsize_t>(n, 1);
  DataspaceHandle memory(
      KOLMO_H5_CALL(path_, object_path, H5Screate_simple(1, &memory_count, nullptr)));
  if (participate && n > 0) {
    KOLMO_H5_INPUT_CALL(
        path_, object_path,
        H5Sselect_hyperslab(space, H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr));
  } else {
    KOLMO_H5_CALL(path_, object_path, H5Sselect_none(space));
    KOLMO_H5_CALL(path_, object_path, H5Sselect_none(memory));
  }
  double dummy = 0.0;
  KOLMO_H5_INPUT_CALL(path_, object_path,
                      H5Dread(dataset, memory_type, memory, space, transfer_,
                              participate && n > 0 ? data : static_cast<void*>(&dummy)));
}

std::string utc_timestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm parts{};
  gmtime_r(&now, &parts);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return buffer;
}

}  // namespace kolmo::h5
