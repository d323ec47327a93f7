// Readers and writers of external matrices: round trips through every format at any rank count,
// the default row layout, Matrix Market's symmetric expansion and vector forms, and an InputError
// naming the file (and the line, or the dataset) for every kind of bad input.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/hdf5_file.hpp"
#include "core/mpi.hpp"
#include "core/petsc_handle.hpp"
#include "mpi_test_helpers.hpp"
#include "operators/matrix_io.hpp"

using Catch::Matchers::Contains;
using kolmo::testing::on_all_ranks;
using kolmo::testing::test_comm;
namespace ops = kolmo::operators;

namespace {

/// A file name private to this rank count (np1 and np2 runs may execute at the same time).
std::string scratch(const std::string& name) {
  return "matrix_io_np" + std::to_string(kolmo::comm_size(test_comm())) + "_" + name;
}

/// Rank 0 writes `text` to `path`; every rank returns once the file is there. Collective.
void write_text(const std::string& path, const std::string& text) {
  if (kolmo::comm_rank(test_comm()) == 0) {
    std::ofstream out(path, std::ios::binary);
    out << text;
  }
  MPI_Barrier(test_comm());
}

/// The message of the InputError that `body` throws, or "(no error)". Collective through body.
template <class F>
std::string input_error_of(F&& body) {
  try {
    body();
  } catch (const kolmo::InputError& e) {
    return e.what();
  }
  return "(no error)";
}

/// An n x n nonsymmetric matrix with an irregular pattern and entries that need all 17 digits:
/// diagonal 4 + i/3, sub- and super-diagonals, and one far entry per row.
kolmo::MatHandle known_matrix(PetscInt n) {
  kolmo::MatHandle a;
  KOLMO_PETSC_CALL(
      MatCreateAIJ(test_comm(), PETSC_DECIDE, PETSC_DECIDE, n, n, 4, nullptr, 4, nullptr, a.out()));
  PetscInt start = 0, end = 0;
  KOLMO_PETSC_CALL(MatGetOwnershipRange(a, &start, &end));
  for (PetscInt i = start; i < end; ++i) {
    KOLMO_PETSC_CALL(MatSetValue(a, i, i, 4.0 + i / 3.0, INSERT_VALUES));
    if (i > 0) KOLMO_PETSC_CALL(MatSetValue(a, i, i - 1, -1.0 / (i + 7.0), INSERT_VALUES));
    if (i + 1 < n) KOLMO_PETSC_CALL(MatSetValue(a, i, i + 1, -std::sqrt(2.0 + i), INSERT_VALUES));
    const PetscInt far = (3 * i + 5) % n;
    if (std::abs(far - i) > 1)
      KOLMO_PETSC_CALL(MatSetValue(a, i, far, 1e-9 * (i + 1), INSERT_VALUES));
  }
  KOLMO_PETSC_CALL(MatAssemblyBegin(a, MAT_FINAL_ASSEMBLY));
  KOLMO_PETSC_CALL(MatAssemblyEnd(a, MAT_FINAL_ASSEMBLY));
  return a;
}

kolmo::VecHandle known_vector(PetscInt n) {
  kolmo::VecHandle v;
  KOLMO_PETSC_CALL(VecCreateMPI(test_comm(), PETSC_DECIDE, n, v.out()));
  PetscInt start = 0, end = 0;
  KOLMO_PETSC_CALL(VecGetOwnershipRange(v, &start, &end));
  for (PetscInt i = start; i < end; ++i)
    KOLMO_PETSC_CALL(VecSetValue(v, i, std::exp(-0.3 * i) / 3.0 - 0.1, INSERT_VALUES));
  KOLMO_PETSC_CALL(VecAssemblyBegin(v));
  KOLMO_PETSC_CALL(VecAssemblyEnd(v));
  return v;
}

/// Frobenius norm of a - b (any patterns).
double difference(Mat a, Mat b) {
  kolmo::MatHandle d;
  KOLMO_PETSC_CALL(MatDuplicate(a, MAT_COPY_VALUES, d.out()));
  KOLMO_PETSC_CALL(MatAXPY(d, -1.0, b, DIFFERENT_NONZERO_PATTERN));
  PetscReal norm = 0;
  KOLMO_PETSC_CALL(MatNorm(d, NORM_FROBENIUS, &norm));
  return norm;
}

double difference(Vec a, Vec b) {
  kolmo::VecHandle d;
  KOLMO_PETSC_CALL(VecDuplicate(a, d.out()));
  KOLMO_PETSC_CALL(VecWAXPY(d, -1.0, b, a));
  PetscReal norm = 0;
  KOLMO_PETSC_CALL(VecNorm(d, NORM_INFINITY, &norm));
  return norm;
}

/// The result has PETSc's default layout for its size on this communicator.
bool has_default_layout(Mat a) {
  PetscInt m = 0, n = 0, start = 0, end = 0;
  KOLMO_PETSC_CALL(MatGetSize(a, &m, &n));
  KOLMO_PETSC_CALL(MatGetOwnershipRange(a, &start, &end));
  PetscInt local = PETSC_DECIDE, global = m;
  KOLMO_PETSC_CALL(PetscSplitOwnership(test_comm(), &local, &global));
  return end - start == local;
}

bool same_matrix(Mat a, Mat b) {
  PetscBool equal = PETSC_FALSE;
  KOLMO_PETSC_CALL(MatEqual(a, b, &equal));
  return equal == PETSC_TRUE && difference(a, b) == 0.0;
}

}  // namespace

