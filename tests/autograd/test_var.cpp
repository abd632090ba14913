#include <doctest/doctest.h>

#include "autograd/var.hpp"
#include "core/error.hpp"

using namespace ln;

namespace {
// Minimal local ops so the engine is tested without lib/ops: y = a * b and y = a + b
// elementwise, with their textbook vjps.
Var mul(const Var& a, const Var& b) {
  Tensor out = a.value().clone();
  for (int64_t i = 0; i < out.numel(); ++i) out.data()[i] *= b.value().data()[i];
  Tensor av = a.value(), bv = b.value();
  return make_result(out, {a, b}, "mul", [av, bv](const Tensor& g) {
    Tensor ga = g.clone(), gb = g.clone();
    for (int64_t i = 0; i < g.numel(); ++i) {
      ga.data()[i] *= bv.data()[i];
      gb.data()[i] *= av.data()[i];
    }
    return std::vector<Tensor>{ga, gb};
  });
}
Var add(const Var& a, const Var& b) {
  Tensor out = a.value().clone();
  out.add_(b.value());
  // Returns the same tensor for both inputs on purpose: the engine must not alias them.
  return make_result(out, {a, b}, "add", [](const Tensor& g) { return std::vector<Tensor>{g, g}; });
}
}  // namespace

TEST_CASE("a value used twice accumulates both gradients") {
  Var x(Tensor::from({3.0f}, {1}), true);
  Var y = mul(x, x);          // x^2
  Var z = add(y, x);          // x^2 + x
  Var w = add(z, mul(x, y));  // x^3 + x^2 + x
  w.backward();
  CHECK(x.grad().item() == doctest::Approx(3 * 9 + 2 * 3 + 1));
}

TEST_CASE("pass-through gradients handed to two inputs are not aliased") {
  Var a(Tensor::from({1.0f}, {1}), true);
  Var b(Tensor::from({2.0f}, {1}), true);
  Var s = add(a, b);
  Var t = add(s, a);  // a gets 1 (via s) + 1 (direct); b gets 1
  t.backward();
  CHECK(a.grad().item() == 2.0f);
  CHECK(b.grad().item() == 1.0f);
}

TEST_CASE("leaf gradients accumulate across backward calls until zero_grad") {
  Var x(Tensor::from({2.0f}, {1}), true);
  mul(x, x).backward();
  mul(x, x).backward();
  CHECK(x.grad().item() == 8.0f);
  x.zero_grad();
  CHECK_FALSE(x.grad().defined());
}

TEST_CASE("no_grad records nothing and backward through it is refused") {
  Var x(Tensor::from({2.0f}, {1}), true);
  Var y;
  {
    NoGradGuard guard;
    CHECK_FALSE(grad_enabled());
    y = mul(x, x);
  }
  CHECK(grad_enabled());
  CHECK_FALSE(y.requires_grad());
  CHECK_THROWS_AS(y.backward(), Error);
}

TEST_CASE("saved tensors are freed once used, and a second backward is refused") {
  Var x(Tensor::from({2.0f}, {1}), true);
  Var y = mul(x, x);
  // x's buffer is held by x and twice by the vjp closure (it saved both operands).
  CHECK(x.value().storage_refs() == 3);
  y.backward();
  CHECK(x.value().storage_refs() == 1);
  CHECK_FALSE(y.impl()->node->vjp);
  CHECK_THROWS_AS(y.backward(), Error);
}

TEST_CASE("a chain of 100000 nodes backpropagates and is destroyed without recursion") {
  Var x(Tensor::from({1.0f}, {1}), true);
  Var one(Tensor::from({1.0f}, {1}), false);
  {
    Var y = x;
    for (int i = 0; i < 100000; ++i) y = add(y, one);
    CHECK(y.value().item() == 100001.0f);
    y.backward();
    CHECK(x.grad().item() == 1.0f);
  }
  {
    Var y = x;  // destroyed without a backward pass
    for (int i = 0; i < 200000; ++i) y = mul(y, one);
  }
  CHECK(x.value().item() == 1.0f);
}

TEST_CASE("backward checks its seed") {
  Var x(Tensor::from({1.0f, 2.0f}, {2}), true);
  Var y = mul(x, x);
  CHECK_THROWS_AS(y.backward(), Error);  // not a scalar
  CHECK_THROWS_AS(y.backward(Tensor::zeros({3})), Error);
  y.backward(Tensor::from({1.0f, 1.0f}, {2}));
  CHECK(x.grad().to_vector() == std::vector<float>{2.0f, 4.0f});
}
