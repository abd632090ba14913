#include <doctest/doctest.h>

#include <cmath>

#include "core/error.hpp"
#include "ops/cross_entropy.hpp"
#include "ops/head_loss.hpp"
#include "ops/linear.hpp"
#include "support/gradcheck.hpp"

using namespace ln;

namespace {
void check_within_rel(const Tensor& got, const Tensor& want, double tol) {
  REQUIRE(got.shape() == want.shape());
  double worst = 0;
  for (int64_t i = 0; i < got.numel(); ++i) {
    const double scale = std::max(1.0, std::fabs(static_cast<double>(want.data()[i])));
    worst = std::max(worst, std::fabs(static_cast<double>(got.data()[i]) - want.data()[i]) / scale);
  }
  CHECK(worst <= tol);
}
}  // namespace

// The reference is the unchunked computation: logits = h Wᵀ whole, then cross_entropy (itself
// held to a naive double loop and finite differences in test_cross_entropy.cpp).
TEST_CASE("head_cross_entropy equals linear + cross_entropy in value and both gradients, for any chunk") {
  const int64_t N = 37, C = 8, V = 11;
  std::vector<int32_t> targets(N);
  for (int64_t i = 0; i < N; ++i) targets[i] = i % 7 == 3 ? -1 : static_cast<int32_t>((i * 5 + 2) % V);
  Tensor hv = ln::test::random_tensor({N, C}, 3, -1.5f, 1.5f);
  Tensor wv = ln::test::random_tensor({V, C}, 4, -1.0f, 1.0f);

  Var h_ref(hv.clone(), true), w_ref(wv.clone(), true);
  Var ref = cross_entropy(linear(h_ref, w_ref), targets);
  ref.backward(Tensor::full({}, 0.75f));

  for (int64_t chunk : {1, 5, 36, 37, 100, 0}) {
    CAPTURE(chunk);
    Var h(hv.clone(), true), w(wv.clone(), true);
    Var loss = head_cross_entropy(h, w, targets, -1, chunk);
    CHECK(loss.value().item() == doctest::Approx(ref.value().item()).epsilon(1e-6));
    loss.backward(Tensor::full({}, 0.75f));
    check_within_rel(h.grad(), h_ref.grad(), 1e-6);
    check_within_rel(w.grad(), w_ref.grad(), 1e-6);  // dW sums chunk by chunk: order differs only
  }
  // A weight that needs no gradient (a frozen head) gets none, and h still does.
  Var h(hv.clone(), true), frozen(wv.clone(), false);
  head_cross_entropy(h, frozen, targets, -1, 4).backward();
  CHECK_FALSE(frozen.grad().defined());
  CHECK(h.grad().defined());
}

TEST_CASE("head_token_losses equals token_losses of the whole logits") {
  const int64_t N = 23, C = 5, V = 9;
  std::vector<int32_t> targets(N);
  for (int64_t i = 0; i < N; ++i) targets[i] = i == 4 ? 100 : static_cast<int32_t>((i * 3) % V);
  Tensor hv = ln::test::random_tensor({N, C}, 5);
  Tensor wv = ln::test::random_tensor({V, C}, 6);
  Tensor want = token_losses(linear(Var(hv), Var(wv)).value(), targets, 100);
  check_within_rel(head_token_losses(hv, wv, targets, 100, 4), want, 1e-6);
  CHECK(head_token_losses(hv, wv, targets, 100, 4).data()[4] == 0.0f);
}

TEST_CASE("head_token_scores: the losses of head_token_losses and each row's argmax of the whole logits") {
  const int64_t N = 29, C = 6, V = 13;
  std::vector<int32_t> targets(N);
  for (int64_t i = 0; i < N; ++i) targets[i] = i == 7 ? -1 : static_cast<int32_t>((i * 4 + 1) % V);
  Tensor hv = ln::test::random_tensor({N, C}, 9);
  Tensor wv = ln::test::random_tensor({V, C}, 10);
  const Tensor logits = linear(Var(hv), Var(wv)).value();
  for (int64_t chunk : {1, 4, 0}) {
    CAPTURE(chunk);
    const HeadScores got = head_token_scores(hv, wv, targets, -1, chunk);
    check_within_rel(got.loss, head_token_losses(hv, wv, targets, -1, chunk), 0);
    REQUIRE(got.argmax.size() == static_cast<size_t>(N));
    for (int64_t i = 0; i < N; ++i) {  // a plain scan of the whole logits row, ignored row included
      int32_t best = 0;
      for (int32_t j = 1; j < V; ++j)
        if (logits.data()[i * V + j] > logits.data()[i * V + best]) best = j;
      CHECK(got.argmax[static_cast<size_t>(i)] == best);
    }
  }
}

TEST_CASE("head_cross_entropy refuses bad inputs with one located line") {
  Tensor hv = ln::test::random_tensor({4, 3}, 7), wv = ln::test::random_tensor({5, 3}, 8);
  CHECK_THROWS_WITH_AS(head_cross_entropy(Var(hv, true), Var(wv, true), {0, 1, 2}),
                       doctest::Contains("4 hidden rows but 3 targets"), Error);
  CHECK_THROWS_WITH_AS(head_cross_entropy(Var(hv, true), Var(wv, true), {0, 1, 5, 2}),
                       doctest::Contains("target 5 at row 2"), Error);
  CHECK_THROWS_WITH_AS(
      head_cross_entropy(Var(hv, true), Var(ln::test::random_tensor({5, 4}, 9), true), {0, 1, 2, 3}),
      doctest::Contains("width 4"), Error);
}
