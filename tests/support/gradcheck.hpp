#pragma once
// check_vjp: the one finite-difference gradient check every op test uses.
//
// For a function f of several tensors, draws a fixed random cotangent u of f's output shape,
// runs f once with autograd and backpropagates u, then compares each input's gradient with
// central differences of the scalar  L(x) = <u, f(x)>  (accumulated in double):
//     dL/dx_i ~ (L(x + eps e_i) - L(x - eps e_i)) / (2 eps).
//
// Why these fp32 tolerances: with inputs and outputs of order 1, the central difference has
// truncation error O(eps^2 |f'''|) ~ 1e-4 for eps = 1e-2, and rounding error
// ~ 2^-24 * |L| / eps ~ 1e-5 * |L|; a wrong vjp (missing term, transposed product, wrong
// broadcast reduction) is off by O(1). rtol 1e-2 with a small atol sits between the two.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <vector>

#include "autograd/var.hpp"

namespace ln::test {

struct GradCheckOptions {
  float eps = 1e-2f;
  double rtol = 1e-2;
  double atol = 1e-3;
  int max_elements = 48;  // per input; elements are sampled evenly when there are more
  uint64_t seed = 1234;
};

inline Tensor random_tensor(const Shape& shape, uint64_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  Tensor t = Tensor::empty(shape);
  float* p = t.data();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = dist(rng);
  return t;
}

inline double dot_double(const Tensor& a, const Tensor& b) {
  const float* x = a.data();
  const float* y = b.data();
  double s = 0;
  for (int64_t i = 0; i < a.numel(); ++i) s += static_cast<double>(x[i]) * y[i];
  return s;
}

// `differentiable[i] == false` marks inputs that are not checked (indices, masks, ...).
inline void check_vjp(const std::function<Var(const std::vector<Var>&)>& f, const std::vector<Tensor>& inputs,
                      GradCheckOptions opts = {}, std::vector<bool> differentiable = {}) {
  if (differentiable.empty()) differentiable.assign(inputs.size(), true);
  std::vector<Var> vars;
  for (size_t i = 0; i < inputs.size(); ++i) vars.emplace_back(inputs[i].clone(), differentiable[i]);
  Var y = f(vars);
  Tensor u = random_tensor(y.shape(), opts.seed);
  y.backward(u);

  auto loss_at = [&](size_t which, int64_t index, float delta) {
    NoGradGuard no_grad;
    std::vector<Var> shifted;
    for (size_t i = 0; i < inputs.size(); ++i) {
      Tensor t = inputs[i].clone();
      if (i == which) t.data()[index] += delta;
      shifted.emplace_back(t, false);
    }
    return dot_double(u, f(shifted).value());
  };

  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!differentiable[i]) continue;
    const Tensor& grad = vars[i].grad();
    REQUIRE_MESSAGE(grad.defined(), "input ", i, " received no gradient");
    int64_t n = inputs[i].numel();
    int64_t step = std::max<int64_t>(1, n / opts.max_elements);
    for (int64_t e = 0; e < n; e += step) {
      double fd = (loss_at(i, e, opts.eps) - loss_at(i, e, -opts.eps)) / (2.0 * opts.eps);
      double got = grad.data()[e];
      INFO("input ", i, " element ", e, ": autograd ", got, " vs finite difference ", fd);
      CHECK(std::abs(got - fd) <= opts.atol + opts.rtol * std::abs(fd));
    }
  }
}

}  // namespace ln::test
