// DESIGN §2's invariants on the kernels and their references: (1) one pattern (w >= T, r = 1)
// is dense causal attention; (2) the mixture of patterns is one softmax over the concatenated
// key multiset (two independent formulations agree); (5) the backward equals central finite
// differences in double; and determinism across runs and thread counts.
#include <doctest/doctest.h>

#include <cstring>

#include "attention_test_util.hpp"
#include "core/threading.hpp"
#include "kernels/reference/attention_reference.hpp"

using namespace ln;
using namespace ln::test;

namespace {
AttentionDims dims_of(int64_t B, int64_t H, int64_t T, int64_t D) {
  AttentionDims d;
  d.batch = B;
  d.heads = H;
  d.q_len = d.k_len = T;
  d.head_dim = D;
  return d;
}

struct Fwd {
  std::vector<float> o, lse;
};
Fwd fast_forward(const AttentionSpec& spec, const AttentionDims& d, const std::vector<float>& q,
                 const std::vector<float>& k, const std::vector<float>& v) {
  Fwd f;
  f.o.resize(q.size());
  f.lse.resize(q.size() / static_cast<size_t>(d.head_dim));
  attention_forward(spec, d, {}, q.data(), k.data(), v.data(), f.o.data(), f.lse.data());
  return f;
}
}  // namespace

TEST_CASE("invariant 1: one pattern with w >= T and r = 1 equals dense causal attention") {
  const auto d = dims_of(2, 3, 77, 32);
  auto q = random_floats(2 * 3 * 77 * 32, 1), k = random_floats(q.size(), 2), v = random_floats(q.size(), 3);
  AttentionSpec dense;
  dense.kind = AttentionKind::dense;
  dense.positions = PositionKind::none;
  std::vector<double> o(q.size()), lse(q.size() / 32);
  auto qd = to_double(q), kd = to_double(k), vd = to_double(v);
  reference::attention_forward_multiset(dense, d, {}, qd.data(), kd.data(), vd.data(), o.data(), lse.data());
  for (int64_t w : {77, 78, 4096}) {
    auto one = dilated_spec({w}, {1});
    Fwd f = fast_forward(one, d, q, k, v);
    CHECK(worst_ratio(f.o, o, 2e-5, 2e-4) <= 1.0);
    CHECK(worst_ratio(f.lse, lse, 2e-5, 2e-5) <= 1.0);
    std::vector<double> oc(q.size()), lc(lse.size());
    reference::dilated_attention_forward_closed_form(one, d, qd.data(), kd.data(), vd.data(), oc.data(),
                                                     lc.data());
    for (size_t i = 0; i < o.size(); ++i) REQUIRE(std::abs(oc[i] - o[i]) < 1e-12);
  }
  // ... and a dense fast run is the same function.
  Fwd fd = fast_forward(dense, d, q, k, v);
  CHECK(worst_ratio(fd.o, o, 2e-5, 2e-4) <= 1.0);
}

TEST_CASE("invariant 2: the LSE-merged mixture is one softmax over the key multiset") {
  // Two formulations written independently: the paper's closed form (gather, attend, scatter,
  // merge per pattern) and a per-query softmax over keys weighted by their multiplicity.
  const auto d = dims_of(1, 5, 53, 8);
  auto q = to_double(random_floats(5 * 53 * 8, 4, -2.f, 2.f)),
       k = to_double(random_floats(5 * 53 * 8, 5, -2.f, 2.f)), v = to_double(random_floats(5 * 53 * 8, 6));
  for (bool causal : {true, false})
    for (HeadOffset rule : {HeadOffset::mod, HeadOffset::block})
      for (PositionKind pos : {PositionKind::none, PositionKind::xpos}) {
        auto spec = dilated_spec({4, 10, 24, 64}, {1, 3, 2, 6}, causal, rule, pos);
        std::vector<double> o1(q.size()), l1(q.size() / 8), o2(q.size()), l2(q.size() / 8);
        reference::dilated_attention_forward_closed_form(spec, d, q.data(), k.data(), v.data(), o1.data(),
                                                         l1.data());
        reference::attention_forward_multiset(spec, d, {}, q.data(), k.data(), v.data(), o2.data(),
                                              l2.data());
        for (size_t i = 0; i < o1.size(); ++i) REQUIRE(std::abs(o1[i] - o2[i]) < 1e-12);
        for (size_t i = 0; i < l1.size(); ++i) REQUIRE(std::abs(l1[i] - l2[i]) < 1e-12);
      }
}

