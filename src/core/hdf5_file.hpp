#pragma once
/// @file
/// A thin C++ layer over the HDF5 C API: move-only owning handles for hid_t, a checking macro that
/// turns failed HDF5 calls into Kolmo exceptions naming the file and the object, and a File class
/// with the few operations Kolmo's stores need (attributes, small datasets, existence checks),
/// opened either collectively (MPI-IO driver) or by one process (serial driver). PETSc-free (PETSc
/// vectors are read and written by core/hdf5_vector.hpp); a serial file makes no MPI call.
///
/// Parallel rules (HDF5's, restated): every call that creates, opens, closes or modifies an object
/// or an attribute of a file opened collectively is collective and must be made by every rank of
/// the file's communicator in the same order with identical arguments. Raw data reads and writes
/// are collective here too (H5FD_MPIO_COLLECTIVE); ranks with nothing to transfer take part with an
/// empty selection.
#include <hdf5.h>
#include <mpi.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/exceptions.hpp"

namespace kolmo::h5 {

/// Owns one HDF5 identifier and closes it with Close. Move-only; the destructor never throws.
/// Closing an object of a file opened collectively is collective.
template <herr_t (*Close)(hid_t)>
class Handle {
 public:
  Handle() = default;
  /// Take ownership of `id` (a negative id is held as "no object").
  explicit Handle(hid_t id) noexcept : id_(id) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
    }
    return *this;
  }
  ~Handle() { reset(); }

  hid_t get() const noexcept { return id_; }
  operator hid_t() const noexcept { return id_; }  // NOLINT: implicit by design, for HDF5 calls
  explicit operator bool() const noexcept { return id_ >= 0; }
  /// Give up ownership without closing.
  hid_t release() noexcept { return std::exchange(id_, H5I_INVALID_HID); }
  /// Close the held object now (errors are ignored: this runs in destructors).
  void reset() noexcept {
    if (id_ >= 0) Close(id_);
    id_ = H5I_INVALID_HID;
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
};

using FileHandle = Handle<H5Fclose>;
using GroupHandle = Handle<H5Gclose>;
using DatasetHandle = Handle<H5Dclose>;
using DataspaceHandle = Handle<H5Sclose>;
using PropertyListHandle = Handle<H5Pclose>;
using AttributeHandle = Handle<H5Aclose>;
using DatatypeHandle = Handle<H5Tclose>;
using ObjectHandle = Handle<H5Oclose>;

/// Turn off HDF5's automatic printing of its error stack for this thread, so that failures are
/// reported once, through Kolmo's exceptions. Called by every File factory; idempotent.
void silence_error_printing() noexcept;

/// HDF5's current error stack as one line, outermost call first ("unable to open file: unable to
/// read superblock: file signature not found"), and clear it. Empty when the stack is empty.
std::string take_error_stack();

namespace detail {
[[noreturn]] void throw_hdf5_error(bool input_error, std::string_view file, std::string_view object,
                                   const char* expression, const char* source, int line);

/// Return `value`, or throw when it is negative (HDF5's failure convention for herr_t, hid_t,
/// htri_t and ssize_t alike).
template <class T>
T checked(T value, bool input_error, std::string_view file, std::string_view object,
          const char* expression, const char* source, int line) {
  if (value < 0) throw_hdf5_error(input_error, file, object, expression, source, line);
  return value;
}
}  // namespace detail

}  // namespace kolmo::h5

/// Evaluate an HDF5 call and return its value; if it is negative throw kolmo::Exception with
/// "<file>: <object>: <expression> failed: <HDF5 error stack> [at source:line]". For failures of
/// Kolmo or of the system (writing, creating).
#define KOLMO_H5_CALL(file, object, ...)                                                       \
  ::kolmo::h5::detail::checked((__VA_ARGS__), false, (file), (object), #__VA_ARGS__, __FILE__, \
                               __LINE__)

/// Like KOLMO_H5_CALL, but throws kolmo::InputError: for reading files given by the user, where a
/// failure means the file is not what it should be.
#define KOLMO_H5_INPUT_CALL(file, object, ...)                                                \
  ::kolmo::h5::detail::checked((__VA_ARGS__), true, (file), (object), #__VA_ARGS__, __FILE__, \
                               __LINE__)

