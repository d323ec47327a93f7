#include "operators/matrix_io.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <climits>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <utility>
#include <vector>

#include "core/hdf5_file.hpp"
#include "core/hdf5_vector.hpp"
#include "core/mpi.hpp"
#include "core/text.hpp"

namespace kolmo::operators {
namespace {

// Collective error agreement. Readers do their file work rank by rank; a rank that finds bad
// input must not throw alone while the others wait in the next collective. Each local phase
// records its error, then every rank learns the first failing rank's message and throws the same
// exception.

struct LocalError {
  std::string message;
  bool input = true;  // InputError (bad file) rather than another kolmo::Exception
};

template <class F>
LocalError run_locally(F&& body) {
  try {
    std::forward<F>(body)();
  } catch (const InputError& e) {
    return {e.what(), true};
  } catch (const std::exception& e) {
    return {e.what(), false};
  }
  return {};
}

void throw_if_any_failed(MPI_Comm comm, const LocalError& error) {
  const int rank = comm_rank(comm);
  const int mine = error.message.empty() ? INT_MAX : rank;
  int first = INT_MAX;
  MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm);
  if (first == INT_MAX) return;
  std::string message = error.message;
  int input = error.input ? 1 : 0;
  broadcast_string(comm, message, first);
  MPI_Bcast(&input, 1, MPI_INT, first, comm);
  if (input) throw InputError(message);
  throw Exception(message);
}

template <class F>
void collectively(MPI_Comm comm, F&& body) {
  throw_if_any_failed(comm, run_locally(std::forward<F>(body)));
}

// Layouts and paths.

/// PETSc's default (PETSC_DECIDE) split of `global` rows: this rank's [start, start + local).
struct Range {
  PetscInt start = 0, local = 0;
  PetscInt end() const { return start + local; }
  bool owns(PetscInt i) const { return i >= start && i < start + local; }
};

Range default_range(PetscInt global, int size, int rank) {
  // The formula of PetscSplitOwnership, computed without communication.
  Range range;
  const PetscInt base = global / size, extra = global % size;
  range.local = base + (rank < extra ? 1 : 0);
  range.start = rank * base + std::min<PetscInt>(rank, extra);
  return range;
}

Range default_range(MPI_Comm comm, PetscInt global) {
  return default_range(global, comm_size(comm), comm_rank(comm));
}

/// "file.h5:/group/name" -> {"file.h5", "/group/name"}; a path without ":/" -> {path, ""}.
std::pair<std::string, std::string> split_object_path(const std::string& path) {
  const auto colon = path.rfind(":/");
  if (colon == std::string::npos || colon == 0) return {path, ""};
  return {path.substr(0, colon), path.substr(colon + 1)};
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// Rank 0 checks that `file` is a readable regular file; every rank throws the same InputError
/// otherwise. Collective.
void check_readable(MPI_Comm comm, const std::string& file, const std::string& what) {
  collectively(comm, [&] {
    if (comm_rank(comm) != 0) return;
    std::error_code code;
    const auto status = std::filesystem::status(file, code);
    KOLMO_INPUT_CHECK(std::filesystem::exists(status), file << ": no such file (" << what << ")");
    KOLMO_INPUT_CHECK(!std::filesystem::is_directory(status),
                      file << ": is a directory, not a " << what << " file");
    std::ifstream probe(file, std::ios::binary);
    KOLMO_INPUT_CHECK(probe.good(), file << ": cannot be opened for reading (" << what << ")");
  });
}

MatrixFormat resolve_format(const std::string& path, MatrixFormat format) {
  return format == MatrixFormat::automatic ? detect_matrix_format(path) : format;
}

// Matrix Market.

/// Walks a text buffer line by line, counting lines from 1.
class LineScanner {
 public:
  explicit LineScanner(std::string_view text) : text_(text) {}
  /// The next line (without its end-of-line characters); false at the end of the text.
  bool next(std::string_view& line) {
    if (pos_ >= text_.size()) return false;
    auto end = text_.find('\n', pos_);
    if (end == std::string_view::npos) end = text_.size();
    line = text_.substr(pos_, end - pos_);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos_ = end + 1;
    ++number_;
    return true;
  }
  /// The next line that is neither blank nor a '%' comment; false at the end of the text.
  bool next_data(std::string_view& line) {
    while (next(line)) {
      const auto content = trim(line);
      if (!content.empty() && content.front() != '%') {
        line = content;
        return true;
      }
    }
    return false;
  }
  long long line_number() const { return number_; }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  long long number_ = 0;
};

/// Split `line` at blanks into at most `max + 1` tokens (one more than wanted, to detect extras).
std::size_t split_tokens(std::string_view line, std::string_view* tokens, std::size_t max) {
  std::size_t count = 0, pos = 0;
  while (count <= max) {
    pos = line.find_first_not_of(" \t", pos);
    if (pos == std::string_view::npos) break;
    auto end = line.find_first_of(" \t", pos);
    if (end == std::string_view::npos) end = line.size();
    tokens[count++] = line.substr(pos, end - pos);
    pos = end;
  }
  return count;
}

enum class Symmetry { general, symmetric, skew_symmetric };

struct MarketHeader {
  bool coordinate = true;
  Symmetry symmetry = Symmetry::general;
  PetscInt rows = 0, cols = 0;
  long long entries = 0;  // announced entries (coordinate) or rows * cols (array)
  long long size_line = 0;
};

/// Reads a Matrix Market file and reports errors as "file:line: message".
class MarketReader {
 public:
  explicit MarketReader(std::string path) : path_(std::move(path)) {
    std::ifstream in(path_, std::ios::binary);
    KOLMO_INPUT_CHECK(in.good(), path_ << ": cannot be opened for reading (Matrix Market)");
    std::ostringstream buffer;
    buffer << in.rdbuf();
    text_ = buffer.str();
    scanner_ = LineScanner(text_);
    read_header();
  }

  const MarketHeader& header() const { return header_; }

  [[noreturn]] void fail(long long line, const std::string& message) const {
    throw InputError(path_ + ":" + std::to_string(line) + ": " + message);
  }

  /// Calls `entry(i, j, value)` (0-based) for every coordinate entry, after range checks.
  template <class F>
  void for_each_coordinate(F&& entry) {
    std::array<std::string_view, 4> tokens;
    std::string_view line;
    long long count = 0;
    while (scanner_.next_data(line)) {
      const auto n = scanner_.line_number();
      if (count == header_.entries)
        fail(n, "more entries than the " + std::to_string(header_.entries) + " announced on line " +
                    std::to_string(header_.size_line));
      const auto found = split_tokens(line, tokens.data(), 3);
      if (found != 3) fail(n, "expected 'row column value', got '" + std::string(line) + "'");
      const auto i = index(tokens[0], header_.rows, "row", n);
      const auto j = index(tokens[1], header_.cols, "column", n);
      entry(i, j, value(tokens[2], n));
      ++count;
    }
    if (count != header_.entries)
      fail(scanner_.line_number(), "the file ends after " + std::to_string(count) +
                                       " entries, but line " + std::to_string(header_.size_line) +
                                       " announces " + std::to_string(header_.entries));
  }

  /// Calls `entry(k, value)` for every value of an array-format file (k = column-major index).
  template <class F>
  void for_each_array_value(F&& entry) {
    std::array<std::string_view, 2> tokens;
    std::string_view line;
    long long count = 0;
    while (scanner_.next_data(line)) {
      const auto n = scanner_.line_number();
      if (count == header_.entries)
        fail(n, "more values than the " + std::to_string(header_.entries) + " (" +
                    std::to_string(header_.rows) + " x " + std::to_string(header_.cols) +
                    ") announced on line " + std::to_string(header_.size_line));
      if (split_tokens(line, tokens.data(), 1) != 1)
        fail(n, "expected one value per line, got '" + std::string(line) + "'");
      entry(count, value(tokens[0], n));
      ++count;
    }
    if (count != header_.entries)
      fail(scanner_.line_number(), "the file ends after " + std::to_string(count) +
                                       " values, but line " + std::to_string(header_.size_line) +
                                       " announces " + std::to_string(header_.entries));
  }

 private:
  void read_header() {
    std::string_view line;
    if (!scanner_.next(line)) fail(1, "empty file, expected a '%%MatrixMarket' banner");
    std::array<std::string_view, 6> tokens;
    const auto found = split_tokens(line, tokens.data(), 5);
    const std::string expected =
        "expected a banner like '%%MatrixMarket matrix coordinate real general'";
    if (found == 0 || lower(tokens[0]) != "%%matrixmarket")
      fail(1, "not a Matrix Market file: " + expected + ", got '" + std::string(line) + "'");
    if (found != 5) fail(1, expected + ", got '" + std::string(line) + "'");
    const auto object = lower(tokens[1]), format = lower(tokens[2]), field = lower(tokens[3]),
               symmetry = lower(tokens[4]);
    if (object != "matrix")
      fail(1, "object '" + std::string(tokens[1]) + "' is not supported (only 'matrix')");
    if (format != "coordinate" && format != "array")
      fail(1, "format '" + std::string(tokens[2]) + "' is neither 'coordinate' nor 'array'");
    header_.coordinate = format == "coordinate";
    if (field != "real" && field != "integer")
      fail(1, "field '" + std::string(tokens[3]) +
                  "' is not supported (real or integer; complex and pattern files cannot be "
                  "operators)");
    if (symmetry == "general")
      header_.symmetry = Symmetry::general;
    else if (symmetry == "symmetric")
      header_.symmetry = Symmetry::symmetric;
    else if (symmetry == "skew-symmetric")
      header_.symmetry = Symmetry::skew_symmetric;
    else
      fail(1, "symmetry '" + std::string(tokens[4]) +
                  "' is not supported (general, symmetric or skew-symmetric)");

    if (!scanner_.next_data(line)) fail(scanner_.line_number(), "the size line is missing");
    header_.size_line = scanner_.line_number();
    const std::size_t want = header_.coordinate ? 3 : 2;
    const auto n = split_tokens(line, tokens.data(), want);
    const std::string shape = header_.coordinate ? "'rows columns entries'" : "'rows columns'";
    if (n != want)
      fail(header_.size_line,
           "expected the size line " + shape + ", got '" + std::string(line) + "'");
    header_.rows = size(tokens[0], "rows");
    header_.cols = size(tokens[1], "columns");
    if (header_.coordinate) {
      const auto entries = parse_integer(tokens[2]);
      if (!entries || *entries < 0)
        fail(header_.size_line,
             "the entry count '" + std::string(tokens[2]) + "' is not a non-negative integer");
      header_.entries = *entries;
    } else {
      header_.entries = static_cast<long long>(header_.rows) * header_.cols;
    }
    if (header_.symmetry != Symmetry::general && header_.rows != header_.cols)
      fail(header_.size_line, "a " + symmetry + " matrix must be square, the size line says " +
                                  std::to_string(header_.rows) + " x " +
                                  std::to_string(header_.cols));
  }

  PetscInt size(std::string_view token, const char* what) const {
    const auto value = parse_integer(token);
    if (!value || *value < 0)
      fail(header_.size_line, std::string("the number of ") + what + " '" + std::string(token) +
                                  "' is not a non-negative integer");
    if (*value > std::numeric_limits<PetscInt>::max())
      fail(header_.size_line, std::string("the number of ") + what + " " + std::to_string(*value) +
                                  " exceeds PETSc's index range");
    return static_cast<PetscInt>(*value);
  }

  PetscInt index(std::string_view token, PetscInt bound, const char* what, long long line) const {
    const auto value = parse_integer(token);
    if (!value)
      fail(line, std::string(what) + " index '" + std::string(token) + "' is not an integer");
    if (*value < 1 || *value > bound)
      fail(line, std::string(what) + " index " + std::to_string(*value) + " is out of range 1.." +
                     std::to_string(bound) + " (Matrix Market indices are 1-based)");
    return static_cast<PetscInt>(*value - 1);
  }

  double value(std::string_view token, long long line) const {
    const auto value = parse_double(token);
    if (!value) fail(line, "value '" + std::string(token) + "' is not a finite number");
    return *value;
  }

  std::string path_;
  std::string text_;
  LineScanner scanner_{std::string_view()};
  MarketHeader header_;
};

/// Local rows of a matrix in CSR form with global column indices (duplicates kept; summed by
/// ADD_VALUES on insertion).
struct LocalCsr {
  PetscInt rows = 0, cols = 0;  // global sizes
  Range row_range;
  std::vector<PetscInt> offsets{0};
  std::vector<PetscInt> columns;
  std::vector<PetscScalar> values;
};

/// Build the AIJ matrix from local CSR rows, preallocated exactly. Collective.
MatHandle assemble_local_csr(MPI_Comm comm, const LocalCsr& csr) {
  const Range col_range = default_range(comm, csr.cols);
  const PetscInt m = csr.row_range.local;
  std::vector<PetscInt> d_nnz(static_cast<std::size_t>(m), 0),
      o_nnz(static_cast<std::size_t>(m), 0);
  for (PetscInt r = 0; r < m; ++r)
    for (PetscInt k = csr.offsets[r]; k < csr.offsets[r + 1]; ++k)
      ++(col_range.owns(csr.columns[k]) ? d_nnz : o_nnz)[r];
  MatHandle matrix;
  KOLMO_PETSC_CALL(MatCreateAIJ(comm, m, col_range.local, csr.rows, csr.cols, 0, d_nnz.data(), 0,
                                o_nnz.data(), matrix.out()));
  KOLMO_PETSC_CALL(MatSetOption(matrix, MAT_NO_OFF_PROC_ENTRIES, PETSC_TRUE));
  for (PetscInt r = 0; r < m; ++r) {
    const PetscInt row = csr.row_range.start + r;
    const PetscInt count = csr.offsets[r + 1] - csr.offsets[r];
    if (count == 0) continue;
    KOLMO_PETSC_CALL(MatSetValues(matrix, 1, &row, count, csr.columns.data() + csr.offsets[r],
                                  csr.values.data() + csr.offsets[r], ADD_VALUES));
  }
  KOLMO_PETSC_CALL(MatAssemblyBegin(matrix, MAT_FINAL_ASSEMBLY));
  KOLMO_PETSC_CALL(MatAssemblyEnd(matrix, MAT_FINAL_ASSEMBLY));
  return matrix;
}

MatHandle read_matrix_market_matrix(MPI_Comm comm, const std::string& path) {
  check_readable(comm, path, "Matrix Market");
  LocalCsr csr;
  const int size = comm_size(comm), rank = comm_rank(comm);
  // Every rank scans the whole file (identical checks, identical errors) and keeps its rows.
  collectively(comm, [&] {
    MarketReader reader(path);
    const auto& header = reader.header();
    if (!header.coordinate)
      reader.fail(1, "a matrix must be in 'coordinate' format ('array' is read only for vectors)");
    csr.rows = header.rows;
    csr.cols = header.cols;
    const Range range = default_range(header.rows, size, rank);
    csr.row_range = range;
    struct Entry {
      PetscInt row, col;
      PetscScalar value;
    };
    std::vector<Entry> entries;
    const double mirror = header.symmetry == Symmetry::skew_symmetric ? -1.0 : 1.0;
    const bool expand = header.symmetry != Symmetry::general;
    reader.for_each_coordinate([&](PetscInt i, PetscInt j, double v) {
      if (range.owns(i)) entries.push_back({i, j, v});
      if (expand && i != j && range.owns(j)) entries.push_back({j, i, mirror * v});
    });
    csr.offsets.assign(static_cast<std::size_t>(range.local) + 1, 0);
    for (const auto& e : entries) ++csr.offsets[e.row - range.start + 1];
    for (PetscInt r = 0; r < range.local; ++r) csr.offsets[r + 1] += csr.offsets[r];
    csr.columns.resize(entries.size());
    csr.values.resize(entries.size());
    std::vector<PetscInt> next(csr.offsets.begin(), csr.offsets.end() - 1);
    for (const auto& e : entries) {
      const auto k = next[e.row - range.start]++;
      csr.columns[k] = e.col;
      csr.values[k] = e.value;
    }
  });
  return assemble_local_csr(comm, csr);
}

VecHandle create_vector(MPI_Comm comm, const Range& range, PetscInt global) {
  VecHandle vector;
  KOLMO_PETSC_CALL(VecCreate(comm, vector.out()));
  KOLMO_PETSC_CALL(VecSetSizes(vector, range.local, global));
  KOLMO_PETSC_CALL(VecSetType(vector, VECSTANDARD));
  return vector;
}

/// Copy this rank's values into a new vector. Collective.
VecHandle vector_from_local(MPI_Comm comm, const Range& range, PetscInt global,
                            const std::vector<PetscScalar>& local) {
  VecHandle vector = create_vector(comm, range, global);
  PetscScalar* data = nullptr;
  KOLMO_PETSC_CALL(VecGetArray(vector, &data));
  std::copy(local.begin(), local.end(), data);
  KOLMO_PETSC_CALL(VecRestoreArray(vector, &data));
  return vector;
}

VecHandle read_matrix_market_vector(MPI_Comm comm, const std::string& path) {
  check_readable(comm, path, "Matrix Market");
  PetscInt global = 0;
  Range range;
  std::vector<PetscScalar> local;
  const int size = comm_size(comm), rank = comm_rank(comm);
  collectively(comm, [&] {
    MarketReader reader(path);
    const auto& header = reader.header();
    if (header.rows != 1 && header.cols != 1)
      reader.fail(header.size_line, "a vector must be n x 1 (or 1 x n), the size line says " +
                                        std::to_string(header.rows) + " x " +
                                        std::to_string(header.cols));
    if (header.symmetry != Symmetry::general && header.rows != 1)
      reader.fail(1, "a vector must be 'general', not symmetric");
    const bool column = header.cols == 1;
    global = column ? header.rows : header.cols;
    range = default_range(global, size, rank);
    local.assign(static_cast<std::size_t>(range.local), 0.0);
    if (header.coordinate) {
      reader.for_each_coordinate([&](PetscInt i, PetscInt j, double v) {
        const PetscInt k = column ? i : j;
        if (range.owns(k)) local[k - range.start] += v;
      });
    } else {
      reader.for_each_array_value([&](long long k, double v) {
        if (range.owns(static_cast<PetscInt>(k))) local[k - range.start] = v;
      });
    }
  });
  return vector_from_local(comm, range, global, local);
}

// PETSc binary.

ViewerHandle open_binary(MPI_Comm comm, const std::string& path, PetscFileMode mode) {
  ViewerHandle viewer;
  KOLMO_PETSC_CALL(PetscViewerCreate(comm, viewer.out()));
  KOLMO_PETSC_CALL(PetscViewerSetType(viewer, PETSCVIEWERBINARY));
  // The .info side file carries PETSc options and block sizes: not wanted from another code.
  KOLMO_PETSC_CALL(PetscViewerBinarySetSkipInfo(viewer, PETSC_TRUE));
  KOLMO_PETSC_CALL(PetscViewerFileSetMode(viewer, mode));
  KOLMO_PETSC_CALL(PetscViewerFileSetName(viewer, path.c_str()));
  return viewer;
}

/// PETSc's loaders check the header on every rank, so a failure is seen by all of them; it is
/// turned into an InputError naming the file.
template <class F>
void load_binary(const std::string& path, const char* what, F&& load) {
  try {
    load();
  } catch (const PetscException& e) {
    throw InputError(path + ": cannot read a PETSc binary " + what + " (" + e.what() + ")");
  }
}

MatHandle read_petsc_binary_matrix(MPI_Comm comm, const std::string& path) {
  check_readable(comm, path, "PETSc binary");
  MatHandle matrix;
  load_binary(path, "matrix", [&] {
    auto viewer = open_binary(comm, path, FILE_MODE_READ);
    KOLMO_PETSC_CALL(MatCreate(comm, matrix.out()));
    KOLMO_PETSC_CALL(MatSetType(matrix, MATAIJ));
    KOLMO_PETSC_CALL(MatLoad(matrix, viewer));
  });
  return matrix;
}

VecHandle read_petsc_binary_vector(MPI_Comm comm, const std::string& path) {
  check_readable(comm, path, "PETSc binary");
  VecHandle vector;
  load_binary(path, "vector", [&] {
    auto viewer = open_binary(comm, path, FILE_MODE_READ);
    KOLMO_PETSC_CALL(VecCreate(comm, vector.out()));
    KOLMO_PETSC_CALL(VecSetType(vector, VECSTANDARD));
    KOLMO_PETSC_CALL(VecLoad(vector, viewer));
  });
  return vector;
}

// HDF5, built on core/hdf5_file.hpp. Metadata (groups, shapes, attributes) is the same on every
// rank, so a problem there throws the same InputError everywhere; problems in the data that a rank
// reads for itself (its rows of indptr and indices) are agreed on with throw_if_any_failed.

struct Hdf5Location {
  std::string file;     ///< the file name
  std::string object;   ///< absolute object path inside it, "" for none given
  std::string display;  ///< "file.h5:/object" for messages
};

Hdf5Location hdf5_location(const std::string& path) {
  auto [file, object] = split_object_path(path);
  while (object.size() > 1 && object.back() == '/') object.pop_back();
  return {file, object, object.empty() ? file : file + ":" + object};
}

/// `parent` + "/" + `name` for object paths ("/" + "x" = "/x").
std::string child_path(const std::string& parent, const std::string& name) {
  return parent.empty() || parent == "/" ? "/" + name : parent + "/" + name;
}

bool is_group(const h5::File& file, const std::string& object_path) {
  h5::ObjectHandle object(KOLMO_H5_INPUT_CALL(
      file.path(), object_path, H5Oopen(file.id(), object_path.c_str(), H5P_DEFAULT)));
  return H5Iget_type(object) == H5I_GROUP;
}

/// A dataset holding a 1-D array: extent n, or n x 1, or 1 x n.
struct ArrayDataset {
  std::string path;
  hsize_t length = 0;
  std::size_t rank = 1;
  std::size_t axis = 0;  ///< the dimension of length n

  /// Read elements [offset, offset + count) collectively (every rank calls).
  void read(const h5::File& file, hsize_t offset, hsize_t count, hid_t memory_type,
            void* data) const {
    std::vector<hsize_t> start(rank, 0), block(rank, 1);
    start[axis] = offset;
    block[axis] = count;
    file.read_block(path, start, block, memory_type, data, count > 0);
  }
};

ArrayDataset array_dataset(const h5::File& file, const std::string& object_path,
                           const std::string& display) {
  KOLMO_INPUT_CHECK(file.exists(object_path), display << ": no dataset '" << object_path << "'");
  KOLMO_INPUT_CHECK(!is_group(file, object_path),
                    display << ": '" << object_path << "' is a group, expected a dataset");
  const auto dims = file.shape(object_path);
  ArrayDataset array;
  array.path = object_path;
  array.rank = dims.size();
  const bool ok = dims.size() == 1 || (dims.size() == 2 && (dims[0] == 1 || dims[1] == 1));
  KOLMO_INPUT_CHECK(ok, display << ": dataset '" << object_path << "' has " << dims.size()
                                << " dimensions, expected a 1-D array");
  array.axis = dims.size() == 2 && dims[0] == 1 ? 1 : 0;
  array.length = dims[array.axis];
  return array;
}

/// `shape` = [rows, cols] of a CSR group: an attribute of the group, or a dataset in it.
std::array<PetscInt, 2> read_shape(const h5::File& file, const std::string& group,
                                   const std::string& display) {
  std::vector<std::int64_t> shape;
  const std::string dataset = child_path(group, "shape");
  if (file.has_attribute(group, "shape")) {
    shape = file.read_ints_attribute(group, "shape");
  } else if (file.exists(dataset)) {
    const auto array = array_dataset(file, dataset, display);
    KOLMO_INPUT_CHECK(
        array.length == 2,
        display << ": 'shape' must hold 2 integers [rows, columns], has " << array.length);
    shape.resize(2);
    array.read(file, 0, 2, H5T_NATIVE_INT64, shape.data());
  } else {
    throw InputError(display +
                     ": no 'shape' attribute or dataset ([rows, columns] of the CSR matrix)");
  }
  KOLMO_INPUT_CHECK(shape.size() == 2, display
                                           << ": 'shape' must hold 2 integers [rows, columns], has "
                                           << shape.size());
  const auto max = static_cast<std::int64_t>(std::numeric_limits<PetscInt>::max()) - 1;
  KOLMO_INPUT_CHECK(shape[0] >= 0 && shape[1] >= 0 && shape[0] <= max && shape[1] <= max,
                    display << ": shape [" << shape[0] << ", " << shape[1] << "] is not valid");
  return {static_cast<PetscInt>(shape[0]), static_cast<PetscInt>(shape[1])};
}

MatHandle read_hdf5_matrix(MPI_Comm comm, const std::string& path) {
  const auto location = hdf5_location(path);
  const std::string& display = location.display;
  const std::string group = location.object.empty() ? "/" : location.object;
  LocalCsr csr;
  {
    const auto file = h5::File::open(comm, location.file, h5::Access::read_only);
    KOLMO_INPUT_CHECK(file.exists(group), display << ": no such group in the file");
    KOLMO_INPUT_CHECK(is_group(file, group),
                      display << ": is a dataset, expected a group with datasets indptr, indices, "
                                 "data and a shape");
    const auto shape = read_shape(file, group, display);
    csr.rows = shape[0];
    csr.cols = shape[1];
    csr.row_range = default_range(comm, csr.rows);
    const auto indptr = array_dataset(file, child_path(group, "indptr"), display);
    const auto indices = array_dataset(file, child_path(group, "indices"), display);
    const auto data = array_dataset(file, child_path(group, "data"), display);
    KOLMO_INPUT_CHECK(indptr.length == static_cast<hsize_t>(csr.rows) + 1,
                      display << ": 'indptr' has " << indptr.length
                              << " entries, expected rows + 1 = " << csr.rows + 1 << " (shape is ["
                              << csr.rows << ", " << csr.cols << "])");
    KOLMO_INPUT_CHECK(indices.length == data.length, display << ": 'indices' has " << indices.length
                                                             << " entries but 'data' has "
                                                             << data.length);
    const auto nnz = static_cast<std::int64_t>(indices.length);

    // This rank's rows: indptr[start .. end] (inclusive), checked before it is used as an offset.
    const auto local_rows = static_cast<std::size_t>(csr.row_range.local);
    const auto row0 = static_cast<std::int64_t>(csr.row_range.start);
    std::vector<std::int64_t> pointers(local_rows + 1);
    indptr.read(file, static_cast<hsize_t>(row0), local_rows + 1, H5T_NATIVE_INT64,
                pointers.data());
    collectively(comm, [&] {
      if (row0 == 0)
        KOLMO_INPUT_CHECK(pointers[0] == 0,
                          display << ": indptr[0] is " << pointers[0] << ", must be 0");
      if (csr.row_range.end() == csr.rows)
        KOLMO_INPUT_CHECK(pointers.back() == nnz,
                          display << ": indptr[" << csr.rows << "] is " << pointers.back()
                                  << ", must equal the number of entries of 'indices' (" << nnz
                                  << ")");
      for (std::size_t r = 0; r < local_rows; ++r) {
        const auto i = row0 + static_cast<std::int64_t>(r);
        KOLMO_INPUT_CHECK(
            pointers[r] >= 0 && pointers[r] <= pointers[r + 1] && pointers[r + 1] <= nnz,
            display << ": indptr[" << i << "] = " << pointers[r] << " and indptr[" << i + 1
                    << "] = " << pointers[r + 1] << ": indptr must be nondecreasing within 0.."
                    << nnz);
      }
    });

    const auto first = static_cast<hsize_t>(pointers.front());
    const auto count = static_cast<std::size_t>(pointers.back() - pointers.front());
    std::vector<std::int64_t> columns(count);
    csr.values.resize(count);
    indices.read(file, first, count, H5T_NATIVE_INT64, columns.data());
    data.read(file, first, count, H5T_NATIVE_DOUBLE, csr.values.data());
    collectively(comm, [&] {
      csr.offsets.resize(local_rows + 1);
      for (std::size_t r = 0; r <= local_rows; ++r)
        csr.offsets[r] = static_cast<PetscInt>(pointers[r] - pointers[0]);
      csr.columns.resize(count);
      std::size_t row = 0;
      for (std::size_t k = 0; k < count; ++k) {
        while (static_cast<std::size_t>(csr.offsets[row + 1]) <= k) ++row;
        KOLMO_INPUT_CHECK(columns[k] >= 0 && columns[k] < csr.cols,
                          display << ": indices[" << first + k << "] (row "
                                  << row0 + static_cast<std::int64_t>(row) << ") is " << columns[k]
                                  << ", outside 0.." << static_cast<std::int64_t>(csr.cols) - 1
                                  << " (column indices are 0-based)");
        csr.columns[k] = static_cast<PetscInt>(columns[k]);
      }
    });
  }
  return assemble_local_csr(comm, csr);
}

VecHandle read_hdf5_vector(MPI_Comm comm, const std::string& path) {
  const auto location = hdf5_location(path);
  const auto file = h5::File::open(comm, location.file, h5::Access::read_only);
  std::string name = location.object.empty() ? "/data" : location.object;
  KOLMO_INPUT_CHECK(file.exists(name),
                    location.file << ":" << name << ": no such dataset in the file");
  if (is_group(file, name)) name = child_path(name, "data");
  const auto array = array_dataset(file, name, location.file);
  KOLMO_INPUT_CHECK(array.length < static_cast<hsize_t>(std::numeric_limits<PetscInt>::max()),
                    location.file << ":" << name << ": too long for PETSc's index range");
  const auto global = static_cast<PetscInt>(array.length);
  const Range range = default_range(comm, global);
  std::vector<PetscScalar> local(static_cast<std::size_t>(range.local));
  array.read(file, static_cast<hsize_t>(range.start), local.size(), H5T_NATIVE_DOUBLE,
             local.data());
  return vector_from_local(comm, range, global, local);
}

/// Open `path` for writing, creating it if absent. Collective.
h5::File open_for_writing(MPI_Comm comm, const std::string& path) {
  int exists = 0;
  if (comm_rank(comm) == 0) {
    std::error_code code;
    exists = std::filesystem::exists(path, code) ? 1 : 0;
  }
  MPI_Bcast(&exists, 1, MPI_INT, 0, comm);
  return exists ? h5::File::open(comm, path, h5::Access::read_write)
                : h5::File::create(comm, path, false);
}

/// Make room for a new object at `object_path`: remove what is there, create missing parent
/// groups. Collective.
void prepare_object_path(h5::File& file, const std::string& object_path) {
  if (file.exists(object_path))
    KOLMO_H5_CALL(file.path(), object_path, H5Ldelete(file.id(), object_path.c_str(), H5P_DEFAULT));
  for (auto slash = object_path.find('/', 1); slash != std::string::npos;
       slash = object_path.find('/', slash + 1)) {
    const auto parent = object_path.substr(0, slash);
    if (!file.exists(parent)) file.create_group(parent);
  }
}

/// This rank's rows of `matrix` as CSR with global columns.
struct OwnedRows {
  PetscInt start = 0, end = 0;
  std::vector<long long> offsets{0};
  std::vector<long long> columns;
  std::vector<double> values;
};

OwnedRows owned_rows(Mat matrix) {
  OwnedRows rows;
  KOLMO_PETSC_CALL(MatGetOwnershipRange(matrix, &rows.start, &rows.end));
  for (PetscInt row = rows.start; row < rows.end; ++row) {
    PetscInt count = 0;
    const PetscInt* columns = nullptr;
    const PetscScalar* values = nullptr;
    KOLMO_PETSC_CALL(MatGetRow(matrix, row, &count, &columns, &values));
    rows.columns.insert(rows.columns.end(), columns, columns + count);
    rows.values.insert(rows.values.end(), values, values + count);
    KOLMO_PETSC_CALL(MatRestoreRow(matrix, row, &count, &columns, &values));
    rows.offsets.push_back(static_cast<long long>(rows.columns.size()));
  }
  return rows;
}

/// Ranks take turns (0, 1, ...) to append to `path`; rank 0 truncates it. Every rank learns
/// whether any turn failed. Collective.
template <class F>
void write_in_turns(MPI_Comm comm, const std::string& path, F&& write_part) {
  const int size = comm_size(comm), rank = comm_rank(comm);
  LocalError error;
  for (int turn = 0; turn < size; ++turn) {
    if (turn == rank) {
      error = run_locally([&] {
        std::FILE* file = std::fopen(path.c_str(), rank == 0 ? "w" : "a");
        KOLMO_CHECK(file, path << ": cannot open for writing");
        write_part(file);
        const bool ok = std::ferror(file) == 0;
        KOLMO_CHECK(std::fclose(file) == 0 && ok, path << ": write failed");
      });
    }
    MPI_Barrier(comm);
  }
  throw_if_any_failed(comm, error);
}

}  // namespace

const char* to_string(MatrixFormat format) {
  switch (format) {
    case MatrixFormat::automatic:
      return "auto";
    case MatrixFormat::matrix_market:
      return "matrix_market";
    case MatrixFormat::petsc_binary:
      return "petsc_binary";
    case MatrixFormat::hdf5:
      return "hdf5";
  }
  return "unknown";
}

MatrixFormat parse_matrix_format(std::string_view text) {
  for (auto format : {MatrixFormat::automatic, MatrixFormat::matrix_market,
                      MatrixFormat::petsc_binary, MatrixFormat::hdf5})
    if (text == to_string(format)) return format;
  throw InputError("unknown matrix format '" + std::string(text) +
                   "' (allowed: auto, matrix_market, petsc_binary, hdf5)");
}

MatrixFormat detect_matrix_format(const std::string& path) {
  const auto file = split_object_path(path).first;
  const auto extension = lower(std::filesystem::path(file).extension().string());
  if (extension == ".mtx") return MatrixFormat::matrix_market;
  if (extension == ".bin" || extension == ".petsc" || extension == ".dat")
    return MatrixFormat::petsc_binary;
  if (extension == ".h5" || extension == ".hdf5") return MatrixFormat::hdf5;
  throw InputError(path + ": cannot tell the format from the extension '" + extension +
                   "' (.mtx: Matrix Market; .bin, .petsc, .dat: PETSc binary; .h5, .hdf5: "
                   "HDF5); name it so, or set the format explicitly");
}

MatHandle read_matrix(MPI_Comm comm, const std::string& path, MatrixFormat format) {
  switch (resolve_format(path, format)) {
    case MatrixFormat::matrix_market:
      return read_matrix_market_matrix(comm, path);
    case MatrixFormat::petsc_binary:
      return read_petsc_binary_matrix(comm, path);
    case MatrixFormat::hdf5:
      return read_hdf5_matrix(comm, path);
    case MatrixFormat::automatic:
      break;
  }
  throw Exception("read_matrix: unresolved format");
}

VecHandle read_vector(MPI_Comm comm, const std::string& path, MatrixFormat format) {
  switch (resolve_format(path, format)) {
    case MatrixFormat::matrix_market:
      return read_matrix_market_vector(comm, path);
    case MatrixFormat::petsc_binary:
      return read_petsc_binary_vector(comm, path);
    case MatrixFormat::hdf5:
      return read_hdf5_vector(comm, path);
    case MatrixFormat::automatic:
      break;
  }
  throw Exception("read_vector: unresolved format");
}

void write_matrix_market(Mat matrix, const std::string& path) {
  const MPI_Comm comm = object_comm(matrix);
  PetscInt rows = 0, cols = 0;
  KOLMO_PETSC_CALL(MatGetSize(matrix, &rows, &cols));
  const auto owned = owned_rows(matrix);
  long long local = static_cast<long long>(owned.columns.size()), total = 0;
  MPI_Allreduce(&local, &total, 1, MPI_LONG_LONG, MPI_SUM, comm);
  write_in_turns(comm, path, [&](std::FILE* file) {
    if (comm_rank(comm) == 0)
      std::fprintf(file, "%%%%MatrixMarket matrix coordinate real general\n%lld %lld %lld\n",
                   static_cast<long long>(rows), static_cast<long long>(cols), total);
    for (PetscInt r = 0; r < owned.end - owned.start; ++r)
      for (auto k = owned.offsets[r]; k < owned.offsets[r + 1]; ++k)
        std::fprintf(file, "%lld %lld %.17g\n", static_cast<long long>(owned.start + r) + 1,
                     owned.columns[k] + 1, owned.values[k]);
  });
}

void write_matrix_market(Vec vector, const std::string& path) {
  const MPI_Comm comm = object_comm(vector);
  PetscInt global = 0, local = 0;
  KOLMO_PETSC_CALL(VecGetSize(vector, &global));
  KOLMO_PETSC_CALL(VecGetLocalSize(vector, &local));
  const PetscScalar* data = nullptr;
  KOLMO_PETSC_CALL(VecGetArrayRead(vector, &data));
  std::vector<double> values(data, data + local);
  KOLMO_PETSC_CALL(VecRestoreArrayRead(vector, &data));
  write_in_turns(comm, path, [&](std::FILE* file) {
    if (comm_rank(comm) == 0)
      std::fprintf(file, "%%%%MatrixMarket matrix array real general\n%lld 1\n",
                   static_cast<long long>(global));
    for (double v : values) std::fprintf(file, "%.17g\n", v);
  });
}

void write_petsc_binary(Mat matrix, const std::string& path) {
  auto viewer = open_binary(object_comm(matrix), path, FILE_MODE_WRITE);
  KOLMO_PETSC_CALL(MatView(matrix, viewer));
}

void write_petsc_binary(Vec vector, const std::string& path) {
  auto viewer = open_binary(object_comm(vector), path, FILE_MODE_WRITE);
  KOLMO_PETSC_CALL(VecView(vector, viewer));
}

void write_hdf5(Mat matrix, const std::string& path) {
  const MPI_Comm comm = object_comm(matrix);
  const auto location = hdf5_location(path);
  const std::string group = location.object.empty() ? "/" : location.object;
  PetscInt rows = 0, cols = 0;
  KOLMO_PETSC_CALL(MatGetSize(matrix, &rows, &cols));
  const auto owned = owned_rows(matrix);
  long long local = static_cast<long long>(owned.columns.size()), offset = 0, total = 0;
  MPI_Exscan(&local, &offset, 1, MPI_LONG_LONG, MPI_SUM, comm);
  if (comm_rank(comm) == 0) offset = 0;
  MPI_Allreduce(&local, &total, 1, MPI_LONG_LONG, MPI_SUM, comm);

  auto file = open_for_writing(comm, location.file);
  if (group != "/") {
    prepare_object_path(file, group);
    file.create_group(group);
  }
  for (const char* name : {"indptr", "indices", "data", "shape"})
    if (file.exists(child_path(group, name))) prepare_object_path(file, child_path(group, name));
  const auto indptr = child_path(group, "indptr"), indices = child_path(group, "indices"),
             data = child_path(group, "data");
  file.create_fixed_dataset(indptr, H5T_STD_I64LE, {static_cast<hsize_t>(rows) + 1}, false);
  file.create_fixed_dataset(indices, H5T_STD_I64LE, {static_cast<hsize_t>(total)}, false);
  file.create_fixed_dataset(data, H5T_IEEE_F64LE, {static_cast<hsize_t>(total)}, false);
  file.write_attribute(group, "shape", std::vector<std::int64_t>{rows, cols});

  // Each rank writes indptr for its own rows; the last rank also writes the closing entry.
  const auto local_rows = static_cast<hsize_t>(owned.end - owned.start);
  const bool last = comm_rank(comm) == comm_size(comm) - 1;
  std::vector<std::int64_t> pointers(owned.offsets.begin(), owned.offsets.end());
  for (auto& p : pointers) p += offset;
  const std::vector<std::int64_t> columns(owned.columns.begin(), owned.columns.end());
  file.write_block(indptr, {static_cast<hsize_t>(owned.start)}, {local_rows + (last ? 1 : 0)},
                   H5T_NATIVE_INT64, pointers.data(), true);
  file.write_block(indices, {static_cast<hsize_t>(offset)}, {static_cast<hsize_t>(local)},
                   H5T_NATIVE_INT64, columns.data(), true);
  file.write_block(data, {static_cast<hsize_t>(offset)}, {static_cast<hsize_t>(local)},
                   H5T_NATIVE_DOUBLE, owned.values.data(), true);
  file.close();
}

void write_hdf5(Vec vector, const std::string& path) {
  const MPI_Comm comm = object_comm(vector);
  const auto location = hdf5_location(path);
  const std::string name = location.object.empty() ? "/data" : location.object;
  PetscInt global = 0;
  KOLMO_PETSC_CALL(VecGetSize(vector, &global));
  auto file = open_for_writing(comm, location.file);
  prepare_object_path(file, name);
  file.create_fixed_dataset(name, H5T_IEEE_F64LE, {static_cast<hsize_t>(global)}, false);
  h5::write_vec(file, name, -1, vector);
  file.close();
}

}  // namespace kolmo::operators
