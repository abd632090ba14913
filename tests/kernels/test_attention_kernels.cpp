// The fast attention kernels against their double-precision reference twins over a grid of
// awkward shapes (T not a multiple of w, T < w, w not a multiple of r, H not a multiple of r,
// both head-offset rules, causal and bidirectional, D from 3 to 128), for both SIMD paths.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "attention_test_util.hpp"
#include "core/error.hpp"
#include "kernels/reference/attention_reference.hpp"

using namespace ln;
using namespace ln::test;

namespace {

AttnOutputs run_fast(const AttnCase& c, const std::vector<float>& q, const std::vector<float>& k,
                     const std::vector<float>& v, const std::vector<float>& dout) {
  const auto& d = c.dims;
  AttnOutputs out;
  out.o.resize(static_cast<size_t>(d.batch * d.heads * d.q_len * d.head_dim));
  out.lse.resize(static_cast<size_t>(d.batch * d.heads * d.q_len));
  out.dq.resize(q.size());
  out.dk.resize(k.size());
  out.dv.resize(v.size());
  attention_forward(c.spec, d, c.window, q.data(), k.data(), v.data(), out.o.data(), out.lse.data());
  attention_backward(c.spec, d, c.window, q.data(), k.data(), v.data(), out.o.data(), out.lse.data(),
                     dout.data(), out.dq.data(), out.dk.data(), out.dv.data());
  return out;
}

// Forward and backward of the fast kernel equal the multiset reference (double).
void check_against_reference(const AttnCase& c, uint64_t seed) {
  const auto& d = c.dims;
  const int64_t nq = d.batch * d.heads * d.q_len * d.head_dim, nk = d.batch * d.heads * d.k_len * d.head_dim;
  auto q = random_floats(nq, seed), k = random_floats(nk, seed + 1), v = random_floats(nk, seed + 2);
  auto dout = random_floats(nq, seed + 3);
  const ReferenceOutputs ref = reference_outputs(c, q, k, v, dout);
  for (auto [isa, split] : {std::pair{AttentionIsa::avx2, AttentionBackwardSplit::never},
                            std::pair{AttentionIsa::avx512, AttentionBackwardSplit::never},
                            std::pair{AttentionIsa::avx512, AttentionBackwardSplit::always}}) {
    set_attention_isa(isa);
    set_attention_backward_split(split);
    AttnOutputs f = run_fast(c, q, k, v, dout);
    INFO("isa ", attention_isa_name(), " split backward ", split == AttentionBackwardSplit::always, " kind ",
         to_string(c.spec.kind), " B=", d.batch, " H=", d.heads, " Tq=", d.q_len, " Tk=", d.k_len,
         " D=", d.head_dim, " causal=", c.spec.causal, " offset=", to_string(c.spec.head_offset),
         " positions=", to_string(c.spec.positions), " q_start=", c.window.q_start,
         " k_start=", c.window.k_start);
    CHECK(worst_ratio(f.o, ref.o, 2e-5, 2e-4) <= 1.0);
    CHECK(worst_ratio(f.lse, ref.lse, 2e-5, 2e-5) <= 1.0);
    CHECK(worst_ratio(f.dq, ref.dq, 5e-5, 1e-3) <= 1.0);
    CHECK(worst_ratio(f.dk, ref.dk, 5e-5, 1e-3) <= 1.0);
    CHECK(worst_ratio(f.dv, ref.dv, 5e-5, 1e-3) <= 1.0);
  }
  set_attention_isa(AttentionIsa::automatic);
  set_attention_backward_split(AttentionBackwardSplit::automatic);
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
          check_against_reference(make_case(dilated_spec(w, r, causal, rule), 1, 3, T, D), seed++);
        }
}

