#include <doctest/doctest.h>

#include <cmath>

#include "core/error.hpp"
#include "core/threading.hpp"
#include "ops/dropout.hpp"
#include "support/gradcheck.hpp"

using namespace ln;

namespace {
const int64_t kN = 200000;
Tensor ones() { return Tensor::full({kN}, 1.0f); }
}  // namespace

TEST_CASE("dropout p == 0 returns x itself") {
  Var x(ln::test::random_tensor({3}, 1), true);
  Var y = dropout(x, 0.0f, 42);
  CHECK(y.impl() == x.impl());
}

TEST_CASE("dropout preserves the mean and drops a fraction p, within statistical bounds") {
  for (float p : {0.1f, 0.5f, 0.9f}) {
    CAPTURE(p);
    Tensor y = dropout(Var(ones()), p, 7).value();
    double sum = 0;
    int64_t zeros = 0;
    for (float v : y.to_vector()) {
      sum += v;
      zeros += v == 0.0f;
      if (v != 0.0f) CHECK_MESSAGE(std::abs(v - 1.0f / (1.0f - p)) < 1e-6f, "survivor not scaled by 1/(1-p)");
    }
    // Each element is 0 or 1/(1-p): the mean has sd sqrt(p / (1-p) / n); allow 5 sd.
    double sd_mean = std::sqrt(p / (1.0 - p) / kN);
    CHECK(std::abs(sum / kN - 1.0) < 5 * sd_mean);
    double sd_frac = std::sqrt(p * (1.0 - p) / kN);
    CHECK(std::abs(static_cast<double>(zeros) / kN - p) < 5 * sd_frac);
  }
}

TEST_CASE("dropout masks: same seed same mask, different seeds differ, thread-count independent") {
  auto mask = [](uint64_t seed) { return dropout(Var(ones()), 0.5f, seed).value().to_vector(); };
  auto a = mask(1);
  CHECK(a == mask(1));
  auto b = mask(2);
  int64_t differ = 0;
  for (int64_t i = 0; i < kN; ++i) differ += a[i] != b[i];
  CHECK(differ > kN / 2 - 5 * 224);  // independent masks differ in half the places (sd ~224)
  std::vector<float> one, two;
  set_threads(1);
  one = mask(3);
  set_threads(2);
  two = mask(3);
  set_threads(0);
  CHECK(one == two);
}

TEST_CASE("dropout backward applies the same mask and scale") {
  Var x(ln::test::random_tensor({kN}, 5), true);
  Var y = dropout(x, 0.25f, 11);
  Tensor u = ln::test::random_tensor({kN}, 6);
  y.backward(u);
  const float* px = x.value().data();
  const float* py = y.value().data();
  const float* g = x.grad().data();
  bool ok = true;
  for (int64_t i = 0; i < kN && ok; ++i) {
    float want = py[i] == 0.0f ? 0.0f : u.data()[i] / 0.75f;
    ok = std::abs(g[i] - want) <= 1e-6f * (1 + std::abs(want)) &&
         (py[i] == 0.0f || std::abs(py[i] - px[i] / 0.75f) < 1e-5f);
  }
  CHECK(ok);
  ln::test::check_vjp([](const std::vector<Var>& v) { return dropout(v[0], 0.5f, 3); },
                      {ln::test::random_tensor({4, 9}, 7)});
}

TEST_CASE("dropout errors") {
  Var x(Tensor::zeros({2}));
  CHECK_THROWS_AS(dropout(x, 1.0f, 0), ln::Error);
  CHECK_THROWS_AS(dropout(x, -0.1f, 0), ln::Error);
  CHECK_THROWS_AS(dropout(Var(), 0.5f, 0), ln::Error);
}
