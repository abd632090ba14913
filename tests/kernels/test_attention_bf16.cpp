// bf16 mode of the attention kernels (Precision::bf16): the vdpbf16ps path against the
// exact fallback, both against the double reference, and proof that the mode really rounds.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "attention_test_util.hpp"
#include "kernels/reference/attention_reference.hpp"

using namespace ln;
using namespace ln::test;

namespace {

struct Inputs {
  std::vector<float> q, k, v, dout;
};

Inputs inputs_for(const AttnCase& c, uint64_t seed) {
  const auto& d = c.dims;
  const int64_t nq = d.batch * d.heads * d.q_len * d.head_dim, nk = d.batch * d.heads * d.k_len * d.head_dim;
  return {random_floats(nq, seed), random_floats(nk, seed + 1), random_floats(nk, seed + 2),
          random_floats(nq, seed + 3)};
}

AttnOutputs run(const AttnCase& c, const Inputs& in, Precision precision) {
  AttentionDims d = c.dims;
  d.precision = precision;
  AttnOutputs out;
  out.o.resize(in.q.size());
  out.lse.resize(static_cast<size_t>(d.batch * d.heads * d.q_len));
  out.dq.resize(in.q.size());
  out.dk.resize(in.k.size());
  out.dv.resize(in.v.size());
  attention_forward(c.spec, d, c.window, in.q.data(), in.k.data(), in.v.data(), out.o.data(), out.lse.data());
  attention_backward(c.spec, d, c.window, in.q.data(), in.k.data(), in.v.data(), out.o.data(), out.lse.data(),
                     in.dout.data(), out.dq.data(), out.dk.data(), out.dv.data());
  return out;
}

// max_i |a_i - b_i| / max_i |b_i|: the error relative to the output's scale (-inf == -inf skipped).
template <class T>
double rel_err(const std::vector<float>& a, const std::vector<T>& b) {
  REQUIRE(a.size() == b.size());
  double scale = 1e-30, worst = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    if (std::isinf(static_cast<double>(b[i]))) continue;
    scale = std::max(scale, std::abs(static_cast<double>(b[i])));
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::isinf(static_cast<double>(b[i])) && static_cast<double>(a[i]) == static_cast<double>(b[i]))
      continue;
    const double e = std::abs(static_cast<double>(a[i]) - static_cast<double>(b[i]));
    worst = std::max(worst, std::isnan(e) ? 1e30 : e / scale);
  }
  return worst;
}

struct Errors {
  double o, lse, dq, dk, dv;
  double max() const { return std::max({o, lse, dq, dk, dv}); }
};
template <class T>
Errors errors(const AttnOutputs& a, const std::vector<T>& o, const std::vector<T>& lse,
              const std::vector<T>& dq, const std::vector<T>& dk, const std::vector<T>& dv) {
  return {rel_err(a.o, o), rel_err(a.lse, lse), rel_err(a.dq, dq), rel_err(a.dk, dk), rel_err(a.dv, dv)};
}
Errors errors(const AttnOutputs& a, const AttnOutputs& b) { return errors(a, b.o, b.lse, b.dq, b.dk, b.dv); }

AttentionSpec kind_spec(AttentionKind kind, bool causal, PositionKind pos = PositionKind::none) {
  AttentionSpec s;
  s.kind = kind;
  s.causal = causal;
  s.positions = pos;
  s.sparse_block = 16;
  s.sparse_summary = 3;
  return s;
}