TEST_CASE("formats are named and detected by extension", "[operators][matrix_io]") {
  using ops::MatrixFormat;
  CHECK(ops::detect_matrix_format("dir/A0.mtx") == MatrixFormat::matrix_market);
  CHECK(ops::detect_matrix_format("A0.MTX") == MatrixFormat::matrix_market);
  CHECK(ops::detect_matrix_format("A0.bin") == MatrixFormat::petsc_binary);
  CHECK(ops::detect_matrix_format("A0.petsc") == MatrixFormat::petsc_binary);
  CHECK(ops::detect_matrix_format("A0.dat") == MatrixFormat::petsc_binary);
  CHECK(ops::detect_matrix_format("ops.h5:/A0") == MatrixFormat::hdf5);
  CHECK(ops::detect_matrix_format("ops.hdf5") == MatrixFormat::hdf5);
  CHECK_THAT(input_error_of([] { ops::detect_matrix_format("A0.txt"); }),
             Contains("A0.txt") && Contains("'.txt'"));
  CHECK(ops::parse_matrix_format("auto") == MatrixFormat::automatic);
  CHECK(ops::parse_matrix_format("petsc_binary") == MatrixFormat::petsc_binary);
  CHECK(std::string(ops::to_string(MatrixFormat::matrix_market)) == "matrix_market");
  CHECK_THAT(input_error_of([] { ops::parse_matrix_format("mtx"); }),
             Contains("'mtx'") && Contains("matrix_market"));
}

TEST_CASE("a matrix and a vector survive a round trip through every format",
          "[operators][matrix_io]") {
  const PetscInt n = 11;  // odd, so two ranks get unequal row counts
  const auto a = known_matrix(n);
  const auto v = known_vector(n);
  struct Case {
    std::string matrix, vector;
    ops::MatrixFormat format;
  };
  const std::vector<Case> cases = {
      {scratch("A.mtx"), scratch("v.mtx"), ops::MatrixFormat::automatic},
      {scratch("A.bin"), scratch("v.bin"), ops::MatrixFormat::automatic},
      {scratch("A.petsc_file"), scratch("v.petsc_file"), ops::MatrixFormat::petsc_binary},
      {scratch("root.h5"), scratch("vroot.h5"), ops::MatrixFormat::automatic},
      {scratch("ops.h5") + ":/terms/A0", scratch("ops.h5") + ":/rhs/f0", ops::MatrixFormat::hdf5},
  };
  for (const auto& c : cases) {
    INFO(c.matrix);
    const bool binary =
        c.format == ops::MatrixFormat::petsc_binary || c.matrix.find(".bin") != std::string::npos;
    if (c.matrix.find(".mtx") != std::string::npos) {
      ops::write_matrix_market(a.get(), c.matrix);
      ops::write_matrix_market(v.get(), c.vector);
    } else if (binary) {
      ops::write_petsc_binary(a.get(), c.matrix);
      ops::write_petsc_binary(v.get(), c.vector);
    } else {
      ops::write_hdf5(a.get(), c.matrix);
      ops::write_hdf5(v.get(), c.vector);
    }
    const auto b = ops::read_matrix(test_comm(), c.matrix, c.format);
    const auto w = ops::read_vector(test_comm(), c.vector, c.format);
    REQUIRE(on_all_ranks(same_matrix(a, b)));
    REQUIRE(on_all_ranks(has_default_layout(b)));
    CHECK(difference(v.get(), w.get()) == 0.0);
  }
  // Writing into an existing HDF5 file keeps its other objects and replaces a rewritten one.
  const auto twice = known_matrix(n);
  KOLMO_PETSC_CALL(MatScale(twice, 2.0));
  ops::write_hdf5(twice.get(), scratch("ops.h5") + ":/terms/A1");
  ops::write_hdf5(twice.get(), scratch("ops.h5") + ":/terms/A0");
  const auto a0 = ops::read_matrix(test_comm(), scratch("ops.h5") + ":/terms/A0");
  const auto f0 = ops::read_vector(test_comm(), scratch("ops.h5") + ":/rhs/f0");
  REQUIRE(on_all_ranks(same_matrix(twice, a0)));
  CHECK(difference(v.get(), f0.get()) == 0.0);
}

