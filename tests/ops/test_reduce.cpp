#include <doctest/doctest.h>

#include "core/error.hpp"
#include "ops/reduce.hpp"
#include "support/gradcheck.hpp"

using namespace ln;
using ln::test::check_vjp;
using ln::test::random_tensor;

TEST_CASE("sum and mean to a scalar") {
  Var x(Tensor::from({1, 2, 3, 4, 5, 6}, {2, 3}));
  Var s = sum(x), m = mean(x);
  CHECK(s.shape() == Shape{});
  CHECK(s.value().item() == 21.0f);
  CHECK(m.value().item() == 3.5f);
  check_vjp([](const std::vector<Var>& v) { return sum(v[0]); }, {random_tensor({3, 5}, 1)});
  check_vjp([](const std::vector<Var>& v) { return mean(v[0]); }, {random_tensor({7}, 2)});
  Var y(Tensor::from({1, 2}, {2}), true);
  mean(y).backward();
  CHECK(y.grad().to_vector() == std::vector<float>{0.5f, 0.5f});
  CHECK(sum(Var(Tensor::zeros({0}))).value().item() == 0.0f);
  CHECK_THROWS_AS(mean(Var(Tensor::zeros({0, 3}))), ln::Error);
}

TEST_CASE("sum along a dim, with and without keepdim") {
  Var x(Tensor::from({1, 2, 3, 4, 5, 6}, {2, 3}));
  CHECK(sum(x, 0).value().to_vector() == std::vector<float>{5, 7, 9});
  CHECK(sum(x, -1).value().to_vector() == std::vector<float>{6, 15});
  CHECK(sum(x, 1, true).shape() == Shape{2, 1});
  CHECK(sum(x, 0).shape() == Shape{3});
  for (int d : {0, 1, 2, -1}) {
    CAPTURE(d);
    check_vjp([d](const std::vector<Var>& v) { return sum(v[0], d); }, {random_tensor({2, 3, 5}, 3)});
    check_vjp([d](const std::vector<Var>& v) { return sum(v[0], d, true); }, {random_tensor({3, 1, 4}, 4)});
  }
  CHECK_THROWS_AS(sum(x, 2), ln::Error);
}
