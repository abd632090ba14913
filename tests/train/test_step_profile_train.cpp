// The step profile (core/step_profile.hpp) of real training steps, as `bench train --profile`
// takes it: the FLOPs its GEMM and attention calls declare equal a hand count of the model's
// products, the categories and `other` add up to the step's wall time, and recomputation and
// bf16 conversions show where they happen.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/step_profile.hpp"
#include "nn/model_flops.hpp"
#include "train/train_session.hpp"

using namespace ln;

namespace {

// A tiny model: C = 16, L = 2 layers of 2 heads (D = 8), MLP 4C = 64, V = 256, T = 32, a batch of
// B = 2 sequences in one micro-batch; random tokens (bench train's synthetic data, no run folder).
constexpr double C = 16, L = 2, F = 64, V = 256, T = 32, B = 2, R = B * T, H = 2, D = 8;

Config tiny_config(const std::vector<std::string>& sets) {
  std::vector<std::string> all = {
      "model.d_model=16",     "model.layers=2",           "model.heads=2",
      "model.mlp_ratio=4",    "tokenizer.vocab_size=256", "tokenizer.byte_fallback=false",
      "data.seq_len=32",      "train.batch_size=2",       "train.grad_accum=1",
      "attention.kind=dense", "attention.segments=[32]",  "attention.dilations=[1]"};
  all.insert(all.end(), sets.begin(), sets.end());
  return load_config("", all);
}

TrainOptions synthetic() {
  TrainOptions options;
  options.synthetic_data = true;
  options.quiet = true;
  return options;
}

// One profiled step, with the wall time of the interval around the profiler and the session's own.
struct ProfiledStep {
  StepProfile profile;
  double outer_s = 0;    // measured around the profiler
  double session_s = 0;  // TrainSession's step_s, measured inside it
};

ProfiledStep profiled_step(TrainSession& session) {
  ProfiledStep out;
  const auto t0 = std::chrono::steady_clock::now();
  {
    StepProfiler profiler;
    out.session_s = session.train_step().step_s;
    out.profile = profiler.stop();
  }
  out.outer_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

// The forward GEMM FLOPs of one layer: the fused q/k/v projection (R x C) . (C x 3C), out_proj
// (R x C) . (C x C), fc1 (R x C) . (C x F), fc2 (R x F) . (F x C); 2 FLOPs a multiply-add.
constexpr double kLayerForward = 2 * R * C * 3 * C + 2 * R * C * C + 2 * R * C * F + 2 * R * F * C;
// Its backward: dx and dW, each the forward's size, and the bias gradients, column sums of dy as
// (1 x R) . (R x N) products: N = 3C, C, F, C.
constexpr double kLayerBackward = 2 * kLayerForward + 2 * R * (3 * C + C + F + C);
// The fused head + cross-entropy: the logits (R x C) . (C x V) forward; backward the logits again
// (head_loss.cpp recomputes them rather than keep R x V floats), dh and dW.
constexpr double kHead = 4 * (2 * R * C * V);

void check_adds_up(const ProfiledStep& s) {
  const StepProfile& p = s.profile;
  for (const CategoryTime& t : p.categories) CHECK(t.seconds >= 0);
  // Exclusive time: the categories never claim more than the wall time, so other >= 0.
  CHECK(p.other_seconds() >= 0);
  CHECK(p.attributed_seconds() + p.other_seconds() == doctest::Approx(p.wall_seconds).epsilon(1e-12));
  // The profile's interval lies between the session's own timing and the one around it.
  CHECK(p.wall_seconds >= s.session_s);
  CHECK(p.wall_seconds <= s.outer_s);
  CHECK(p[ProfileCategory::gemm].seconds > 0);
  CHECK(p[ProfileCategory::attention].seconds > 0);
  CHECK(p[ProfileCategory::elementwise].seconds > 0);
  CHECK(p[ProfileCategory::optimizer].seconds > 0);
  CHECK(p[ProfileCategory::optimizer].calls == 2);      // the clip and AdamW
  CHECK(p[ProfileCategory::communication].calls == 0);  // one process
}

}  // namespace

TEST_CASE("a profiled fp32 step: GEMM FLOPs equal the hand count, attention FLOPs model_flops'") {
  const Config config = tiny_config({"train.precision=fp32", "train.recompute=none"});
  TrainSession session(config, synthetic());
  session.train_step();  // the first step builds what later steps reuse
  const ProfiledStep first = profiled_step(session);
  const ProfiledStep second = profiled_step(session);
  const StepProfile& p = first.profile;

  const double gemm = L * (kLayerForward + kLayerBackward) + kHead;
  // In numbers: a layer's forward 98,304 + 32,768 + 131,072 + 131,072 = 393,216, its backward
  // 2 x 393,216 + 18,432; the head 4 x 524,288.
  CHECK(gemm == 2 * (393216 + 2 * 393216 + 18432) + 4 * 524288);
  CHECK(p[ProfileCategory::gemm].flops == gemm);
  // Per layer 4 products forward and 3 for each backward (dx, dW, dbias); the head 1 + 3.
  CHECK(p[ProfileCategory::gemm].calls == L * 16 + 4);
  // The same count through `longnet flops`: 3 x the forward matmuls, plus what model FLOPs do not
  // count (the head's recomputed logits, the bias gradients).
  const StepFlops model = training_step_flops(session.model().spec(), 2, 32);
  CHECK(p[ProfileCategory::gemm].flops == 3 * model.matmul_forward + 2 * R * C * V + L * 2 * R * (5 * C + F));

  // Dense causal attention: T (T + 1) / 2 (query, key) pairs per head, 4 D FLOPs a pair forward,
  // 2.5 x that backward; per layer one call each way.
  const double attention_forward = L * B * H * (T * (T + 1) / 2) * 4 * D;
  CHECK(p[ProfileCategory::attention].flops == 3.5 * attention_forward);
  CHECK(p[ProfileCategory::attention].flops == 3.5 * model.attention_forward);
  CHECK(p[ProfileCategory::attention].calls == 2 * L);

  CHECK(p[ProfileCategory::conversion].calls == 0);  // fp32 converts nothing
  CHECK(p.recompute_seconds == 0);
  for (const CategoryTime& t : p.categories) CHECK(t.recompute_seconds == 0);
  check_adds_up(first);
  check_adds_up(second);
  // Only this thread's calls are counted, so they do not depend on how TBB scheduled the step.
  for (int i = 0; i < kProfileCategories; ++i) {
    CAPTURE(profile_category_name(static_cast<ProfileCategory>(i)));
    CHECK(second.profile.categories[i].calls == p.categories[i].calls);
    CHECK(second.profile.categories[i].flops == p.categories[i].flops);
  }
  CHECK_FALSE(step_profile_on());
}

TEST_CASE("recompute blocks: the re-run forwards add their GEMMs, counted as GEMM and as recompute") {
  const Config config = tiny_config({"train.recompute=blocks"});
  TrainSession session(config, synthetic());
  session.train_step();
  const ProfiledStep s = profiled_step(session);
  const StepProfile& p = s.profile;
  // Each block's forward runs three times: the forward, its re-run in the block's backward, and
  // inside that backward the attention sub-layer's and the MLP chunks' own re-runs.
  CHECK(p[ProfileCategory::gemm].flops == L * (3 * kLayerForward + kLayerBackward) + kHead);
  const double attention_forward = L * B * H * (T * (T + 1) / 2) * 4 * D;
  CHECK(p[ProfileCategory::attention].flops == (3 + 2.5) * attention_forward);
  CHECK(p[ProfileCategory::attention].calls == 4 * L);
  CHECK(p.recompute_seconds > 0);
  CHECK(p[ProfileCategory::gemm].recompute_seconds > 0);
  CHECK(p[ProfileCategory::gemm].recompute_seconds < p[ProfileCategory::gemm].seconds);
  CHECK(p[ProfileCategory::attention].recompute_seconds > 0);
  double recomputed = 0;
  for (const CategoryTime& t : p.categories) recomputed += t.recompute_seconds;
  CHECK(recomputed <= p.recompute_seconds * (1 + 1e-12));
  check_adds_up(s);
}

TEST_CASE("bf16: the same GEMM FLOPs, and the operand conversions show as conversion") {
  const Config config = tiny_config({"train.precision=bf16", "attention.kind=dilated",
                                     "attention.segments=[8,16,32]", "attention.dilations=[1,2,2]"});
  TrainSession session(config, synthetic());
  session.train_step();
  const ProfiledStep s = profiled_step(session);
  const StepProfile& p = s.profile;
  CHECK(p[ProfileCategory::gemm].flops == L * (kLayerForward + kLayerBackward) + kHead);
  const StepFlops model = training_step_flops(session.model().spec(), 2, 32);
  CHECK(p[ProfileCategory::attention].flops == 3.5 * model.attention_forward);
  // Every linear layer converts its input and weight forward and dy backward; the head converts
  // both operands of each of its four products.
  CHECK(p[ProfileCategory::conversion].calls >= L * 4 * 3 + 4 * 2);
  CHECK(p[ProfileCategory::conversion].seconds > 0);
  check_adds_up(s);
}