TEST_CASE("files written at one rank count read at another give the same matrix",
          "[operators][matrix_io]") {
  // Rank 0 writes on its own (as an external serial code would); all ranks read.
  const PetscInt n = 9;
  if (kolmo::comm_rank(test_comm()) == 0) {
    kolmo::MatHandle a;
    KOLMO_PETSC_CALL(MatCreateAIJ(PETSC_COMM_SELF, n, n, n, n, 3, nullptr, 0, nullptr, a.out()));
    for (PetscInt i = 0; i < n; ++i) {
      KOLMO_PETSC_CALL(MatSetValue(a, i, i, 2.0 + i, INSERT_VALUES));
      if (i > 0) KOLMO_PETSC_CALL(MatSetValue(a, i, i - 1, -1.0, INSERT_VALUES));
    }
    KOLMO_PETSC_CALL(MatAssemblyBegin(a, MAT_FINAL_ASSEMBLY));
    KOLMO_PETSC_CALL(MatAssemblyEnd(a, MAT_FINAL_ASSEMBLY));
    ops::write_matrix_market(a.get(), scratch("serial.mtx"));
    ops::write_petsc_binary(a.get(), scratch("serial.bin"));
    ops::write_hdf5(a.get(), scratch("serial.h5"));
  }
  MPI_Barrier(test_comm());
  const auto from_mm = ops::read_matrix(test_comm(), scratch("serial.mtx"));
  const auto from_bin = ops::read_matrix(test_comm(), scratch("serial.bin"));
  const auto from_h5 = ops::read_matrix(test_comm(), scratch("serial.h5"));
  REQUIRE(on_all_ranks(same_matrix(from_mm, from_bin) && same_matrix(from_mm, from_h5)));
  PetscInt start = 0, end = 0;
  KOLMO_PETSC_CALL(MatGetOwnershipRange(from_mm, &start, &end));
  bool ok = true;
  for (PetscInt i = start; i < end; ++i) {
    PetscScalar diagonal = 0, lower = 0;
    const PetscInt below = i > 0 ? i - 1 : 1;
    KOLMO_PETSC_CALL(MatGetValues(from_mm, 1, &i, 1, &i, &diagonal));
    KOLMO_PETSC_CALL(MatGetValues(from_mm, 1, &i, 1, &below, &lower));
    ok = ok && diagonal == 2.0 + i && lower == (i > 0 ? -1.0 : 0.0);
  }
  REQUIRE(on_all_ranks(ok));
}

