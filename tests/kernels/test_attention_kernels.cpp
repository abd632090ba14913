// The fast attention kernels against their double-precision reference twins over a grid of
// awkward shapes (T not a multiple of w, T < w, w not a multiple of r, H not a multiple of r,
// both head-offset rules, causal and bidirectional, D from 3 to 128), for both SIMD paths.
#include <doctest/doctest.h>

#include <string>

#include "attention_test_util.hpp"
#include "kernels/reference/attention_reference.hpp"

using namespace ln;
using namespace ln::test;

namespace {

struct Outputs {
  std::vector<float> o, lse, dq, dk, dv;
};

Outputs run_fast(const AttnCase& c, const std::vector<float>& q, const std::vector<float>& k,
                 const std::vector<float>& v, const std::vector<float>& dout) {
  const auto& d = c.dims;
  Outputs out;
  out.o.resize(static_cast<size_t>(d.batch * d.heads * d.q_len * d.head_dim));
  out.lse.resize(static_cast<size_t>(d.batch * d.heads * d.q_len));
  out.dq.resize(q.size());
  out.dk.resize(k.size());
  out.dv.resize(v.size());
  attention_forward(c.spec, d, c.window, q.data(), k.data(), v.data(), out.o.data(), out.lse.data());
  attention_backward(c.spec, d, c.window, q.data(), k.data(), v.data(), out.o.data(), out.lse.data(), dout.data(),
                     out.dq.data(), out.dk.data(), out.dv.data());
  return out;
}

// Forward and backward of the fast kernel equal the multiset reference (double).
void check_against_reference(const AttnCase& c, uint64_t seed) {
  const auto& d = c.dims;
  const int64_t nq = d.batch * d.heads * d.q_len * d.head_dim, nk = d.batch * d.heads * d.k_len * d.head_dim;
  auto q = random_floats(nq, seed), k = random_floats(nk, seed + 1), v = random_floats(nk, seed + 2);
  auto dout = random_floats(nq, seed + 3);
  std::vector<double> o(static_cast<size_t>(nq)), lse(static_cast<size_t>(nq / d.head_dim)), dq(q.size()),
      dk(k.size()), dv(v.size());
  auto qd = to_double(q), kd = to_double(k), vd = to_double(v), dod = to_double(dout);
  reference::attention_forward_multiset(c.spec, d, c.window, qd.data(), kd.data(), vd.data(), o.data(), lse.data());
  reference::attention_backward_multiset(c.spec, d, c.window, qd.data(), kd.data(), vd.data(), dod.data(), dq.data(),
                                         dk.data(), dv.data());
  for (AttentionIsa isa : {AttentionIsa::avx2, AttentionIsa::avx512}) {
    set_attention_isa(isa);
    Outputs f = run_fast(c, q, k, v, dout);
    INFO("isa ", attention_isa_name(), " kind ", to_string(c.spec.kind), " B=", d.batch, " H=", d.heads,
         " Tq=", d.q_len, " Tk=", d.k_len, " D=", d.head_dim, " causal=", c.spec.causal, " offset=",
         to_string(c.spec.head_offset), " positions=", to_string(c.spec.positions), " q_start=", c.window.q_start,
         " k_start=", c.window.k_start);
    CHECK(worst_ratio(f.o, o, 2e-5, 2e-4) <= 1.0);
    CHECK(worst_ratio(f.lse, lse, 2e-5, 2e-5) <= 1.0);
    CHECK(worst_ratio(f.dq, dq, 5e-5, 1e-3) <= 1.0);
    CHECK(worst_ratio(f.dk, dk, 5e-5, 1e-3) <= 1.0);
    CHECK(worst_ratio(f.dv, dv, 5e-5, 1e-3) <= 1.0);
  }
  set_attention_isa(AttentionIsa::automatic);
}

AttnCase make(AttentionSpec spec, int64_t B, int64_t H, int64_t T, int64_t D) {
  AttnCase c;
  c.spec = std::move(spec);
  c.dims.batch = B;
  c.dims.heads = H;
  c.dims.q_len = c.dims.k_len = T;
  c.dims.head_dim = D;
  return c;
}

}  // namespace

