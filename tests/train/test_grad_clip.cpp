#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "core/threading.hpp"
#include "train/grad_clip.hpp"

using namespace ln;

namespace {

Var param_with_grad(int64_t n, uint64_t seed, float scale = 1.0f) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> g(static_cast<size_t>(n));
  for (float& x : g) x = dist(rng);
  Var p(Tensor::zeros({n}), true);
  p.grad() = Tensor::from(g, {n});
  return p;
}

// Naive reference: one double accumulator over everything.
double naive_norm(const std::vector<Var>& ps) {
  double s = 0;
  for (const Var& p : ps) {
    if (!p.grad().defined()) continue;
    for (float x : p.grad().to_vector()) s += double(x) * x;
  }
  return std::sqrt(s);
}

}  // namespace

TEST_CASE("global_grad_norm equals a naive double sum and skips params without grads") {
  std::vector<Var> ps = {param_with_grad(1, 1), param_with_grad(13, 2), param_with_grad(200001, 3, 0.01f)};
  ps.push_back(Var(Tensor::zeros({5}), true));  // no gradient
  const double ref = naive_norm(ps);
  CHECK(global_grad_norm(ps) == doctest::Approx(ref).epsilon(1e-12));
  // Hand-computed: grads (3, 4) -> 5.
  Var a(Tensor::zeros({2}), true);
  a.grad() = Tensor::from({3.0f, -4.0f}, {2});
  CHECK(global_grad_norm({a}) == 5.0);
  CHECK(global_grad_norm({}) == 0.0);
}

TEST_CASE("global_grad_norm is bit-identical across thread counts") {
  std::vector<Var> ps = {param_with_grad(300007, 4), param_with_grad(77, 5)};
  set_threads(1);
  const double one = global_grad_norm(ps);
  set_threads(2);
  const double two = global_grad_norm(ps);
  set_threads(0);
  CHECK(one == two);
}

TEST_CASE("clip_grad_norm scales to max_norm only when above it") {
  Var a(Tensor::zeros({2}), true), b(Tensor::zeros({1}), true);
  a.grad() = Tensor::from({3.0f, 0.0f}, {2});
  b.grad() = Tensor::from({4.0f}, {1});
  // Norm 5 > 1: every grad is scaled by 1 / (5 + 1e-6).
  CHECK(clip_grad_norm({a, b}, 1.0) == 5.0);
  CHECK(a.grad().at(0) == doctest::Approx(3.0 / 5.000001).epsilon(1e-7));
  CHECK(b.grad().at(0) == doctest::Approx(4.0 / 5.000001).epsilon(1e-7));
  CHECK(global_grad_norm({a, b}) == doctest::Approx(1.0).epsilon(1e-6));
  // Below the limit: untouched, bit for bit.
  const auto before = a.grad().to_vector();
  CHECK(clip_grad_norm({a, b}, 10.0) == doctest::Approx(1.0).epsilon(1e-6));
  CHECK(a.grad().to_vector() == before);
  // max_norm <= 0: no clipping at all.
  a.grad() = Tensor::from({30.0f, 40.0f}, {2});
  CHECK(clip_grad_norm({a}, 0.0) == 50.0);
  CHECK(a.grad().at(1) == 40.0f);
  CHECK(clip_grad_norm({a}, -1.0) == 50.0);
  CHECK(a.grad().at(1) == 40.0f);
}

TEST_CASE("non-finite gradients are reported and left untouched") {
  Var big = param_with_grad(100000, 6);
  Var a(Tensor::zeros({3}), true);
  a.grad() = Tensor::from({1.0f, 2.0f, 3.0f}, {3});
  CHECK(all_finite({big, a}));
  big.grad().at(77777) = std::numeric_limits<float>::quiet_NaN();
  CHECK_FALSE(all_finite({big, a}));
  CHECK(std::isnan(clip_grad_norm({big, a}, 1.0)));
  CHECK(a.grad().at(2) == 3.0f);
  big.grad().at(77777) = std::numeric_limits<float>::infinity();
  CHECK_FALSE(all_finite({a, big}));
  CHECK(std::isinf(global_grad_norm({a, big})));
  big.grad().at(77777) = -std::numeric_limits<float>::infinity();
  CHECK_FALSE(all_finite(big.grad()));
  big.grad().at(77777) = 0.0f;
  CHECK(all_finite(big.grad()));
  CHECK(all_finite(Tensor()));
}

TEST_CASE("scale_grads multiplies every defined gradient") {
  Var a(Tensor::zeros({2}), true), none(Tensor::zeros({2}), true);
  a.grad() = Tensor::from({2.0f, -6.0f}, {2});
  scale_grads({a, none}, 0.25);
  CHECK(a.grad().to_vector() == std::vector<float>{0.5f, -1.5f});
  CHECK_FALSE(none.grad().defined());
}
