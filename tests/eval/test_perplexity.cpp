#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "autograd/var.hpp"
#include "core/error.hpp"
#include "score/perplexity.hpp"
#include "support/text_checks.hpp"

using namespace ln;
using test::contains;
using test::error_of;

namespace {

ModelSpec tiny_spec(AttentionKind kind = AttentionKind::dilated) {
  ModelSpec s;
  s.vocab_size = 23;
  s.d_model = 16;
  s.layers = 2;
  s.heads = 2;
  s.mlp_ratio = 2;
  s.attention.kind = kind;
  s.attention.segments = {4, 8};
  s.attention.dilations = {1, 2};
  s.attention.positions = PositionKind::xpos;
  s.init_std = 0.5f;  // far from uniform predictions, so mistakes show
  return s;
}

std::vector<int32_t> stream(int64_t n, int32_t vocab) {
  std::vector<int32_t> ids(static_cast<size_t>(n));
  uint64_t x = 12345;
  for (auto& id : ids) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    id = static_cast<int32_t>((x >> 33) % static_cast<uint64_t>(vocab));
  }
  return ids;
}

// The reference: for prediction t scored with `history` tokens, run the model on exactly
// tokens [t - history, t) as one sequence and take -log softmax in double.
double naive_loss(const LanguageModel& model, const std::vector<int32_t>& tokens, int64_t t,
                  int64_t history) {
  std::vector<int32_t> ids(tokens.begin() + (t - history), tokens.begin() + t);
  NoGradGuard no_grad;
  Var logits = model.logits(ids, 1, history);
  const int64_t V = model.spec().vocab_size;
  const float* row = logits.value().data() + (history - 1) * V;
  double mx = -1e300;
  for (int64_t v = 0; v < V; ++v) mx = std::max(mx, static_cast<double>(row[v]));
  double sum = 0;
  for (int64_t v = 0; v < V; ++v) sum += std::exp(static_cast<double>(row[v]) - mx);
  return mx + std::log(sum) - static_cast<double>(row[tokens[static_cast<size_t>(t)]]);
}

}  // namespace

TEST_CASE("perplexity: a model with all-zero weights predicts uniformly: loss ln V exactly") {
  LanguageModel model(tiny_spec(), 3);
  std::vector<std::pair<std::string, Tensor>> zeros;
  for (auto& [name, t] : model.named_tensors()) zeros.emplace_back(name, Tensor::zeros(t.shape()));
  model.load_parameters(zeros, "zeros");
  const auto tokens = stream(30, 23);
  for (int64_t stride : {3, 8}) {
    const StreamResult r = evaluate_stream(model, tokens, plan_windows(30, 8, stride), 2);
    CHECK(r.loss.tokens() == 29);
    CHECK(r.loss.mean_loss() == doctest::Approx(std::log(23.0)).epsilon(1e-6));
    CHECK(r.loss.perplexity() == doctest::Approx(23.0).epsilon(1e-5));
    CHECK(r.loss.mean_loss_se() == doctest::Approx(0.0).epsilon(1e-5));
    // bits per byte of 29 uniform predictions over, say, 40 bytes: 29 log2(23) / 40
    CHECK(bits_per_byte(r.loss.loss_sum(), 40) == doctest::Approx(29 * std::log2(23.0) / 40).epsilon(1e-6));
  }
}

TEST_CASE("perplexity: every scored loss equals a naive forward over its own history (both methods)") {
  for (AttentionKind kind : {AttentionKind::dilated, AttentionKind::dense}) {
    LanguageModel model(tiny_spec(kind), 7);
    const int64_t n = 27, context = 8;
    const auto tokens = stream(n, 23);
    for (int64_t stride : {8, 3, 1}) {
      CAPTURE(stride);
      const auto windows = plan_windows(n, context, stride);
      const auto losses = stream_token_losses(model, tokens, windows, 3);
      REQUIRE(losses.size() == static_cast<size_t>(n - 1));
      double total = 0;
      for (const EvalWindow& w : windows) {
        for (int64_t j = w.first_scored; j < w.length; ++j) {
          const int64_t t = w.begin + j + 1;  // history: tokens [begin, t)
          const double expected = naive_loss(model, tokens, t, j + 1);
          CHECK(losses[static_cast<size_t>(t - 1)] == doctest::Approx(expected).epsilon(1e-4));
          total += expected;
        }
      }
      const StreamResult r = evaluate_stream(model, tokens, windows, 2);
      CHECK(r.loss.tokens() == n - 1);
      CHECK(r.windows == static_cast<int64_t>(windows.size()));
      CHECK(r.input_tokens == planned_input_tokens(windows));
      CHECK(r.loss.mean_loss() == doctest::Approx(total / (n - 1)).epsilon(1e-5));
      CHECK(r.loss.mean_loss() > 2.0);  // not a degenerate model
    }
  }
}

