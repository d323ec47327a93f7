#pragma once
/// @file
/// XDMF sidecars: small XML files next to an HDF5 file that tell ParaView (or VisIt) how to show
/// the vectors stored in it as fields on their mesh. Kolmo's data stays in the .h5 file; the
/// .xdmf only points into it, so it can be rewritten or deleted at any time.
///
/// Kolmo stores a field as a flat vector in natural ordering (often as a row of a 2-D dataset of
/// many fields). XDMF readers differ in how they select parts of a dataset (ParaView's Xdmf3
/// readers ignore HyperSlab items), so the fields are exposed as "views": HDF5 virtual datasets
/// with the mesh's shape that map onto the stored values without copying them. The XDMF file then
/// only names whole datasets, which every reader understands, and so do h5py and h5dump.
#include <mpi.h>
#include <petscvec.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/field_layout.hpp"
#include "core/hdf5_file.hpp"

namespace kolmo {

/// One array shown on the mesh: a dataset of node values of the HDF5 file.
struct XdmfAttribute {
  std::string name;     ///< name shown in ParaView
  std::string dataset;  ///< absolute path of a dataset holding node_count x components values
  int components = 1;   ///< 1: a Scalar attribute; 2 or 3: a Vector attribute
};

/// One grid of an XdmfSeries: the mesh with its attributes, at a time.
struct XdmfStep {
  double time = 0;                        ///< the value ParaView shows as time
  std::string name;                       ///< grid name, e.g. "snapshot 3"
  std::string information;                ///< free text (e.g. the parameter values), may be empty
  std::vector<XdmfAttribute> attributes;  ///< the arrays of this grid
};

/// Grids on one mesh, stored in one HDF5 file.
struct XdmfSeries {
  std::string h5_file;   ///< the HDF5 file as the XDMF refers to it (relative to the .xdmf)
  std::string name;      ///< name of the collection (or of the single grid)
  FieldLayout layout;    ///< must have a mesh (layout.has_mesh())
  bool temporal = true;  ///< a temporal collection; false: exactly one step, a single grid
  std::vector<XdmfStep> steps;
};

/// The XDMF (version 2) text of `series`. The mesh is a 3DCoRectMesh (a 2-D layout is one node
/// thick in z, which every ParaView reader puts in the x-y plane), written in XDMF's slowest-first
/// order (z y x). Not collective.
/// @throws Exception when the layout has no mesh, or a non-temporal series has not one step.
std::string xdmf_text(const XdmfSeries& series);

/// Write xdmf_text(series) to `xdmf_path` atomically (a temporary file renamed into place), so a
/// reader never sees half a file. Not collective: call on one rank.
void write_xdmf_file(const std::string& xdmf_path, const XdmfSeries& series);

/// The sidecar path of an HDF5 file: `h5_path` with its extension replaced by ".xdmf".
std::string xdmf_sidecar_path(const std::string& h5_path);

/// `text` with the XML special characters escaped, for attribute values and content.
std::string xml_escape(const std::string& text);

/// The views of a field called `field_name` on `layout` whose datasets are named from `prefix`
/// (an absolute path such as "/views/snapshot_3"): one view at `prefix` for 1, 2 or 3 components
/// (a vector for 2 or 3), otherwise one scalar view per component at "<prefix>_c<k>" named after
/// layout.component_names. Not collective; creates nothing.
std::vector<XdmfAttribute> field_views(const FieldLayout& layout, const std::string& field_name,
                                       const std::string& prefix);

/// Create the datasets of field_views(layout, field_name, prefix) in `file` as virtual datasets of
/// the mesh's shape ((ny, nx) or (nz, ny, nx), with a last dimension for 2 or 3 components) that
/// map onto row `row` of the 2-D dataset `source` of the same file (row < 0: onto the 1-D dataset
/// `source`). The parent group of `prefix` must exist. Metadata only: no data is copied.
/// Collective for a collective file.
void create_field_views(h5::File& file, const std::string& source, std::int64_t row,
                        const FieldLayout& layout, const std::string& field_name,
                        const std::string& prefix);

/// Write one field to a new HDF5 file `path` (replaced if it exists) as the 1-D dataset
/// "/fields/<name>" of doubles, with `attributes` on that dataset, the layout under /layout, and,
/// if the layout has a mesh, its views under /views and the XDMF sidecar. `natural` is a
/// natural-ordering Vec on a communicator congruent to `comm`. Used by `kolmo solve`.
/// Collective on comm.
void write_field_file(MPI_Comm comm, const std::string& path, const std::string& name, Vec natural,
                      const FieldLayout& layout,
                      const std::map<std::string, h5::AttributeValue>& attributes = {});

/// Write `layout` as attributes of the new group `group` of `file`. Collective for a collective
/// file.
void write_field_layout(h5::File& file, const std::string& group, const FieldLayout& layout);
/// Read a layout written by write_field_layout. @throws InputError when attributes are missing.
FieldLayout read_field_layout(const h5::File& file, const std::string& group);

/// The number of values of a field on `layout`: nodes in the used directions times components.
std::int64_t field_size(const FieldLayout& layout);

}  // namespace kolmo
