// The case file's `rom.stability:` section (core/case_file.hpp, StabilitySection) and its mapping
// to the offline StabilityOptions (rom/stability.hpp): every key read, defaults equal to
// StabilityOptions', bad values reported at their file:line:col through InputError.
#include <catch2/catch.hpp>

#include <string>

#include "core/case_file.hpp"
#include "core/exceptions.hpp"
#include "rom/stability.hpp"

using namespace kolmo;

namespace {

const std::string kHead =
    "problem: {type: advection_diffusion}\n"
    "parameters:\n"
    "  - {name: Pe, range: [1, 100]}\n"
    "rom:\n"
    "  method: greedy\n";

std::string error_of(const std::string& text) {
  try {
    parse_case_file(text, "case.yaml");
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("rom.stability: every key reaches StabilityOptions", "[rom][stability][case]") {
  const auto c = parse_case_file(kHead +
                                     "  stability:\n"
                                     "    method: scm\n"
                                     "    sampled_factor: 0.8\n"
                                     "    scm: {training: 200, tolerance: 0.1, max_points: 40,\n"
                                     "          alpha_neighbours: 12, positivity_neighbours: 0}\n",
                                 "case.yaml");
  const StabilitySection& s = c.rom.stability;
  CHECK(s.method == "scm");
  CHECK(s.sampled_factor == 0.8);
  CHECK(s.scm_training == 200);
  CHECK(s.scm_tolerance == 0.1);
  CHECK(s.scm_max_points == 40);
  CHECK(s.scm_alpha_neighbours == 12);
  CHECK(s.scm_positivity_neighbours == 0);
  const rom::StabilityOptions o = rom::stability_options(s);
  CHECK(o.force_scm);
  CHECK_FALSE(o.allow_sampled);
  CHECK(o.sampled_factor == 0.8);
  CHECK(o.scm_tolerance == 0.1);
  CHECK(o.scm_max_points == 40);
  CHECK(o.scm_m_alpha == 12);
  CHECK(o.scm_m_plus == 0);
  CHECK(o.sample.empty());

  const auto sampled = parse_case_file(kHead + "  stability: {method: sampled}\n", "case.yaml");
  CHECK(rom::stability_options(sampled.rom.stability).allow_sampled);
  CHECK_FALSE(rom::stability_options(sampled.rom.stability).force_scm);
}

TEST_CASE("rom.stability: the defaults are StabilityOptions'", "[rom][stability][case]") {
  const auto c = parse_case_file(kHead, "case.yaml");
  CHECK(c.rom.stability.method == "auto");
  const rom::StabilityOptions from_case = rom::stability_options(c.rom.stability);
  const rom::StabilityOptions defaults;
  CHECK(from_case.allow_sampled == defaults.allow_sampled);
  CHECK(from_case.force_scm == defaults.force_scm);
  CHECK(from_case.sampled_factor == defaults.sampled_factor);
  CHECK(from_case.scm_tolerance == defaults.scm_tolerance);
  CHECK(from_case.scm_max_points == defaults.scm_max_points);
  CHECK(from_case.scm_m_alpha == defaults.scm_m_alpha);
  CHECK(from_case.scm_m_plus == defaults.scm_m_plus);
  CHECK(c.rom.stability.scm_training == 0);
}

TEST_CASE("rom.stability: bad values name the key and where it is", "[rom][stability][case]") {
  CHECK(error_of(kHead + "  stability:\n    scm: {tolerance: -0.5}\n") ==
        "case.yaml:7:22: 'rom.stability.scm.tolerance': expected a positive number, got -0.5");
  CHECK(error_of(kHead + "  stability:\n    scm:\n      max_points: 0\n") ==
        "case.yaml:8:19: 'rom.stability.scm.max_points': expected a positive integer, got 0");
  CHECK(error_of(kHead + "  stability:\n    scm: {training: -3}\n") ==
        "case.yaml:7:21: 'rom.stability.scm.training': expected a number of points >= 1, or 0 "
        "for the case's training sample, got -3");
  CHECK(error_of(kHead + "  stability:\n    scm: {positivity_neighbours: -1}\n") ==
        "case.yaml:7:34: 'rom.stability.scm.positivity_neighbours': expected a number >= 0, got -1");
  CHECK(error_of(kHead + "  stability: {sampled_factor: 1.5}\n") ==
        "case.yaml:6:31: 'rom.stability.sampled_factor': expected a number in (0, 1], got 1.5");
  CHECK(error_of(kHead + "  stability: {method: scn}\n") ==
        "case.yaml:6:23: 'rom.stability.method': unknown value 'scn' (did you mean 'scm'? "
        "allowed: auto, scm, sampled)");
  CHECK(error_of(kHead + "  stability:\n    scm: {max_point: 3}\n") ==
        "case.yaml:7:11: 'rom.stability.scm.max_point': unknown key (did you mean 'max_points'? "
        "allowed here: alpha_neighbours, max_points, positivity_neighbours, tolerance, training)");
  CHECK(error_of(kHead + "  stability:\n    scm: {max_points: 2.5}\n").find(
            "case.yaml:7:23: 'rom.stability.scm.max_points': expected") == 0);
}