TEST_CASE("invariant 2, by hand: a key in two patterns counts twice") {
  // The same pattern listed twice: every key appears twice, so the softmax (and O) is that of
  // one pattern, while the log-sum-exp grows by exactly log 2.
  const auto d = dims_of(1, 2, 40, 16);
  auto q = random_floats(2 * 40 * 16, 7), k = random_floats(q.size(), 8), v = random_floats(q.size(), 9);
  Fwd once = fast_forward(dilated_spec({12}, {2}), d, q, k, v);
  Fwd twice = fast_forward(dilated_spec({12, 12}, {2, 2}), d, q, k, v);
  for (size_t i = 0; i < once.o.size(); ++i) REQUIRE(twice.o[i] == doctest::Approx(once.o[i]).epsilon(1e-5));
  for (size_t i = 0; i < once.lse.size(); ++i) {
    if (std::isinf(once.lse[i])) {  // a row on no head's offset: no keys in either run
      REQUIRE(twice.lse[i] == once.lse[i]);
      continue;
    }
    REQUIRE(twice.lse[i] == doctest::Approx(once.lse[i] + std::log(2.0)).epsilon(1e-5));
  }
  // Hand-computed, one head, patterns (w=2, r=1) and (w=4, r=2), q = k = 0 so every score is 0
  // and o is the plain mean over the key multiset. Query 1: pattern 1 gives {v0, v1}; pattern 2
  // skips it (offset 1 != 0). Query 2: pattern 1 (segment [2, 4)) gives {v2}, pattern 2 {v0, v2}.
  const auto d1 = dims_of(1, 1, 4, 1);
  std::vector<float> q0(4, 0.f), k0(4, 0.f), v0 = {1.f, 10.f, 100.f, 1000.f};
  Fwd f = fast_forward(dilated_spec({2, 4}, {1, 2}), d1, q0, k0, v0);
  CHECK(f.o[1] == doctest::Approx((1.0 + 10.0) / 2));
  CHECK(f.o[2] == doctest::Approx((100.0 + 1.0 + 100.0) / 3));  // v2 counted twice
  CHECK(f.lse[2] == doctest::Approx(std::log(3.0)));
}

TEST_CASE("invariant 5: the reference backward equals central finite differences in double") {
  const auto d = dims_of(1, 3, 19, 4);
  auto q = to_double(random_floats(3 * 19 * 4, 10)), k = to_double(random_floats(q.size(), 11)),
       v = to_double(random_floats(q.size(), 12)), u = to_double(random_floats(q.size(), 13));
  std::vector<AttentionSpec> specs = {
      dilated_spec({4, 8, 16}, {1, 2, 4}, true),
      dilated_spec({6, 19}, {2, 3}, false, HeadOffset::block, PositionKind::xpos)};
  specs.back().xpos_scale_base = 8.f;
  AttentionSpec sparse;
  sparse.kind = AttentionKind::sparse;
  sparse.sparse_block = 5;
  sparse.sparse_summary = 2;
  sparse.positions = PositionKind::none;
  specs.push_back(sparse);
  for (const auto& spec : specs) {
    std::vector<double> dq(q.size()), dk(q.size()), dv(q.size());
    reference::attention_backward_multiset(spec, d, {}, q.data(), k.data(), v.data(), u.data(), dq.data(),
                                           dk.data(), dv.data());
    auto loss = [&](std::vector<double>& x, size_t i, double delta) {
      const double keep = x[i];
      x[i] = keep + delta;
      std::vector<double> o(q.size()), lse(q.size() / 4);
      reference::attention_forward_multiset(spec, d, {}, q.data(), k.data(), v.data(), o.data(), lse.data());
      x[i] = keep;
      double s = 0;
      for (size_t j = 0; j < o.size(); ++j) s += u[j] * o[j];
      return s;
    };
    const double eps = 1e-5;
    for (auto [x, g] : {std::pair{&q, &dq}, std::pair{&k, &dk}, std::pair{&v, &dv}}) {
      for (size_t i = 0; i < x->size(); i += 5) {
        const double fd = (loss(*x, i, eps) - loss(*x, i, -eps)) / (2 * eps);
        INFO("kind ", to_string(spec.kind), " element ", i, ": backward ", (*g)[i], " vs finite difference ",
             fd);
        CHECK(std::abs((*g)[i] - fd) < 1e-7 + 1e-6 * std::abs(fd));
      }
    }
  }
}

