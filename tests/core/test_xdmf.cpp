#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/hdf5_vector.hpp"
#include "core/petsc_handle.hpp"
#include "core/snapshot_store.hpp"
#include "core/xdmf.hpp"
#include "mpi_test_helpers.hpp"

using kolmo::testing::on_all_ranks;
using kolmo::testing::test_comm;

namespace {

/// A strict little well-formedness check of the XML subset the sidecars use: a prolog, a
/// DOCTYPE, comments, elements with double-quoted attributes, character data without '<' or a
/// bare '&'. Returns "" when well formed, else what is wrong. `elements` receives every start tag
/// with its attributes, in document order.
struct Element {
  std::string name;
  std::vector<std::pair<std::string, std::string>> attributes;
  std::string text;  // character data directly inside, trimmed
  std::string attribute(const std::string& key) const {
    for (const auto& [k, v] : attributes)
      if (k == key) return v;
    return "<missing>";
  }
};

std::string check_xml(const std::string& xml, std::vector<Element>& elements) {
  std::vector<std::size_t> open;  // indices into elements
  std::size_t i = 0, roots = 0;
  auto is_name = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == ':';
  };
  auto check_entities = [](const std::string& text) {
    for (std::size_t k = 0; k < text.size(); ++k) {
      if (text[k] == '<') return false;
      if (text[k] == '&') {
        const auto end = text.find(';', k);
        if (end == std::string::npos) return false;
        const std::string entity = text.substr(k, end - k + 1);
        if (entity != "&amp;" && entity != "&lt;" && entity != "&gt;" && entity != "&quot;" &&
            entity != "&apos;" && entity.rfind("&#", 0) != 0)
          return false;
      }
    }
    return true;
  };
  while (i < xml.size()) {
    if (xml[i] != '<') {
      const auto next = xml.find('<', i);
      const std::string text =
          xml.substr(i, next == std::string::npos ? std::string::npos : next - i);
      if (!check_entities(text)) return "bad character data: " + text;
      const auto first = text.find_first_not_of(" \n\t");
      if (first != std::string::npos) {
        if (open.empty()) return "text outside the root element";
        elements[open.back()].text +=
            text.substr(first, text.find_last_not_of(" \n\t") - first + 1);
      }
      if (next == std::string::npos) break;
      i = next;
      continue;
    }
    if (xml.compare(i, 5, "<?xml") == 0) {
      if (i != 0) return "XML declaration not at the start";
      i = xml.find("?>", i);
      if (i == std::string::npos) return "unterminated declaration";
      i += 2;
    } else if (xml.compare(i, 4, "<!--") == 0) {
      const auto end = xml.find("-->", i + 4);
      if (end == std::string::npos) return "unterminated comment";
      if (xml.substr(i + 4, end - i - 4).find("--") != std::string::npos) return "'--' in comment";
      i = end + 3;
    } else if (xml.compare(i, 9, "<!DOCTYPE") == 0) {
      if (roots > 0) return "DOCTYPE after the root";
      i = xml.find('>', i);
      if (i == std::string::npos) return "unterminated DOCTYPE";
      ++i;
    } else if (xml.compare(i, 2, "</") == 0) {
      std::size_t k = i + 2;
      while (k < xml.size() && is_name(xml[k])) ++k;
      const std::string name = xml.substr(i + 2, k - i - 2);
      if (k >= xml.size() || xml[k] != '>') return "bad end tag " + name;
      if (open.empty() || elements[open.back()].name != name) return "mismatched end tag " + name;
      open.pop_back();
      i = k + 1;
    } else {
      std::size_t k = i + 1;
      while (k < xml.size() && is_name(xml[k])) ++k;
      Element element;
      element.name = xml.substr(i + 1, k - i - 1);
      if (element.name.empty()) return "empty element name";
      bool self_closing = false;
      for (;;) {
        while (k < xml.size() && std::isspace(static_cast<unsigned char>(xml[k]))) ++k;
        if (k >= xml.size()) return "unterminated start tag " + element.name;
        if (xml.compare(k, 2, "/>") == 0) {
          self_closing = true;
          k += 2;
          break;
        }
        if (xml[k] == '>') {
          ++k;
          break;
        }
        std::size_t start = k;
        while (k < xml.size() && is_name(xml[k])) ++k;
        const std::string key = xml.substr(start, k - start);
        if (key.empty() || xml.compare(k, 2, "=\"") != 0) return "bad attribute in " + element.name;
        const auto end = xml.find('"', k + 2);
        if (end == std::string::npos) return "unterminated attribute " + key;
        const std::string value = xml.substr(k + 2, end - k - 2);
        if (!check_entities(value)) return "bad attribute value " + value;
        for (const auto& [existing, ignored] : element.attributes)
          if (existing == key) return "duplicate attribute " + key;
        element.attributes.emplace_back(key, value);
        k = end + 1;
      }
      if (open.empty()) {
        if (++roots > 1) return "more than one root element";
      }
      elements.push_back(element);
      if (!self_closing) open.push_back(elements.size() - 1);
      i = k;
    }
  }
  if (!open.empty()) return "unclosed element " + elements[open.back()].name;
  if (roots != 1) return "no root element";
  return "";
}

