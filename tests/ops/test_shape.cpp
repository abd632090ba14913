#include <doctest/doctest.h>

#include "core/error.hpp"
#include "ops/elementwise.hpp"
#include "ops/shape.hpp"
#include "support/gradcheck.hpp"

using namespace ln;
using ln::test::check_vjp;
using ln::test::random_tensor;

TEST_CASE("reshape and view share storage, infer -1, and reshape the gradient back") {
  Var x(random_tensor({2, 3, 4}, 1), true);
  Var y = reshape(x, {6, -1});
  CHECK(y.shape() == Shape{6, 4});
  CHECK(y.value().same_storage(x.value()));
  CHECK(view(x, {24}).shape() == Shape{24});
  check_vjp([](const std::vector<Var>& v) { return reshape(v[0], {4, -1}); }, {random_tensor({2, 6}, 2)});
  CHECK_THROWS_AS(reshape(x, {5, -1}), ln::Error);
  CHECK_THROWS_AS(reshape(x, {-1, -1}), ln::Error);
}

TEST_CASE("transpose(x, 1, 2) turns (B, T, H, D) into (B, H, T, D)") {
  const int64_t B = 2, T = 5, H = 3, D = 7;
  Var x(random_tensor({B, T, H, D}, 3));
  Var y = transpose(x, 1, 2);
  REQUIRE(y.shape() == Shape{B, H, T, D});
  const float* px = x.value().data();
  const float* py = y.value().data();
  bool same = true;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < T; ++t)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t d = 0; d < D; ++d)
          same = same && py[((b * H + h) * T + t) * D + d] == px[((b * T + t) * H + h) * D + d];
  CHECK(same);
  // Round trip, and negative dims.
  CHECK(transpose(y, 2, 1).value().to_vector() == x.value().to_vector());
  Var z = transpose(Var(random_tensor({3, 4}, 4)), -1, -2);
  CHECK(z.shape() == Shape{4, 3});
}

TEST_CASE("transpose gradients") {
  for (auto [d0, d1] : std::vector<std::pair<int, int>>{{1, 2}, {0, 3}, {3, 1}, {-1, -2}, {2, 2}}) {
    CAPTURE(d0);
    CAPTURE(d1);
    check_vjp([d0, d1](const std::vector<Var>& v) { return transpose(v[0], d0, d1); },
              {random_tensor({2, 3, 4, 5}, 5)});
  }
  CHECK_THROWS_AS(transpose(Var(Tensor::zeros({2, 3})), 0, 2), ln::Error);
}

TEST_CASE("slice forward, negative bounds, gradient, errors") {
  Var x(Tensor::from({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, {3, 4}));
  CHECK(slice(x, 1, 1, 3).value().to_vector() == std::vector<float>{1, 2, 5, 6, 9, 10});
  CHECK(slice(x, 0, -1, 3).value().to_vector() == std::vector<float>{8, 9, 10, 11});
  CHECK(slice(x, 1, 2, 2).shape() == Shape{3, 0});
  check_vjp([](const std::vector<Var>& v) { return slice(v[0], 1, 1, 4); }, {random_tensor({2, 5, 3}, 6)});
  check_vjp([](const std::vector<Var>& v) { return slice(v[0], -1, 0, 1); }, {random_tensor({3, 2}, 7)});
  CHECK_THROWS_AS(slice(x, 1, 3, 2), ln::Error);
  CHECK_THROWS_AS(slice(x, 1, 0, 5), ln::Error);
  CHECK_THROWS_AS(slice(x, 2, 0, 1), ln::Error);
}

TEST_CASE("concat forward, gradient, errors") {
  Var a(Tensor::from({1, 2, 3, 4}, {2, 2})), b(Tensor::from({5, 6}, {2, 1}));
  CHECK(concat({a, b}, 1).value().to_vector() == std::vector<float>{1, 2, 5, 3, 4, 6});
  CHECK(concat({a, a}, 0).value().to_vector() == std::vector<float>{1, 2, 3, 4, 1, 2, 3, 4});
  check_vjp(
      [](const std::vector<Var>& v) {
        return concat({v[0], v[1], v[2]}, 1);
      },
      {random_tensor({2, 1, 3}, 8), random_tensor({2, 4, 3}, 9), random_tensor({2, 2, 3}, 10)});
  check_vjp(
      [](const std::vector<Var>& v) {
        return concat({v[0], v[1]}, -1);
      },
      {random_tensor({3, 2}, 11), random_tensor({3, 5}, 12)});
  CHECK_THROWS_AS(concat({a, b}, 0), ln::Error);
  CHECK_THROWS_AS(concat({}, 0), ln::Error);
  CHECK_THROWS_AS(concat({a, Var(Tensor::zeros({4}))}, 0), ln::Error);
}

TEST_CASE("split cuts a fused qkv and its pieces' gradients land in the right places") {
  Var x(random_tensor({2, 3, 9}, 13));
  auto parts = split(x, -1, {3, 3, 3});
  REQUIRE(parts.size() == 3);
  CHECK(parts[1].value().to_vector() == slice(x, 2, 3, 6).value().to_vector());
  // Pieces used differently: q * k + v, with unequal sizes too.
  check_vjp(
      [](const std::vector<Var>& v) {
        auto p = split(v[0], 2, {3, 3, 3});
        return add(mul(p[0], p[1]), p[2]);
      },
      {random_tensor({2, 3, 9}, 14)});
  check_vjp(
      [](const std::vector<Var>& v) {
        auto p = split(v[0], 0, {1, 3});
        return mul(p[0], p[1]);
      },
      {random_tensor({4, 2}, 15)});
  CHECK_THROWS_AS(split(x, 2, {3, 3}), ln::Error);
  CHECK_THROWS_AS(split(x, 2, {10, -1}), ln::Error);
}
