#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "kernel_check.hpp"
#include "kernels/reference/softmax_xent.hpp"
#include "kernels/softmax_xent.hpp"

using namespace ln;
using ln::test::all_close;
using ln::test::random_vec;

TEST_CASE("softmax kernel matches the reference") {
  for (auto [n, c] :
       std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {3, 7}, {5, 17}, {33, 100}, {200, 257}}) {
    CAPTURE(n);
    CAPTURE(c);
    auto x = random_vec(n * c, 41, -5.0f, 5.0f);
    auto dy = random_vec(n * c, 42);
    std::vector<float> y(n * c), ry(n * c), dx(n * c), rdx(n * c);
    softmax_forward(x.data(), n, c, y.data());
    reference::softmax_forward(x.data(), n, c, ry.data());
    CHECK(all_close(y, ry, 1e-7, 1e-5));
    softmax_backward(ry.data(), dy.data(), n, c, dx.data());
    reference::softmax_backward(ry.data(), dy.data(), n, c, rdx.data());
    CHECK(all_close(dx, rdx, 1e-6, 1e-5));
  }
}

TEST_CASE("softmax is stable for huge logits and gives -inf zero probability") {
  std::vector<float> x = {1e4f, 1e4f + 1.0f, -std::numeric_limits<float>::infinity()};
  std::vector<float> y(3);
  softmax_forward(x.data(), 1, 3, y.data());
  CHECK(y[0] == doctest::Approx(1.0 / (1.0 + std::exp(1.0))));
  CHECK(y[1] == doctest::Approx(std::exp(1.0) / (1.0 + std::exp(1.0))));
  CHECK(y[2] == 0.0f);
}

TEST_CASE("softmax_xent matches the reference, with ignored rows") {
  for (auto [n, v] :
       std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {4, 7}, {9, 33}, {50, 1000}, {3, 5003}}) {
    CAPTURE(n);
    CAPTURE(v);
    auto logits = random_vec(n * v, 51, -4.0f, 4.0f);
    std::vector<int32_t> targets(n);
    for (int64_t i = 0; i < n; ++i) targets[i] = static_cast<int32_t>((i * 7919) % v);
    if (n > 2) targets[1] = -100;  // ignored
    std::vector<float> loss(n), lse(n), rloss(n), rlse(n);
    softmax_xent_forward(logits.data(), targets.data(), n, v, -100, loss.data(), lse.data());
    reference::softmax_xent_forward(logits.data(), targets.data(), n, v, -100, rloss.data(), rlse.data());
    CHECK(all_close(loss, rloss, 2e-6, 1e-5));
    CHECK(all_close(lse, rlse, 2e-6, 1e-6));
    if (n > 2) CHECK(loss[1] == 0.0f);
    auto d_row = random_vec(n, 52);
    std::vector<float> d(n * v), rd(n * v);
    softmax_xent_backward(logits.data(), targets.data(), rlse.data(), d_row.data(), n, v, -100, d.data());
    reference::softmax_xent_backward(logits.data(), targets.data(), rlse.data(), d_row.data(), n, v, -100,
                                     rd.data());
    CHECK(all_close(d, rd, 1e-6, 1e-5));
    // In place (dlogits aliasing logits) gives the same result.
    std::vector<float> inplace = logits;
    softmax_xent_backward(inplace.data(), targets.data(), rlse.data(), d_row.data(), n, v, -100,
                          inplace.data());
    CHECK(inplace == d);
  }
}

TEST_CASE("softmax_xent hand-computed loss, large logits, and bad targets") {
  // Uniform logits over V = 4: loss = log 4 for any target, at any offset.
  std::vector<float> logits = {3e4f, 3e4f, 3e4f, 3e4f};
  std::vector<int32_t> t = {2};
  float loss = 0, lse = 0;
  softmax_xent_forward(logits.data(), t.data(), 1, 4, -1, &loss, &lse);
  CHECK(loss == doctest::Approx(std::log(4.0)).epsilon(1e-4));
  std::vector<int32_t> bad = {4};
  CHECK_THROWS_AS(softmax_xent_forward(logits.data(), bad.data(), 1, 4, -1, &loss, &lse), ln::Error);
  bad = {-2};
  CHECK_THROWS_AS(softmax_xent_forward(logits.data(), bad.data(), 1, 4, -1, &loss, &lse), ln::Error);
}
