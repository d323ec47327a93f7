#include <catch2/catch.hpp>
#include <random>

#include "core/exceptions.hpp"
#include "tensor/dense_tensor.hpp"

using kolmo::tensor::DenseTensor;
using kolmo::tensor::Dims;
using kolmo::tensor::Index;

namespace {

DenseTensor random_tensor(const Dims& dims, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  return DenseTensor::generate(dims, [&](std::span<const Index>) { return u(rng); });
}

Eigen::MatrixXd random_matrix(Index rows, Index cols, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  Eigen::MatrixXd m(rows, cols);
  for (Index k = 0; k < m.size(); ++k) m.data()[k] = u(rng);
  return m;
}

// The column of X_(n) that holds multi-index `index` (Kolda-Bader: other indices, first fastest).
Index unfolding_column(const Dims& dims, std::span<const Index> index, int n) {
  Index column = 0, stride = 1;
  for (std::size_t k = 0; k < dims.size(); ++k) {
    if (static_cast<int>(k) == n) continue;
    column += index[k] * stride;
    stride *= dims[k];
  }
  return column;
}

// Every multi-index of `dims`, first fastest.
std::vector<std::vector<Index>> all_indices(const Dims& dims) {
  std::vector<std::vector<Index>> out;
  DenseTensor::generate(dims, [&](std::span<const Index> i) {
    out.emplace_back(i.begin(), i.end());
    return 0.0;
  });
  return out;
}

}  // namespace

TEST_CASE("storage is first index fastest", "[tensor][dense]") {
  const DenseTensor t =
      DenseTensor::generate({2, 3, 4}, [](std::span<const Index> i) { return 100.0 * i[0] + 10.0 * i[1] + i[2]; });
  CHECK(t.size() == 24);
  CHECK(t.data()[1] == 100.0);
  CHECK(t.data()[2] == 10.0);
  CHECK(t.data()[6] == 1.0);
  CHECK(t.at(1, 2, 3) == 123.0);
  CHECK(t.linear_index(std::vector<Index>{1, 2, 3}) == 1 + 2 * 2 + 3 * 6);
}

TEST_CASE("unfold follows Kolda-Bader and fold inverts it, for every mode and order", "[tensor][dense]") {
  for (const Dims& dims : {Dims{7}, Dims{3, 5}, Dims{3, 4, 5}, Dims{2, 3, 1, 4}, Dims{2, 2, 3, 2, 2, 2}}) {
    const DenseTensor t = random_tensor(dims, 7);
    for (int n = 0; n < t.order(); ++n) {
      const Eigen::MatrixXd u = t.unfold(n);
      REQUIRE(u.rows() == dims[static_cast<std::size_t>(n)]);
      REQUIRE(u.cols() == t.size() / dims[static_cast<std::size_t>(n)]);
      for (const auto& i : all_indices(dims))
        REQUIRE(u(i[static_cast<std::size_t>(n)], unfolding_column(dims, i, n)) == t(i));
      CHECK(t.unfold_transposed(n) == u.transpose());
      CHECK(DenseTensor::fold(u, n, dims).vector() == t.vector());
      const Eigen::MatrixXd g = u * u.transpose();
      CHECK((t.gram(n) - g).norm() <= 1e-13 * g.norm());
    }
  }
}

TEST_CASE("mode products agree with the definition", "[tensor][dense]") {
  const Dims dims{3, 4, 5, 2};
  const DenseTensor t = random_tensor(dims, 11);
  for (int n = 0; n < 4; ++n) {
    const Index in = dims[static_cast<std::size_t>(n)];
    const Eigen::MatrixXd m = random_matrix(6, in, 13 + static_cast<unsigned>(n));
    const DenseTensor y = t.mode_product(n, m);
    Dims ydims = dims;
    ydims[static_cast<std::size_t>(n)] = 6;
    REQUIRE(y.dims() == ydims);
    double worst = 0.0;
    for (const auto& i : all_indices(ydims)) {
      double expected = 0.0;
      std::vector<Index> j = i;
      for (Index k = 0; k < in; ++k) {
        j[static_cast<std::size_t>(n)] = k;
        expected += m(i[static_cast<std::size_t>(n)], k) * t(j);
      }
      worst = std::max(worst, std::abs(y(i) - expected));
    }
    CHECK(worst < 1e-13);
    const DenseTensor yt = t.mode_product_transposed(n, Eigen::MatrixXd(m.transpose()));
    CHECK((yt.vector() - y.vector()).norm() < 1e-13);
    // Unfolding identity Y_(n) = M X_(n).
    CHECK((y.unfold(n) - m * t.unfold(n)).norm() < 1e-12);
  }
}

TEST_CASE("contract_rows evaluates the multilinear form per point", "[tensor][dense]") {
  const Dims dims{3, 4, 2};
  const DenseTensor t = random_tensor(dims, 3);
  std::vector<Eigen::MatrixXd> rows;
  for (int l = 0; l < 3; ++l) rows.push_back(random_matrix(300, dims[static_cast<std::size_t>(l)], 20 + static_cast<unsigned>(l)));
  const Eigen::VectorXd v = kolmo::tensor::contract_rows(t, rows);
  for (Index p : {Index(0), Index(123), Index(299)}) {
    double expected = 0.0;
    for (const auto& i : all_indices(dims)) expected += t(i) * rows[0](p, i[0]) * rows[1](p, i[1]) * rows[2](p, i[2]);
    CHECK(v[p] == Approx(expected).margin(1e-13));
  }
}

TEST_CASE("slabs, reshapes and sizes", "[tensor][dense]") {
  const DenseTensor t = random_tensor({2, 3, 5}, 5);
  const DenseTensor slab = t.last_mode_slab(1, 3);
  CHECK(slab.dims() == Dims{2, 3, 3});
  CHECK(slab.at(1, 2, 0) == t.at(1, 2, 1));
  CHECK(slab.at(0, 1, 2) == t.at(0, 1, 3));
  CHECK(t.reshaped({6, 5}).unfold(0) == t.unfold(2).transpose());
  CHECK_THROWS_AS(DenseTensor(Dims{1, 1, 1, 1, 1, 1, 1}), kolmo::Exception);
  CHECK_THROWS_AS(DenseTensor(Dims{2, 2}, Eigen::VectorXd::Zero(3)), kolmo::Exception);
  CHECK_THROWS_AS(t.mode_product(1, Eigen::MatrixXd::Zero(2, 4)), kolmo::Exception);
  const DenseTensor empty(Dims{3, 0});
  CHECK(empty.size() == 0);
  CHECK(empty.mode_product(0, Eigen::MatrixXd::Ones(2, 3)).dims() == Dims{2, 0});
}
