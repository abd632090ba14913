#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "ops/elementwise.hpp"
#include "ops/linear_heads.hpp"
#include "ops/linear_qkv.hpp"
#include "ops/precision.hpp"
#include "support/gradcheck.hpp"

using namespace ln;

namespace {

// Tolerance for two fp32 (or bf16-operand, fp32-accumulated) GEMMs that differ only in how
// oneDNN blocks and orders the sums (N = 3C vs C; K = 3C in one dx GEMM vs three K = C GEMMs
// summed afterwards). With operands in [-1, 1] and K <= 48 the reordering error is at most
// K * 2^-24 * sum|terms| <= 48 * 6e-8 * 48 ~ 1.4e-4 in the worst case and ~1e-6 in practice; a
// wrong gradient (a slot mixed up, a missing bias, a rotation not undone) is off by O(0.1).
constexpr double kAtol = 1e-4, kRtol = 1e-5;

void check_close(const Tensor& got, const Tensor& want, const char* what) {
  CAPTURE(what);
  REQUIRE(got.shape() == want.shape());
  const std::vector<float> g = got.to_vector(), w = want.to_vector();
  double worst = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    const double err = std::fabs(double(g[i]) - w[i]) - kRtol * std::fabs(double(w[i]));
    worst = std::max(worst, err);
  }
  CHECK(worst <= kAtol);
}

struct Case {
  int64_t B, T, C, H;
  bool rotate, bias;
  Precision precision;
};

// The reference is what SelfAttention ran before: three separate linear_heads ops.
void check_against_linear_heads(const Case& c) {
  CAPTURE(c.B);
  CAPTURE(c.T);
  CAPTURE(c.rotate);
  CAPTURE(c.bias);
  CAPTURE(precision_name(c.precision));
  PrecisionScope scope(c.precision);
  const int64_t D = c.C / c.H, pos0 = 3;
  const Tensor xv = ln::test::random_tensor({c.B, c.T, c.C}, 1);
  std::vector<Tensor> wv, bv, gv;
  for (int s = 0; s < 3; ++s) {
    wv.push_back(ln::test::random_tensor({c.C, c.C}, 10 + s));
    bv.push_back(ln::test::random_tensor({c.C}, 20 + s));
    gv.push_back(ln::test::random_tensor({c.B, c.H, c.T, D}, 30 + s));
  }
  auto params = [&](std::vector<Var>& w, std::vector<Var>& b) {
    for (int s = 0; s < 3; ++s) {
      w.emplace_back(wv[s].clone(), true);
      b.push_back(c.bias ? Var(bv[s].clone(), true) : Var());
    }
  };
  Var x1(xv.clone(), true), x2(xv.clone(), true);
  std::vector<Var> w1, b1, w2, b2;
  params(w1, b1);
  params(w2, b2);
  std::vector<Var> want;
  for (int s = 0; s < 3; ++s) want.push_back(linear_heads(x1, w1[s], b1[s], c.H, c.rotate && s < 2, pos0));
  QkvHeads got = linear_qkv(x2, w2[0], w2[1], w2[2], b2[0], b2[1], b2[2], c.H, c.rotate, pos0);
  check_close(got.q.value(), want[0].value(), "q");
  check_close(got.k.value(), want[1].value(), "k");
  check_close(got.v.value(), want[2].value(), "v");
  // One scalar loss through all three outputs: <gq, q> + <gk, k> + <gv, v>.
  auto loss = [&](const Var& q, const Var& k, const Var& v) {
    return add(add(mul(q, Var(gv[0])), mul(k, Var(gv[1]))), mul(v, Var(gv[2])));
  };
  loss(want[0], want[1], want[2]).backward(Tensor::full({c.B, c.H, c.T, D}, 1.0f));
  loss(got.q, got.k, got.v).backward(Tensor::full({c.B, c.H, c.T, D}, 1.0f));
  check_close(x2.grad(), x1.grad(), "dx");
  for (int s = 0; s < 3; ++s) {
    CAPTURE(s);
    check_close(w2[s].grad(), w1[s].grad(), "dweight");
    if (c.bias) check_close(b2[s].grad(), b1[s].grad(), "dbias");
  }
}

}  // namespace

