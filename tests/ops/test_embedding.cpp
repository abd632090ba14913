#include <doctest/doctest.h>

#include "core/error.hpp"
#include "ops/embedding.hpp"
#include "support/gradcheck.hpp"

using namespace ln;
using ln::test::check_vjp;
using ln::test::random_tensor;

TEST_CASE("embedding gathers rows into ids_shape + (C)") {
  Var w(Tensor::from({0, 1, 10, 11, 20, 21}, {3, 2}));
  Var y = embedding(w, {2, 0, 2, 1}, {2, 2});
  CHECK(y.shape() == Shape{2, 2, 2});
  CHECK(y.value().to_vector() == std::vector<float>{20, 21, 0, 1, 20, 21, 10, 11});
}

TEST_CASE("embedding backward scatter-adds repeated ids") {
  Var w(Tensor::zeros({4, 3}), true);
  std::vector<int32_t> ids = {1, 3, 1, 1};
  Var y = embedding(w, ids, {4});
  y.backward(Tensor::full({4, 3}, 1.0f));
  CHECK(w.grad().to_vector() == std::vector<float>{0, 0, 0, 3, 3, 3, 0, 0, 0, 1, 1, 1});
  check_vjp(
      [ids](const std::vector<Var>& v) {
        return embedding(v[0], ids, {2, 2});
      },
      {random_tensor({4, 5}, 1)});
  check_vjp(
      [](const std::vector<Var>& v) {
        return embedding(v[0], {6, 0, 6, 2, 6}, {5});
      },
      {random_tensor({7, 3}, 2)});
}

TEST_CASE("embedding errors name the bad id and V") {
  Var w(Tensor::zeros({5, 2}));
  try {
    embedding(w, {0, 7}, {2});
    FAIL("no throw");
  } catch (const ln::Error& e) {
    std::string m = e.what();
    CHECK(m.find("[embedding]") != std::string::npos);
    CHECK(m.find("id 7") != std::string::npos);
    CHECK(m.find("V = 5") != std::string::npos);
  }
  CHECK_THROWS_AS(embedding(w, {-1}, {1}), ln::Error);
  CHECK_THROWS_AS(embedding(w, {0, 1}, {3}), ln::Error);
  CHECK_THROWS_AS(embedding(Var(Tensor::zeros({5})), {0}, {1}), ln::Error);
}
