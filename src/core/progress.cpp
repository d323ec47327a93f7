#include "core/progress.hpp"

#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "core/mpi.hpp"

namespace kolmo {
namespace {

std::atomic<bool> g_quiet{false};

constexpr std::chrono::milliseconds kRedrawInterval{200};

std::string format_fixed(double value, int digits) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, value);
  return buffer;
}

// "15 s", "3 min 20 s", "2 h 05 min"; `digits` decimals below a minute.
std::string format_duration(double seconds, int digits) {
  if (seconds < 60) return format_fixed(seconds, digits) + " s";
  const auto total = static_cast<long long>(std::llround(seconds));
  char buffer[64];
  if (total < 3600)
    std::snprintf(buffer, sizeof buffer, "%lld min %02lld s", total / 60, total % 60);
  else
    std::snprintf(buffer, sizeof buffer, "%lld h %02lld min", total / 3600, (total % 3600) / 60);
  return buffer;
}

std::string format_rate(double per_second) {
  if (per_second >= 1.0) return format_fixed(per_second, 1) + "/s";
  return format_duration(1.0 / per_second, 1) + " each";
}

}  // namespace

Progress::Progress(MPI_Comm comm, std::string label, std::size_t total, bool quiet)
    : out_(&std::cerr), label_(std::move(label)), total_(total) {
  active_ = !quiet && !g_quiet.load() && comm_rank(comm) == 0 && isatty(STDERR_FILENO) == 1;
  start_ = last_draw_ = Clock::now();
  if (active_) draw(counts(), false);
}

Progress::Progress(MPI_Comm comm, std::string label, std::size_t total, std::ostream& out,
                   bool quiet)
    : out_(&out), label_(std::move(label)), total_(total) {
  active_ = !quiet && !g_quiet.load() && comm_rank(comm) == 0;
  start_ = last_draw_ = Clock::now();
  if (active_) draw(counts(), false);
}

Progress::~Progress() {
  if (active_ && !finished_ && last_length_ > 0) {
    *out_ << '\n';
    out_->flush();
  }
}

std::string Progress::counts() const {
  std::string text = label_ + "  " + std::to_string(done_);
  if (total_ > 0) {
    text += '/';
    text += std::to_string(total_);
  }
  return text;
}

void Progress::advance(std::size_t n, const std::string& status) {
  done_ += n;
  if (!active_ || finished_) return;
  const auto now = Clock::now();
  if (now - last_draw_ < kRedrawInterval) return;
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  std::string text = counts();
  if (done_ > 0 && elapsed > 0) {
    const double rate = static_cast<double>(done_) / elapsed;
    text += "  (";
    text += format_rate(rate);
    if (total_ > done_) {
      text += ", ETA ";
      text += format_duration(std::ceil(static_cast<double>(total_ - done_) / rate), 0);
    }
    text += ")";
  }
  if (!status.empty()) {
    text += "  ";
    text += status;
  }
  draw(text, false);
}

void Progress::finish() {
  if (!active_ || finished_) return;
  finished_ = true;
  const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
  std::string text = counts() + "  done in " + format_duration(elapsed, 1);
  if (done_ > 0 && elapsed > 0) {
    text += " (";
    text += format_rate(static_cast<double>(done_) / elapsed);
    text += ')';
  }
  draw(text, true);
}

void Progress::draw(const std::string& text, bool final) {
  // Pad with blanks over what is left of a longer previous line ('\r' does not clear it).
  const std::size_t padding = last_length_ > text.size() ? last_length_ - text.size() : 0;
  *out_ << '\r' << text << std::string(padding, ' ');
  if (final) *out_ << '\n';
  out_->flush();
  last_length_ = text.size();
}

void Progress::set_quiet(bool quiet) { g_quiet.store(quiet); }
bool Progress::quiet() { return g_quiet.load(); }

}  // namespace kolmo