TEST_CASE(
    "attention.dense_queries: every query of a segment against each head's key grid, as the reference") {
  uint64_t seed = 500;
  // Query residues below and above the head's offset (the causal shift of one less), r > H,
  // T not a multiple of w, XPOS measured per position.
  const std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>> patterns = {
      {{10}, {3}}, {{16, 40}, {1, 2}}, {{6, 12, 200}, {1, 4, 3}}};
  for (const auto& [w, r] : patterns)
    for (bool causal : {true, false})
      for (HeadOffset rule : {HeadOffset::mod, HeadOffset::block})
        for (int64_t T : {1, 37, 131}) {
          AttentionSpec spec =
              dilated_spec(w, r, causal, rule, seed % 2 ? PositionKind::xpos : PositionKind::none);
          spec.dense_queries = true;
          check_against_reference(make_case(spec, 1, 3, T, seed % 2 ? 16 : 20), seed++);
        }
}

TEST_CASE("attention.dense_queries counts r times the pairs of a dilated pattern (by hand)") {
  // One segment of 8, r = 2, causal, 2 heads of D = 4. Paper: head 0 answers queries 0, 2, 4, 6
  // with keys 0, 2, 4, 6 (1 + 2 + 3 + 4 = 10 pairs), head 1 queries 1, 3, 5, 7 with keys 1, 3, 5, 7
  // (10). Dense queries: head 0 answers every query n with the keys 0, 2, .. <= n (1, 1, 2, 2, 3,
  // 3, 4, 4: 20 pairs), head 1 with the keys 1, 3, .. <= n (0, 1, 1, 2, 2, 3, 3, 4: 16).
  AttentionSpec spec = dilated_spec({8}, {2}, true);
  AttentionDims dims;
  dims.batch = 1;
  dims.heads = 2;
  dims.q_len = dims.k_len = 8;
  dims.head_dim = 4;
  CHECK(attention_forward_flops(spec, dims) == 4.0 * 4 * (10 + 10));
  spec.dense_queries = true;
  CHECK(attention_forward_flops(spec, dims) == 4.0 * 4 * (20 + 16));
  // Not a dilated kind: refused by name.
  spec.kind = AttentionKind::dense;
  CHECK_THROWS_WITH_AS(validate_attention_spec(spec, 2, 4),
                       doctest::Contains("attention.dense_queries is true but attention.kind is dense"),
                       Error);
}

TEST_CASE("dilated kernel handles every head dimension the models use") {
  for (int64_t D : {16, 32, 64, 128})
    check_against_reference(make_case(dilated_spec({32, 64}, {1, 2}, true), 2, 2, 150, D), 7 + D);
}

TEST_CASE("dense and sparse kernels equal their references") {
  for (bool causal : {true, false}) {
    AttentionSpec dense;
    dense.kind = AttentionKind::dense;
    dense.causal = causal;
    dense.positions = PositionKind::none;
    check_against_reference(make_case(dense, 1, 2, 1, 16), 1);
    check_against_reference(make_case(dense, 2, 2, 150, 32), 2);
    AttentionSpec sparse = dense;
    sparse.kind = AttentionKind::sparse;
    sparse.sparse_block = 16;
    sparse.sparse_summary = 3;
    check_against_reference(make_case(sparse, 2, 2, 150, 16), 3);
    check_against_reference(make_case(sparse, 1, 1, 16, 8), 4);  // a single block: no summaries
    sparse.sparse_block = 7;
    sparse.sparse_summary = 7;  // every column is a summary column
    check_against_reference(make_case(sparse, 1, 1, 40, 8), 5);
  }
}

TEST_CASE("XPOS decay inside the kernels equals the reference") {
  check_against_reference(
      make_case(dilated_spec({16, 48}, {1, 3}, true, HeadOffset::mod, PositionKind::xpos), 1, 3, 100, 16),
      11);
  check_against_reference(
      make_case(dilated_spec({16, 48}, {1, 3}, false, HeadOffset::block, PositionKind::xpos), 1, 3, 60, 32),
      12);
  AttentionSpec dense;
  dense.kind = AttentionKind::dense;
  dense.positions = PositionKind::xpos;
  dense.xpos_scale_base = 32.f;  // strong decay, so a wrong sign or centre shows
  check_against_reference(make_case(dense, 1, 1, 90, 16), 13);
  AttentionSpec sparse = dense;
  sparse.kind = AttentionKind::sparse;
  sparse.sparse_block = 16;
  sparse.sparse_summary = 4;
  check_against_reference(make_case(sparse, 1, 1, 90, 16), 14);
}

