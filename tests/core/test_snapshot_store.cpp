#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/hdf5_file.hpp"
#include "core/petsc_handle.hpp"
#include "core/snapshot_store.hpp"
#include "core/xdmf.hpp"
#include "mpi_test_helpers.hpp"

using kolmo::testing::on_all_ranks;
using kolmo::testing::test_comm;

namespace {

constexpr PetscInt kNx = 11, kNy = 9, kN = kNx * kNy;

/// A file name private to this test and rank count (ctest may run np1 and np2 at once), removed
/// before the test starts.
std::string fresh_path(const std::string& name) {
  const std::string path =
      "store_" + name + "_np" + std::to_string(kolmo::comm_size(test_comm())) + ".h5";
  if (kolmo::comm_rank(test_comm()) == 0) {
    std::filesystem::remove(path);
    std::filesystem::remove(path + ".creating");
    std::filesystem::remove(kolmo::xdmf_sidecar_path(path));
  }
  MPI_Barrier(test_comm());
  return path;
}

/// A natural vector of global size kN; `local` < 0 lets PETSc choose the layout, otherwise it is
/// this rank's local size.
kolmo::VecHandle make_vec(PetscInt local = -1) {
  kolmo::VecHandle v;
  KOLMO_PETSC_CALL(VecCreateMPI(test_comm(), local < 0 ? PETSC_DECIDE : local,
                                local < 0 ? kN : PETSC_DETERMINE, v.out()));
  return v;
}

/// A deliberately uneven layout: rank 0 owns a quarter of the entries, the rest share the others.
kolmo::VecHandle make_uneven_vec() {
  const int size = kolmo::comm_size(test_comm()), rank = kolmo::comm_rank(test_comm());
  if (size == 1) return make_vec();
  const PetscInt first = kN / 4;
  const PetscInt rest = kN - first;
  const PetscInt others = size - 1;
  PetscInt local = rank == 0 ? first : rest / others + ((rank - 1) < rest % others ? 1 : 0);
  return make_vec(local);
}

/// v_g = sin(g) + i, the known snapshot i.
void fill_known(Vec v, int i) {
  PetscInt low = 0, high = 0;
  KOLMO_PETSC_CALL(VecGetOwnershipRange(v, &low, &high));
  PetscScalar* values = nullptr;
  KOLMO_PETSC_CALL(VecGetArray(v, &values));
  for (PetscInt g = low; g < high; ++g) values[g - low] = std::sin(static_cast<double>(g)) + i;
  KOLMO_PETSC_CALL(VecRestoreArray(v, &values));
}

/// True on this rank iff v holds exactly snapshot i.
bool holds_known(Vec v, int i) {
  PetscInt low = 0, high = 0;
  KOLMO_PETSC_CALL(VecGetOwnershipRange(v, &low, &high));
  const PetscScalar* values = nullptr;
  KOLMO_PETSC_CALL(VecGetArrayRead(v, &values));
  bool ok = true;
  for (PetscInt g = low; g < high; ++g)
    ok = ok && values[g - low] == std::sin(static_cast<double>(g)) + i;
  KOLMO_PETSC_CALL(VecRestoreArrayRead(v, &values));
  return ok;
}

kolmo::SnapshotHeader make_header() {
  kolmo::SnapshotHeader header;
  header.problem_type = "test_problem";
  header.parameter_names = {"k", "f"};
  header.output_names = {"mean", "peak"};
  header.case_text = "problem:\n  type: test_problem  # \"quoted\" & <tagged>\n";
  header.vector_size = kN;
  header.layout.dimension = 2;
  header.layout.nodes = {kNx, kNy, 1};
  header.layout.origin = {0.0, -1.0, 0.0};
  header.layout.spacing = {0.1, 0.25, 1.0};
  header.layout.components = 1;
  header.layout.component_names = {"u"};
  return header;
}

std::vector<kolmo::Mu> make_sample(int n = 5) {
  std::vector<kolmo::Mu> sample;
  for (int i = 0; i < n; ++i) sample.push_back({0.1 + 0.7 * i, std::exp(-0.3 * i)});
  return sample;
}

kolmo::SolveRecord record_of(int i) { return {10 + i, 1e-10 * (i + 1), 0.25 * (i + 1), 2}; }

std::vector<double> outputs_of(int i) { return {1.5 * i, -0.5 * i}; }

void write_known(kolmo::SnapshotStore& store, int i, Vec v) {
  fill_known(v, i);
  store.write(i, v, outputs_of(i), record_of(i));
}

template <class F>
std::string input_error_of(F&& f) {
  try {
    f();
  } catch (const kolmo::InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("snapshots are written and read back exactly, with outputs and records",
          "[core][snapshot_store]") {
  const std::string path = fresh_path("roundtrip");
  auto store =
      kolmo::SnapshotStore::create_or_resume(test_comm(), path, make_header(), make_sample());
  REQUIRE(store.capacity() == 5);
  REQUIRE(store.count_complete() == 0);
  REQUIRE(store.parameters() == make_sample());

  auto v = make_vec();
  for (int i : {0, 2, 3}) write_known(store, i, v);
  REQUIRE(store.count_complete() == 3);
  REQUIRE(store.complete_indices() == std::vector<std::int64_t>{0, 2, 3});
  REQUIRE_FALSE(store.is_complete(1));
  REQUIRE(store.outputs(2) == outputs_of(2));
  REQUIRE(store.record(3).iterations == 13);
  REQUIRE(store.record(3).seconds == 1.0);
  REQUIRE(store.record(3).reason == 2);

  auto w = make_vec();
  for (int i : {0, 2, 3}) {
    KOLMO_PETSC_CALL(VecSet(w, -7.0));
    store.read(i, w);
    REQUIRE(on_all_ranks(holds_known(w, i)));
  }
  const std::string error = input_error_of([&] { store.read(1, w); });
  REQUIRE_THAT(error, Catch::Contains("snapshot 1 has not been computed"));
  REQUIRE_THROWS_AS(store.write(1, w, {1.0}, {}), kolmo::Exception);  // wrong output count
  store.close();

  // The file describes itself.
  const auto reopened = kolmo::SnapshotStore::open(test_comm(), path);
  REQUIRE(reopened.header().case_text == make_header().case_text);
  REQUIRE(reopened.header().problem_type == "test_problem");
  REQUIRE(reopened.header().output_names == make_header().output_names);
  REQUIRE(reopened.header().layout.nodes == make_header().layout.nodes);
  REQUIRE(reopened.header().layout.spacing == make_header().layout.spacing);
  REQUIRE(reopened.header().layout.component_names == std::vector<std::string>{"u"});
  REQUIRE_FALSE(reopened.kolmo_version().empty());
  REQUIRE(reopened.created().size() == 20);  // 2024-05-01T12:34:56Z
  REQUIRE(reopened.record(2).residual == 3e-10);
  REQUIRE_FALSE(reopened.is_writable());
}

TEST_CASE("a snapshot file resumes with its completed snapshots and rejects another study",
          "[core][snapshot_store]") {
  const std::string path = fresh_path("resume");
  auto v = make_vec();
  {
    auto store =
        kolmo::SnapshotStore::create_or_resume(test_comm(), path, make_header(), make_sample());
    write_known(store, 0, v);
    write_known(store, 4, v);
  }
  {
    auto store =
        kolmo::SnapshotStore::create_or_resume(test_comm(), path, make_header(), make_sample());
    REQUIRE(store.complete_indices() == std::vector<std::int64_t>{0, 4});
    REQUIRE(store.outputs(4) == outputs_of(4));
    store.read(4, v);
    REQUIRE(on_all_ranks(holds_known(v, 4)));
    write_known(store, 1, v);
    // Rewriting a complete slot replaces it.
    fill_known(v, 40);
    store.write(4, v, outputs_of(40), record_of(40));
  }
  const auto store = kolmo::SnapshotStore::open(test_comm(), path);
  REQUIRE(store.complete_indices() == std::vector<std::int64_t>{0, 1, 4});
  store.read(4, v);
  REQUIRE(on_all_ranks(holds_known(v, 40)));
  REQUIRE(store.record(4).iterations == 50);

  SECTION("a different parameter point") {
    auto sample = make_sample();
    sample[3][1] += 1e-6;
    const auto error = input_error_of(
        [&] { kolmo::SnapshotStore::create_or_resume(test_comm(), path, make_header(), sample); });
    REQUIRE_THAT(error, Catch::Contains("belongs to another study"));
    REQUIRE_THAT(error, Catch::Contains("parameter point 3"));
    REQUIRE_THAT(error, Catch::Contains("snapshots.file"));
  }
  SECTION("a different sample size") {
    const auto error = input_error_of([&] {
      kolmo::SnapshotStore::create_or_resume(test_comm(), path, make_header(), make_sample(6));
    });
    REQUIRE_THAT(error, Catch::Contains("sample of 5 points"));
  }
  SECTION("different parameter names") {
    auto header = make_header();
    header.parameter_names = {"k", "g"};
    const auto error = input_error_of(
        [&] { kolmo::SnapshotStore::create_or_resume(test_comm(), path, header, make_sample()); });
    REQUIRE_THAT(error, Catch::Contains("its parameters are (k, f), this run's are (k, g)"));
  }
  SECTION("different outputs") {
    auto header = make_header();
    header.output_names = {"mean"};
    const auto error = input_error_of(
        [&] { kolmo::SnapshotStore::create_or_resume(test_comm(), path, header, make_sample()); });
    REQUIRE_THAT(error, Catch::Contains("its outputs are (mean, peak)"));
  }
  SECTION("a different vector size") {
    auto header = make_header();
    header.vector_size = kN + 1;
    header.layout = {};
    const auto error = input_error_of(
        [&] { kolmo::SnapshotStore::create_or_resume(test_comm(), path, header, make_sample()); });
    REQUIRE_THAT(error, Catch::Contains("vectors have 99 entries"));
  }
}

TEST_CASE("snapshots do not depend on the partition that wrote or reads them",
          "[core][snapshot_store]") {
  const std::string path = fresh_path("partition");
  auto even = make_vec();
  auto uneven = make_uneven_vec();
  {
    auto store =
        kolmo::SnapshotStore::create_or_resume(test_comm(), path, make_header(), make_sample());
    // The same vector written from two partitions has the same checksum.
    fill_known(even, 7);
    fill_known(uneven, 7);
    REQUIRE(kolmo::snapshot_checksum(even) == kolmo::snapshot_checksum(uneven));
    store.write(0, even, outputs_of(0), record_of(0));
    store.write(1, uneven, outputs_of(1), record_of(1));
    REQUIRE(store.checksum(0) == store.checksum(1));
    // ... and another vector has another one.
    fill_known(even, 8);
    store.write(2, even, outputs_of(2), record_of(2));
    REQUIRE(store.checksum(2) != store.checksum(0));
  }
  const auto store = kolmo::SnapshotStore::open(test_comm(), path);
  KOLMO_PETSC_CALL(VecSet(uneven, 0.0));
  store.read(0, uneven);  // written evenly, read unevenly
  REQUIRE(on_all_ranks(holds_known(uneven, 7)));
  KOLMO_PETSC_CALL(VecSet(even, 0.0));
  store.read(1, even);  // written unevenly, read evenly
  REQUIRE(on_all_ranks(holds_known(even, 7)));

  // Swapping two entries keeps every value but changes the checksum.
  fill_known(even, 7);
  PetscScalar a = std::sin(0.0) + 7, b = std::sin(1.0) + 7;
  const PetscInt indices[2] = {0, 1};
  const PetscScalar swapped[2] = {b, a};
  KOLMO_PETSC_CALL(VecSetValues(even, 2, indices, swapped, INSERT_VALUES));
  KOLMO_PETSC_CALL(VecAssemblyBegin(even));
  KOLMO_PETSC_CALL(VecAssemblyEnd(even));
  REQUIRE(kolmo::snapshot_checksum(even) != store.checksum(0));
}

TEST_CASE("a corrupted byte in a stored snapshot is detected on read", "[core][snapshot_store]") {
  const std::string path = fresh_path("corrupt");
  {
    auto store =
        kolmo::SnapshotStore::create_or_resume(test_comm(), path, make_header(), make_sample());
    auto v = make_vec();
    write_known(store, 0, v);
    write_known(store, 1, v);
  }
  // Flip one bit of entry 5 of row 1, found through the dataset's offset in the file.
  int flipped = 0;
  if (kolmo::comm_rank(test_comm()) == 0) {
    haddr_t offset = HADDR_UNDEF;
    {
      auto file = kolmo::h5::File::open_serial(path, kolmo::h5::Access::read_only);
      auto dataset = file.open_dataset("/snapshots/vectors");
      offset = H5Dget_offset(dataset);
    }
    if (offset != HADDR_UNDEF) {
      std::FILE* raw = std::fopen(path.c_str(), "r+b");
      const long position = static_cast<long>(offset + (1 * kN + 5) * sizeof(double) + 2);
      unsigned char byte = 0;
      if (raw && std::fseek(raw, position, SEEK_SET) == 0 && std::fread(&byte, 1, 1, raw) == 1) {
        byte ^= 0x10;
        std::fseek(raw, position, SEEK_SET);
        flipped = std::fwrite(&byte, 1, 1, raw) == 1 ? 1 : 0;
      }
      if (raw) std::fclose(raw);
    }
  }
  MPI_Bcast(&flipped, 1, MPI_INT, 0, test_comm());
  REQUIRE(flipped == 1);

  const auto store = kolmo::SnapshotStore::open(test_comm(), path);
  auto v = make_vec();
  store.read(0, v);
  REQUIRE(on_all_ranks(holds_known(v, 0)));
  const auto error = input_error_of([&] { store.read(1, v); });
  REQUIRE_THAT(error, Catch::Contains(path + ": snapshot 1 is corrupt (checksum mismatch"));
}

TEST_CASE("files that are not snapshot files give clear input errors", "[core][snapshot_store]") {
  SECTION("a missing file") {
    const std::string path = fresh_path("missing");
    const auto error = input_error_of([&] { kolmo::SnapshotStore::open(test_comm(), path); });
    REQUIRE(error == path + ": no such file");
  }
  SECTION("a text file") {
    const std::string path = fresh_path("text");
    if (kolmo::comm_rank(test_comm()) == 0) std::ofstream(path) << "problem: not hdf5\n";
    MPI_Barrier(test_comm());
    auto error = input_error_of([&] { kolmo::SnapshotStore::open(test_comm(), path); });
    REQUIRE_THAT(error, Catch::StartsWith(path + ": not a valid HDF5 file ("));
    REQUIRE_THAT(error, Catch::Contains("signature"));
    error = input_error_of([&] {
      kolmo::SnapshotStore::create_or_resume(test_comm(), path, make_header(), make_sample());
    });
    REQUIRE_THAT(error, Catch::StartsWith(path + ": not a valid HDF5 file ("));
  }
  SECTION("a file that cannot be created") {
    const std::string path = "no_such_directory/snapshots.h5";
    const auto error = input_error_of([&] {
      kolmo::SnapshotStore::create_or_resume(test_comm(), path, make_header(), make_sample());
    });
    REQUIRE_THAT(error, Catch::StartsWith(path + ".creating: cannot create the file ("));
  }
  SECTION("a truncated snapshot file") {
    const std::string path = fresh_path("truncated");
    kolmo::SnapshotStore::create_or_resume(test_comm(), path, make_header(), make_sample()).close();
    if (kolmo::comm_rank(test_comm()) == 0)
      std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);
    MPI_Barrier(test_comm());
    const auto error = input_error_of([&] { kolmo::SnapshotStore::open(test_comm(), path); });
    REQUIRE_THAT(error, Catch::StartsWith(path + ": not a valid HDF5 file ("));
    REQUIRE_THAT(error, Catch::Contains("truncated"));
  }
  SECTION("an HDF5 file of another kind") {
    const std::string path = fresh_path("field");
    auto v = make_vec();
    fill_known(v, 1);
    kolmo::write_field_file(test_comm(), path, "u", v, make_header().layout);
    const auto error = input_error_of([&] { kolmo::SnapshotStore::open(test_comm(), path); });
    REQUIRE_THAT(error, Catch::Contains("not a Kolmo snapshot file"));
    // ... which `kolmo info` still lists.
    const std::string text = kolmo::describe_hdf5_file(test_comm(), path);
    REQUIRE_THAT(text, Catch::Contains("/fields/u  dataset float64 [99]"));
    REQUIRE_THAT(text, Catch::Contains("kolmo_format = kolmo-field"));
    const std::string json = kolmo::describe_hdf5_file_json(test_comm(), path).dump(-1);
    REQUIRE_THAT(json,
                 Catch::Contains(
                     R"({"path":"/fields/u","type":"dataset","shape":[99],"datatype":"float64"})"));
  }
}

TEST_CASE("kolmo info describes a snapshot file", "[core][snapshot_store]") {
  const std::string path = fresh_path("describe");
  {
    auto store =
        kolmo::SnapshotStore::create_or_resume(test_comm(), path, make_header(), make_sample());
    auto v = make_vec();
    for (int i : {1, 2}) write_known(store, i, v);
  }
  const std::string text = kolmo::describe_hdf5_file(test_comm(), path);
  REQUIRE_THAT(text, Catch::Contains("Kolmo snapshot file"));
  REQUIRE_THAT(text, Catch::Contains("problem       test_problem"));
  REQUIRE_THAT(text, Catch::Contains("2 of 5 complete"));
  REQUIRE_THAT(text, Catch::Contains("99 (11 x 9 nodes, 1 component: u)"));
  REQUIRE_THAT(text, Catch::Contains("k in [0.1, 2.9]"));
  REQUIRE_THAT(text, Catch::Contains("iterations min 11 / mean 11.5 / max 12"));
  REQUIRE_THAT(text, Catch::Contains("outputs       mean, peak"));

  const std::string json = kolmo::describe_hdf5_file_json(test_comm(), path).dump(-1);
  REQUIRE_THAT(json, Catch::Contains(R"("kind":"kolmo-snapshots")"));
  REQUIRE_THAT(json, Catch::Contains(R"("capacity":5,"complete":2,"vector_size":99)"));
  REQUIRE_THAT(json, Catch::Contains(R"({"name":"k","min":0.1,"max":2.9})"));
  REQUIRE_THAT(json, Catch::Contains(R"("iterations":{"min":11,"mean":11.5,"max":12})"));
}
