#include <doctest/doctest.h>

#include <cmath>

#include "core/error.hpp"
#include "ops/cross_entropy.hpp"
#include "support/gradcheck.hpp"

using namespace ln;

namespace {
double naive_loss(const Tensor& logits, const std::vector<int32_t>& t, int32_t ignore) {
  int64_t v = logits.dim(-1), n = logits.numel() / v;
  double total = 0;
  int64_t count = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (t[i] == ignore) continue;
    double z = 0;
    for (int64_t j = 0; j < v; ++j) z += std::exp(static_cast<double>(logits.data()[i * v + j]));
    total += std::log(z) - logits.data()[i * v + t[i]];
    ++count;
  }
  return count ? total / count : 0.0;
}
}  // namespace

TEST_CASE("cross_entropy is the mean NLL over counted rows") {
  Tensor logits = ln::test::random_tensor({5, 7}, 1, -3.0f, 3.0f);
  std::vector<int32_t> t = {0, 6, -1, 3, 3};
  Var loss = cross_entropy(Var(logits), t);
  CHECK(loss.shape() == Shape{});
  CHECK(loss.value().item() == doctest::Approx(naive_loss(logits, t, -1)).epsilon(1e-5));
  // ignore_index other than -1, and (B, T, V) logits.
  Tensor l3 = ln::test::random_tensor({2, 3, 4}, 2);
  std::vector<int32_t> t3 = {1, 100, 0, 3, 100, 2};
  CHECK(cross_entropy(Var(l3), t3, 100).value().item() ==
        doctest::Approx(naive_loss(l3, t3, 100)).epsilon(1e-5));
  // Uniform logits: log V.
  CHECK(cross_entropy(Var(Tensor::zeros({3, 8})), {1, 2, 3}).value().item() ==
        doctest::Approx(std::log(8.0)));
}

TEST_CASE("cross_entropy gradient, with ignored rows") {
  std::vector<int32_t> t = {0, 6, -1, 3, 3};
  ln::test::check_vjp([t](const std::vector<Var>& v) { return cross_entropy(v[0], t); },
                      {ln::test::random_tensor({5, 7}, 3, -2.0f, 2.0f)});
  std::vector<int32_t> t1 = {0};
  ln::test::check_vjp([t1](const std::vector<Var>& v) { return cross_entropy(v[0], t1); },
                      {ln::test::random_tensor({1, 1}, 4)});
  ln::test::check_vjp(
      [](const std::vector<Var>& v) {
        return cross_entropy(v[0], {4, 0, 2});
      },
      {ln::test::random_tensor({3, 33}, 5, -2.0f, 2.0f)});
  // Ignored rows get exactly zero gradient.
  Var x(ln::test::random_tensor({5, 7}, 6), true);
  cross_entropy(x, t).backward();
  for (int64_t j = 0; j < 7; ++j) CHECK(x.grad().data()[2 * 7 + j] == 0.0f);
}

TEST_CASE("cross_entropy with every row ignored is 0 with zero gradient, no NaN") {
  Var x(ln::test::random_tensor({3, 4}, 7), true);
  Var loss = cross_entropy(x, {-1, -1, -1});
  CHECK(loss.value().item() == 0.0f);
  loss.backward();
  for (float g : x.grad().to_vector()) CHECK(g == 0.0f);
  Var empty(Tensor::zeros({0, 4}), true);
  CHECK(cross_entropy(empty, {}).value().item() == 0.0f);
}

TEST_CASE("cross_entropy errors") {
  Var x(Tensor::zeros({2, 4}));
  CHECK_THROWS_AS(cross_entropy(x, {0}), ln::Error);
  CHECK_THROWS_AS(cross_entropy(x, {0, 4}), ln::Error);
  CHECK_THROWS_AS(cross_entropy(x, {0, -2}), ln::Error);
  try {
    cross_entropy(x, {9, 0});
    FAIL("no throw");
  } catch (const ln::Error& e) {
    CHECK(std::string(e.what()).find("[cross_entropy] target 9") != std::string::npos);
  }
}

TEST_CASE("token_losses gives per-row losses whose counted mean is cross_entropy") {
  Tensor logits = ln::test::random_tensor({4, 9}, 8, -3.0f, 3.0f);
  std::vector<int32_t> t = {8, -1, 0, 4};
  Tensor rows = token_losses(logits, t);
  REQUIRE(rows.shape() == Shape{4});
  CHECK(rows.data()[1] == 0.0f);
  CHECK(rows.data()[0] == doctest::Approx(naive_loss(logits, {8, -1, -1, -1}, -1)).epsilon(1e-5));
  double counted_mean = (rows.data()[0] + rows.data()[2] + rows.data()[3]) / 3.0;
  CHECK(cross_entropy(Var(logits), t).value().item() == doctest::Approx(counted_mean).epsilon(1e-6));
  CHECK_THROWS_AS(token_losses(logits, {0, 1, 2}), ln::Error);
  CHECK_THROWS_AS(token_losses(logits, {0, 1, 2, 9}), ln::Error);
}