TEST_CASE("the exact backward differs from torchscale's stop-gradient through the mixing weights") {
  // Sanity of what invariant 5 protects: dropping the gradient through exp(L_p - L) changes dq.
  // With two patterns on a single head, compute dq both ways in double and see a real gap.
  const auto d = dims_of(1, 1, 8, 4);
  auto q = to_double(random_floats(32, 20, -2.f, 2.f)), k = to_double(random_floats(32, 21, -2.f, 2.f)),
       v = to_double(random_floats(32, 22)), u = to_double(random_floats(32, 23));
  auto spec = dilated_spec({2, 8}, {1, 2});
  std::vector<double> dq(32), dk(32), dv(32);
  reference::attention_backward_multiset(spec, d, {}, q.data(), k.data(), v.data(), u.data(), dq.data(),
                                         dk.data(), dv.data());
  // Stop-gradient version: sum over patterns of w_p * (per-pattern backward with its own L_p, O_p).
  std::vector<double> dq_sg(32, 0.0);
  std::vector<double> o(32), lse(8);
  reference::attention_forward_multiset(spec, d, {}, q.data(), k.data(), v.data(), o.data(), lse.data());
  for (size_t p = 0; p < 2; ++p) {
    auto one = dilated_spec({spec.segments[p]}, {spec.dilations[p]});
    std::vector<double> op(32), lp(8), dqp(32), dkp(32), dvp(32), up(32);
    reference::attention_forward_multiset(one, d, {}, q.data(), k.data(), v.data(), op.data(), lp.data());
    for (int i = 0; i < 8; ++i)
      for (int t = 0; t < 4; ++t)
        up[i * 4 + t] = lp[i] == -INFINITY ? 0 : u[i * 4 + t] * std::exp(lp[i] - lse[i]);
    reference::attention_backward_multiset(one, d, {}, q.data(), k.data(), v.data(), up.data(), dqp.data(),
                                           dkp.data(), dvp.data());
    for (int i = 0; i < 32; ++i) dq_sg[i] += dqp[i];
  }
  double gap = 0, norm = 0;
  for (int i = 0; i < 32; ++i) {
    gap = std::max(gap, std::abs(dq[i] - dq_sg[i]));
    norm = std::max(norm, std::abs(dq[i]));
  }
  CHECK(gap > 1e-3 * norm);
}

TEST_CASE("kernels are deterministic: bit-identical across runs with 1 and 2 threads") {
  const auto d = dims_of(2, 4, 300, 64);
  auto q = random_floats(2 * 4 * 300 * 64, 30), k = random_floats(q.size(), 31),
       v = random_floats(q.size(), 32), dout = random_floats(q.size(), 33);
  AttentionSpec sparse;
  sparse.kind = AttentionKind::sparse;
  sparse.sparse_block = 32;
  sparse.sparse_summary = 4;
  for (const AttentionSpec& spec :
       {dilated_spec({64, 128, 256}, {1, 2, 4}, true, HeadOffset::mod, PositionKind::xpos), sparse}) {
    std::vector<std::vector<float>> results;
    // Two runs each with 1 and 2 threads, then the backward split into key and query parts
    // (which 1 job per pass on many threads would pick): all bit-identical.
    for (int run = 0; run < 6; ++run) {
      set_threads(run < 2 ? 1 : 2);
      set_attention_backward_split(run < 4 ? AttentionBackwardSplit::never : AttentionBackwardSplit::always);
      std::vector<float> o(q.size()), lse(q.size() / 64), dq(q.size()), dk(q.size()), dv(q.size());
      attention_forward(spec, d, {}, q.data(), k.data(), v.data(), o.data(), lse.data());
      attention_backward(spec, d, {}, q.data(), k.data(), v.data(), o.data(), lse.data(), dout.data(),
                         dq.data(), dk.data(), dv.data());
      std::vector<float> all;
      for (auto* part : {&o, &lse, &dq, &dk, &dv}) all.insert(all.end(), part->begin(), part->end());
      results.push_back(std::move(all));
    }
    set_threads(0);
    set_attention_backward_split(AttentionBackwardSplit::automatic);
    for (size_t r = 1; r < results.size(); ++r)
      CHECK(std::memcmp(results[0].data(), results[r].data(), results[0].size() * sizeof(float)) == 0);
  }
}
