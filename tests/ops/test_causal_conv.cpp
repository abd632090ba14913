#include <doctest/doctest.h>

#include "core/error.hpp"
#include "ops/causal_conv.hpp"
#include "support/gradcheck.hpp"

using namespace ln;
using ln::test::check_vjp;
using ln::test::random_tensor;

TEST_CASE("causal_conv: zero taps are the identity, and position t never reads t+1") {
  Tensor x = random_tensor({2, 3, 9, 4}, 1);
  Var y = causal_conv(Var(x), Var(Tensor::zeros({3, 12})));
  CHECK(y.value().to_vector() == x.to_vector());
  // Change only the last position: every earlier output stays bit-identical.
  Tensor x2 = x.clone();
  for (int64_t r = 0; r < 6; ++r)
    for (int64_t d = 0; d < 4; ++d) x2.data()[(r * 9 + 8) * 4 + d] += 1.0f;
  Tensor taps = random_tensor({3, 12}, 2);
  Tensor a = causal_conv(Var(x), Var(taps)).value(), b = causal_conv(Var(x2), Var(taps)).value();
  for (int64_t r = 0; r < 6; ++r)
    for (int64_t t = 0; t < 9; ++t)
      for (int64_t d = 0; d < 4; ++d) {
        const int64_t i = (r * 9 + t) * 4 + d;
        if (t < 8)
          CHECK(a.data()[i] == b.data()[i]);
        else
          CHECK(a.data()[i] != b.data()[i]);
      }
}

TEST_CASE("causal_conv gradient in x and taps (finite differences)") {
  check_vjp([](const std::vector<Var>& v) { return causal_conv(v[0], v[1]); },
            {random_tensor({2, 2, 7, 3}, 3), random_tensor({3, 6}, 4)});
  check_vjp([](const std::vector<Var>& v) { return causal_conv(v[0], v[1]); },
            {random_tensor({1, 1, 2, 5}, 5), random_tensor({4, 5}, 6)});  // K - 1 > T - 1
}

TEST_CASE("causal_conv refuses mismatched taps") {
  Var x(random_tensor({1, 2, 5, 3}, 7));
  CHECK_THROWS_AS(causal_conv(x, Var(Tensor::zeros({2, 5}))), ln::Error);
  CHECK_THROWS_AS(causal_conv(x, Var()), ln::Error);
  CHECK_THROWS_AS(causal_conv(Var(random_tensor({2, 5, 3}, 8)), Var(Tensor::zeros({1, 3}))), ln::Error);
}
