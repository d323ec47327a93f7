#include "operators/external_problem.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/error.hpp"
#include "core/text.hpp"
#include "operators/coefficient.hpp"
#include "operators/settings_reader.hpp"

namespace kolmo::operators {
namespace {

/// True iff a and b are the same point: each value equal to 1e-12 relative to the larger of the
/// two magnitudes and the parameter's range width (so that 0 and 1e-300 match on a range [0, 1]).
bool same_point(const ParameterSpace& space, const Mu& a, const Mu& b) {
  if (a.size() != b.size() || a.size() != space.dimension()) return false;
  for (std::size_t k = 0; k < a.size(); ++k) {
    const auto& p = space.parameter(k);
    const double scale = std::max({std::abs(a[k]), std::abs(b[k]), std::abs(p.max - p.min)});
    if (std::abs(a[k] - b[k]) > 1e-12 * scale) return false;
  }
  return true;
}

/// "k1=0.5, Bi=0.1", or the bare values when mu does not fit the space.
std::string describe_mu(const ParameterSpace& space, const Mu& mu) {
  if (mu.size() == space.dimension()) return format_mu(space, mu);
  std::string text = "[";
  for (std::size_t k = 0; k < mu.size(); ++k) {
    if (k > 0) text += ", ";
    text += format_number(mu[k]);
  }
  text += ']';
  return text;
}

/// A non-empty list at `key` (which must be present).
ConfigNode read_list(MapReader& reader, const std::string& key, const char* what) {
  const ConfigNode node = reader.child(key);
  if (!node.is_sequence() || node.size() == 0) {
    std::ostringstream message;
    message << "expected a non-empty list of " << what;
    node.fail(message.str());
  }
  return node;
}

class SettingsReader {
 public:
  SettingsReader(const CaseFile& c, ExternalSettings& s) : case_(c), space_(c.parameters), s_(s) {}

  ExternalFile file(MapReader& entry, const std::string& key) const {
    const ConfigNode node = entry.child(key);
    const auto text = entry.required<std::string>(key);
    if (text.empty()) node.fail("expected a file path, got an empty string");
    ExternalFile f{case_.resolve(text), node};
    if (s_.format == MatrixFormat::automatic) {
      try {
        detect_matrix_format(f.path);
      } catch (const InputError& e) {
        node.fail(e.what());
      }
    }
    return f;
  }

  /// `theta` (default "1"), checked as an expression of the parameters.
  std::string theta(MapReader& entry) const {
    const ConfigNode node = entry.child("theta");
    const std::string text = entry.has("theta") ? node.as<std::string>() : "1";
    check_expression(node, node.key_path(), text, space_);
    return text;
  }

  Mu mu(MapReader& entry) const {
    const ConfigNode node = entry.child("mu");
    const auto mu = entry.required<std::vector<double>>("mu");
    try {
      space_.check(mu, "mu");
    } catch (const InputError& e) {
      node.fail(e.what());
    }
    return mu;
  }

  /// A list of {theta, <file_key>}.
  std::vector<ExternalTerm> terms(const ConfigNode& list, const std::string& file_key) const {
    std::vector<ExternalTerm> terms;
    for (std::size_t i = 0; i < list.size(); ++i) {
      MapReader entry(list.element(i));
      ExternalTerm term;
      term.theta = theta(entry);
      term.file = file(entry, file_key);
      entry.reject_unknown_keys();
      terms.push_back(std::move(term));
    }
    return terms;
  }

