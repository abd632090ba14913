#include <doctest/doctest.h>

#include <cmath>

#include "core/error.hpp"
#include "ops/softmax.hpp"
#include "support/gradcheck.hpp"

using namespace ln;

TEST_CASE("softmax over the last dim against a naive loop") {
  Tensor x = ln::test::random_tensor({2, 3, 5}, 1, -3.0f, 3.0f);
  Var y = softmax(Var(x));
  for (int64_t r = 0; r < 6; ++r) {
    double z = 0;
    for (int64_t j = 0; j < 5; ++j) z += std::exp(x.data()[r * 5 + j]);
    for (int64_t j = 0; j < 5; ++j)
      CHECK(y.value().data()[r * 5 + j] == doctest::Approx(std::exp(x.data()[r * 5 + j]) / z).epsilon(1e-5));
  }
  // Stable: huge logits do not overflow.
  Var big = softmax(Var(Tensor::from({1000.0f, 1000.0f}, {2})));
  CHECK(big.value().to_vector() == std::vector<float>{0.5f, 0.5f});
}

TEST_CASE("softmax gradient") {
  for (Shape s : {Shape{3, 7}, Shape{2, 3, 5}, Shape{4, 1}}) {
    CAPTURE(shape_str(s));
    ln::test::check_vjp([](const std::vector<Var>& v) { return softmax(v[0]); },
                        {ln::test::random_tensor(s, 2, -2.0f, 2.0f)});
  }
  CHECK_THROWS_AS(softmax(Var(Tensor::zeros({2, 0}))), ln::Error);
  CHECK_THROWS_AS(softmax(Var(Tensor::scalar(1.0f))), ln::Error);
}