TEST_CASE("Matrix Market: symmetric files are expanded, comments and vector forms are read",
          "[operators][matrix_io]") {
  // Lower triangle of [[4, 1, 0], [1, 5, -2], [0, -2, 6]], with comments, blank lines, an integer
  // field and CRLF line ends.
  write_text(scratch("sym.mtx"),
             "%%MatrixMarket matrix coordinate integer symmetric\r\n"
             "% written by hand\r\n"
             "\r\n"
             "3 3 5\r\n"
             "1 1 4\r\n2 1 1\r\n2 2 5\r\n3 2 -2\r\n3 3 6\r\n");
  write_text(scratch("full.mtx"),
             "%%MatrixMarket matrix coordinate real general\n3 3 7\n"
             "1 1 4\n1 2 1\n2 1 1\n2 2 5\n2 3 -2\n3 2 -2\n3 3 6\n");
  // Skew-symmetric: [[0, -3], [3, 0]] from its lower triangle.
  write_text(scratch("skew.mtx"),
             "%%MatrixMarket matrix coordinate real skew-symmetric\n2 2 1\n2 1 3.0\n");
  // Duplicate entries are summed (the COO convention).
  write_text(scratch("dup.mtx"),
             "%%MatrixMarket matrix coordinate real general\n3 3 9\n"
             "1 1 4\n1 2 0.5\n1 2 0.5\n2 1 1\n2 2 5\n2 3 -2\n3 2 -2\n3 3 2\n3 3 4\n");
  const auto sym = ops::read_matrix(test_comm(), scratch("sym.mtx"));
  const auto full = ops::read_matrix(test_comm(), scratch("full.mtx"));
  const auto dup = ops::read_matrix(test_comm(), scratch("dup.mtx"));
  CHECK(difference(sym.get(), full.get()) == 0.0);
  CHECK(difference(dup.get(), full.get()) == 0.0);
  const auto skew = ops::read_matrix(test_comm(), scratch("skew.mtx"));
  PetscInt start = 0, end = 0;
  KOLMO_PETSC_CALL(MatGetOwnershipRange(skew, &start, &end));
  bool ok = true;
  for (PetscInt i = start; i < end; ++i) {
    const PetscInt j = 1 - i;
    PetscScalar value = 0;
    KOLMO_PETSC_CALL(MatGetValues(skew, 1, &i, 1, &j, &value));
    ok = ok && value == (i == 0 ? -3.0 : 3.0);
  }
  REQUIRE(on_all_ranks(ok));

  // The same vector [1, 0, -2.5, 0, 7] as array n x 1, array 1 x n, coordinate n x 1 and 1 x n.
  write_text(scratch("va.mtx"),
             "%%MatrixMarket matrix array real general\n% values\n5 1\n1\n0\n-2.5\n0\n7e0\n");
  write_text(scratch("vr.mtx"),
             "%%MatrixMarket matrix array real general\n1 5\n1\n0\n-2.5\n0\n7\n");
  write_text(scratch("vc.mtx"),
             "%%MatrixMarket matrix coordinate real general\n5 1 3\n1 1 1\n3 1 -2.5\n5 1 7\n");
  write_text(scratch("vt.mtx"),
             "%%MatrixMarket matrix coordinate real general\n1 5 3\n1 5 7\n1 1 1\n1 3 -2.5\n");
  const auto reference = ops::read_vector(test_comm(), scratch("va.mtx"));
  PetscInt size = 0;
  KOLMO_PETSC_CALL(VecGetSize(reference, &size));
  CHECK(size == 5);
  PetscReal sum = 0;
  KOLMO_PETSC_CALL(VecSum(reference, &sum));
  CHECK(sum == Approx(5.5).epsilon(1e-15));
  for (const char* name : {"vr.mtx", "vc.mtx", "vt.mtx"}) {
    INFO(name);
    const auto other = ops::read_vector(test_comm(), scratch(name));
    CHECK(difference(reference.get(), other.get()) == 0.0);
  }
}