TEST_CASE("windows: a slice of the queries at global positions equals the same rows of the full run") {
  // The KV-cache / sequence-parallel interface: queries [q_start, q_start + Tq), keys [k_start, ...).
  auto spec = dilated_spec({8, 24, 64}, {1, 2, 4}, true, HeadOffset::mod, PositionKind::xpos);
  for (int64_t q_start : {0, 5, 48, 70}) {
    AttnCase c = make_case(spec, 1, 4, 9, 16);
    c.window.q_start = q_start;
    c.window.k_start = q_start >= 48 ? 48 : 0;  // keys from the start of the longest segment
    c.dims.k_len = q_start + 9 - c.window.k_start;
    c.window.seq_len = 200;
    check_against_reference(c, 20 + q_start);
  }
  // A single decode step: one query against the cache.
  AttnCase c = make_case(spec, 1, 4, 1, 16);
  c.window.q_start = 77;
  c.window.k_start = 64;
  c.dims.k_len = 14;
  check_against_reference(c, 30);
}

TEST_CASE("pre-sparsified keys give what the dense key rows give") {
  // One pattern (w = 24, r = 3), segment [24, 48): head h's keys are 24 + g(h) + 3j.
  auto spec = dilated_spec({24}, {3}, true);
  AttnCase c = make_case(spec, 1, 2, 24, 16);
  c.window.q_start = 24;
  c.window.k_start = 24;
  c.window.seq_len = 48;
  c.window.keys_sparsified = true;
  c.dims.k_len = 8;
  check_against_reference(c, 40);
}

namespace {
double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::isinf(a[i]) && a[i] == b[i]) continue;
    m = std::max(m, static_cast<double>(std::abs(a[i] - b[i])));
  }
  return m;
}
}  // namespace

TEST_CASE("KV-cache decoding: one query at a time against the cached keys equals the full causal run") {
  // Invariant 3 at the kernel level. The cache holds the last w_max keys, positions
  // [t - w_max + 1, t] (DESIGN §3's ring, linearised): every pattern's current segment starts
  // at s_p > t - w_p >= t - w_max, so all keys any pattern can see are there. (Segments of
  // different w need not nest: w = 12 straddles the w = 32 boundary at 32.)
  auto spec = dilated_spec({4, 12, 32}, {1, 2, 4}, true, HeadOffset::mod, PositionKind::xpos);
  const int64_t H = 4, T = 70, D = 16, w_max = 32;
  AttnCase full = make_case(spec, 1, H, T, D);
  auto q = random_floats(H * T * D, 50), k = random_floats(H * T * D, 51), v = random_floats(H * T * D, 52);
  std::vector<float> o(q.size()), lse(H * T);
  attention_forward(spec, full.dims, {}, q.data(), k.data(), v.data(), o.data(), lse.data());
  for (int64_t t = 0; t < T; ++t) {
    const int64_t k0 = std::max<int64_t>(0, t - w_max + 1), nk = t + 1 - k0;
    std::vector<float> qt(H * D), kc(H * nk * D), vc(H * nk * D), ot(H * D), lt(H);
    for (int64_t h = 0; h < H; ++h) {
      std::copy_n(q.data() + (h * T + t) * D, D, qt.data() + h * D);
      std::copy_n(k.data() + (h * T + k0) * D, nk * D, kc.data() + h * nk * D);
      std::copy_n(v.data() + (h * T + k0) * D, nk * D, vc.data() + h * nk * D);
    }
    AttentionDims d = full.dims;
    d.q_len = 1;
    d.k_len = nk;
    AttentionWindow w;
    w.q_start = t;
    w.k_start = k0;
    attention_forward(spec, d, w, qt.data(), kc.data(), vc.data(), ot.data(), lt.data());
    for (int64_t h = 0; h < H; ++h) {
      INFO("t = ", t, " h = ", h);
      for (int64_t c = 0; c < D; ++c)
        REQUIRE(ot[h * D + c] == doctest::Approx(o[(h * T + t) * D + c]).epsilon(1e-5));
      REQUIRE(lt[h] == doctest::Approx(lse[h * T + t]).epsilon(1e-5));
    }
  }
}

