#include <doctest/doctest.h>

#include <cmath>

#include "core/error.hpp"
#include "ops/gelu.hpp"
#include "support/gradcheck.hpp"

using namespace ln;

TEST_CASE("gelu is exact-erf GELU (PyTorch F.gelu default)") {
  Tensor x = ln::test::random_tensor({3, 17}, 1, -5.0f, 5.0f);
  Var y = gelu(Var(x));
  for (int64_t i = 0; i < x.numel(); ++i) {
    double v = x.data()[i];
    CHECK(y.value().data()[i] == doctest::Approx(0.5 * v * (1 + std::erf(v / std::sqrt(2.0)))).epsilon(1e-5));
  }
  // Not the tanh approximation: at x = 1 they differ by ~1.6e-4.
  CHECK(std::abs(gelu(Var(Tensor::from({1.0f}, {1}))).value().item() - 0.8413447f) < 2e-6f);
}

TEST_CASE("gelu gives the same values with and without grad (the grad path also makes dy/dx)") {
  Tensor x = ln::test::random_tensor({4, 33}, 3, -6.0f, 6.0f);
  Var with_grad = gelu(Var(x, true));
  Tensor without;
  {
    NoGradGuard no_grad;
    without = gelu(Var(x, true)).value();
  }
  for (int64_t i = 0; i < x.numel(); ++i) CHECK(with_grad.value().data()[i] == without.data()[i]);
}

TEST_CASE("gelu gradient") {
  for (Shape s : {Shape{7}, Shape{3, 5}, Shape{1}}) {
    CAPTURE(shape_str(s));
    ln::test::check_vjp([](const std::vector<Var>& v) { return gelu(v[0]); },
                        {ln::test::random_tensor(s, 2, -3.0f, 3.0f)});
  }
  CHECK_THROWS_AS(gelu(Var()), ln::Error);
}
