#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "kernel_check.hpp"
#include "kernels/gelu.hpp"
#include "kernels/reference/gelu.hpp"
#include "kernels/vec_math.hpp"

using namespace ln;
using ln::test::all_close;

TEST_CASE("vmath::exp is accurate to a few ulps and underflows to exactly 0") {
  double worst = 0;
  for (float x = -87.0f; x <= 88.0f; x += 0.01731f) {
    double ref = std::exp(static_cast<double>(x));
    worst = std::max(worst, std::abs(vmath::exp(x) - ref) / ref);
  }
  CHECK(worst < 5e-7);
  CHECK(vmath::exp(0.0f) == doctest::Approx(1.0f).epsilon(1e-7));
  CHECK(vmath::exp(-std::numeric_limits<float>::infinity()) == 0.0f);
  CHECK(vmath::exp(-200.0f) == 0.0f);
  CHECK(vmath::exp(-95.0f) > 0.0f);  // gradual underflow, not a cliff at -87
  CHECK(vmath::exp(-95.0f) == doctest::Approx(std::exp(-95.0)).epsilon(1e-2));
  CHECK(std::isfinite(vmath::exp(1000.0f)));
}

TEST_CASE("vmath::erf is within 4e-7 of std::erf") {
  double worst = 0;
  for (float x = -6.0f; x <= 6.0f; x += 0.00917f)
    worst = std::max(worst, std::abs(vmath::erf(x) - std::erf(static_cast<double>(x))));
  CHECK(worst < 4e-7);
  CHECK(vmath::erf(0.0f) == doctest::Approx(0.0f));
  CHECK(vmath::erf(-30.0f) == -1.0f);
}

TEST_CASE("gelu kernel matches the erf reference at awkward lengths") {
  for (int64_t n : {1, 7, 17, 100, 4097, 40001}) {
    CAPTURE(n);
    auto x = ln::test::random_vec(n, 31, -8.0f, 8.0f);
    auto dy = ln::test::random_vec(n, 32);
    std::vector<float> y(n), ry(n), dx(n), rdx(n);
    gelu_forward(x.data(), n, y.data());
    reference::gelu_forward(x.data(), n, ry.data());
    CHECK(all_close(y, ry, 2e-6, 1e-6));
    gelu_backward(x.data(), dy.data(), n, dx.data());
    reference::gelu_backward(x.data(), dy.data(), n, rdx.data());
    CHECK(all_close(dx, rdx, 2e-6, 1e-6));
  }
}

TEST_CASE("gelu forward with derivative: y is gelu_forward's, bit for bit; dy * dydx is the backward") {
  for (int64_t n : {1, 7, 17, 100, 4097, 40001}) {
    CAPTURE(n);
    auto x = ln::test::random_vec(n, 33, -8.0f, 8.0f);
    auto dy = ln::test::random_vec(n, 34);
    std::vector<float> y(n), fy(n), dydx(n), dx(n), rdx(n), ones(n, 1.0f), rd(n);
    gelu_forward_with_derivative(x.data(), n, y.data(), dydx.data());
    gelu_forward(x.data(), n, fy.data());
    CHECK(y == fy);  // the training forward and eval's forward give the same floats
    // The derivative itself, against the double reference's dy/dx (its backward with dy = 1).
    reference::gelu_backward(x.data(), ones.data(), n, rd.data());
    CHECK(all_close(dydx, rd, 2e-6, 1e-6));
    gelu_backward_with_derivative(dydx.data(), dy.data(), n, dx.data());
    reference::gelu_backward(x.data(), dy.data(), n, rdx.data());
    CHECK(all_close(dx, rdx, 2e-6, 1e-6));
  }
  // dx may alias dy.
  std::vector<float> d = {0.5f, 2.0f}, g = {3.0f, -1.0f};
  gelu_backward_with_derivative(d.data(), g.data(), 2, g.data());
  CHECK(g == std::vector<float>{1.5f, -2.0f});
}

TEST_CASE("gelu hand-computed values and tails") {
  std::vector<float> x = {0.0f, 1.0f, -1.0f, 30.0f, -30.0f};
  std::vector<float> y(x.size());
  gelu_forward(x.data(), 5, y.data());
  CHECK(y[0] == 0.0f);
  CHECK(y[1] == doctest::Approx(0.8413447460685429).epsilon(1e-6));    // 1 * Phi(1)
  CHECK(y[2] == doctest::Approx(-0.15865525393145707).epsilon(1e-5));  // -1 * Phi(-1)
  CHECK(y[3] == 30.0f);
  CHECK(std::abs(y[4]) < 1e-6f);
}
