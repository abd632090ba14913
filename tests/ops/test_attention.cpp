// The attention op: its gradient against central finite differences (fp32, through autograd),
// its forward against the double-precision reference with the rotation applied by hand, the
// global-position contract, and its shape errors.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "core/error.hpp"
#include "kernels/reference/attention_reference.hpp"
#include "ops/attention.hpp"
#include "support/gradcheck.hpp"

using namespace ln;

namespace {
AttentionSpec make_spec(AttentionKind kind, PositionKind pos, bool causal = true) {
  AttentionSpec s;
  s.kind = kind;
  s.positions = pos;
  s.causal = causal;
  s.segments = {4, 8, 16};
  s.dilations = {1, 2, 4};
  s.sparse_block = 4;
  s.sparse_summary = 2;
  s.xpos_scale_base = 16.f;
  return s;
}
}  // namespace

TEST_CASE("attention's gradient matches finite differences for every kind and position encoding") {
  struct Case {
    AttentionKind kind;
    PositionKind pos;
    bool causal;
    int64_t offset;
  };
  for (const Case& c : {Case{AttentionKind::dilated, PositionKind::xpos, true, 0},
                        Case{AttentionKind::dilated, PositionKind::rope, false, 5},
                        Case{AttentionKind::dense, PositionKind::rope, true, 3},
                        Case{AttentionKind::sparse, PositionKind::none, true, 0},
                        Case{AttentionKind::sparse, PositionKind::xpos, false, 0}}) {
    INFO("kind ", to_string(c.kind), " positions ", to_string(c.pos), " causal ", c.causal);
    const AttentionSpec spec = make_spec(c.kind, c.pos, c.causal);
    const Shape shape{1, 3, 18, 8};
    test::check_vjp(
        [&](const std::vector<Var>& x) { return attention(x[0], x[1], x[2], spec, c.offset); },
        {test::random_tensor(shape, 1), test::random_tensor(shape, 2), test::random_tensor(shape, 3)});
  }
}

TEST_CASE("attention = reference attention on inputs rotated with global positions") {
  // offset 2^20 + 6: rotation angles in the millions of radians and XPOS decay a million
  // positions in, both exact because angles are taken in double and decay per segment.
  for (auto [pos, offset] :
       {std::pair{PositionKind::rope, int64_t{6}}, std::pair{PositionKind::xpos, int64_t{6}},
        std::pair{PositionKind::xpos, (int64_t{1} << 20) + 6}}) {
    const AttentionSpec spec = make_spec(AttentionKind::dilated, pos);
    const int64_t B = 1, H = 2, T = 21, D = 8;
    Tensor q = test::random_tensor({B, H, T, D}, 4), k = test::random_tensor({B, H, T, D}, 5),
           v = test::random_tensor({B, H, T, D}, 6);
    Tensor o = attention(Var(q), Var(k), Var(v), spec, offset).value();
    std::vector<double> qd(q.data(), q.data() + q.numel()), kd(k.data(), k.data() + k.numel()),
        vd(v.data(), v.data() + v.numel()), od(q.numel()), lse(B * H * T);
    reference::rotate_pairs_reference(qd.data(), B * H, T, D, offset, spec.rope_base, false);
    reference::rotate_pairs_reference(kd.data(), B * H, T, D, offset, spec.rope_base, false);
    const AttentionDims dims{.batch = B, .heads = H, .q_len = T, .k_len = T, .head_dim = D};
    const AttentionWindow window{.q_start = offset, .k_start = offset};
    reference::attention_forward_multiset(spec, dims, window, qd.data(), kd.data(), vd.data(), od.data(),
                                          lse.data());
    for (int64_t i = 0; i < q.numel(); ++i) REQUIRE(o.data()[i] == doctest::Approx(od[i]).epsilon(1e-4));
  }
}

TEST_CASE("positions are global: dense RoPE attention depends only on relative positions") {
  // RoPE scores depend on n - m only, so shifting every position leaves dense attention
  // unchanged, while the rotation itself differs (q rotated at 0 and at 1000 are not equal).
  const AttentionSpec spec = make_spec(AttentionKind::dense, PositionKind::rope);
  Tensor q = test::random_tensor({1, 2, 30, 16}, 7), k = test::random_tensor({1, 2, 30, 16}, 8),
         v = test::random_tensor({1, 2, 30, 16}, 9);
  Tensor a = attention(Var(q), Var(k), Var(v), spec, 0).value();
  Tensor b = attention(Var(q), Var(k), Var(v), spec, 1000).value();
  for (int64_t i = 0; i < a.numel(); ++i) REQUIRE(a.data()[i] == doctest::Approx(b.data()[i]).epsilon(1e-3));
  // Dilated attention lays its segments on global positions: an offset that is not a multiple
  // of the segment length changes which keys a query sees.
  const AttentionSpec dil = make_spec(AttentionKind::dilated, PositionKind::none);
  Tensor c0 = attention(Var(q), Var(k), Var(v), dil, 0).value();
  Tensor c2 = attention(Var(q), Var(k), Var(v), dil, 2).value();
  double diff = 0;
  for (int64_t i = 0; i < c0.numel(); ++i)
    diff = std::max(diff, static_cast<double>(std::abs(c0.data()[i] - c2.data()[i])));
  CHECK(diff > 1e-3);
}

TEST_CASE("attention refuses bad inputs with one clear line") {
  const AttentionSpec spec = make_spec(AttentionKind::dilated, PositionKind::none);
  Var q(Tensor::zeros({1, 2, 8, 4})), k(Tensor::zeros({1, 2, 8, 4})), bad(Tensor::zeros({1, 2, 9, 4})),
      flat(Tensor::zeros({2, 8, 4}));
  auto message = [](auto&& fn) {
    try {
      fn();
    } catch (const Error& e) {
      return e.message();
    }
    return std::string();
  };
  CHECK(message([&] { attention(flat, flat, flat, spec); }).find("[attention] q must be (B, H, T, D)") == 0);
  CHECK(message([&] { attention(q, k, bad, spec); }).find("must have the same shape") != std::string::npos);
  CHECK(message([&] { attention(q, k, k, spec, -1); }).find("position_offset is -1") != std::string::npos);
  AttentionSpec xdense = spec;
  xdense.kind = AttentionKind::dense;
  xdense.positions = PositionKind::xpos;
  xdense.xpos_scale_base = 1.f;  // decay over 200 positions leaves fp32
  Var big(Tensor::zeros({1, 1, 200, 4}));
  CHECK(message([&] { attention(big, big, big, xdense); }).find("beyond fp32") != std::string::npos);
}
