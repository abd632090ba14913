// matmul and linear: forward against naive loops written here (independent of both the
// oneDNN kernel and its reference twin), every input's vjp against finite differences,
// and the errors' wording.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "core/error.hpp"
#include "ops/linear.hpp"
#include "support/gradcheck.hpp"

using namespace ln;
using ln::test::check_vjp;
using ln::test::random_tensor;

namespace {

// y[i] = a[i] · b[i] (or · b when b is 2-D), with plain loops.
Tensor naive_matmul(const Tensor& a, const Tensor& b) {
  int64_t m = a.dim(-2), k = a.dim(-1), n = b.dim(-1);
  int64_t batch = a.numel() / (m * k);
  bool shared = b.ndim() == 2;
  Shape out = a.shape();
  out.back() = n;
  Tensor y = Tensor::zeros(out);
  for (int64_t t = 0; t < batch; ++t)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double s = 0;
        for (int64_t p = 0; p < k; ++p)
          s += double(a.at(t * m * k + i * k + p)) * b.at((shared ? 0 : t * k * n) + p * n + j);
        y.at(t * m * n + i * n + j) = float(s);
      }
  return y;
}

// y[r][o] = Σ_i x[r][i] w[o][i] + bias[o].
Tensor naive_linear(const Tensor& x, const Tensor& w, const Tensor* bias) {
  int64_t in = w.dim(1), out = w.dim(0), rows = x.numel() / in;
  Shape shape = x.shape();
  shape.back() = out;
  Tensor y = Tensor::zeros(shape);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t o = 0; o < out; ++o) {
      double s = bias ? bias->at(o) : 0.0;
      for (int64_t i = 0; i < in; ++i) s += double(x.at(r * in + i)) * w.at(o * in + i);
      y.at(r * out + o) = float(s);
    }
  return y;
}

void check_within_abs(const Tensor& got, const Tensor& want, double tol = 1e-4) {
  REQUIRE(got.shape() == want.shape());
  int bad = 0;
  for (int64_t i = 0; i < got.numel(); ++i)
    if (std::abs(got.at(i) - want.at(i)) > tol && bad++ < 3) {
      INFO("element ", i, ": ", got.at(i), " vs naive ", want.at(i));
      CHECK(std::abs(got.at(i) - want.at(i)) <= tol);
    }
  CHECK(bad == 0);
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.message();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("matmul forward matches naive loops") {
  struct Case {
    Shape a, b;
  };
  for (const Case& c : {Case{{3, 5}, {5, 7}}, Case{{1, 1}, {1, 1}}, Case{{2, 3, 17, 9}, {2, 3, 9, 5}},
                        Case{{4, 6, 11}, {11, 3}}, Case{{2, 1, 33}, {2, 33, 1}}}) {
    Tensor a = random_tensor(c.a, 1), b = random_tensor(c.b, 2);
    NoGradGuard no_grad;
    Var y = matmul(Var(a), Var(b));
    check_within_abs(y.value(), naive_matmul(a, b));
  }
}

TEST_CASE("linear forward matches naive loops, with and without bias") {
  for (const Shape& xs : {Shape{7}, Shape{5, 7}, Shape{2, 3, 7}, Shape{1, 1, 1, 7}}) {
    Tensor x = random_tensor(xs, 3), w = random_tensor({13, 7}, 4), b = random_tensor({13}, 5);
    check_within_abs(linear(Var(x), Var(w), Var(b)).value(), naive_linear(x, w, &b));
    check_within_abs(linear(Var(x), Var(w)).value(), naive_linear(x, w, nullptr));
  }
  // No rows at all: an empty result of the right shape.
  Var y = linear(Var(Tensor::zeros({0, 7})), Var(random_tensor({3, 7}, 6)));
  CHECK(y.shape() == Shape{0, 3});
}

TEST_CASE("matmul vjp: batched operands") {
  check_vjp([](const std::vector<Var>& v) { return matmul(v[0], v[1]); },
            {random_tensor({2, 3, 5, 7}, 11), random_tensor({2, 3, 7, 4}, 12)});
}

TEST_CASE("matmul vjp: 2-D b shared by the batch (its gradient sums over the batch)") {
  check_vjp([](const std::vector<Var>& v) { return matmul(v[0], v[1]); },
            {random_tensor({3, 5, 9}, 13), random_tensor({9, 6}, 14)});
  check_vjp([](const std::vector<Var>& v) { return matmul(v[0], v[1]); },
            {random_tensor({1, 1}, 15), random_tensor({1, 17}, 16)});
}

TEST_CASE("matmul vjp: only one input differentiable") {
  auto f = [](const std::vector<Var>& v) { return matmul(v[0], v[1]); };
  check_vjp(f, {random_tensor({2, 4, 3}, 17), random_tensor({3, 5}, 18)}, {}, {false, true});
  check_vjp(f, {random_tensor({2, 4, 3}, 19), random_tensor({2, 3, 5}, 20)}, {}, {true, false});
}

TEST_CASE("linear vjp: x, weight and bias") {
  check_vjp([](const std::vector<Var>& v) { return linear(v[0], v[1], v[2]); },
            {random_tensor({2, 5, 11}, 21), random_tensor({7, 11}, 22), random_tensor({7}, 23)});
  check_vjp([](const std::vector<Var>& v) { return linear(v[0], v[1], v[2]); },
            {random_tensor({1, 1}, 24), random_tensor({1, 1}, 25), random_tensor({1}, 26)});
}

TEST_CASE("linear vjp: without bias, and with x not differentiable") {
  check_vjp([](const std::vector<Var>& v) { return linear(v[0], v[1]); },
            {random_tensor({3, 17}, 27), random_tensor({19, 17}, 28)});
  check_vjp([](const std::vector<Var>& v) { return linear(v[0], v[1], v[2]); },
            {random_tensor({4, 3, 6}, 29), random_tensor({5, 6}, 30), random_tensor({5}, 31)}, {},
            {false, true, true});
}

TEST_CASE("matmul and linear errors name the op and both shapes") {
  Var a(random_tensor({2, 3, 4}, 1)), b(random_tensor({5, 6}, 2));
  std::string e = error_of([&] { matmul(a, b); });
  CHECK(e.find("[matmul]") != std::string::npos);
  CHECK(e.find("(2, 3, 4)") != std::string::npos);
  CHECK(e.find("(5, 6)") != std::string::npos);

  e = error_of([&] { matmul(a, Var(random_tensor({3, 4, 2}, 3))); });
  CHECK(e.find("batch dims") != std::string::npos);
  CHECK(e.find("(3, 4, 2)") != std::string::npos);

  e = error_of([&] { matmul(Var(random_tensor({4}, 4)), b); });
  CHECK(e.find("[matmul]") != std::string::npos);

  Var x(random_tensor({2, 8}, 5)), w(random_tensor({3, 7}, 6));
  e = error_of([&] { linear(x, w); });
  CHECK(e.find("[linear]") != std::string::npos);
  CHECK(e.find("(2, 8)") != std::string::npos);
  CHECK(e.find("(3, 7)") != std::string::npos);

  e = error_of([&] { linear(Var(random_tensor({2, 7}, 7)), w, Var(random_tensor({4}, 8))); });
  CHECK(e.find("[linear] bias (4,)") != std::string::npos);

  e = error_of([&] { linear(Var(random_tensor({2, 7}, 7).to(Precision::bf16)), w); });
  CHECK(e.find("bf16") != std::string::npos);
}