// The cases: dilated (several patterns, w not a multiple of r, T not a multiple of w), dense and
// sparse, causal and not, XPOS, D a multiple of 16 and not (ragged columns), T with ragged
// query and key tiles (not a multiple of 64, odd), a few-row tile (row-by-row path).
std::vector<AttnCase> cases() {
  std::vector<AttnCase> out;
  out.push_back(make_case(dilated_spec({64, 160, 256}, {1, 2, 4}, true), 1, 4, 300, 64));
  out.push_back(make_case(dilated_spec({48, 100}, {1, 3}, false, HeadOffset::block), 2, 3, 131, 40));
  out.push_back(
      make_case(dilated_spec({32, 96}, {1, 3}, true, HeadOffset::mod, PositionKind::xpos), 1, 3, 197, 16));
  out.push_back(make_case(dilated_spec({8, 16}, {1, 2}, true), 1, 2, 19, 24));  // tiles of <= 4 rows
  // attention.dense_queries: every query residue against each head's keys (shifted causal masks).
  AttnCase dense_queries =
      make_case(dilated_spec({32, 96}, {1, 3}, true, HeadOffset::mod, PositionKind::xpos), 1, 2, 150, 32);
  dense_queries.spec.dense_queries = true;
  out.push_back(dense_queries);
  out.push_back(make_case(kind_spec(AttentionKind::dense, true), 1, 2, 257, 64));
  out.push_back(make_case(kind_spec(AttentionKind::dense, false), 2, 1, 77, 32));
  out.push_back(make_case(kind_spec(AttentionKind::sparse, true), 1, 2, 150, 16));
  out.push_back(make_case(kind_spec(AttentionKind::sparse, false), 1, 2, 99, 48));
  // Windows: a slice of queries at global positions, and pre-sparsified keys (DESIGN §4).
  AttnCase slice =
      make_case(dilated_spec({8, 24, 64}, {1, 2, 4}, true, HeadOffset::mod, PositionKind::xpos), 1, 4, 9, 16);
  slice.window = {.q_start = 70, .k_start = 48, .seq_len = 200};
  slice.dims.k_len = 70 + 9 - 48;
  out.push_back(slice);
  AttnCase sparsified = make_case(dilated_spec({24}, {3}, true), 1, 2, 24, 16);
  sparsified.window = {.q_start = 24, .k_start = 24, .seq_len = 48, .keys_sparsified = true};
  sparsified.dims.k_len = 8;
  out.push_back(sparsified);
  return out;
}

std::string describe(const AttnCase& c) {
  return std::string(to_string(c.spec.kind)) + " causal=" + std::to_string(c.spec.causal) +
         " q_start=" + std::to_string(c.window.q_start) +
         " sparsified=" + std::to_string(c.window.keys_sparsified) + " B=" + std::to_string(c.dims.batch) +
         " H=" + std::to_string(c.dims.heads) + " T=" + std::to_string(c.dims.q_len) +
         " D=" + std::to_string(c.dims.head_dim) + " positions=" + to_string(c.spec.positions) +
         " dense_queries=" + std::to_string(c.spec.dense_queries);
}

struct Restore {
  ~Restore() {
    set_attention_isa(AttentionIsa::automatic);
    set_attention_bf16_dot(AttentionBf16Dot::automatic);
    set_attention_backward_split(AttentionBackwardSplit::automatic);
  }
};

}  // namespace

