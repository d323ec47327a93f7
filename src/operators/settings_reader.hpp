#pragma once
/// @file
/// Pieces shared by the readers of the built-in problems' `problem:` maps: cell counts and
/// coefficient expressions, checked where they are read so that `kolmo check` reports them with
/// the key's file, line and column.
#include <petscsys.h>

#include <array>
#include <string>
#include <vector>

#include "core/config_node.hpp"
#include "core/parameter_space.hpp"

namespace kolmo::operators {

/// Throw InputError "file:line:col: 'problem.key': message" at `key` when the key is present, or
/// at the map itself (naming the key) when the key is absent and its default is at fault.
[[noreturn]] void fail_on_key(MapReader& reader, const std::string& key, const std::string& message);

/// Read `key` as cell counts: one positive integer for both directions, or a list [nx, ny];
/// `fallback` when absent. `components` is the number of unknowns per node, used to check that
/// the unknowns fit PETSc's index type.
/// @throws InputError at the key on a wrong type or length, or a count that is not positive.
std::array<PetscInt, 2> read_cells(MapReader& reader, const std::string& key,
                                   std::array<PetscInt, 2> fallback, int components = 1);

/// Check that `text` is an expression of the parameters of `space` (muparser syntax).
/// @throws InputError located at `node` (or naming `what` when the node is absent) otherwise.
void check_expression(const ConfigNode& node, const std::string& what, const std::string& text,
                      const ParameterSpace& space);

/// Read `key` as one expression of the parameters (a string or a number), or `fallback` when
/// absent; either is checked with check_expression.
std::string read_expression(MapReader& reader, const std::string& key, const std::string& fallback,
                            const ParameterSpace& space);

/// Read `key` as a list of exactly `count` expressions (each a string or a number), or `fallback`
/// when absent (checked for its length by the caller, who knows where it came from).
/// @throws InputError at the key when it is not a list, has the wrong length, or an expression
/// does not parse.
std::vector<std::string> read_expression_list(MapReader& reader, const std::string& key,
                                              std::size_t count,
                                              const std::vector<std::string>& fallback,
                                              const ParameterSpace& space);

}  // namespace kolmo::operators