TEST_CASE("dilated kernel equals the reference over a grid of shapes") {
  uint64_t seed = 100;
  // (segments, dilations): T not a multiple of w, w not a multiple of r, T < w, r > H.
  const std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>> patterns = {
      {{8}, {1}}, {{10}, {3}}, {{16, 40}, {1, 2}}, {{6, 12, 200}, {1, 4, 3}}, {{64, 96}, {2, 5}}};
  for (const auto& [w, r] : patterns)
    for (bool causal : {true, false})
      for (HeadOffset rule : {HeadOffset::mod, HeadOffset::block})
        for (int64_t T : {1, 37, 131}) {
          const int64_t D = (seed % 3 == 0) ? 16 : (seed % 3 == 1 ? 20 : 3);
          check_against_reference(make(dilated_spec(w, r, causal, rule), 1, 3, T, D), seed++);
        }
}

TEST_CASE("dilated kernel handles every head dimension the models use") {
  for (int64_t D : {16, 32, 64, 128})
    check_against_reference(make(dilated_spec({32, 64}, {1, 2}, true), 2, 2, 150, D), 7 + D);
}

TEST_CASE("dense and sparse kernels equal their references") {
  for (bool causal : {true, false}) {
    AttentionSpec dense;
    dense.kind = AttentionKind::dense;
    dense.causal = causal;
    dense.positions = PositionKind::none;
    check_against_reference(make(dense, 1, 2, 1, 16), 1);
    check_against_reference(make(dense, 2, 2, 150, 32), 2);
    AttentionSpec sparse = dense;
    sparse.kind = AttentionKind::sparse;
    sparse.sparse_block = 16;
    sparse.sparse_summary = 3;
    check_against_reference(make(sparse, 1, 2, 150, 16), 3);
    check_against_reference(make(sparse, 1, 1, 16, 8), 4);  // a single block: no summaries
    sparse.sparse_block = 7;
    sparse.sparse_summary = 7;  // every column is a summary column
    check_against_reference(make(sparse, 1, 1, 40, 8), 5);
  }
}

TEST_CASE("XPOS decay inside the kernels equals the reference") {
  check_against_reference(make(dilated_spec({16, 48}, {1, 3}, true, HeadOffset::mod, PositionKind::xpos), 1, 3, 100, 16), 11);
  check_against_reference(make(dilated_spec({16, 48}, {1, 3}, false, HeadOffset::block, PositionKind::xpos), 1, 3, 60, 32), 12);
  AttentionSpec dense;
  dense.kind = AttentionKind::dense;
  dense.positions = PositionKind::xpos;
  dense.xpos_scale_base = 32.f;  // strong decay, so a wrong sign or centre shows
  check_against_reference(make(dense, 1, 1, 90, 16), 13);
  AttentionSpec sparse = dense;
  sparse.kind = AttentionKind::sparse;
  sparse.sparse_block = 16;
  sparse.sparse_summary = 4;
  check_against_reference(make(sparse, 1, 1, 90, 16), 14);
}

TEST_CASE("windows: a slice of the queries at global positions equals the same rows of the full run") {
  // The KV-cache / sequence-parallel interface: queries [q_start, q_start + Tq), keys [k_start, ...).
  auto spec = dilated_spec({8, 24, 64}, {1, 2, 4}, true, HeadOffset::mod, PositionKind::xpos);
  for (int64_t q_start : {0, 5, 48, 70}) {
    AttnCase c = make(spec, 1, 4, 9, 16);
    c.window.q_start = q_start;
    c.window.k_start = q_start >= 48 ? 48 : 0;  // keys from the start of the longest segment
    c.dims.k_len = q_start + 9 - c.window.k_start;
    c.window.seq_len = 200;
    check_against_reference(c, 20 + q_start);
  }
  // A single decode step: one query against the cache.
  AttnCase c = make(spec, 1, 4, 1, 16);
  c.window.q_start = 77;
  c.window.k_start = 64;
  c.dims.k_len = 14;
  check_against_reference(c, 30);
}

TEST_CASE("pre-sparsified keys give what the dense key rows give") {
  // One pattern (w = 24, r = 3), segment [24, 48): head h's keys are 24 + g(h) + 3j.
  auto spec = dilated_spec({24}, {3}, true);
  AttnCase c = make(spec, 1, 2, 24, 16);
  c.window.q_start = 24;
  c.window.k_start = 24;
  c.window.seq_len = 48;
  c.window.keys_sparsified = true;
  c.dims.k_len = 8;
  check_against_reference(c, 40);
}
