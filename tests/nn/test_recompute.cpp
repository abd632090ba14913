// train.recompute and the chunked MLP change what the forward keeps, never what it computes:
// the loss and every parameter gradient must equal the plain forward's (none, unchunked).
#include <doctest/doctest.h>

#include <cmath>
#include <tuple>

#include "autograd/activation_recompute.hpp"
#include "autograd/var.hpp"
#include "core/memory_stats.hpp"
#include "nn/language_model.hpp"
#include "ops/elementwise.hpp"
#include "ops/precision.hpp"

using namespace ln;

namespace {
ModelSpec recompute_spec(bool subln, float dropout) {
  ModelSpec s;
  s.vocab_size = 31;
  s.d_model = 16;
  s.layers = 3;
  s.heads = 4;
  s.mlp_ratio = 2;
  s.subln = subln;
  s.dropout = dropout;
  s.attention.kind = AttentionKind::dilated;
  s.attention.segments = {4, 8, 16};
  s.attention.dilations = {1, 2, 4};
  s.attention.positions = PositionKind::xpos;
  return s;
}

struct Run {
  float loss = 0;
  std::vector<std::vector<float>> grads;
};

Run train_pass(const LanguageModel& model, Recompute recompute, int64_t mlp_chunk,
               Precision precision = Precision::fp32) {
  const int64_t B = 2, T = 16;
  std::vector<int32_t> ids(B * T), targets(B * T);
  for (int64_t i = 0; i < B * T; ++i) {
    ids[i] = static_cast<int32_t>((i * 7 + 3) % 31);
    targets[i] = i % 9 == 4 ? -1 : static_cast<int32_t>((i * 5 + 1) % 31);
  }
  ForwardOptions fwd;
  fwd.train = true;
  fwd.dropout_seed = 12345;
  fwd.recompute = recompute;
  fwd.mlp_chunk = mlp_chunk;
  fwd.precision = precision;
  for (auto& [name, var] : model.parameters()) var.zero_grad();
  Var loss = model.loss(ids, targets, B, T, fwd);
  loss.backward();
  Run run{loss.value().item(), {}};
  for (auto& [name, var] : model.parameters()) run.grads.push_back(var.grad().to_vector());
  return run;
}

double worst_diff(const Run& a, const Run& b) {
  double worst = 0;
  for (size_t p = 0; p < a.grads.size(); ++p) {
    for (size_t i = 0; i < a.grads[p].size(); ++i)
      worst = std::max(worst, std::fabs(double(a.grads[p][i]) - b.grads[p][i]));
  }
  return worst;
}
}  // namespace

TEST_CASE("recompute attention|blocks and the chunked MLP give the plain forward's loss and gradients") {
  for (auto [subln, dropout, kind] :
       {std::tuple{false, 0.0f, AttentionKind::dilated}, std::tuple{false, 0.2f, AttentionKind::dilated},
        std::tuple{true, 0.0f, AttentionKind::dilated}, std::tuple{true, 0.2f, AttentionKind::dilated},
        std::tuple{false, 0.0f, AttentionKind::dense}, std::tuple{true, 0.2f, AttentionKind::sparse}}) {
    {
      CAPTURE(subln);
      CAPTURE(dropout);
      CAPTURE(to_string(kind));
      ModelSpec spec = recompute_spec(subln, dropout);
      spec.attention.kind = kind;
      spec.attention.sparse_block = 4;
      spec.attention.sparse_summary = 2;
      LanguageModel model(spec, 3);
      const Run none = train_pass(model, Recompute::none, 8192);
      double scale = 0;
      for (const auto& g : none.grads)
        for (float v : g) scale = std::max(scale, double(std::fabs(v)));
      REQUIRE(scale > 1e-4);  // a real gradient, not zeros
      for (Recompute mode : {Recompute::attention, Recompute::blocks}) {
        for (int64_t chunk : {5, 32, 8192}) {  // 32 rows = B*T: one chunk; 5: seven ragged chunks
          CAPTURE(recompute_name(mode));
          CAPTURE(chunk);
          const Run got = train_pass(model, mode, chunk);
          CHECK(got.loss == none.loss);  // the forward itself is unchanged
          CHECK(worst_diff(got, none) <= 1e-6 * scale);
        }
      }
    }
  }
}