 private:
  const CaseFile& case_;
  const ParameterSpace& space_;
  const ExternalSettings& s_;
};

/// ||A - A^T||_inf relative to ||A||_inf. Collective.
double asymmetry(Mat a) {
  MatHandle t;
  KOLMO_PETSC_CALL(MatTranspose(a, MAT_INITIAL_MATRIX, t.out()));
  KOLMO_PETSC_CALL(MatAXPY(t, -1.0, a, DIFFERENT_NONZERO_PATTERN));
  PetscReal difference = 0, norm = 0;
  KOLMO_PETSC_CALL(MatNorm(t, NORM_INFINITY, &difference));
  KOLMO_PETSC_CALL(MatNorm(a, NORM_INFINITY, &norm));
  return norm > 0 ? difference / norm : difference;
}

/// Run a reader of `file`; its InputError is re-thrown located at the case-file key that named
/// the file (every rank gets the same error, so every rank re-throws the same).
template <class F>
auto read_at_key(const ExternalFile& file, F&& read) {
  try {
    return read();
  } catch (const InputError& e) {
    file.node.fail(e.what());
  }
}

std::string size_text(PetscInt rows, PetscInt cols) {
  std::ostringstream text;
  text << rows << " x " << cols;
  return text.str();
}

}  // namespace

ExternalSettings read_external_settings(const CaseFile& c) {
  const ParameterSpace& space = c.parameters;
  ExternalSettings s;
  MapReader reader(c.problem.settings);
  reader.allow("type");
  s.format = parse_matrix_format(
      reader.choice("format", {"auto", "matrix_market", "petsc_binary", "hdf5"}, "auto"));
  s.symmetric = reader.optional<bool>("symmetric", false);
  const auto stability =
      reader.choice("stability", {"parametrically_coercive", "coercive", "inf_sup"}, "coercive");
  s.stability = stability == "parametrically_coercive" ? Stability::parametrically_coercive
                : stability == "inf_sup"               ? Stability::inf_sup
                                                       : Stability::coercive;
  const SettingsReader read(c, s);

  const bool affine = reader.has("operator"), sampled = reader.has("samples");
  reader.allow("operator");
  reader.allow("samples");
  if (affine && sampled)
    reader.child("samples").fail(
        "give either 'operator' (affine terms) or 'samples' (matrices at parameter points), not "
        "both");
  if (!affine && !sampled)
    reader.node().fail(
        "missing key 'operator' (a list of {theta, matrix}) or 'samples' (a list of {mu, matrix})");
  if (affine) {
    s.operator_terms = read.terms(read_list(reader, "operator", "{theta, matrix}"), "matrix");
  } else {
    const ConfigNode list = read_list(reader, "samples", "{mu, matrix}");
    for (std::size_t i = 0; i < list.size(); ++i) {
      MapReader entry(list.element(i));
      ExternalSample sample;
      sample.mu = read.mu(entry);
      sample.file = read.file(entry, "matrix");
      entry.reject_unknown_keys();
      for (std::size_t j = 0; j < s.samples.size(); ++j)
        if (same_point(space, sample.mu, s.samples[j].mu))
          entry.child("mu").fail("the same point as " + list.element(j).key_path() + ".mu");
      s.samples.push_back(std::move(sample));
    }
    if (s.stability == Stability::parametrically_coercive)
      reader.child("stability")
          .fail("parametrically_coercive needs the affine form ('operator'), not 'samples'");
  }
  if (reader.has("matrix_eim")) {
    if (!s.sample_mode())
      reader.child("matrix_eim").fail("'matrix_eim' applies to 'samples' (sample mode) only");
    MapReader eim(reader.child("matrix_eim"));
    ExternalEimSettings& e = s.matrix_eim;
    e.tolerance = eim.optional<double>("tolerance", e.tolerance);
    if (!(e.tolerance >= 0)) eim.child("tolerance").fail("expected a non-negative number");
    e.max_terms = eim.optional<int>("max_terms", e.max_terms);
    if (e.max_terms < 1) eim.child("max_terms").fail("expected at least 1 term");
    e.kernel = eim.choice("kernel", {"cubic", "quintic"}, e.kernel);
    e.indicator_points = eim.optional<int>("indicator_points", e.indicator_points);
    if (e.indicator_points < 0) eim.child("indicator_points").fail("expected a non-negative count");
    eim.reject_unknown_keys();
  }
  reader.allow("matrix_eim");

  // rhs: affine terms {theta, vector}, or (sample mode) one {mu, vector} per sample point.
  if (!reader.has("rhs"))
    reader.node().fail(
        "missing key 'rhs' (a list of {theta, vector}, or of {mu, vector} per sample)");
  const ConfigNode rhs = read_list(reader, "rhs", "{theta, vector} or {mu, vector}");
  const bool per_sample = rhs.element(0).is_map() && rhs.element(0).child("mu").defined();
  if (!per_sample) {
    s.rhs_terms = read.terms(rhs, "vector");
  } else {
    if (!s.sample_mode())
      rhs.element(0).child("mu").fail(
          "a right-hand side per parameter point needs 'samples'; with 'operator' give {theta, "
          "vector}");
    std::vector<std::optional<ExternalSample>> by_sample(s.samples.size());
    for (std::size_t i = 0; i < rhs.size(); ++i) {
      MapReader entry(rhs.element(i));
      if (!entry.has("mu"))
        entry.node().fail(
            "every entry needs 'mu' when the first one has it (one vector per sample point)");
      ExternalSample sample;
      sample.mu = read.mu(entry);
      sample.file = read.file(entry, "vector");
      entry.reject_unknown_keys();
      std::size_t k = 0;
      while (k < s.samples.size() && !same_point(space, sample.mu, s.samples[k].mu)) ++k;
      if (k == s.samples.size())
        entry.child("mu").fail("not one of the points of 'problem.samples'");
      if (by_sample[k]) entry.child("mu").fail("a second vector for this sample point");
      by_sample[k] = std::move(sample);
    }
    for (std::size_t k = 0; k < by_sample.size(); ++k) {
      if (!by_sample[k])
        rhs.fail("no vector for the sample point " + format_mu(space, s.samples[k].mu) +
                 " (every sample point needs one)");
      s.rhs_samples.push_back(std::move(*by_sample[k]));
    }
  }

  if (reader.has("outputs")) {
    const ConfigNode list = read_list(reader, "outputs", "{name, terms}");
    for (std::size_t i = 0; i < list.size(); ++i) {
      MapReader entry(list.element(i));
      ExternalOutput output;
      output.name = entry.required<std::string>("name");
      if (output.name.empty()) entry.child("name").fail("an output needs a non-empty name");
      for (const auto& other : s.outputs)
        if (other.name == output.name)
          entry.child("name").fail("a second output named '" + output.name + "'");
      output.terms = read.terms(read_list(entry, "terms", "{theta, vector}"), "vector");
      entry.reject_unknown_keys();
      s.outputs.push_back(std::move(output));
    }
  }
  if (reader.has("inner_product")) s.inner_product = read.file(reader, "inner_product");
  reader.allow("inner_product");
  reader.reject_unknown_keys();
  return s;
}

ExternalProblem::ExternalProblem(MPI_Comm comm, const ParameterSpace& space,
                                 ExternalSettings settings)
    : ParametrizedProblem(comm, space), settings_(std::move(settings)) {
  symmetric_ = settings_.symmetric;
  stability_ = settings_.stability;
  const MatrixFormat format = settings_.format;

  // Every operator is square and of the size of the first; every vector has that length.
  PetscInt n = -1;
  const ExternalFile* first = nullptr;
  auto read_operator = [&](const ExternalFile& file, bool inner_product) {
    MatHandle a = read_at_key(file, [&] { return read_matrix(comm, file.path, format); });
    PetscInt rows = 0, cols = 0;
    KOLMO_PETSC_CALL(MatGetSize(a, &rows, &cols));
    if (rows != cols)
      file.node.fail(file.path + " is " + size_text(rows, cols) + ", " +
                     (inner_product ? "the inner product" : "an operator") + " must be square");
    if (first && rows != n)
      file.node.fail(file.path + " is " + size_text(rows, cols) + ", but '" +
                     first->node.key_path() + "' (" + first->path + ") is " + size_text(n, n));
    if (!first) {
      first = &file;
      n = rows;
    }
    if (symmetric_ || inner_product) {
      const double relative = asymmetry(a);
      if (relative > 1e-10) {
        std::ostringstream message;
        message << file.path << " is not symmetric (||A - A^T|| / ||A|| = " << relative
                << " in the infinity norm)"
                << (inner_product ? "; the inner product must be symmetric positive definite"
                                  : "; set 'symmetric: false' or check the file");
        file.node.fail(message.str());
      }
      // Checked: solvers (MUMPS Cholesky, the inertia of spectrum slicing) may rely on it.
      KOLMO_PETSC_CALL(MatSetOption(a, MAT_SYMMETRIC, PETSC_TRUE));
      KOLMO_PETSC_CALL(MatSetOption(a, MAT_SYMMETRY_ETERNAL, PETSC_TRUE));
    }
    return a;
  };
  auto read_checked_vector = [&](const ExternalFile& file) {
    VecHandle v = read_at_key(file, [&] { return read_vector(comm, file.path, format); });
    PetscInt length = 0;
    KOLMO_PETSC_CALL(VecGetSize(v, &length));
    if (length != n) {
      std::ostringstream message;
      message << file.path << " has " << length << " entries, but the operator ('"
              << first->node.key_path() << "', " << first->path << ") is " << size_text(n, n);
      file.node.fail(message.str());
    }
    return v;
  };

  if (sample_mode()) {
    for (const auto& sample : settings_.samples) {
      sample_matrices_.push_back(read_operator(sample.file, false));
      sample_points_.push_back(sample.mu);
    }
  } else {
    for (const auto& term : settings_.operator_terms)
      lhs_.add_term(read_operator(term.file, false), Coefficient::expression(term.theta, space_));
  }
  for (const auto& term : settings_.rhs_terms)
    rhs_.add_term(read_checked_vector(term.file), Coefficient::expression(term.theta, space_));
  for (const auto& sample : settings_.rhs_samples)
    sample_rhs_.push_back(read_checked_vector(sample.file));

  for (const auto& output : settings_.outputs) {
    outputs_.push_back(OutputFunctional{output.name, AffineVector(comm)});
    for (const auto& term : output.terms)
      outputs_.back().functional.add_term(read_checked_vector(term.file),
                                          Coefficient::expression(term.theta, space_));
  }
  const bool affine_rhs = !settings_.rhs_terms.empty();
  if (settings_.outputs.empty() && symmetric_ && affine_rhs) {
    outputs_.push_back(OutputFunctional{"compliance", AffineVector(comm)});
    for (std::size_t q = 0; q < rhs_.num_terms(); ++q) {
      VecHandle copy;
      KOLMO_PETSC_CALL(VecDuplicate(rhs_.vector(q), copy.out()));
      KOLMO_PETSC_CALL(VecCopy(rhs_.vector(q), copy));
      outputs_.back().functional.add_term(std::move(copy), rhs_.coefficient(q), rhs_.name(q));
    }
  }
  // Compliant: symmetric, and the first output is the right-hand side term by term (the same
  // coefficients and equal vectors, whichever files hold them).
  if (symmetric_ && affine_rhs && !outputs_.empty()) {
    const AffineVector& first_output = outputs_.front().functional;
    compliant_ = first_output.num_terms() == rhs_.num_terms();
    for (std::size_t q = 0; compliant_ && q < rhs_.num_terms(); ++q) {
      PetscBool equal = PETSC_FALSE;
      KOLMO_PETSC_CALL(VecEqual(first_output.vector(q), rhs_.vector(q), &equal));
      compliant_ =
          equal == PETSC_TRUE && first_output.coefficient(q).text() == rhs_.coefficient(q).text();
    }
  }

  if (settings_.inner_product) {
    inner_product_ = read_operator(*settings_.inner_product, true);
  } else {
    // The symmetric part of sum_q A_q (or of the first sample): the energy norm at theta = 1.
    if (sample_mode()) {
      KOLMO_PETSC_CALL(
          MatDuplicate(sample_matrices_.front(), MAT_COPY_VALUES, inner_product_.out()));
    } else {
      KOLMO_PETSC_CALL(MatDuplicate(lhs_.matrix(0), MAT_COPY_VALUES, inner_product_.out()));
      for (std::size_t q = 1; q < lhs_.num_terms(); ++q)
        KOLMO_PETSC_CALL(MatAXPY(inner_product_, 1.0, lhs_.matrix(q), DIFFERENT_NONZERO_PATTERN));
      reference_theta_.assign(lhs_.num_terms(), 1.0);
    }
    if (!symmetric_) {
      MatHandle transpose;
      KOLMO_PETSC_CALL(MatTranspose(inner_product_, MAT_INITIAL_MATRIX, transpose.out()));
      KOLMO_PETSC_CALL(MatAXPY(inner_product_, 1.0, transpose, DIFFERENT_NONZERO_PATTERN));
      KOLMO_PETSC_CALL(MatScale(inner_product_, 0.5));
    }
  }
}

std::optional<std::size_t> ExternalProblem::find_sample(const Mu& mu) const {
  for (std::size_t i = 0; i < sample_points_.size(); ++i)
    if (same_point(space_, mu, sample_points_[i])) return i;
  return std::nullopt;
}

std::size_t ExternalProblem::sample_index(const Mu& mu, const char* what) const {
  if (const auto index = find_sample(mu)) return *index;
  std::ostringstream message;
  message << "problem 'external' has " << what << " only at its " << sample_points_.size()
          << " sample points; mu = " << describe_mu(space_, mu) << " is not one of them";
  if (std::string(what) == "matrices")
    message << " (a reduced model built with matrix EIM can evaluate other points)";
  else
    message
        << " (give the right-hand side as affine terms {theta, vector} to evaluate other points)";
  throw InputError(message.str());
}

VecHandle ExternalProblem::create_vector() const {
  if (!sample_mode()) return ParametrizedProblem::create_vector();
  VecHandle v;
  KOLMO_PETSC_CALL(MatCreateVecs(sample_matrices_.front(), v.out(), nullptr));
  KOLMO_PETSC_CALL(VecSet(v, 0.0));
  return v;
}

void ExternalProblem::assemble_operator(const Mu& mu, MatHandle& out) const {
  if (!sample_mode()) {
    ParametrizedProblem::assemble_operator(mu, out);
    return;
  }
  const std::size_t index = sample_index(mu, "matrices");
  if (!out) {
    // One pattern for every sample (their union), so that `out` is re-filled, never re-allocated.
    // The factor is 1, not 0: MatAXPY returns at once for 0 and would not widen anything; the
    // values are zeroed below.
    KOLMO_PETSC_CALL(MatDuplicate(sample_matrices_.front(), MAT_DO_NOT_COPY_VALUES, out.out()));
    for (std::size_t i = 1; i < sample_matrices_.size(); ++i)
      KOLMO_PETSC_CALL(MatAXPY(out, 1.0, sample_matrices_[i], DIFFERENT_NONZERO_PATTERN));
  }
  KOLMO_PETSC_CALL(MatZeroEntries(out));
  KOLMO_PETSC_CALL(MatAXPY(out, 1.0, sample_matrices_[index], SUBSET_NONZERO_PATTERN));
}

void ExternalProblem::assemble_rhs(const Mu& mu, Vec out) const {
  if (sample_rhs_.empty()) {
    ParametrizedProblem::assemble_rhs(mu, out);
    return;
  }
  KOLMO_PETSC_CALL(VecCopy(sample_rhs_[sample_index(mu, "right-hand sides")], out));
}

std::unique_ptr<ParametrizedProblem> make_external(MPI_Comm comm, const CaseFile& c) {
  return std::make_unique<ExternalProblem>(comm, c.parameters, read_external_settings(c));
}

}  // namespace kolmo::operators