TEST_CASE("linear_qkv equals three linear_heads in value and every gradient (fp32 and bf16)") {
  for (Precision p : {Precision::fp32, Precision::bf16})
    for (bool rotate : {false, true})
      for (bool bias : {true, false}) {
        check_against_linear_heads({2, 7, 16, 4, rotate, bias, p});  // ragged T: not a tile multiple
        check_against_linear_heads({1, 19, 24, 3, rotate, bias, p});
      }
}

TEST_CASE("linear_qkv gradients match central finite differences, through each output and all three") {
  const int64_t B = 2, T = 5, C = 8, H = 2;
  std::vector<Tensor> inputs{ln::test::random_tensor({B, T, C}, 41)};
  for (int s = 0; s < 3; ++s) inputs.push_back(ln::test::random_tensor({C, C}, 42 + s));
  for (int s = 0; s < 3; ++s) inputs.push_back(ln::test::random_tensor({C}, 45 + s));
  auto project = [&](const std::vector<Var>& in) {
    return linear_qkv(in[0], in[1], in[2], in[3], in[4], in[5], in[6], H, true, 2);
  };
  // Each output alone: the other two thirds of the fused gradient are zero.
  ln::test::check_vjp([&](const std::vector<Var>& in) { return project(in).q; }, inputs);
  ln::test::check_vjp([&](const std::vector<Var>& in) { return project(in).k; }, inputs);
  ln::test::check_vjp([&](const std::vector<Var>& in) { return project(in).v; }, inputs);
  // All three into one value: every input's gradient sums three paths.
  ln::test::check_vjp(
      [&](const std::vector<Var>& in) {
        QkvHeads o = project(in);
        return add(mul(o.q, o.k), scale(o.v, 3.0f));
      },
      inputs);
}

TEST_CASE("linear_qkv with one output unused gives zero gradients to that projection's weights") {
  const int64_t B = 1, T = 4, C = 6, H = 2;
  Var x(ln::test::random_tensor({B, T, C}, 51), true);
  std::vector<Var> w, b;
  for (int s = 0; s < 3; ++s) {
    w.emplace_back(ln::test::random_tensor({C, C}, 52 + s), true);
    b.emplace_back(ln::test::random_tensor({C}, 55 + s), true);
  }
  Var q_only;
  {
    QkvHeads o = linear_qkv(x, w[0], w[1], w[2], b[0], b[1], b[2], H);
    q_only = o.q;  // k and v dropped before backward
  }
  q_only.backward(ln::test::random_tensor(q_only.shape(), 58));
  for (int s = 1; s < 3; ++s) {
    for (float g : w[s].grad().to_vector()) CHECK(g == 0.0f);
    for (float g : b[s].grad().to_vector()) CHECK(g == 0.0f);
  }
  bool any = false;
  for (float g : w[0].grad().to_vector()) any = any || g != 0.0f;
  CHECK(any);
}

TEST_CASE("linear_qkv refuses bad shapes with located errors") {
  Var x(Tensor::zeros({1, 3, 6})), w(Tensor::zeros({6, 6})), b(Tensor::zeros({6}));
  CHECK_THROWS_WITH_AS(linear_qkv(x, w, w, w, b, b, b, 4), doctest::Contains("do not split into 4 heads"),
                       Error);
  CHECK_THROWS_WITH_AS(linear_qkv(x, w, w, w, b, Var(), b, 2), doctest::Contains("all three biases or none"),
                       Error);
  Var narrow(Tensor::zeros({4, 6}));
  CHECK_THROWS_WITH_AS(linear_qkv(x, w, narrow, w, b, b, b, 2), doctest::Contains("weight k"), Error);
  CHECK_THROWS_WITH_AS(linear_qkv(x, w, w, w, b, b, b, 2, true), doctest::Contains("even head dim"), Error);
}