TEST_CASE(
    "sequence-parallel use of the interface: per-rank calls reproduce the full run, forward and backward") {
  // DESIGN §4 emulated in one process: P = 2 ranks of l = 48 tokens. Patterns with w <= l run
  // on the rank's own rows; for w > l the rank gathers its segment's keys, already sparsified
  // by head offset, from the segment start up to its own end, and merges with accumulate.
  auto spec = dilated_spec({16, 48, 96}, {1, 2, 4}, true, HeadOffset::mod, PositionKind::none);
  const int64_t H = 3, T = 96, D = 16, P = 2, l = T / P;
  AttnCase full = make_case(spec, 1, H, T, D);
  auto q = random_floats(H * T * D, 60), k = random_floats(H * T * D, 61), v = random_floats(H * T * D, 62),
       dout = random_floats(H * T * D, 63);
  std::vector<float> o(q.size()), lse(H * T), dq(q.size()), dk(q.size()), dv(q.size());
  attention_forward(spec, full.dims, {}, q.data(), k.data(), v.data(), o.data(), lse.data());
  attention_backward(spec, full.dims, {}, q.data(), k.data(), v.data(), o.data(), lse.data(), dout.data(),
                     dq.data(), dk.data(), dv.data());

  std::vector<float> o2(q.size()), lse2(H * T), dq2(q.size(), 0.f), dk2(q.size(), 0.f), dv2(q.size(), 0.f);
  auto rows = [&](const std::vector<float>& x, int64_t start, int64_t n) {  // (H, n, D) slice of (H, T, D)
    std::vector<float> out(H * n * D);
    for (int64_t h = 0; h < H; ++h)
      std::copy_n(x.data() + (h * T + start) * D, n * D, out.data() + h * n * D);
    return out;
  };
  for (int pass = 0; pass < 2; ++pass) {  // 0: forward of every rank, 1: backward of every rank
    for (int64_t R = 0; R < P; ++R) {
      auto ql = rows(q, R * l, l), dol = rows(dout, R * l, l);
      std::vector<float> ol(H * l * D, 0.f), ll(H * l, -INFINITY), dql(H * l * D, 0.f);
      if (pass == 1) {
        ol = rows(o2, R * l, l);
        for (int64_t h = 0; h < H; ++h) std::copy_n(lse2.data() + h * T + R * l, l, ll.data() + h * l);
      }
      for (size_t p = 0; p < spec.segments.size(); ++p) {
        auto one = dilated_spec({spec.segments[p]}, {spec.dilations[p]});
        const int64_t w = spec.segments[p], r = spec.dilations[p];
        AttentionDims d = full.dims;
        d.q_len = l;
        AttentionWindow win;
        win.q_start = R * l;
        win.seq_len = T;
        win.accumulate = true;
        std::vector<float> kl, vl;
        std::vector<int64_t> pos;  // global position of each key row, per head
        if (w <= l) {
          win.k_start = R * l;
          d.k_len = l;
          kl = rows(k, R * l, l);
          vl = rows(v, R * l, l);
          for (int64_t h = 0; h < H; ++h)
            for (int64_t j = 0; j < l; ++j) pos.push_back(R * l + j);
        } else {
          const int64_t s = R * l / w * w, n = ((R + 1) * l - s) / r;
          win.k_start = s;
          win.keys_sparsified = true;
          d.k_len = n;
          kl.resize(H * n * D);
          vl.resize(H * n * D);
          for (int64_t h = 0; h < H; ++h)
            for (int64_t j = 0; j < n; ++j) {
              const int64_t m = s + head_offset_of(HeadOffset::mod, h, H, r) + j * r;
              pos.push_back(m);
              std::copy_n(k.data() + (h * T + m) * D, D, kl.data() + (h * n + j) * D);
              std::copy_n(v.data() + (h * T + m) * D, D, vl.data() + (h * n + j) * D);
            }
        }
        if (pass == 0) {
          attention_forward(one, d, win, ql.data(), kl.data(), vl.data(), ol.data(), ll.data());
        } else {
          std::vector<float> dkl(kl.size(), 0.f), dvl(vl.size(), 0.f);
          attention_backward(one, d, win, ql.data(), kl.data(), vl.data(), ol.data(), ll.data(), dol.data(),
                             dql.data(), dkl.data(), dvl.data());
          // The gather's backward: a reduce-scatter back to the key rows' owners.
          for (int64_t h = 0; h < H; ++h)
            for (int64_t j = 0; j < d.k_len; ++j)
              for (int64_t c = 0; c < D; ++c) {
                dk2[(h * T + pos[h * d.k_len + j]) * D + c] += dkl[(h * d.k_len + j) * D + c];
                dv2[(h * T + pos[h * d.k_len + j]) * D + c] += dvl[(h * d.k_len + j) * D + c];
              }
        }
      }
      for (int64_t h = 0; h < H; ++h) {
        if (pass == 0) {
          std::copy_n(ol.data() + h * l * D, l * D, o2.data() + (h * T + R * l) * D);
          std::copy_n(ll.data() + h * l, l, lse2.data() + h * T + R * l);
        } else {
          std::copy_n(dql.data() + h * l * D, l * D, dq2.data() + (h * T + R * l) * D);
        }
      }
    }
  }
  CHECK(max_abs_diff(o, o2) < 1e-5);
  CHECK(max_abs_diff(lse, lse2) < 1e-5);
  CHECK(max_abs_diff(dq, dq2) < 1e-5);
  CHECK(max_abs_diff(dk, dk2) < 1e-5);
  CHECK(max_abs_diff(dv, dv2) < 1e-5);
}