TEST_CASE("under bf16 the recomputed attention and MLP chunks multiply in bf16, as the forward did") {
  // The recompute runs inside backward, after the block's PrecisionScope has ended; if it fell
  // back to fp32 the gradient would be that of another function (off by ~bf16's 2^-8).
  LanguageModel model(recompute_spec(false, 0.0f), 3);
  const Run none = train_pass(model, Recompute::none, 8192, Precision::bf16);
  const Run fp32 = train_pass(model, Recompute::none, 8192, Precision::fp32);
  double scale = 0;
  for (const auto& g : none.grads)
    for (float v : g) scale = std::max(scale, double(std::fabs(v)));
  REQUIRE(worst_diff(fp32, none) > 1e-4 * scale);  // bf16 is visible: the check below can fail
  for (Recompute mode : {Recompute::attention, Recompute::blocks}) {
    CAPTURE(recompute_name(mode));
    const Run got = train_pass(model, mode, 5, Precision::bf16);
    CHECK(got.loss == doctest::Approx(none.loss).epsilon(1e-6));
    CHECK(worst_diff(got, none) <= 1e-5 * scale);
  }
}

TEST_CASE("recompute keeps less alive: peak tensor bytes fall from none to attention to blocks") {
  ModelSpec spec = recompute_spec(false, 0.0f);
  spec.d_model = 32;
  spec.layers = 4;
  spec.mlp_ratio = 4;
  spec.vocab_size = 64;
  LanguageModel model(spec, 5);
  const int64_t B = 1, T = 512;
  std::vector<int32_t> ids(B * T), targets(B * T);
  for (int64_t i = 0; i < B * T; ++i)
    ids[i] = static_cast<int32_t>(i % 64), targets[i] = static_cast<int32_t>((i + 1) % 64);
  auto peak_of = [&](Recompute mode) {
    for (auto& [name, var] : model.parameters()) var.zero_grad();
    ForwardOptions fwd;
    fwd.train = true;
    fwd.recompute = mode;
    fwd.mlp_chunk = 64;
    const uint64_t before = tensor_bytes_live();
    reset_tensor_bytes_peak();
    model.loss(ids, targets, B, T, fwd).backward();
    return tensor_bytes_peak() - before;
  };
  const uint64_t none = peak_of(Recompute::none), attention = peak_of(Recompute::attention),
                 blocks = peak_of(Recompute::blocks);
  MESSAGE("peak tensor bytes: none ", none, ", attention ", attention, ", blocks ", blocks);
  CHECK(attention < none * 3 / 4);
  CHECK(blocks < attention * 3 / 4);
}

TEST_CASE("backward frees intermediate values the caller does not hold as it passes them") {
  // y = y * y, eight times over a 1 MB tensor of ones. mul saves both inputs, so before
  // backward the graph holds all eight values; after it only what the caller holds stays
  // alive (y, and x's gradient).
  Var x(Tensor::full({256, 1024}, 1.0f), true);
  const uint64_t mb = x.value().bytes();
  const uint64_t before = tensor_bytes_live();
  Var y = x;
  for (int i = 0; i < 8; ++i) y = mul(y, y);
  CHECK(tensor_bytes_live() - before == 8 * mb);
  y.backward(Tensor::full(y.shape(), 1.0f));
  CHECK(tensor_bytes_live() - before == 2 * mb);  // y and x.grad
  CHECK(x.grad().data()[0] == 256.0f);            // d(x^256)/dx at 1
}

TEST_CASE("an intermediate value no vjp saved is freed when its last handle goes") {
  // add saves nothing: once the loop's handles move on, the graph keeps only shapes, so the
  // forward holds one value (y) instead of eight; the backward still routes every gradient.
  Var x(Tensor::full({256, 1024}, 1.0f), true);
  const uint64_t mb = x.value().bytes();
  const uint64_t before = tensor_bytes_live();
  Var y = x;
  for (int i = 0; i < 8; ++i) y = add(y, y);
  CHECK(tensor_bytes_live() - before == mb);
  Var kept = y;  // a second handle: dropping one of two does not free the value
  y = Var();
  CHECK(kept.value().defined());
  CHECK(tensor_bytes_live() - before == mb);
  kept.backward(Tensor::full(kept.shape(), 1.0f));
  CHECK(x.grad().data()[0] == 256.0f);
  CHECK(x.value().defined());  // leaves keep their values
}
