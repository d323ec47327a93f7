#include "operators/parametrized_problem.hpp"

namespace kolmo::operators {

const char* to_string(Stability stability) {
  switch (stability) {
    case Stability::parametrically_coercive: return "parametrically_coercive";
    case Stability::coercive: return "coercive";
    case Stability::inf_sup: return "inf_sup";
  }
  return "unknown";
}

PetscInt ParametrizedProblem::global_size() const {
  PetscInt m = 0;
  KOLMO_PETSC_CALL(VecGetSize(create_vector(), &m));
  return m;
}

PetscInt ParametrizedProblem::local_size() const {
  PetscInt m = 0;
  KOLMO_PETSC_CALL(VecGetLocalSize(create_vector(), &m));
  return m;
}

VecHandle ParametrizedProblem::create_vector() const {
  KOLMO_CHECK(lhs_.num_terms() > 0, type() << " problem: no operator terms to take the layout from");
  VecHandle v;
  KOLMO_PETSC_CALL(MatCreateVecs(lhs_.matrix(0), v.out(), nullptr));
  KOLMO_PETSC_CALL(VecSet(v, 0.0));
  return v;
}

std::vector<double> ParametrizedProblem::evaluate_outputs(const Mu& mu, Vec u) const {
  std::vector<double> values;
  values.reserve(outputs_.size());
  for (const auto& output : outputs_) values.push_back(output.functional.apply(mu, u));
  return values;
}

std::vector<std::string> ParametrizedProblem::output_names() const {
  std::vector<std::string> names;
  for (const auto& output : outputs_) names.push_back(output.name);
  return names;
}

VecHandle ParametrizedProblem::create_natural_vector() const { return create_vector(); }

void ParametrizedProblem::to_natural(Vec global, Vec natural) const {
  KOLMO_PETSC_CALL(VecCopy(global, natural));
}

void ParametrizedProblem::from_natural(Vec natural, Vec global) const {
  KOLMO_PETSC_CALL(VecCopy(natural, global));
}

}  // namespace kolmo::operators
