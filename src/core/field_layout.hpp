#pragma once
/// @file
/// The geometry of a discrete field, enough to write it for ParaView (XDMF) and to check that two
/// fields live on the same mesh.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace kolmo {

/// A field on the nodes of a uniform (co-rectilinear) 2-D or 3-D grid, stored node by node in
/// natural ordering (x fastest, then y, then z; components interleaved per node).
/// A layout with `nodes` all zero means "no mesh known" (e.g. matrices from an external code).
struct FieldLayout {
  int dimension = 0;                              ///< 2 or 3; 0 for no mesh
  std::array<std::int64_t, 3> nodes{0, 0, 0};     ///< nodes per direction (1 in unused ones)
  std::array<double, 3> origin{0.0, 0.0, 0.0};    ///< coordinates of the first node
  std::array<double, 3> spacing{1.0, 1.0, 1.0};   ///< node spacing per direction
  int components = 1;                             ///< unknowns per node
  std::vector<std::string> component_names;       ///< one name per component (e.g. {"u"})

  bool has_mesh() const noexcept { return dimension > 0; }
  std::int64_t node_count() const noexcept { return nodes[0] * nodes[1] * nodes[2]; }
};

}  // namespace kolmo