std::vector<const Element*> named(const std::vector<Element>& elements, const std::string& name) {
  std::vector<const Element*> found;
  for (const auto& e : elements)
    if (e.name == name) found.push_back(&e);
  return found;
}

kolmo::FieldLayout layout_2d() {
  kolmo::FieldLayout layout;
  layout.dimension = 2;
  layout.nodes = {12, 5, 1};
  layout.origin = {-1.0, 0.5, 0.0};
  layout.spacing = {0.25, 0.125, 1.0};
  layout.components = 1;
  layout.component_names = {"T"};
  return layout;
}

kolmo::XdmfSeries scalar_series() {
  kolmo::XdmfSeries series;
  series.h5_file = "snapshots.h5";
  series.name = "snapshots";
  series.layout = layout_2d();
  series.steps = {{0.0, "snapshot 0", "k=1 & f=<2>",
                   kolmo::field_views(series.layout, "temperature", "/views/snapshot_0")},
                  {4.0, "snapshot 4", "k=3, f=\"4\"",
                   kolmo::field_views(series.layout, "temperature", "/views/snapshot_4")}};
  return series;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

TEST_CASE("the XML checker of this test rejects malformed XML", "[core][xdmf]") {
  std::vector<Element> elements;
  CHECK(check_xml("<a><b x=\"1\"/></a>", elements).empty());
  CHECK_FALSE(check_xml("<a><b></a></b>", elements).empty());
  CHECK_FALSE(check_xml("<a x=\"1 & 2\"/>", elements).empty());
  CHECK_FALSE(check_xml("<a x=\"1\" x=\"2\"/>", elements).empty());
  CHECK_FALSE(check_xml("<a/><b/>", elements).empty());
  CHECK_FALSE(check_xml("<a>", elements).empty());
}

TEST_CASE("an XDMF series is well-formed XML naming the right datasets and dimensions",
          "[core][xdmf]") {
  const std::string text = kolmo::xdmf_text(scalar_series());
  std::vector<Element> elements;
  REQUIRE(check_xml(text, elements) == "");
  REQUIRE(elements.front().name == "Xdmf");

  const auto grids = named(elements, "Grid");
  REQUIRE(grids.size() == 3);
  REQUIRE(grids[0]->attribute("CollectionType") == "Temporal");
  REQUIRE(grids[1]->attribute("Name") == "snapshot 0");
  const auto times = named(elements, "Time");
  REQUIRE(times.size() == 2);
  REQUIRE(times[1]->attribute("Value") == "4");
  REQUIRE(named(elements, "Information")[0]->attribute("Value") == "k=1 &amp; f=&lt;2&gt;");

  // The mesh in XDMF's z y x order, one node thick in z.
  const auto topology = named(elements, "Topology");
  REQUIRE(topology[0]->attribute("TopologyType") == "3DCoRectMesh");
  REQUIRE(topology[0]->attribute("Dimensions") == "1 5 12");
  const auto items = named(elements, "DataItem");
  REQUIRE(items.size() == 6);  // origin, spacing, values per grid
  REQUIRE(items[0]->attribute("Name") == "Origin");
  REQUIRE(items[0]->text == "0 0.5 -1");
  REQUIRE(items[1]->text == "1 0.125 0.25");

  const auto attributes = named(elements, "Attribute");
  REQUIRE(attributes.size() == 2);
  REQUIRE(attributes[0]->attribute("Name") == "T");
  REQUIRE(attributes[0]->attribute("AttributeType") == "Scalar");
  REQUIRE(attributes[0]->attribute("Center") == "Node");
  REQUIRE(items[5]->attribute("Dimensions") == "1 5 12");
  REQUIRE(items[5]->attribute("Format") == "HDF");
  REQUIRE(items[5]->attribute("Precision") == "8");
  REQUIRE(items[5]->text == "snapshots.h5:/views/snapshot_4");

  auto single = scalar_series();
  single.temporal = false;
  REQUIRE_THROWS_AS(kolmo::xdmf_text(single), kolmo::Exception);  // two steps, one grid
  single.steps.pop_back();
  elements.clear();
  REQUIRE(check_xml(kolmo::xdmf_text(single), elements) == "");
  REQUIRE(named(elements, "Grid").size() == 1);
  REQUIRE(named(elements, "Time").empty());
}

TEST_CASE("2 or 3 components are a vector, more are shown component by component", "[core][xdmf]") {
  kolmo::FieldLayout layout;
  layout.dimension = 3;
  layout.nodes = {4, 3, 2};
  layout.components = 3;
  auto views = kolmo::field_views(layout, "velocity", "/views/v");
  REQUIRE(views.size() == 1);
  REQUIRE(views[0].name == "velocity");
  REQUIRE(views[0].components == 3);

  kolmo::XdmfSeries series;
  series.h5_file = "f.h5";
  series.layout = layout;
  series.temporal = false;
  series.steps = {{0.0, "v", "", views}};
  std::vector<Element> elements;
  REQUIRE(check_xml(kolmo::xdmf_text(series), elements) == "");
  REQUIRE(named(elements, "Attribute")[0]->attribute("AttributeType") == "Vector");
  REQUIRE(named(elements, "Topology")[0]->attribute("Dimensions") == "2 3 4");
  REQUIRE(named(elements, "DataItem")[2]->attribute("Dimensions") == "2 3 4 3");

  layout.components = 2;
  views = kolmo::field_views(layout, "velocity", "/views/v");
  REQUIRE(views.size() == 1);
  REQUIRE(views[0].components == 2);

  layout.components = 4;
  layout.component_names = {"u", "v", "w", "p"};
  views = kolmo::field_views(layout, "flow", "/views/s3");
  REQUIRE(views.size() == 4);
  REQUIRE(views[3].name == "p");
  REQUIRE(views[3].dataset == "/views/s3_c3");
  REQUIRE(views[3].components == 1);
}

TEST_CASE("views map onto the stored values in mesh order", "[core][xdmf]") {
  const std::string path = "xdmf_views_np" + std::to_string(kolmo::comm_size(test_comm())) + ".h5";
  // Three fields of a 3 x 2 x 2 mesh with 4 components: value = 1000 row + index.
  kolmo::FieldLayout layout;
  layout.dimension = 3;
  layout.nodes = {3, 2, 2};
  layout.components = 4;
  const hsize_t n = 3 * 2 * 2 * 4;
  {
    auto file = kolmo::h5::File::create(test_comm(), path, true);
    std::vector<double> values(3 * n);
    for (hsize_t k = 0; k < values.size(); ++k)
      values[k] = 1000.0 * (k / n) + static_cast<double>(k % n);
    file.write_doubles("/fields", {3, n}, values);
    file.create_group("/views");
    kolmo::create_field_views(file, "/fields", 2, layout, "q", "/views/q");
    layout.components = 1;
    layout.nodes = {8, 6, 1};
    layout.dimension = 2;
    file.write_doubles("/scalar", {48}, std::vector<double>(values.begin(), values.begin() + 48));
    kolmo::create_field_views(file, "/scalar", -1, layout, "s", "/views/s");
  }
  bool ok = true;
  if (kolmo::comm_rank(test_comm()) == 0) {  // read the views as any reader would, serially
    auto file = kolmo::h5::File::open_serial(path, kolmo::h5::Access::read_only);
    ok = file.shape("/views/q_c1") == std::vector<hsize_t>{2, 2, 3};
    const auto c1 = file.read_doubles("/views/q_c1");
    for (hsize_t node = 0; node < c1.size(); ++node) ok = ok && c1[node] == 2000.0 + 4 * node + 1;
    ok = ok && file.shape("/views/s") == std::vector<hsize_t>{6, 8};
    const auto s = file.read_doubles("/views/s");
    for (hsize_t k = 0; k < s.size(); ++k) ok = ok && s[k] == static_cast<double>(k);
  }
  REQUIRE(on_all_ranks(ok));
}

TEST_CASE("the snapshot store keeps an XDMF sidecar of its complete snapshots", "[core][xdmf]") {
  const std::string path = "xdmf_store_np" + std::to_string(kolmo::comm_size(test_comm())) + ".h5";
  const std::string sidecar = kolmo::xdmf_sidecar_path(path);
  if (kolmo::comm_rank(test_comm()) == 0) {
    std::filesystem::remove(path);
    std::filesystem::remove(sidecar);
  }
  MPI_Barrier(test_comm());
  REQUIRE(sidecar == "xdmf_store_np" + std::to_string(kolmo::comm_size(test_comm())) + ".xdmf");

  kolmo::SnapshotHeader header;
  header.problem_type = "test";
  header.parameter_names = {"k"};
  header.vector_size = 8 * 6;
  header.layout.dimension = 2;
  header.layout.nodes = {8, 6, 1};
  header.layout.components = 1;
  header.layout.component_names = {"u"};
  {
    auto store = kolmo::SnapshotStore::create_or_resume(test_comm(), path, header,
                                                        {{1.0}, {2.0}, {3.0}, {4.0}});
    kolmo::VecHandle v;
    KOLMO_PETSC_CALL(VecCreateMPI(test_comm(), PETSC_DECIDE, header.vector_size, v.out()));
    KOLMO_PETSC_CALL(VecSet(v, 1.0));
    store.write(1, v, {}, {});
    store.write(3, v, {}, {});
    store.close();
  }
  bool ok = true;
  if (kolmo::comm_rank(test_comm()) == 0) {
    std::vector<Element> elements;
    const std::string text = read_text(sidecar);
    ok = check_xml(text, elements).empty();
    const auto grids = named(elements, "Grid");
    ok = ok && grids.size() == 3 && grids[1]->attribute("Name") == "snapshot 1" &&
         grids[2]->attribute("Name") == "snapshot 3";
    ok = ok && named(elements, "Information")[1]->attribute("Value") == "k=4";
    ok = ok && text.find(">" + path + ":/views/snapshot_3<") != std::string::npos;
    ok = ok && named(elements, "Topology")[0]->attribute("Dimensions") == "1 6 8";
  }
  REQUIRE(on_all_ranks(ok));
}

TEST_CASE("write_field_file stores one field with its layout, attributes and sidecar",
          "[core][xdmf]") {
  const std::string path = "xdmf_field_np" + std::to_string(kolmo::comm_size(test_comm())) + ".h5";
  kolmo::FieldLayout layout;
  layout.dimension = 2;
  layout.nodes = {7, 5, 1};
  layout.components = 1;
  layout.component_names = {"u"};
  kolmo::VecHandle v;
  KOLMO_PETSC_CALL(VecCreateMPI(test_comm(), PETSC_DECIDE, 35, v.out()));
  PetscInt low = 0, high = 0;
  KOLMO_PETSC_CALL(VecGetOwnershipRange(v, &low, &high));
  for (PetscInt g = low; g < high; ++g)
    KOLMO_PETSC_CALL(VecSetValue(v, g, std::cos(static_cast<double>(g)), INSERT_VALUES));
  KOLMO_PETSC_CALL(VecAssemblyBegin(v));
  KOLMO_PETSC_CALL(VecAssemblyEnd(v));
  kolmo::write_field_file(test_comm(), path, "u", v, layout,
                          {{"mu", std::vector<double>{1.5, 2.5}},
                           {"parameter_names", std::vector<std::string>{"k", "f"}},
                           {"iterations", std::int64_t{17}}});

  auto file = kolmo::h5::File::open(test_comm(), path, kolmo::h5::Access::read_only);
  REQUIRE(file.read_doubles_attribute("/fields/u", "mu") == std::vector<double>{1.5, 2.5});
  REQUIRE(file.read_strings_attribute("/fields/u", "parameter_names") ==
          std::vector<std::string>{"k", "f"});
  REQUIRE(file.read_int_attribute("/fields/u", "iterations") == 17);
  REQUIRE(kolmo::read_field_layout(file, "/layout").nodes == layout.nodes);
  kolmo::VecHandle w;
  KOLMO_PETSC_CALL(VecDuplicate(v, w.out()));
  kolmo::h5::read_vec(file, "/fields/u", -1, w);
  PetscBool equal = PETSC_FALSE;
  KOLMO_PETSC_CALL(VecEqual(v, w, &equal));
  REQUIRE(equal == PETSC_TRUE);
  file.close();

  bool ok = true;
  if (kolmo::comm_rank(test_comm()) == 0) {
    std::vector<Element> elements;
    const std::string text = read_text(kolmo::xdmf_sidecar_path(path));
    ok = check_xml(text, elements).empty();
    ok = ok && named(elements, "Grid").size() == 1 && named(elements, "Time").empty();
    ok = ok && text.find(">" + path + ":/views/u<") != std::string::npos;
    ok = ok && named(elements, "Topology")[0]->attribute("Dimensions") == "1 5 7";
  }
  REQUIRE(on_all_ranks(ok));
}
