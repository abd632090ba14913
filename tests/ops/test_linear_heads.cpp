#include <doctest/doctest.h>

#include "core/error.hpp"
#include "kernels/attention/positions.hpp"
#include "ops/linear.hpp"
#include "ops/linear_heads.hpp"
#include "ops/reduce.hpp"
#include "ops/shape.hpp"
#include "support/gradcheck.hpp"

using namespace ln;

// The reference is the two-op composition it replaces: linear, then reshape + transpose.
TEST_CASE("linear_heads equals transpose(reshape(linear)) in value and every gradient, bitwise") {
  const int64_t B = 2, T = 5, C = 6, H = 3, D = 4;
  Tensor xv = ln::test::random_tensor({B, T, C}, 11), wv = ln::test::random_tensor({H * D, C}, 12),
         bv = ln::test::random_tensor({H * D}, 13), gv = ln::test::random_tensor({B, H, T, D}, 14);
  for (bool with_bias : {true, false}) {
    CAPTURE(with_bias);
    Var x1(xv.clone(), true), w1(wv.clone(), true), b1 = with_bias ? Var(bv.clone(), true) : Var();
    Var x2(xv.clone(), true), w2(wv.clone(), true), b2 = with_bias ? Var(bv.clone(), true) : Var();
    Var want = transpose(reshape(linear(x1, w1, b1), {B, T, H, D}), 1, 2);
    Var got = linear_heads(x2, w2, b2, H);
    REQUIRE(got.shape() == want.shape());
    CHECK(got.value().to_vector() == want.value().to_vector());
    want.backward(gv);
    got.backward(gv);
    CHECK(x2.grad().to_vector() == x1.grad().to_vector());
    CHECK(w2.grad().to_vector() == w1.grad().to_vector());
    if (with_bias) CHECK(b2.grad().to_vector() == b1.grad().to_vector());
  }
  CHECK_THROWS_WITH_AS(linear_heads(Var(xv), Var(wv), Var(), 5),
                       doctest::Contains("do not split into 5 heads"), Error);
}

TEST_CASE("linear_heads with rotation equals rotating the plain projection, and its vjp rotates back") {
  const int64_t B = 1, T = 7, C = 8, H = 2, D = 4, pos0 = 5;
  Tensor xv = ln::test::random_tensor({B, T, C}, 21), wv = ln::test::random_tensor({H * D, C}, 22),
         gv = ln::test::random_tensor({B, H, T, D}, 23);
  Var x1(xv.clone(), true), w1(wv.clone(), true);
  Var x2(xv.clone(), true), w2(wv.clone(), true);
  Var plain = linear_heads(x1, w1, Var(), H);
  Var rotated = linear_heads(x2, w2, Var(), H, true, pos0, 10000.0f);
  Tensor want = Tensor::empty(plain.shape());
  rotate_pairs(plain.value().data(), want.data(), B * H, T, D, pos0, 10000.0f, false);
  CHECK(rotated.value().to_vector() == want.to_vector());
  // d(rotate(y))/dy applied to g is rotate⁻¹(g): the plain op seeded with rotate⁻¹(g).
  Tensor back = Tensor::empty(gv.shape());
  rotate_pairs(gv.data(), back.data(), B * H, T, D, pos0, 10000.0f, true);
  plain.backward(back);
  rotated.backward(gv);
  CHECK(x2.grad().to_vector() == x1.grad().to_vector());
  CHECK(w2.grad().to_vector() == w1.grad().to_vector());
  // And the rotation really moves something (position 5 onwards is not the identity).
  CHECK(rotated.value().to_vector() != plain.value().to_vector());
}
