#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <sstream>

#include "core/progress.hpp"
#include "mpi_test_helpers.hpp"

using kolmo::testing::on_all_ranks;
using kolmo::testing::test_comm;

TEST_CASE("progress prints on rank 0 only, in place, and ends with the total time",
          "[core][progress]") {
  std::ostringstream out;
  {
    kolmo::Progress progress(test_comm(), "snapshots", 4, out);
    for (int i = 0; i < 4; ++i) progress.advance(1, "mu=0.5");
    CHECK(progress.done() == 4);
    progress.finish();
    progress.finish();  // idempotent
  }
  const std::string text = out.str();
  if (kolmo::comm_rank(test_comm()) == 0) {
    CHECK(text.rfind("\rsnapshots  0/4", 0) == 0);  // drawn at construction
    CHECK_THAT(text, Catch::Contains("\rsnapshots  4/4  done in "));
    CHECK(text.back() == '\n');
    CHECK(std::count(text.begin(), text.end(), '\n') == 1);
  } else {
    CHECK(text.empty());
  }
}

TEST_CASE("progress redraws at most about 5 times a second", "[core][progress]") {
  std::ostringstream out;
  kolmo::Progress progress(test_comm(), "greedy", 0, out);
  for (int i = 0; i < 200000; ++i) progress.advance();
  progress.finish();
  const std::string text = out.str();
  const auto draws = std::count(text.begin(), text.end(), '\r');
  // The loop takes well under a second: the first line, perhaps one redraw, and the final line.
  if (kolmo::comm_rank(test_comm()) == 0) {
    CHECK(draws >= 2);
    CHECK(draws <= 8);
    CHECK_THAT(text, Catch::Contains("greedy  200000  done in "));  // total 0: no "/total"
  }
}

TEST_CASE("a slow loop shows its rate and ETA", "[core][progress]") {
  std::ostringstream out;
  kolmo::Progress progress(test_comm(), "sweep", 10, out);
  progress.advance(1);
  // Wait past the redraw interval so that the next advance draws.
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(250)) {
  }
  progress.advance(1, "point 2");
  if (kolmo::comm_rank(test_comm()) == 0) {
    CHECK_THAT(out.str(), Catch::Contains("sweep  2/10  ("));
    CHECK_THAT(out.str(), Catch::Contains(", ETA "));
    CHECK_THAT(out.str(), Catch::Contains(")  point 2"));
  }
}

TEST_CASE("quiet progress prints nothing", "[core][progress]") {
  std::ostringstream quiet_out, global_out;
  {
    kolmo::Progress quiet(test_comm(), "x", 3, quiet_out, true);
    quiet.advance(3);
    quiet.finish();
    CHECK_FALSE(quiet.active());
  }
  kolmo::Progress::set_quiet(true);
  {
    kolmo::Progress global(test_comm(), "x", 3, global_out);
    global.advance(3);
    global.finish();
  }
  kolmo::Progress::set_quiet(false);
  CHECK_FALSE(kolmo::Progress::quiet());
  REQUIRE(on_all_ranks(quiet_out.str().empty() && global_out.str().empty()));
}