TEST_CASE(
    "perplexity: batching does not change the numbers; sliding with stride == context is non-overlapping") {
  LanguageModel model(tiny_spec(), 11);
  const auto tokens = stream(40, 23);
  const auto chunked = plan_windows(40, 8, 8);
  const StreamResult one = evaluate_stream(model, tokens, chunked, 1);
  const StreamResult four = evaluate_stream(model, tokens, chunked, 4);
  CHECK(one.loss.mean_loss() == doctest::Approx(four.loss.mean_loss()).epsilon(1e-6));
  CHECK(one.loss.mean_loss_se() == doctest::Approx(four.loss.mean_loss_se()).epsilon(1e-5));
  // The sliding method with stride == context against non-overlapping windows written by
  // hand: 39 predictions in windows of 8, 8, 8, 8, 7, each scored in full.
  std::vector<EvalWindow> by_hand;
  for (int64_t b = 0; b < 39; b += 8) by_hand.push_back({b, std::min<int64_t>(8, 39 - b), 0});
  const StreamResult hand = evaluate_stream(model, tokens, by_hand, 1);
  const StreamResult sliding = evaluate_stream(model, tokens, plan_windows(40, 8, 8), 3);
  CHECK(hand.loss.tokens() == 39);
  CHECK(sliding.loss.tokens() == 39);
  CHECK(sliding.loss.loss_sum() == doctest::Approx(hand.loss.loss_sum()).epsilon(1e-6));
  CHECK(sliding.loss.mean_loss_se() == doctest::Approx(hand.loss.mean_loss_se()).epsilon(1e-5));
  // A smaller stride scores the same tokens with more history: a different number.
  const StreamResult strided = evaluate_stream(model, tokens, plan_windows(40, 8, 2), 3);
  CHECK(strided.loss.tokens() == 39);
  CHECK(strided.loss.loss_sum() != doctest::Approx(hand.loss.loss_sum()).epsilon(1e-6));
}

TEST_CASE("perplexity: position buckets add up to the total") {
  LanguageModel model(tiny_spec(), 5);
  const auto tokens = stream(50, 23);
  for (int64_t stride : {16, 5}) {
    const StreamResult r = evaluate_stream(model, tokens, plan_windows(50, 16, stride), 2);
    CHECK(r.by_position.tokens() == r.loss.tokens());
    double sum = 0;
    for (const auto& b : r.by_position.buckets) sum += b.loss_sum();
    CHECK(sum == doctest::Approx(r.loss.loss_sum()).epsilon(1e-9));
  }
  // Non-overlapping windows of 16 over 49 predictions: windows of 16, 16, 16, 1. Position 1
  // is scored by all four windows, positions 2-3 by three (2 each), 8-15 by three (8 each),
  // position 16 by three.
  const StreamResult r = evaluate_stream(model, tokens, plan_windows(50, 16, 16), 1);
  REQUIRE(r.by_position.buckets.size() == 5);
  CHECK(r.by_position.buckets[0].tokens() == 4);
  CHECK(r.by_position.buckets[1].tokens() == 6);
  CHECK(r.by_position.buckets[2].tokens() == 12);
  CHECK(r.by_position.buckets[3].tokens() == 24);
  CHECK(r.by_position.buckets[4].tokens() == 3);
}

TEST_CASE("perplexity: contexts the attention cannot take are refused") {
  // Dense attention with XPOS: the decay over the whole window leaves fp32 somewhere.
  ModelSpec dense = tiny_spec(AttentionKind::dense);
  const int64_t limit = max_eval_context(dense);
  CHECK(limit > 1000);
  CHECK(limit < (int64_t{1} << 40));
  check_eval_context(dense, limit);
  CHECK(contains(error_of([&] { check_eval_context(dense, limit + 1); }),
                 "context " + std::to_string(limit + 1)));
  CHECK(contains(error_of([&] { check_eval_context(dense, limit + 1); }), std::to_string(limit)));
  // Dilated attention: the decay spans one segment at most, so any context works.
  CHECK(max_eval_context(tiny_spec()) == std::numeric_limits<int64_t>::max());
  check_eval_context(tiny_spec(), int64_t{1} << 30);
  CHECK(contains(error_of([&] { check_eval_context(tiny_spec(), 0); }), "context is 0"));
  // A token outside the vocabulary is caught before the model sees it.
  LanguageModel model(tiny_spec(), 1);
  std::vector<int32_t> bad = {1, 2, 99, 3};
  CHECK(contains(error_of([&] { evaluate_stream(model, bad, plan_windows(4, 4, 4), 1); }),
                 "outside the model's vocabulary"));
}