TEST_CASE("kernel calls with inconsistent windows are refused with one line") {
  auto spec = dilated_spec({8, 16}, {1, 2});
  std::vector<float> buf(4 * 64 * 16, 0.f), lse(256);
  auto error_of = [&](const AttentionSpec& s, AttentionDims d, AttentionWindow w) {
    try {
      attention_forward(s, d, w, buf.data(), buf.data(), buf.data(), buf.data(), lse.data());
    } catch (const Error& e) {
      return e.message();
    }
    return std::string();
  };
  AttentionDims d;
  d.heads = 2;
  d.q_len = d.k_len = 16;
  d.head_dim = 16;
  AttentionWindow w;
  CHECK(error_of(spec, d, w).empty());
  AttentionDims bad = d;
  bad.head_dim = 0;
  CHECK(error_of(spec, bad, w).find("bad sizes") != std::string::npos);
  AttentionWindow neg;
  neg.q_start = -1;
  CHECK(error_of(spec, d, neg).find("must be >= 0") != std::string::npos);
  AttentionWindow past;
  past.q_start = 10;
  past.seq_len = 20;
  CHECK(error_of(spec, d, past).find("reach past seq_len = 20") != std::string::npos);
  AttentionWindow sparse;
  sparse.keys_sparsified = true;
  CHECK(error_of(spec, d, sparse).find("exactly one pattern") != std::string::npos);
  sparse.k_start = 3;
  sparse.seq_len = 64;
  CHECK(error_of(dilated_spec({16}, {2}), d, sparse).find("k_start = 3 is not a multiple") !=
        std::string::npos);
}

TEST_CASE("XPOS stays finite and exact a million positions in") {
  // Per-segment centring: the decay factors only span w/2 around each segment's centre, so a
  // window of queries at ~2^20 (with the cache's last w_max keys) matches the reference, which
  // computes zeta^((n - m)/scale_base) directly. Whole-sequence centring would need e^(~2500).
  auto spec = dilated_spec({16, 64}, {1, 2}, true, HeadOffset::mod, PositionKind::xpos);
  AttnCase c = make_case(spec, 1, 2, 8, 16);
  c.window.q_start = (int64_t{1} << 20) + 5;
  c.window.k_start = c.window.q_start + 8 - 64;
  c.dims.k_len = 64;
  check_against_reference(c, 70);
}