TEST_CASE("bad Matrix Market files give an InputError with the file and the line",
          "[operators][matrix_io]") {
  struct Bad {
    std::string name, text, expected;
  };
  const std::vector<Bad> bad = {
      {"banner.mtx", "%%MatrixMarkt matrix coordinate real general\n2 2 1\n1 1 1\n",
       ":1: not a Matrix Market file"},
      {"empty.mtx", "", ":1: empty file"},
      {"complex.mtx", "%%MatrixMarket matrix coordinate complex general\n1 1 1\n1 1 1 0\n",
       ":1: field 'complex' is not supported"},
      {"hermitian.mtx", "%%MatrixMarket matrix coordinate real hermitian\n1 1 1\n1 1 1\n",
       ":1: symmetry 'hermitian'"},
      {"row.mtx", "%%MatrixMarket matrix coordinate real general\n3 3 2\n1 1 1\n4 2 1\n",
       ":4: row index 4 is out of range 1..3"},
      {"zero.mtx", "%%MatrixMarket matrix coordinate real general\n%c\n3 3 2\n1 1 1\n2 0 1\n",
       ":5: column index 0 is out of range 1..3 (Matrix Market indices are 1-based)"},
      {"few.mtx", "%%MatrixMarket matrix coordinate real general\n3 3 3\n1 1 1\n2 2 1\n",
       "the file ends after 2 entries, but line 2 announces 3"},
      {"many.mtx", "%%MatrixMarket matrix coordinate real general\n3 3 1\n1 1 1\n2 2 1\n",
       ":4: more entries than the 1 announced on line 2"},
      {"value.mtx", "%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 x1\n",
       ":3: value 'x1' is not a finite number"},
      {"fields.mtx", "%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1\n",
       ":3: expected 'row column value'"},
      {"size.mtx", "%%MatrixMarket matrix coordinate real general\n2 2\n1 1 1\n",
       ":2: expected the size line 'rows columns entries'"},
      {"nosize.mtx", "%%MatrixMarket matrix coordinate real general\n% only a comment\n",
       "the size line is missing"},
      {"symrect.mtx", "%%MatrixMarket matrix coordinate real symmetric\n2 3 1\n1 1 1\n",
       ":2: a symmetric matrix must be square"},
      {"array.mtx", "%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n4\n",
       ":1: a matrix must be in 'coordinate' format"},
  };
  for (const auto& b : bad) {
    INFO(b.name);
    const auto path = scratch(b.name);
    write_text(path, b.text);
    const auto message = input_error_of([&] { ops::read_matrix(test_comm(), path); });
    CHECK_THAT(message, Contains(path) && Contains(b.expected));
  }
  CHECK_THAT(input_error_of([] { ops::read_matrix(test_comm(), scratch("missing.mtx")); }),
             Contains(scratch("missing.mtx")) && Contains("no such file"));

  // Vectors.
  write_text(scratch("square.mtx"), "%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n4\n");
  CHECK_THAT(input_error_of([] { ops::read_vector(test_comm(), scratch("square.mtx")); }),
             Contains(scratch("square.mtx") + ":2: a vector must be n x 1"));
  write_text(scratch("short.mtx"), "%%MatrixMarket matrix array real general\n3 1\n1\n2\n");
  CHECK_THAT(input_error_of([] { ops::read_vector(test_comm(), scratch("short.mtx")); }),
             Contains(scratch("short.mtx")) &&
                 Contains("the file ends after 2 values, but line 2 announces 3"));
  write_text(scratch("long.mtx"), "%%MatrixMarket matrix array real general\n2 1\n1\n2\n3\n");
  CHECK_THAT(input_error_of([] { ops::read_vector(test_comm(), scratch("long.mtx")); }),
             Contains(scratch("long.mtx") + ":5: more values than the 2"));
}

TEST_CASE("bad PETSc binary files give an InputError naming the file", "[operators][matrix_io]") {
  CHECK_THAT(input_error_of([] { ops::read_matrix(test_comm(), scratch("missing.bin")); }),
             Contains(scratch("missing.bin")) && Contains("no such file"));
  const auto v = known_vector(4);
  ops::write_petsc_binary(v.get(), scratch("vector.bin"));
  CHECK_THAT(input_error_of([] { ops::read_matrix(test_comm(), scratch("vector.bin")); }),
             Contains(scratch("vector.bin") + ": cannot read a PETSc binary matrix"));
  const auto a = known_matrix(4);
  ops::write_petsc_binary(a.get(), scratch("matrix.bin"));
  CHECK_THAT(input_error_of([] { ops::read_vector(test_comm(), scratch("matrix.bin")); }),
             Contains(scratch("matrix.bin") + ": cannot read a PETSc binary vector"));
}