// Both paths multiply the same bf16 operands; bf16 x bf16 products are exact in fp32, so they
// can differ only in how the fp32 sums are rounded (the fallback even adds in vdpbf16ps's
// order, odd element first; on the AMD Zen CPU this was written on the results are
// bit-identical). Tolerance: 1e-5 of each output's largest magnitude, ~100 fp32 ulps: far below
// bf16's 2^-9 rounding, so a path that rounded differently (or not at all) fails.
TEST_CASE("bf16 mode: vdpbf16ps and the exact fallback agree up to fp32 summation order") {
  Restore restore;
  set_attention_isa(AttentionIsa::automatic);
  set_attention_bf16_dot(AttentionBf16Dot::automatic);
  __builtin_cpu_init();
  const bool has_bf16 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
                        __builtin_cpu_supports("avx512bf16");
  CHECK(std::string(attention_bf16_dot_name()) == (has_bf16 ? "vdpbf16ps" : "fma"));
  if (!has_bf16) MESSAGE("this CPU has no AVX512-BF16: the vdpbf16ps side is the fallback too");
  uint64_t seed = 500;
  for (const AttnCase& c : cases()) {
    const Inputs in = inputs_for(c, seed += 10);
    set_attention_isa(AttentionIsa::automatic);
    set_attention_bf16_dot(AttentionBf16Dot::automatic);
    const AttnOutputs native = run(c, in, Precision::bf16);
    set_attention_bf16_dot(AttentionBf16Dot::fallback);
    const AttnOutputs fallback = run(c, in, Precision::bf16);
    set_attention_isa(AttentionIsa::avx2);
    const AttnOutputs avx2 = run(c, in, Precision::bf16);
    // The split backward (key-tile and query-tile parts) is bit-identical to the fused one.
    set_attention_isa(AttentionIsa::automatic);
    set_attention_bf16_dot(AttentionBf16Dot::automatic);
    set_attention_backward_split(AttentionBackwardSplit::always);
    const AttnOutputs split = run(c, in, Precision::bf16);
    set_attention_backward_split(AttentionBackwardSplit::never);
    const AttnOutputs fused = run(c, in, Precision::bf16);
    set_attention_backward_split(AttentionBackwardSplit::automatic);
    const Errors e1 = errors(native, fallback), e2 = errors(avx2, fallback);
    INFO(describe(c), " native-fallback o ", e1.o, " lse ", e1.lse, " dq ", e1.dq, " dk ", e1.dk, " dv ",
         e1.dv, "; avx2-avx512 fallback ", e2.max());
    CHECK(e1.max() < 1e-5);
    CHECK(e2.max() < 1e-5);
    CHECK(split.dq == fused.dq);
    CHECK(split.dk == fused.dk);
    CHECK(split.dv == fused.dv);
  }
}

// Tolerance from bf16's 8-bit mantissa: each rounding to nearest even errs by at most
// u = 2^-9 ~ 1.95e-3 relatively. The forward rounds q, k (so a score errs by up to ~2u of
// sum_t |q_t k_t| scale, which P inherits), P and v: ~4u ~ 8e-3 of the output's scale in the
// worst case; the backward adds dO and dS (~6u ~ 1.2e-2). We hold every output to 2e-2 of its
// largest magnitude (observed: <= 5.9e-3) while fp32 mode stays below 1e-4 (observed ~7e-7).
// And the mode must really round: o, dq, dk, dv must differ from the reference by more than
// u / 4 ~ 5e-4 (observed >= 1.6e-3), which fp32 arithmetic never does.
TEST_CASE("bf16 mode equals the double reference within bf16 rounding, and really rounds") {
  Restore restore;
  uint64_t seed = 700;
  for (const AttnCase& c : cases()) {
    const Inputs in = inputs_for(c, seed += 10);
    const ReferenceOutputs ref = reference_outputs(c, in.q, in.k, in.v, in.dout);
    for (auto [isa, dot] : {std::pair{AttentionIsa::automatic, AttentionBf16Dot::automatic},
                            std::pair{AttentionIsa::automatic, AttentionBf16Dot::fallback},
                            std::pair{AttentionIsa::avx2, AttentionBf16Dot::fallback}}) {
      set_attention_isa(isa);
      set_attention_bf16_dot(dot);
      const AttnOutputs b = run(c, in, Precision::bf16);
      const AttnOutputs f = run(c, in, Precision::fp32);
      const Errors eb = errors(b, ref.o, ref.lse, ref.dq, ref.dk, ref.dv),
                   ef = errors(f, ref.o, ref.lse, ref.dq, ref.dk, ref.dv);
      INFO(describe(c), " ", std::string(attention_isa_name()), "/", std::string(attention_bf16_dot_name()),
           " bf16 o ", eb.o, " lse ", eb.lse, " dq ", eb.dq, " dk ", eb.dk, " dv ", eb.dv, " | fp32 ",
           ef.max());
      CHECK(eb.max() < 2e-2);
      CHECK(ef.max() < 1e-4);
      CHECK(std::min({eb.o, eb.dq, eb.dk, eb.dv}) > 5e-4);
    }
  }
}
