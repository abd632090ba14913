// The whole language model on a data x sequence grid equals the single-process model: the loss
// and the gradient of every parameter, for every grid the world allows (under mpirun -np 4:
// 1 x 4, 2 x 2 and 4 x 1), causal, both head-offset rules, RoPE and XPOS; and with
// train.recompute attention / blocks and bf16 GEMMs on the widest split.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "nn/language_model.hpp"
#include "ops/precision.hpp"
#include "parallel/gradient_sum.hpp"
#include "parallel/process_grid.hpp"
#include "parallel_test_util.hpp"
#include "train/sharded_loss.hpp"

using namespace ln;
using namespace ln::test;

namespace {

ModelSpec tiny_spec(HeadOffset rule, PositionKind pos) {
  ModelSpec s;
  s.vocab_size = 37;
  s.d_model = 16;
  s.layers = 2;
  s.heads = 4;
  s.mlp_ratio = 2;
  s.attention.kind = AttentionKind::dilated;
  s.attention.segments = {8, 16, 32, 64};
  s.attention.dilations = {1, 2, 2, 4};
  s.attention.head_offset = rule;
  s.attention.positions = pos;
  s.attention.xpos_scale_base = 32.f;
  s.init_std = 0.2f;  // large enough that attention is far from uniform
  return s;
}

std::vector<int32_t> tokens(int64_t n, uint64_t seed, int64_t vocab) {
  auto u = same_random(n, seed);
  std::vector<int32_t> out(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<int32_t>((u[i] + 1.f) * 0.5f * (vocab - 1) + 0.5f);
  return out;
}

void check_grid(int64_t P, HeadOffset rule, PositionKind pos) {
  parallel::ProcessGrid grid(P);
  const ModelSpec spec = tiny_spec(rule, pos);
  const int64_t B = 4, T = 64, l = T / P, rows = B / grid.data_size();
  auto ids = tokens(B * T, 5, spec.vocab_size), targets = tokens(B * T, 6, spec.vocab_size);
  targets[3] = -1;  // an ignored target: the token count is reduced across the grid

  LanguageModel single(spec, 11);
  Var loss = single.loss(ids, targets, B, T);
  loss.backward();

  LanguageModel model(spec, 11);
  const int64_t first = grid.data_rank() * rows, start = grid.sequence_rank() * l;
  ShardedLoss part = sharded_loss(model, rank_part(ids, T, first, rows, start, l),
                                  rank_part(targets, T, first, rows, start, l), rows, l, {}, grid);
  part.loss.backward();
  std::vector<Tensor> grads;
  for (auto& [name, var] : model.parameters()) grads.push_back(var.grad());
  grid.sum_gradients(grads);

  INFO("grid ", grid.data_size(), " x ", P, " rank ", grid.world_rank(), " rule ",
       std::string(to_string(rule)), " positions ", std::string(to_string(pos)));
  CHECK(part.value == doctest::Approx(loss.value().item()).epsilon(1e-6));
  CHECK(part.tokens == B * T - 1);
  // Every rank holds bit-identical summed gradients (so the optimizer steps are identical):
  // each rank's checksum of the gradient bits, in its own slot, summed over the world.
  uint64_t bits = 0;
  for (const Tensor& g : grads) {
    const auto* u = reinterpret_cast<const uint32_t*>(g.data());
    for (int64_t i = 0; i < g.numel(); ++i) bits = bits * 1000003u + u[i];
  }
  std::vector<double> slots(static_cast<size_t>(2 * grid.world_size()), 0.0);
  slots[2 * grid.world_rank()] = static_cast<double>(bits >> 32);
  slots[2 * grid.world_rank() + 1] = static_cast<double>(bits & 0xffffffffu);
  grid.sum_world(slots.data(), static_cast<int64_t>(slots.size()));
  for (int64_t r = 1; r < grid.world_size(); ++r) {
    CHECK(slots[2 * r] == slots[0]);
    CHECK(slots[2 * r + 1] == slots[1]);
  }
  {
    // The overlapped sum (small buckets, started from the backward as gradients complete) gives
    // bit for bit what the blocking sum gives.
    LanguageModel again(spec, 11);
    ShardedLoss second = sharded_loss(again, rank_part(ids, T, first, rows, start, l),
                                      rank_part(targets, T, first, rows, start, l), rows, l, {}, grid);
    parallel::GradientSum sum(grid, 64);
    second.loss.backward(Tensor::full({}, 1.f), [&](VarImpl& leaf) { sum.ready(leaf.grad); });
    sum.finish();
    auto a = again.parameters(), b = model.parameters();
    for (size_t i = 0; i < a.size(); ++i) {
      INFO("overlapped sum: ", a[i].first);
      CHECK(a[i].second.grad().to_vector() == b[i].second.grad().to_vector());
    }
  }
  auto mine = single.parameters(), theirs = model.parameters();
  for (size_t i = 0; i < mine.size(); ++i) {
    INFO(mine[i].first);
    CHECK(relative_error(theirs[i].second.grad().to_vector(), mine[i].second.grad().to_vector()) < 1e-6);
  }
}

}  // namespace

TEST_CASE("the model's loss and every parameter gradient on a data x sequence grid equal one process") {
  const int64_t world = parallel::ProcessGrid(1).world_size();
  for (int64_t P = 1; P <= world; ++P) {
    if (world % P != 0 || 4 % (world / P) != 0) continue;
    for (HeadOffset rule : {HeadOffset::mod, HeadOffset::block})
      for (PositionKind pos : {PositionKind::rope, PositionKind::xpos}) check_grid(P, rule, pos);
  }
}

namespace {

// This rank's sharded loss under `options`, its gradients summed over the world; the
// single-process loss and gradients under `reference`. Returns the worst relative gradient error.
double sharded_vs_single(int64_t P, PositionKind pos, const ForwardOptions& options,
                         const ForwardOptions& reference, double loss_tolerance) {
  parallel::ProcessGrid grid(P);
  const ModelSpec spec = tiny_spec(HeadOffset::mod, pos);
  const int64_t B = 4, T = 64, l = T / P, rows = B / grid.data_size();
  auto ids = tokens(B * T, 7, spec.vocab_size), targets = tokens(B * T, 8, spec.vocab_size);

  LanguageModel single(spec, 13);
  Var loss = single.loss(ids, targets, B, T, reference);
  loss.backward();

  LanguageModel model(spec, 13);
  const int64_t first = grid.data_rank() * rows, start = grid.sequence_rank() * l;
  ShardedLoss part = sharded_loss(model, rank_part(ids, T, first, rows, start, l),
                                  rank_part(targets, T, first, rows, start, l), rows, l, options, grid);
  part.loss.backward();
  std::vector<Tensor> grads;
  for (auto& [name, var] : model.parameters()) grads.push_back(var.grad());
  grid.sum_gradients(grads);

  CHECK(part.value == doctest::Approx(loss.value().item()).epsilon(loss_tolerance));
  double worst = 0;
  auto mine = single.parameters(), theirs = model.parameters();
  for (size_t i = 0; i < mine.size(); ++i) {
    REQUIRE(theirs[i].second.grad().defined());
    INFO(mine[i].first);
    worst = std::max(worst,
                     relative_error(theirs[i].second.grad().to_vector(), mine[i].second.grad().to_vector()));
  }
  return worst;
}

}  // namespace

TEST_CASE("sequence parallelism with recomputation (attention, blocks) equals one process without it") {
  const int64_t world = parallel::ProcessGrid(1).world_size();
  for (Recompute mode : {Recompute::attention, Recompute::blocks})
    for (PositionKind pos : {PositionKind::rope, PositionKind::xpos}) {
      ForwardOptions options;
      options.recompute = mode;
      options.mlp_chunk = 24;  // several MLP chunks per rank, one cut inside a sequence
      INFO("P ", world, " recompute ", recompute_name(mode), " positions ", std::string(to_string(pos)));
      // The chunked MLP multiplies 24-row blocks instead of whole slices: the GEMMs' fp32 sums
      // round differently (1.4e-6 seen at P = 4); a wrong exchange is off by >= 1e-2.
      CHECK(sharded_vs_single(world, pos, options, ForwardOptions{}, 1e-6) < 1e-5);
    }
}

TEST_CASE("sequence parallelism with bf16 GEMMs equals one process in bf16") {
  // Both sides round the same operands to bf16 and accumulate in fp32; only the GEMMs' row
  // blocking differs (each rank multiplies l rows, one process B*T), so the sums may differ in
  // their last fp32 bits. A missing or mis-positioned exchange is off by >= 1e-2.
  const int64_t world = parallel::ProcessGrid(1).world_size();
  ForwardOptions bf16;
  bf16.precision = Precision::bf16;
  ForwardOptions bf16_blocks = bf16;
  bf16_blocks.recompute = Recompute::blocks;
  ForwardOptions bf16_attention = bf16;
  bf16_attention.recompute = Recompute::attention;
  // With recomputation the attention sub-layers and the MLP chunks re-run inside backward;
  // they must multiply in bf16 there too (in fp32 the gradients are off by ~0.5%).
  for (const ForwardOptions& options : {bf16, bf16_attention, bf16_blocks}) {
    INFO("P ", world, " recompute ", recompute_name(options.recompute));
    CHECK(sharded_vs_single(world, PositionKind::rope, options, bf16, 1e-5) < 1e-4);
  }
}
