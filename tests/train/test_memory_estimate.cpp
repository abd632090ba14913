// The memory estimate against the exact peak of live tensor bytes of one training pass
// (forward + backward, counted in Storage), for every recompute mode.
#include <doctest/doctest.h>

#include <string>

#include "autograd/var.hpp"
#include "core/memory_stats.hpp"
#include "nn/language_model.hpp"
#include "train/memory_estimate.hpp"

using namespace ln;

namespace {
ModelSpec estimate_spec(bool subln) {
  ModelSpec s;
  s.vocab_size = 128;
  s.d_model = 64;
  s.layers = 3;
  s.heads = 4;
  s.mlp_ratio = 4;
  s.subln = subln;
  s.attention.kind = AttentionKind::dilated;
  s.attention.segments = {256, 1024, 4096};
  s.attention.dilations = {1, 2, 4};
  s.attention.positions = PositionKind::xpos;
  return s;
}

// The token stream every case trains on: B x T ids below 128 and their targets.
struct Tokens {
  std::vector<int32_t> ids, targets;
  Tokens(int64_t B, int64_t T) : ids(B * T), targets(B * T) {
    for (int64_t i = 0; i < B * T; ++i)
      ids[i] = static_cast<int32_t>((i * 13) % 128), targets[i] = static_cast<int32_t>((i * 7 + 1) % 128);
  }
};

// One training pass's measured peak of live tensor bytes against the estimate: within 15%.
void check_estimate(LanguageModel& model, const Tokens& tokens, int64_t B, int64_t T, Recompute mode,
                    Precision precision, int64_t mlp_chunk, const std::string& label) {
  for (auto& [name, var] : model.parameters()) var.zero_grad();
  ForwardOptions fwd;
  fwd.train = true;
  fwd.recompute = mode;
  fwd.precision = precision;
  fwd.mlp_chunk = mlp_chunk;
  const uint64_t before = tensor_bytes_live();
  reset_tensor_bytes_peak();
  model.loss(tokens.ids, tokens.targets, B, T, fwd).backward();
  const double measured = static_cast<double>(tensor_bytes_peak() - before);
  const MemoryEstimate e =
      estimate_training_memory(model.spec(), model.parameter_count(), B, T, mode, mlp_chunk, precision);
  const double estimated = static_cast<double>(e.activations_bytes + e.grads_bytes);
  const std::string line = label + ": measured " + std::to_string(measured / 1e6) + " MB, estimated " +
                           std::to_string(estimated / 1e6) + " MB";
  MESSAGE(line);
  CHECK(estimated >= 0.85 * measured);
  CHECK(estimated <= 1.15 * measured);
}
}  // namespace

TEST_CASE("the training memory estimate is within 15% of the measured peak, for every recompute mode") {
  const int64_t B = 1, T = 4096;
  const Tokens tokens(B, T);
  // mlp_chunk 512: the attention phase, which dominates at long T, sets the peak; 4096: the
  // MLP chunks' phase does (as at T = 8K with the default chunk of 8192 rows).
  for (auto [subln, mlp_chunk] :
       {std::pair{false, 512}, std::pair{true, 512}, std::pair{false, 4096}, std::pair{true, 4096}}) {
    CAPTURE(mlp_chunk);
    const ModelSpec spec = estimate_spec(subln);
    LanguageModel model(spec, 1);
    for (auto [mode, precision] :
         {std::pair{Recompute::none, Precision::fp32}, std::pair{Recompute::attention, Precision::fp32},
          std::pair{Recompute::blocks, Precision::fp32}, std::pair{Recompute::none, Precision::bf16},
          std::pair{Recompute::attention, Precision::bf16}, std::pair{Recompute::blocks, Precision::bf16}}) {
      CAPTURE(subln);
      CAPTURE(recompute_name(mode));
      CAPTURE(precision_name(precision));
      check_estimate(model, tokens, B, T, mode, precision, mlp_chunk,
                     std::string(recompute_name(mode)) + (subln ? " subln " : " ") + "chunk " +
                         std::to_string(mlp_chunk) + " " + precision_name(precision));
    }
  }
}

TEST_CASE(
    "with model.kv_conv, model.q_conv and model.head_dim the estimate holds too: the convolutions keep their "
    "raw inputs, the attention is A wide") {
  const int64_t B = 1, T = 4096;
  const Tokens tokens(B, T);
  for (int variant : {0, 1, 2}) {  // kv_conv; + q_conv; + q_conv with model.head_dim (A = 4 x 48 > C)
    CAPTURE(variant);
    ModelSpec spec = estimate_spec(false);
    spec.kv_conv = 4;
    spec.q_conv = variant >= 1;
    if (variant == 2) spec.head_width = 48;
    LanguageModel model(spec, 1);
    const char* names[] = {" kv_conv", " kv_conv + q_conv", " kv_conv + q_conv, head_dim 48"};
    for (Recompute mode : {Recompute::none, Recompute::attention, Recompute::blocks}) {
      CAPTURE(std::string(recompute_name(mode)));
      check_estimate(model, tokens, B, T, mode, Precision::fp32, 512,
                     std::string(recompute_name(mode)) + names[variant]);
    }
  }
}
