#include <doctest/doctest.h>

#include <cmath>

#include "core/bf16.hpp"
#include "core/error.hpp"
#include "core/memory_stats.hpp"
#include "ops/linear.hpp"
#include "ops/precision.hpp"
#include "support/gradcheck.hpp"

using namespace ln;

namespace {
float round_bf16(float x) { return static_cast<float>(bf16(x)); }
}  // namespace

// Reference: a double-precision loop over the bf16-rounded operands (what a bf16 GEMM with
// fp32 accumulation computes, up to the fp32 summation's own rounding).
TEST_CASE("matmul_in bf16 multiplies the bf16-rounded operands with fp32 accumulation") {
  const int64_t M = 9, K = 37, N = 5;
  Tensor a = ln::test::random_tensor({M, K}, 31), b = ln::test::random_tensor({N, K}, 32);
  Tensor c16 = Tensor::empty({M, N}), c32 = Tensor::empty({M, N});
  matmul_in(Precision::bf16, {1, M, K, N, false, true}, a.data(), b.data(), nullptr, c16.data());
  matmul_in(Precision::fp32, {1, M, K, N, false, true}, a.data(), b.data(), nullptr, c32.data());
  double worst_ref = 0, worst_fp32 = 0;
  for (int64_t i = 0; i < M; ++i) {
    for (int64_t j = 0; j < N; ++j) {
      double want = 0, exact = 0;
      for (int64_t k = 0; k < K; ++k) {
        want += double(round_bf16(a.data()[i * K + k])) * round_bf16(b.data()[j * K + k]);
        exact += double(a.data()[i * K + k]) * b.data()[j * K + k];
      }
      worst_ref = std::max(worst_ref, std::fabs(c16.data()[i * N + j] - want));
      worst_fp32 = std::max(worst_fp32, std::fabs(c32.data()[i * N + j] - exact));
    }
  }
  CHECK(worst_ref < 1e-5);
  CHECK(worst_fp32 < 1e-5);
  // The two precisions really differ (bf16 keeps 8 bits of mantissa: ~1e-3 relative per operand).
  double diff = 0;
  for (int64_t i = 0; i < M * N; ++i) diff = std::max(diff, double(std::fabs(c16.data()[i] - c32.data()[i])));
  CHECK(diff > 1e-4);
}

TEST_CASE(
    "linear under a bf16 scope runs its forward and both backward products in bf16, the scope is restored") {
  Tensor xv = ln::test::random_tensor({6, 8}, 41), wv = ln::test::random_tensor({4, 8}, 42);
  Var x32(xv.clone(), true), w32(wv.clone(), true), x16(xv.clone(), true), w16(wv.clone(), true);
  Var y32 = linear(x32, w32);
  Var y16;
  {
    PrecisionScope scope(Precision::bf16);
    CHECK(matmul_precision() == Precision::bf16);
    y16 = linear(x16, w16);
  }
  CHECK(matmul_precision() == Precision::fp32);
  Tensor g = ln::test::random_tensor({6, 4}, 43);
  y32.backward(g);
  y16.backward(g);  // after the scope: the vjp still uses bf16, the precision of its forward
  auto max_diff = [](const Tensor& p, const Tensor& q) {
    double d = 0;
    for (int64_t i = 0; i < p.numel(); ++i) d = std::max(d, double(std::fabs(p.data()[i] - q.data()[i])));
    return d;
  };
  for (auto [p, q] : {std::pair{y16.value(), y32.value()}, std::pair{x16.grad(), x32.grad()},
                      std::pair{w16.grad(), w32.grad()}}) {
    CHECK(max_diff(p, q) > 1e-5);  // rounded ...
    CHECK(max_diff(p, q) < 3e-2);  // ... but only by bf16's rounding
  }
  CHECK_THROWS_AS(parse_precision("fp16"), Error);
}

TEST_CASE(
    "under bf16 linear keeps its input as the bf16 copy it multiplied: half the bytes, the same numbers") {
  const int64_t R = 64, in = 32, out = 16;
  Tensor xv = ln::test::random_tensor({R, in}, 51), wv = ln::test::random_tensor({out, in}, 52);
  Tensor g = ln::test::random_tensor({R, out}, 53);
  // The products linear must reproduce bit for bit: matmul_in converts (or rounds) the same values.
  Tensor y_ref = Tensor::empty({R, out}), dw_ref = Tensor::empty({out, in});
  matmul_in(Precision::bf16, {1, R, in, out, false, true}, xv.data(), wv.data(), nullptr, y_ref.data());
  matmul_in(Precision::bf16, {1, out, R, in, true, false}, g.data(), xv.data(), nullptr, dw_ref.data());

  for (Precision p : {Precision::fp32, Precision::bf16}) {
    CAPTURE(precision_name(p));
    Var w(wv.clone(), true);
    const uint64_t before = tensor_bytes_live();
    Var y;
    {
      PrecisionScope scope(p);
      y = linear(Var(xv.clone(), false), w);  // only the vjp's saved copy of x outlives this line
    }
    const uint64_t y_bytes = static_cast<uint64_t>(R * out) * 4;
    const uint64_t x_bytes =
        static_cast<uint64_t>(R * in) * (p == Precision::bf16 && matmul_bf16_supported() ? 2 : 4);
    CHECK(tensor_bytes_live() - before == y_bytes + x_bytes);
    y.backward(g);
    if (p == Precision::bf16) {
      for (int64_t i = 0; i < R * out; ++i) REQUIRE(y.value().data()[i] == y_ref.data()[i]);
      for (int64_t i = 0; i < out * in; ++i) REQUIRE(w.grad().data()[i] == dw_ref.data()[i]);
    }
  }
}
