#include <doctest/doctest.h>

#include "core/error.hpp"
#include "ops/elementwise.hpp"
#include "support/gradcheck.hpp"

using namespace ln;
using ln::test::check_vjp;
using ln::test::random_tensor;

namespace {
struct Pair {
  Shape a, b;
};
// Same shapes, bias-like, middle and leading broadcasts, outer products, scalars, odd sizes.
const Pair kPairs[] = {{{3, 4}, {3, 4}}, {{3, 4}, {4}},    {{2, 3, 4}, {3, 1}}, {{1}, {2, 3}},
                       {{}, {3, 5}},     {{5, 1}, {1, 7}}, {{4, 1, 3}, {2, 1}}, {{2, 1, 5, 1}, {3, 1, 2}},
                       {{17}, {17}}};

// out[i] for a flat output index under numpy broadcasting, computed the slow way.
float naive_at(const Tensor& t, const Shape& out, int64_t flat) {
  int64_t off = 0, stride = 1;
  const Shape& s = t.shape();
  for (int k = 0; k < static_cast<int>(out.size()); ++k) {
    int o = static_cast<int>(out.size()) - 1 - k;
    int64_t idx = flat % out[o];
    flat /= out[o];
    if (k < static_cast<int>(s.size())) {
      int64_t dim = s[s.size() - 1 - k];
      off += (dim == 1 ? 0 : idx) * stride;
      stride *= dim;
    }
  }
  return t.data()[off];
}
}  // namespace

TEST_CASE("add, sub, mul broadcast like numpy (forward against naive indexing)") {
  for (const Pair& p : kPairs) {
    CAPTURE(shape_str(p.a));
    CAPTURE(shape_str(p.b));
    Var a(random_tensor(p.a, 1)), b(random_tensor(p.b, 2));
    Var s = add(a, b), d = sub(a, b), m = mul(a, b);
    const Shape& out = s.shape();
    for (int64_t i = 0; i < s.numel(); ++i) {
      float x = naive_at(a.value(), out, i), y = naive_at(b.value(), out, i);
      CHECK(s.value().data()[i] == x + y);
      CHECK(d.value().data()[i] == x - y);
      CHECK(m.value().data()[i] == x * y);
    }
  }
  CHECK(add(Var(Tensor::zeros({2, 1, 5})), Var(Tensor::zeros({3, 1}))).shape() == Shape{2, 3, 5});
}

TEST_CASE("add, sub, mul gradients sum over broadcast dims") {
  for (const Pair& p : kPairs) {
    CAPTURE(shape_str(p.a));
    CAPTURE(shape_str(p.b));
    std::vector<Tensor> in = {random_tensor(p.a, 3), random_tensor(p.b, 4)};
    check_vjp([](const std::vector<Var>& v) { return add(v[0], v[1]); }, in);
    check_vjp([](const std::vector<Var>& v) { return sub(v[0], v[1]); }, in);
    check_vjp([](const std::vector<Var>& v) { return mul(v[0], v[1]); }, in);
    // Only one side differentiable: the other gets no gradient and is not saved.
    check_vjp([](const std::vector<Var>& v) { return mul(v[0], v[1]); }, in, {}, {true, false});
  }
}

TEST_CASE("a value used on both sides of mul gets both contributions") {
  Var x(Tensor::from({3.0f, -2.0f}, {2}), true);
  mul(x, x).backward(Tensor::from({1.0f, 1.0f}, {2}));
  CHECK(x.grad().to_vector() == std::vector<float>{6.0f, -4.0f});
}

TEST_CASE("scale and add_scalar") {
  Var x(Tensor::from({1.0f, -2.0f, 0.5f}, {3}));
  CHECK(scale(x, -3.0f).value().to_vector() == std::vector<float>{-3.0f, 6.0f, -1.5f});
  CHECK(add_scalar(x, 2.0f).value().to_vector() == std::vector<float>{3.0f, 0.0f, 2.5f});
  check_vjp([](const std::vector<Var>& v) { return scale(v[0], 2.5f); }, {random_tensor({3, 5}, 5)});
  check_vjp([](const std::vector<Var>& v) { return add_scalar(v[0], -1.0f); }, {random_tensor({7}, 6)});
}

TEST_CASE("elementwise errors name the op") {
  Var a(Tensor::zeros({3, 4})), b(Tensor::zeros({5}));
  CHECK_THROWS_AS(add(a, b), ln::Error);
  CHECK_THROWS_AS(sub(a, Var(Tensor::zeros({2, 4}))), ln::Error);
  CHECK_THROWS_AS(mul(a, Var()), ln::Error);
  CHECK_THROWS_AS(add(a, Var(Tensor::zeros({4}, Precision::bf16))), ln::Error);
  CHECK_THROWS_AS(scale(Var(), 1.0f), ln::Error);
  try {
    mul(a, b);
    FAIL("no throw");
  } catch (const ln::Error& e) {
    CHECK(std::string(e.what()).find("[mul]") != std::string::npos);
  }
}