TEST_CASE("bad HDF5 matrices give an InputError naming the file and the dataset",
          "[operators][matrix_io]") {
  const auto path = scratch("bad.h5");
  {
    // 3 x 3 CSR groups, each broken in one way; data from rank 0, written collectively.
    auto file = kolmo::h5::File::create(test_comm(), path, true);
    auto csr = [&](const std::string& group, std::vector<std::int64_t> indptr,
                   std::vector<std::int64_t> indices, bool shape) {
      file.create_group(group);
      file.write_ints(group + "/indptr", {indptr.size()}, indptr);
      file.write_ints(group + "/indices", {indices.size()}, indices);
      file.write_doubles(group + "/data", {indices.size()},
                         std::vector<double>(indices.size(), 1.0));
      if (shape) file.write_attribute(group, "shape", std::vector<std::int64_t>{3, 3});
    };
    csr("/good", {0, 1, 2, 3}, {0, 1, 2}, true);
    csr("/noshape", {0, 1, 2, 3}, {0, 1, 2}, false);
    csr("/shortptr", {0, 1, 3}, {0, 1, 2}, true);
    csr("/column", {0, 1, 2, 3}, {0, 1, 3}, true);
    csr("/negative", {0, 1, 2, 3}, {0, -1, 2}, true);
    csr("/decreasing", {0, 2, 1, 3}, {0, 1, 2}, true);
    csr("/lastptr", {0, 1, 2, 2}, {0, 1, 2}, true);
    file.create_group("/nodata");
    file.write_ints("/nodata/indptr", {4}, {0, 0, 0, 0});
    file.write_attribute("/nodata", "shape", std::vector<std::int64_t>{3, 3});
    file.create_group("/shapeset");
    file.write_ints("/shapeset/indptr", {4}, {0, 1, 2, 3});
    file.write_ints("/shapeset/indices", {3}, {2, 1, 0});
    file.write_doubles("/shapeset/data", {3}, {1.5, 2.5, 3.5});
    file.write_ints("/shapeset/shape", {2}, {3, 3});
    file.write_doubles("/vector", {2, 3}, {1, 2, 3, 4, 5, 6});
  }
  const auto good = ops::read_matrix(test_comm(), path + ":/good");
  const auto shape_dataset = ops::read_matrix(test_comm(), path + ":/shapeset");
  PetscReal norm = 0;
  KOLMO_PETSC_CALL(MatNorm(shape_dataset, NORM_FROBENIUS, &norm));
  CHECK(norm == Approx(std::sqrt(1.5 * 1.5 + 2.5 * 2.5 + 3.5 * 3.5)));

  struct Bad {
    std::string object, expected;
  };
  const std::vector<Bad> bad = {
      {"/missing", ":/missing: no such group"},
      {"/vector", ":/vector: is a dataset, expected a group"},
      {"/noshape", ":/noshape: no 'shape' attribute or dataset"},
      {"/nodata", ":/nodata: no dataset '/nodata/indices'"},
      {"/shortptr", ":/shortptr: 'indptr' has 3 entries, expected rows + 1 = 4"},
      {"/column", ":/column: indices[2] (row 2) is 3, outside 0..2"},
      {"/negative", ":/negative: indices[1] (row 1) is -1, outside 0..2"},
      {"/decreasing", ":/decreasing: indptr[1] = 2 and indptr[2] = 1"},
      {"/lastptr", ":/lastptr: indptr[3] is 2, must equal the number of entries of 'indices' (3)"},
  };
  for (const auto& b : bad) {
    INFO(b.object);
    CHECK_THAT(input_error_of([&] { ops::read_matrix(test_comm(), path + ":" + b.object); }),
               Contains(path + b.expected));
  }
  CHECK_THAT(input_error_of([&] { ops::read_vector(test_comm(), path + ":/vector"); }),
             Contains(path) && Contains("expected a 1-D array"));
  CHECK_THAT(input_error_of([&] { ops::read_vector(test_comm(), path); }),
             Contains(path + ":/data: no such dataset"));
  CHECK_THAT(input_error_of([] { ops::read_matrix(test_comm(), scratch("missing.h5")); }),
             Contains(scratch("missing.h5")) && Contains("no such file"));
  write_text(scratch("text.h5"), "not an HDF5 file\n");
  CHECK_THAT(input_error_of([] { ops::read_matrix(test_comm(), scratch("text.h5")); }),
             Contains(scratch("text.h5")) && Contains("not a valid HDF5 file"));
}
