#pragma once
/// @file
/// A progress line for long loops (snapshots, greedy iterations, sweeps): count, rate and ETA,
/// printed by rank 0 only and rewritten in place.
#include <mpi.h>

#include <chrono>
#include <cstddef>
#include <iosfwd>
#include <string>

namespace kolmo {

/// Reports progress of a loop of `total` steps as "snapshots  37/100  (4.2/s, ETA 15 s)  status",
/// rewritten in place with '\r' at most about 5 times a second, then a final line with the total
/// time. Only rank 0 of the communicator prints; it prints nothing when stderr is not a terminal,
/// when `quiet` is true, or after Progress::set_quiet(true) (`--quiet`). No call communicates, so
/// ranks may advance by different amounts (each prints nothing except rank 0). Not thread-safe.
class Progress {
 public:
  /// Print to stderr. `label` names the loop; `total` = 0 means the count is not known (no ETA).
  /// Not collective (only reads the rank of `comm`).
  Progress(MPI_Comm comm, std::string label, std::size_t total, bool quiet = false);
  /// Print to `out` on rank 0 whether or not it is a terminal (for tests and log files); `out` is
  /// borrowed and must outlive this object. Honours `quiet` and set_quiet.
  Progress(MPI_Comm comm, std::string label, std::size_t total, std::ostream& out,
           bool quiet = false);
  /// Ends an unfinished line with a newline, so that later output starts on its own line.
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  /// Count `n` more steps done; `status` (e.g. the current parameter) is shown after the rate.
  /// Cheap: redraws only when 0.2 s have passed since the last redraw.
  void advance(std::size_t n = 1, const std::string& status = "");
  /// Print the final line ("... done in 23.5 s (4.3/s)"). Further calls do nothing.
  void finish();

  /// Steps counted so far.
  std::size_t done() const noexcept { return done_; }
  /// True iff this object prints (rank 0, a terminal or an explicit stream, not quiet).
  bool active() const noexcept { return active_; }

  /// Silence every Progress created afterwards (the `--quiet` command-line switch).
  static void set_quiet(bool quiet);
  /// The global switch of set_quiet.
  static bool quiet();

 private:
  using Clock = std::chrono::steady_clock;
  void draw(const std::string& text, bool final);
  std::string counts() const;

  std::ostream* out_ = nullptr;
  std::string label_;
  std::size_t total_ = 0;
  std::size_t done_ = 0;
  bool active_ = false;
  bool finished_ = false;
  std::size_t last_length_ = 0;
  Clock::time_point start_;
  Clock::time_point last_draw_;
};

}  // namespace kolmo
