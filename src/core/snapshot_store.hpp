#pragma once
/// @file
/// The HDF5 file of truth snapshots: one solution vector per parameter point of a sample, with
/// its outputs and solver statistics, written collectively, resumable after a crash, and
/// self-describing. The layout is documented in docs/file-formats.md.
#include <mpi.h>
#include <petscvec.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/field_layout.hpp"
#include "core/hdf5_file.hpp"
#include "core/json.hpp"
#include "core/parameter_space.hpp"

namespace kolmo {

/// What a snapshot file is about: fixed when the file is created, checked when it is resumed.
struct SnapshotHeader {
  std::string problem_type;                  ///< e.g. "thermal_block"
  std::vector<std::string> parameter_names;  ///< one per coordinate of a Mu
  std::vector<std::string> output_names;     ///< one per entry of a snapshot's outputs
  std::string case_text;                     ///< the case file's text, stored verbatim
  /// What the snapshot values depend on beyond the points (the problem section, the solver's
  /// tolerances), as comparable text; a resumed file must match it. Empty: not checked.
  std::string definition;
  std::int64_t vector_size = 0;              ///< global size of every snapshot vector
  FieldLayout layout;                        ///< mesh of the field, for ParaView (may be empty)
};

/// Statistics of the truth solve that produced a snapshot.
struct SolveRecord {
  std::int64_t iterations = 0;  ///< Krylov iterations
  double residual = 0;          ///< final residual norm
  double seconds = 0;           ///< wall time of the solve
  int reason = 0;               ///< KSPConvergedReason
};

/// The snapshot file of a study. One fixed-size slot per point of the sample; slot i is either
/// complete (its vector, outputs, record and checksum are on disk and verified by their checksum)
/// or not yet computed. Every dataset is allocated when the file is created, so writing a snapshot
/// touches only raw data, and a slot becomes complete only after its data has been flushed: a
/// process killed at any moment leaves a file that resumes with every completed snapshot intact.
///
/// Every member function that touches the file is collective on the store's communicator;
/// the accessors of the in-memory index (capacity, parameters, is_complete, outputs, record...)
/// are not, and return the same values on every rank. Move-only. The communicator must outlive
/// the store.
class SnapshotStore {
 public:
  SnapshotStore() = default;
  SnapshotStore(SnapshotStore&&) noexcept = default;
  SnapshotStore& operator=(SnapshotStore&&) noexcept;
  /// Closes the file like close(), ignoring errors. Collective.
  ~SnapshotStore();

  /// Open the snapshot file at `path` for writing the study described by `header` on the
  /// parameter points `sample` (capacity = sample.size() > 0). A missing file is created with all
  /// its datasets at full size; an existing one is resumed after checking that it belongs to the
  /// same study (problem type, vector size, parameter and output names, the same points in the
  /// same order). `sample` and `header` must be identical on every rank. Collective on comm.
  /// @throws InputError when the existing file is not HDF5, not a snapshot file, or of another
  ///         study (the message says what differs and how to start afresh).
  static SnapshotStore create_or_resume(MPI_Comm comm, const std::string& path,
                                        const SnapshotHeader& header,
                                        const std::vector<Mu>& sample);
  /// Open an existing snapshot file read-only (offline stage, kolmo info). Collective on comm.
  /// @throws InputError when the file is missing, not HDF5, or not a snapshot file.
  static SnapshotStore open(MPI_Comm comm, const std::string& path);

  const std::string& path() const noexcept { return path_; }
  MPI_Comm comm() const noexcept { return file_.comm(); }
  bool is_open() const noexcept { return file_.is_open(); }
  bool is_writable() const noexcept { return file_.is_writable(); }
  const SnapshotHeader& header() const noexcept { return header_; }
  /// Number of slots (the size of the sample the file was created for).
  std::int64_t capacity() const noexcept { return static_cast<std::int64_t>(parameters_.size()); }
  /// The parameter point of every slot, in order.
  const std::vector<Mu>& parameters() const noexcept { return parameters_; }
  const Mu& parameter(std::int64_t i) const;
  bool is_complete(std::int64_t i) const;
  std::int64_t count_complete() const noexcept;
  /// Indices of the complete slots, ascending.
  std::vector<std::int64_t> complete_indices() const;
  /// The outputs of complete slot i (one per header().output_names).
  const std::vector<double>& outputs(std::int64_t i) const;
  /// The solver statistics of complete slot i.
  const SolveRecord& record(std::int64_t i) const;
  /// The stored checksum of complete slot i (see snapshot_checksum).
  std::uint64_t checksum(std::int64_t i) const;
  /// Kolmo version and creation time recorded in the file.
  const std::string& kolmo_version() const noexcept { return kolmo_version_; }
  const std::string& created() const noexcept { return created_; }

  /// Store the snapshot of slot i: the vector `natural` (any contiguous layout on a communicator
  /// congruent to the store's, global size header().vector_size), its outputs and solve record
  /// (identical on every rank; rank 0's are stored). Rewriting a complete slot first marks it
  /// incomplete. Returns after the slot is complete and flushed. Collective.
  void write(std::int64_t i, Vec natural, const std::vector<double>& outputs,
             const SolveRecord& record);
  /// Read the vector of complete slot i into `natural` (any number of ranks, any contiguous
  /// layout) and verify its checksum. Collective.
  /// @throws InputError "<path>: snapshot i is corrupt (checksum mismatch)" or when slot i is not
  ///         complete.
  void read(std::int64_t i, Vec natural) const;

  /// Rewrite the XDMF sidecar (xdmf_sidecar_path(path)) listing every complete snapshot, if the
  /// layout has a mesh. Rank 0 writes; collective only in that every rank must call it.
  void write_sidecar() const;
  /// Write the sidecar if it is out of date, then close the file. Collective; idempotent.
  void close();

 private:
  static SnapshotStore load(h5::File file);
  void set_complete(std::int64_t i, bool complete);
  void check_index(std::int64_t i) const;

  h5::File file_;
  std::string path_;
  SnapshotHeader header_;
  std::vector<Mu> parameters_;
  std::vector<unsigned char> complete_;
  std::vector<std::vector<double>> outputs_;
  std::vector<SolveRecord> records_;
  std::vector<std::uint64_t> checksums_;
  std::string kolmo_version_;
  std::string created_;
  // Sidecar bookkeeping, not part of the store's observable state.
  mutable bool sidecar_stale_ = false;
  mutable std::chrono::steady_clock::time_point last_sidecar_{};
};

/// The order-independent checksum of a vector: the sum modulo 2^64 over global indices g of
/// splitmix64(g XOR splitmix64(bits(v_g))), where bits() is the IEEE-754 bit pattern of the
/// double. The same for every partition of the vector. Collective on the vector's communicator.
std::uint64_t snapshot_checksum(Vec natural);

/// The splitmix64 finaliser (Steele, Lea, Flood 2014), the mixing function of snapshot_checksum.
constexpr std::uint64_t splitmix64(std::uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// A human summary of the HDF5 file at `path` for `kolmo info`: for a snapshot file the problem,
/// the parameters with the ranges of the stored points, how many snapshots are complete, the
/// vector size and mesh, the Kolmo version and the solver statistics; for any other HDF5 file,
/// its groups and datasets with shapes. Collective on comm (every rank returns the text).
/// @throws InputError when the file is missing or not HDF5.
std::string describe_hdf5_file(MPI_Comm comm, const std::string& path);
/// The same information as JSON (objects with stable keys; see docs/file-formats.md).
Json describe_hdf5_file_json(MPI_Comm comm, const std::string& path);

}  // namespace kolmo
