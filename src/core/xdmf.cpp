#include "core/xdmf.hpp"

#include <array>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <type_traits>

#include "core/error.hpp"
#include "core/hdf5_vector.hpp"
#include "core/mpi.hpp"
#include "core/version.hpp"

namespace kolmo {
namespace {

std::string number(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

/// "a b c" in XDMF's slowest-first order (z y x) of the three entries of `values`.
template <class T>
std::string zyx(const std::array<T, 3>& values) {
  std::ostringstream out;
  if constexpr (std::is_floating_point_v<T>) {
    out << number(values[2]) << ' ' << number(values[1]) << ' ' << number(values[0]);
  } else {
    out << values[2] << ' ' << values[1] << ' ' << values[0];
  }
  return out.str();
}

/// The mesh as a 3-D grid: a 2-D layout gets one node in z at z = 0 with unit spacing.
FieldLayout as_3d(const FieldLayout& layout) {
  FieldLayout grid = layout;
  if (grid.dimension == 2) {
    grid.nodes[2] = 1;
    grid.origin[2] = 0.0;
    grid.spacing[2] = 1.0;
  }
  for (auto& n : grid.nodes)
    if (n < 1) n = 1;
  return grid;
}

std::string component_name(const FieldLayout& layout, const std::string& field_name, int c) {
  const auto& names = layout.component_names;
  if (static_cast<std::size_t>(c) < names.size() && !names[c].empty()) return names[c];
  return field_name + "_" + std::to_string(c);
}

void grid(std::ostream& out, const XdmfSeries& series, const XdmfStep& step,
          const std::string& indent) {
  const FieldLayout mesh = as_3d(series.layout);
  const std::string dims = zyx(mesh.nodes);
  const std::string in = indent + "  ";
  out << indent << "<Grid Name=\"" << xml_escape(step.name) << "\" GridType=\"Uniform\">\n";
  if (series.temporal) out << in << "<Time Value=\"" << number(step.time) << "\"/>\n";
  if (!step.information.empty()) {
    out << in << "<Information Name=\"parameters\" Value=\"" << xml_escape(step.information)
        << "\"/>\n";
  }
  out << in << "<Topology TopologyType=\"3DCoRectMesh\" Dimensions=\"" << dims << "\"/>\n";
  out << in << "<Geometry GeometryType=\"ORIGIN_DXDYDZ\">\n";
  out << in << "  <DataItem Name=\"Origin\" Dimensions=\"3\" NumberType=\"Float\" "
      << "Precision=\"8\" Format=\"XML\">" << zyx(mesh.origin) << "</DataItem>\n";
  out << in << "  <DataItem Name=\"Spacing\" Dimensions=\"3\" NumberType=\"Float\" "
      << "Precision=\"8\" Format=\"XML\">" << zyx(mesh.spacing) << "</DataItem>\n";
  out << in << "</Geometry>\n";
  for (const auto& attribute : step.attributes) {
    KOLMO_CHECK(attribute.components >= 1 && attribute.components <= 3,
                "XDMF attribute " << attribute.name << ": " << attribute.components
                                  << " components (1 to 3 can be shown)");
    const bool vector = attribute.components > 1;
    out << in << "<Attribute Name=\"" << xml_escape(attribute.name) << "\" AttributeType=\""
        << (vector ? "Vector" : "Scalar") << "\" Center=\"Node\">\n";
    out << in << "  <DataItem Dimensions=\"" << dims;
    if (vector) out << ' ' << attribute.components;
    out << "\" NumberType=\"Float\" Precision=\"8\" Format=\"HDF\">" << xml_escape(series.h5_file)
        << ':' << xml_escape(attribute.dataset) << "</DataItem>\n";
    out << in << "</Attribute>\n";
  }
  out << indent << "</Grid>\n";
}

}  // namespace

std::string xml_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      case '\n':
        out += "&#10;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string xdmf_text(const XdmfSeries& series) {
  const FieldLayout& layout = series.layout;
  KOLMO_CHECK(layout.has_mesh(), "XDMF for " << series.h5_file << ": the field has no mesh");
  KOLMO_CHECK(layout.dimension == 2 || layout.dimension == 3,
              "XDMF for " << series.h5_file << ": dimension " << layout.dimension);
  KOLMO_CHECK(series.temporal || series.steps.size() == 1,
              "XDMF for " << series.h5_file << ": a single grid needs exactly one step, got "
                          << series.steps.size());
  std::ostringstream out;
  out << "<?xml version=\"1.0\" ?>\n";
  out << "<!DOCTYPE Xdmf SYSTEM \"Xdmf.dtd\" []>\n";
  out << "<!-- Written by Kolmo " << version_string << " for " << xml_escape(series.h5_file)
      << "; the data is in that file, this sidecar only points into it. -->\n";
  out << "<Xdmf Version=\"2.0\">\n";
  out << "  <Domain>\n";
  if (series.temporal) {
    out << "    <Grid Name=\"" << xml_escape(series.name)
        << "\" GridType=\"Collection\" CollectionType=\"Temporal\">\n";
    for (const auto& step : series.steps) grid(out, series, step, "      ");
    out << "    </Grid>\n";
  } else {
    grid(out, series, series.steps.front(), "    ");
  }
  out << "  </Domain>\n";
  out << "</Xdmf>\n";
  return out.str();
}

void write_xdmf_file(const std::string& xdmf_path, const XdmfSeries& series) {
  const std::string text = xdmf_text(series);
  const std::string temporary = xdmf_path + ".tmp";
  {
    std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
    KOLMO_CHECK(file.good(), xdmf_path << ": cannot write the XDMF sidecar");
    file << text;
    file.close();
    KOLMO_CHECK(file.good(), xdmf_path << ": writing the XDMF sidecar failed");
  }
  std::error_code error;
  std::filesystem::rename(temporary, xdmf_path, error);
  KOLMO_CHECK(!error,
              xdmf_path << ": cannot move the XDMF sidecar into place: " << error.message());
}

std::string xdmf_sidecar_path(const std::string& h5_path) {
  return std::filesystem::path(h5_path).replace_extension(".xdmf").string();
}

std::int64_t field_size(const FieldLayout& layout) {
  return as_3d(layout).node_count() * layout.components;
}

std::vector<XdmfAttribute> field_views(const FieldLayout& layout, const std::string& field_name,
                                       const std::string& prefix) {
  std::vector<XdmfAttribute> views;
  const int components = layout.components;
  if (components <= 3) {
    const std::string name = components == 1 ? component_name(layout, field_name, 0) : field_name;
    views.push_back(XdmfAttribute{name, prefix, components});
  } else {
    for (int c = 0; c < components; ++c) {
      views.push_back(XdmfAttribute{component_name(layout, field_name, c),
                                    prefix + "_c" + std::to_string(c), 1});
    }
  }
  return views;
}

void create_field_views(h5::File& file, const std::string& source, std::int64_t row,
                        const FieldLayout& layout, const std::string& field_name,
                        const std::string& prefix) {
  KOLMO_CHECK(layout.has_mesh() && layout.components >= 1,
              file.path() << ": " << source << ": views need a mesh");
  const FieldLayout mesh = as_3d(layout);
  const auto nodes = static_cast<hsize_t>(mesh.node_count());
  const auto components = static_cast<hsize_t>(layout.components);
  const std::vector<hsize_t> source_shape = file.shape(source);
  KOLMO_CHECK(
      source_shape.size() == (row < 0 ? 1u : 2u) && source_shape.back() == nodes * components,
      file.path() << ": " << source << ": not a dataset of fields of " << nodes * components
                  << " values");
  std::vector<hsize_t> shape;  // slowest first, as HDF5 and numpy index
  if (layout.dimension == 3) shape.push_back(static_cast<hsize_t>(mesh.nodes[2]));
  shape.push_back(static_cast<hsize_t>(mesh.nodes[1]));
  shape.push_back(static_cast<hsize_t>(mesh.nodes[0]));

  const auto views = field_views(layout, field_name, prefix);
  for (std::size_t v = 0; v < views.size(); ++v) {
    const XdmfAttribute& view = views[v];
    std::vector<hsize_t> view_shape = shape;
    if (view.components > 1) view_shape.push_back(static_cast<hsize_t>(view.components));
    // One view maps the whole field; per-component views take every components-th value.
    const bool whole = views.size() == 1;
    std::vector<hsize_t> start{whole ? 0 : v}, stride{whole ? 1 : components},
        count{whole ? nodes * components : nodes};
    if (row >= 0) {
      start.insert(start.begin(), static_cast<hsize_t>(row));
      stride.insert(stride.begin(), 1);
      count.insert(count.begin(), 1);
    }
    const std::string& where = view.dataset;
    h5::DataspaceHandle source_space(KOLMO_H5_CALL(
        file.path(), where,
        H5Screate_simple(static_cast<int>(source_shape.size()), source_shape.data(), nullptr)));
    KOLMO_H5_CALL(file.path(), where,
                  H5Sselect_hyperslab(source_space, H5S_SELECT_SET, start.data(), stride.data(),
                                      count.data(), nullptr));
    h5::DataspaceHandle view_space(KOLMO_H5_CALL(
        file.path(), where,
        H5Screate_simple(static_cast<int>(view_shape.size()), view_shape.data(), nullptr)));
    h5::PropertyListHandle dcpl(KOLMO_H5_CALL(file.path(), where, H5Pcreate(H5P_DATASET_CREATE)));
    KOLMO_H5_CALL(file.path(), where, H5Pset_obj_track_times(dcpl, false));
    // "." is this very file, whatever its name later (the store renames its file into place).
    KOLMO_H5_CALL(file.path(), where,
                  H5Pset_virtual(dcpl, view_space, ".", source.c_str(), source_space));
    h5::DatasetHandle dataset(KOLMO_H5_CALL(file.path(), where,
                                            H5Dcreate(file.id(), where.c_str(), H5T_IEEE_F64LE,
                                                      view_space, H5P_DEFAULT, dcpl, H5P_DEFAULT)));
  }
}

void write_field_layout(h5::File& file, const std::string& group, const FieldLayout& layout) {
  file.create_group(group);
  file.write_attribute(group, "dimension", std::int64_t{layout.dimension});
  file.write_attribute(group, "nodes",
                       std::vector<std::int64_t>(layout.nodes.begin(), layout.nodes.end()));
  file.write_attribute(group, "origin",
                       std::vector<double>(layout.origin.begin(), layout.origin.end()));
  file.write_attribute(group, "spacing",
                       std::vector<double>(layout.spacing.begin(), layout.spacing.end()));
  file.write_attribute(group, "components", std::int64_t{layout.components});
  file.write_attribute(group, "component_names", layout.component_names);
}

FieldLayout read_field_layout(const h5::File& file, const std::string& group) {
  FieldLayout layout;
  layout.dimension = static_cast<int>(file.read_int_attribute(group, "dimension"));
  const auto nodes = file.read_ints_attribute(group, "nodes");
  const auto origin = file.read_doubles_attribute(group, "origin");
  const auto spacing = file.read_doubles_attribute(group, "spacing");
  KOLMO_INPUT_CHECK(
      nodes.size() == 3 && origin.size() == 3 && spacing.size() == 3,
      file.path() << ": " << group << ": nodes, origin and spacing must have 3 entries each");
  for (std::size_t d = 0; d < 3; ++d) {
    layout.nodes[d] = nodes[d];
    layout.origin[d] = origin[d];
    layout.spacing[d] = spacing[d];
  }
  layout.components = static_cast<int>(file.read_int_attribute(group, "components"));
  layout.component_names = file.read_strings_attribute(group, "component_names");
  return layout;
}

void write_field_file(MPI_Comm comm, const std::string& path, const std::string& name, Vec natural,
                      const FieldLayout& layout,
                      const std::map<std::string, h5::AttributeValue>& attributes) {
  KOLMO_CHECK(!name.empty() && name.find('/') == std::string::npos,
              path << ": field name '" << name << "' must be non-empty and contain no '/'");
  PetscInt size = 0;
  KOLMO_PETSC_CALL(VecGetSize(natural, &size));
  if (layout.has_mesh()) {
    KOLMO_CHECK(field_size(layout) == size,
                path << ": the mesh has " << field_size(layout) << " values, the field " << size);
  }
  h5::File file = h5::File::create(comm, path, true);
  file.write_attribute("/", "kolmo_format", std::string("kolmo-field"));
  file.write_attribute("/", "kolmo_format_version", std::int64_t{1});
  file.write_attribute("/", "kolmo_version", std::string(version_string));
  std::string created = comm_rank(comm) == 0 ? h5::utc_timestamp() : std::string();
  broadcast_string(comm, created);
  file.write_attribute("/", "created", created);
  write_field_layout(file, "/layout", layout);
  file.create_group("/fields");
  const std::string dataset = "/fields/" + name;
  file.create_fixed_dataset(dataset, H5T_IEEE_F64LE, {static_cast<hsize_t>(size)}, false);
  file.write_attributes(dataset, attributes);
  h5::write_vec(file, dataset, -1, natural);
  const std::string prefix = "/views/" + name;
  if (layout.has_mesh()) {
    file.create_group("/views");
    create_field_views(file, dataset, -1, layout, name, prefix);
  }
  file.close();

  // Rank 0 writes the sidecar; its failure is shared so that every rank throws, none waits.
  std::string failure;
  if (layout.has_mesh() && comm_rank(comm) == 0) {
    try {
      XdmfSeries series;
      series.h5_file = std::filesystem::path(path).filename().string();
      series.name = name;
      series.layout = layout;
      series.temporal = false;
      series.steps.push_back(XdmfStep{0.0, name, "", field_views(layout, name, prefix)});
      write_xdmf_file(xdmf_sidecar_path(path), series);
    } catch (const std::exception& e) {
      failure = e.what();
      if (failure.empty()) failure = "unknown error";
    }
  }
  broadcast_string(comm, failure);
  if (!failure.empty()) throw Exception(failure);
}

}  // namespace kolmo