namespace kolmo::h5 {

/// How an existing file is opened.
enum class Access { read_only, read_write };

/// A value for an attribute, as written by File::write_attributes. Integers are stored as 64-bit
/// signed integers, doubles as IEEE doubles, strings as fixed-length null-terminated UTF-8
/// strings (a vector of strings as a 1-D array of fixed-length strings).
using AttributeValue = std::variant<std::string, std::int64_t, double, std::vector<double>,
                                    std::vector<std::int64_t>, std::vector<std::string>>;

/// An open HDF5 file: either opened collectively on a communicator with the MPI-IO driver, or by
/// one process with the serial (sec2) driver. Move-only; closing is collective for a collective
/// file. Object paths are absolute ("/snapshots/vectors"); "/" is the root group.
///
/// Errors: reading a missing object or attribute, or one of an unexpected type or shape, throws
/// InputError naming the file and the object; failures while creating or writing throw Exception.
/// Metadata (groups, datasets, attributes) must be created identically on every rank; the data of
/// a write_* call is taken from rank 0 only.
class File {
 public:
  File() = default;
  File(File&&) noexcept = default;
  File& operator=(File&&) noexcept = default;
  /// Closes the file (collective for a collective file); errors are ignored.
  ~File() = default;

  /// Create `path` collectively on `comm` (MPI-IO driver). Collective on comm; comm must outlive
  /// the File.
  /// @throws InputError "<path>: cannot create the file (<reason>)" when HDF5 cannot create it
  ///         (missing directory, no permission, or the file exists and not `overwrite`).
  static File create(MPI_Comm comm, const std::string& path, bool overwrite);
  /// Open an existing file collectively on `comm` (MPI-IO driver). Collective on comm.
  /// @throws InputError "<path>: no such file" or "<path>: not a valid HDF5 file (<reason>)".
  static File open(MPI_Comm comm, const std::string& path, Access access);
  /// Create `path` on this process only (serial driver). Not collective.
  static File create_serial(const std::string& path, bool overwrite);
  /// Open an existing file on this process only (serial driver). Not collective.
  /// @throws InputError as open().
  static File open_serial(const std::string& path, Access access);

  /// The HDF5 file identifier (owned by this object).
  hid_t id() const noexcept { return file_.get(); }
  const std::string& path() const noexcept { return path_; }
  /// The communicator of a collective file; MPI_COMM_SELF for a serial one.
  MPI_Comm comm() const noexcept { return comm_; }
  bool is_collective() const noexcept { return collective_; }
  bool is_open() const noexcept { return static_cast<bool>(file_); }
  bool is_writable() const noexcept { return writable_; }

  /// Flush every buffer of the file to disk (H5Fflush; MPI_File_sync for a collective file).
  /// Collective for a collective file.
  void flush();
  /// Close the file now; a no-op if closed. Collective for a collective file.
  void close();

  /// True iff every link on `object_path` exists (so "/a/b" is false, not an error, when "/a" is
  /// missing). Collective for a collective file only in the sense that every rank gets the same
  /// answer; it modifies nothing.
  bool exists(const std::string& object_path) const;
  /// True iff the object at `object_path` has an attribute `name`.
  bool has_attribute(const std::string& object_path, const std::string& name) const;

  /// Create a group (parents must exist). Collective for a collective file.
  GroupHandle create_group(const std::string& object_path);
  /// Open an existing group. @throws InputError if it is missing.
  GroupHandle open_group(const std::string& object_path) const;
  /// Open an existing dataset. @throws InputError if it is missing.
  DatasetHandle open_dataset(const std::string& object_path) const;
  /// The dimensions of the dataset at `object_path` (empty for a scalar).
  std::vector<hsize_t> shape(const std::string& object_path) const;

  /// Attributes on the object at `object_path` (replaced if present). The value must be the same
  /// on every rank of a collective file. Collective for a collective file.
  void write_attribute(const std::string& object_path, const std::string& name,
                       const AttributeValue& value);
  /// Write every entry of `attributes` with write_attribute.
  void write_attributes(const std::string& object_path,
                        const std::map<std::string, AttributeValue>& attributes);
  std::string read_string_attribute(const std::string& object_path, const std::string& name) const;
  std::int64_t read_int_attribute(const std::string& object_path, const std::string& name) const;
  double read_double_attribute(const std::string& object_path, const std::string& name) const;
  std::vector<double> read_doubles_attribute(const std::string& object_path,
                                             const std::string& name) const;
  std::vector<std::int64_t> read_ints_attribute(const std::string& object_path,
                                                const std::string& name) const;
  std::vector<std::string> read_strings_attribute(const std::string& object_path,
                                                  const std::string& name) const;

