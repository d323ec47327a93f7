#include "operators/problem_factory.hpp"

#include <sstream>

#include "operators/advection_diffusion.hpp"
#include "operators/elasticity.hpp"
#include "operators/external_problem.hpp"
#include "operators/gaussian.hpp"
#include "operators/helmholtz.hpp"
#include "operators/thermal_block.hpp"

namespace kolmo::operators {
namespace {

[[noreturn]] void unavailable(const CaseFile& c) {
  std::ostringstream message;
  message << "problem type '" << c.problem.type
          << "' is unknown (types: thermal_block, advection_diffusion, elasticity, helmholtz, "
             "external, gaussian)";
  const ConfigNode type = c.problem.settings.child("type");
  if (type.defined()) type.fail(message.str());
  throw InputError(message.str());
}

}  // namespace

std::unique_ptr<ParametrizedProblem> make_problem(MPI_Comm comm, const CaseFile& c) {
  const std::string& type = c.problem.type;
  if (type == "thermal_block") return make_thermal_block(comm, c);
  if (type == "advection_diffusion") return make_advection_diffusion(comm, c);
  if (type == "elasticity") return make_elasticity(comm, c);
  if (type == "helmholtz") return make_helmholtz(comm, c);
  if (type == "external") return make_external(comm, c);
  if (type == "gaussian") return make_gaussian(comm, c);
  unavailable(c);
}

void validate_problem_settings(const CaseFile& c) {
  const std::string& type = c.problem.type;
  const ConfigNode& settings = c.problem.settings;
  if (type == "thermal_block")
    read_thermal_block_settings(settings, c.parameters);
  else if (type == "advection_diffusion")
    read_advection_diffusion_settings(settings, c.parameters);
  else if (type == "elasticity")
    read_elasticity_settings(settings, c.parameters);
  else if (type == "helmholtz")
    read_helmholtz_settings(settings, c.parameters);
  else if (type == "external")
    read_external_settings(c);
  else if (type == "gaussian")
    read_gaussian_settings(settings, c.parameters);
  else
    unavailable(c);
}

}  // namespace kolmo::operators
