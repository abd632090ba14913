#include <doctest/doctest.h>

#include <cmath>

#include "core/error.hpp"
#include "ops/layer_norm.hpp"
#include "support/gradcheck.hpp"

using namespace ln;
using ln::test::check_vjp;
using ln::test::random_tensor;

TEST_CASE("layer_norm forward against a naive double loop") {
  const int64_t n = 6, c = 5;
  Tensor x = random_tensor({2, 3, c}, 1, -3.0f, 4.0f);
  Tensor w = random_tensor({c}, 2), b = random_tensor({c}, 3);
  Var y = layer_norm(Var(x), Var(w), Var(b), 1e-5f);
  Var y_nobias = layer_norm(Var(x), Var(w), Var());
  CHECK(y.shape() == x.shape());
  for (int64_t i = 0; i < n; ++i) {
    double m = 0, v = 0;
    for (int64_t j = 0; j < c; ++j) m += x.data()[i * c + j];
    m /= c;
    for (int64_t j = 0; j < c; ++j) v += std::pow(x.data()[i * c + j] - m, 2);
    v /= c;
    for (int64_t j = 0; j < c; ++j) {
      double want = (x.data()[i * c + j] - m) / std::sqrt(v + 1e-5) * w.data()[j];
      CHECK(y_nobias.value().data()[i * c + j] == doctest::Approx(want).epsilon(1e-5));
      CHECK(y.value().data()[i * c + j] == doctest::Approx(want + b.data()[j]).epsilon(1e-5));
    }
  }
}

TEST_CASE("layer_norm gradients for x, weight and bias") {
  for (Shape s : {Shape{3, 7}, Shape{2, 3, 16}, Shape{1, 2}, Shape{5, 33}}) {
    CAPTURE(shape_str(s));
    int64_t c = s.back();
    check_vjp([](const std::vector<Var>& v) { return layer_norm(v[0], v[1], v[2]); },
              {random_tensor(s, 4, -2.0f, 2.0f), random_tensor({c}, 5, 0.5f, 1.5f), random_tensor({c}, 6)});
    check_vjp([](const std::vector<Var>& v) { return layer_norm(v[0], v[1], Var()); },
              {random_tensor(s, 7, -2.0f, 2.0f), random_tensor({c}, 8, 0.5f, 1.5f)});
  }
  // Only x needs a gradient (frozen parameters).
  check_vjp([](const std::vector<Var>& v) { return layer_norm(v[0], v[1], v[2]); },
            {random_tensor({4, 6}, 9), random_tensor({6}, 10), random_tensor({6}, 11)}, {},
            {true, false, false});
}

TEST_CASE("rms_norm forward and gradients") {
  Tensor x = random_tensor({3, 4}, 12, -2.0f, 2.0f), w = random_tensor({4}, 13);
  Var y = rms_norm(Var(x), Var(w), 1e-6f);
  for (int64_t i = 0; i < 3; ++i) {
    double ms = 0;
    for (int64_t j = 0; j < 4; ++j) ms += std::pow(x.data()[i * 4 + j], 2) / 4;
    for (int64_t j = 0; j < 4; ++j)
      CHECK(y.value().data()[i * 4 + j] ==
            doctest::Approx(x.data()[i * 4 + j] / std::sqrt(ms + 1e-6) * w.data()[j]).epsilon(1e-5));
  }
  for (Shape s : {Shape{3, 7}, Shape{2, 2, 17}}) {
    CAPTURE(shape_str(s));
    check_vjp([](const std::vector<Var>& v) { return rms_norm(v[0], v[1]); },
              {random_tensor(s, 14, -2.0f, 2.0f), random_tensor({s.back()}, 15, 0.5f, 1.5f)});
  }
}

TEST_CASE("norm errors") {
  Var x(Tensor::zeros({2, 4}));
  CHECK_THROWS_AS(layer_norm(x, Var(Tensor::zeros({3})), Var()), ln::Error);
  CHECK_THROWS_AS(layer_norm(x, Var(Tensor::zeros({4})), Var(Tensor::zeros({2}))), ln::Error);
  CHECK_THROWS_AS(layer_norm(x, Var(), Var()), ln::Error);
  CHECK_THROWS_AS(layer_norm(x, Var(Tensor::zeros({4})), Var(), 0.0f), ln::Error);
  CHECK_THROWS_AS(rms_norm(x, Var(Tensor::zeros({4, 1}))), ln::Error);
  try {
    rms_norm(x, Var(Tensor::zeros({5})));
    FAIL("no throw");
  } catch (const ln::Error& e) {
    CHECK(std::string(e.what()).find("[rms_norm]") != std::string::npos);
  }
}