  /// Create a dataset of `shape` (1-D or 2-D, row-major `data`, size = product of shape) and
  /// write it, with Fletcher-32 checksums that every read verifies. Only rank 0's `data` is
  /// written; every rank must pass the same shape. Collective for a collective file.
  void write_doubles(const std::string& object_path, const std::vector<hsize_t>& shape,
                     const std::vector<double>& data);
  void write_ints(const std::string& object_path, const std::vector<hsize_t>& shape,
                  const std::vector<std::int64_t>& data);
  /// A 1-D dataset of fixed-length strings (the length of the longest, at least 1).
  /// Every rank must pass strings of the same lengths (the same strings, in practice).
  void write_strings(const std::string& object_path, const std::vector<std::string>& data);
  /// A scalar dataset holding one fixed-length string (for texts too long for an attribute).
  void write_string(const std::string& object_path, const std::string& text);

  /// Read a whole numeric dataset (any integer or float type is converted), row-major, on every
  /// rank. Collective for a collective file.
  std::vector<double> read_doubles(const std::string& object_path) const;
  std::vector<std::int64_t> read_ints(const std::string& object_path) const;
  /// Read a 1-D dataset of strings (fixed or variable length).
  std::vector<std::string> read_strings(const std::string& object_path) const;
  /// Read a scalar string dataset (fixed or variable length).
  std::string read_string(const std::string& object_path) const;

  /// Create a contiguous dataset of `shape` whose storage is allocated in the file now
  /// (H5D_ALLOC_TIME_EARLY) and that records no modification times, so that later writes of its
  /// raw data never touch the file's metadata. With `zero_fill` the storage is filled with zeros
  /// at creation; without it the content is undefined until written (no cost for large data).
  /// With `checksummed` (for data written whole or in a few large blocks: a partial write of a
  /// chunk rewrites it) the dataset is chunked with Fletcher-32 checksums instead, as the datasets
  /// of write_doubles and write_ints are. Collective for a collective file.
  void create_fixed_dataset(const std::string& object_path, hid_t file_type,
                            const std::vector<hsize_t>& shape, bool zero_fill,
                            bool checksummed = false);

  /// Write the block of `count` elements starting at `start` (one entry per dimension) of an
  /// existing dataset from `data` (row-major, of `memory_type`). Collective for a collective file:
  /// every rank calls; a rank with `participate` false writes nothing (and may pass nullptr).
  void write_block(const std::string& object_path, const std::vector<hsize_t>& start,
                   const std::vector<hsize_t>& count, hid_t memory_type, const void* data,
                   bool participate);
  /// Read a block as write_block writes it. Collective for a collective file.
  void read_block(const std::string& object_path, const std::vector<hsize_t>& start,
                  const std::vector<hsize_t>& count, hid_t memory_type, void* data,
                  bool participate) const;

  /// The transfer property list for raw data: collective MPI-IO for a collective file, default
  /// otherwise. Owned by the File.
  hid_t transfer_plist() const noexcept { return transfer_.get(); }

 private:
  static File open_impl(MPI_Comm comm, const std::string& path, Access access, bool collective);
  static File create_impl(MPI_Comm comm, const std::string& path, bool overwrite, bool collective);
  bool is_root() const;
  // Chunked layout with Fletcher-32 checksums (and NaN fill for floats) on the dataset creation
  // list `dcpl` of a dataset of `file_type`.
  void set_checksummed_layout(hid_t dcpl, hid_t file_type, const std::vector<hsize_t>& shape,
                              const std::string& object_path) const;
  void write_numeric(const std::string& object_path, const std::vector<hsize_t>& shape,
                     hid_t file_type, hid_t memory_type, const void* data, std::size_t count);
  void read_numeric(const std::string& object_path, hid_t memory_type, void* data,
                    std::size_t count) const;

  FileHandle file_;
  PropertyListHandle transfer_;
  std::string path_;
  MPI_Comm comm_ = MPI_COMM_SELF;
  bool collective_ = false;
  bool writable_ = false;
};

/// The current UTC time as ISO 8601 ("2024-05-01T12:34:56Z"), for "created" attributes.
std::string utc_timestamp();

}  // namespace kolmo::h5
