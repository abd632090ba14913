// A bf16 training run's loss curve against the fp32 one (same model, data and optimizer).
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "autograd/var.hpp"
#include "nn/language_model.hpp"
#include "train/adamw.hpp"

using namespace ln;

namespace {
std::vector<double> loss_curve(Precision precision, int steps) {
  ModelSpec s;
  s.vocab_size = 48;
  s.d_model = 32;
  s.layers = 2;
  s.heads = 4;
  s.mlp_ratio = 4;
  s.attention.kind = AttentionKind::dilated;
  s.attention.segments = {16, 64};
  s.attention.dilations = {1, 2};
  s.attention.positions = PositionKind::xpos;
  LanguageModel model(s, 11);
  std::vector<ParamRef> refs;
  for (auto& [name, var] : model.parameters()) refs.push_back({name, var, default_decay(name, var.ndim())});
  AdamW optimizer(refs, AdamWOptions{3e-3, 0.9, 0.95, 1e-8, 0.0});
  const int64_t B = 2, T = 64;
  std::vector<double> curve;
  for (int step = 0; step < steps; ++step) {
    // A learnable stream: token t+1 is a fixed function of token t (plus a step-dependent phase).
    std::vector<int32_t> ids(B * T), targets(B * T);
    for (int64_t i = 0; i < B * T; ++i) {
      const int32_t t = static_cast<int32_t>((i * 5 + step * 7) % 48);
      ids[i] = t;
      targets[i] = static_cast<int32_t>((t * 7 + 3) % 48);
    }
    ForwardOptions fwd;
    fwd.train = true;
    fwd.precision = precision;
    optimizer.zero_grad();
    Var loss = model.loss(ids, targets, B, T, fwd);
    curve.push_back(loss.value().item());
    loss.backward();
    optimizer.step(3e-3);
  }
  return curve;
}
}  // namespace

// Tolerance: bf16 keeps 8 of fp32's 24 mantissa bits, so every GEMM operand is rounded by up
// to 2^-9 (0.2%) relative; the GEMMs accumulate in fp32 and everything else is fp32, so one
// step's loss moves by ~1e-3 and the optimizer carries the difference forward. Over 40 steps
// of a loss falling from ~3.9 to ~1.1, the curves must stay within 0.005 + 0.5% of each other
// at every step (measured: at most 5e-4, 10-40x inside) — far below what a wrong gradient (or
// a bf16 loss/softmax) would produce — and the curves must differ (bf16 really ran).
TEST_CASE("a bf16 training run's loss curve follows the fp32 one") {
  const int steps = 40;
  const std::vector<double> f32 = loss_curve(Precision::fp32, steps);
  const std::vector<double> b16 = loss_curve(Precision::bf16, steps);
  double worst = 0, any = 0;
  for (int i = 0; i < steps; ++i) {
    const double d = std::fabs(f32[i] - b16[i]);
    worst = std::max(worst, d / (0.005 + 0.005 * f32[i]));
    any = std::max(any, d);
  }
  const std::string line = "fp32 loss " + std::to_string(f32.front()) + " -> " + std::to_string(f32.back()) +
                           ", bf16 " + std::to_string(b16.front()) + " -> " + std::to_string(b16.back()) +
                           ", largest gap " + std::to_string(any);
  MESSAGE(line);
  CHECK(f32.back() < 0.5 * f32.front());  // the run learns
  CHECK(worst <= 1.0);
  CHECK(any > 0.0);
}
