// The sequence-parallel attention op: front function, forward (rotation with global positions,
// local patterns, sparsified gather for the long ones) and vjp (kernel backward, reduce-scatter
// of the gathered keys' gradients, inverse rotation), side by side. DESIGN §4.
#include "ops/sequence_parallel_attention.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include "core/error.hpp"
#include "core/step_profile.hpp"
#include "kernels/attention/attention_kernel.hpp"
#include "kernels/attention/positions.hpp"
#include "ops/precision.hpp"

namespace ln {

namespace {

// One pattern as this rank runs it.
struct PatternPlan {
  AttentionSpec one;     // the single pattern (w, r)
  int64_t w = 0, r = 1;  // w' = min(w, N)
  int64_t group = 1;     // ranks per segment (1: local)
  int64_t first = 0;     // first rank of this rank's segment group
  int64_t n_ranks = 1;   // ranks whose keys this rank receives
};

std::vector<PatternPlan> plan_patterns(const AttentionSpec& spec, int64_t N, int64_t l, int64_t R,
                                       int64_t P) {
  std::vector<PatternPlan> plans;
  for (size_t p = 0; p < spec.segments.size(); ++p) {
    PatternPlan plan;
    plan.one = spec;
    plan.one.segments = {spec.segments[p]};
    plan.one.dilations = {spec.dilations[p]};
    plan.w = std::min(spec.segments[p], N);
    plan.r = spec.dilations[p];
    if (plan.w > l) {
      plan.group = plan.w / l;
      plan.first = R / plan.group * plan.group;
      const int64_t end = std::min(plan.first + plan.group, P);
      plan.n_ranks = (spec.causal ? R + 1 : end) - plan.first;
    }
    plans.push_back(plan);
  }
  return plans;
}

// piece: (B, H, l/r, D) <- rows g(h) + j*r of x: (B, H, l, D)
void sparsify(const float* x, float* piece, const AttentionSpec& spec, int64_t B, int64_t H, int64_t l,
              int64_t D, int64_t r) {
  const ProfileScope profile(ProfileCategory::elementwise);
  const int64_t n = l / r;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h) {
      const int64_t g = head_offset_of(spec.head_offset, h, H, r);
      for (int64_t j = 0; j < n; ++j)
        std::memcpy(piece + ((b * H + h) * n + j) * D, x + ((b * H + h) * l + g + j * r) * D,
                    D * sizeof(float));
    }
}

// x rows g(h) + j*r += piece: the adjoint of sparsify.
void unsparsify_add(const float* piece, float* x, const AttentionSpec& spec, int64_t B, int64_t H, int64_t l,
                    int64_t D, int64_t r) {
  const ProfileScope profile(ProfileCategory::elementwise);
  const int64_t n = l / r;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h) {
      const int64_t g = head_offset_of(spec.head_offset, h, H, r);
      for (int64_t j = 0; j < n; ++j) {
        float* dst = x + ((b * H + h) * l + g + j * r) * D;
        const float* src = piece + ((b * H + h) * n + j) * D;
        for (int64_t c = 0; c < D; ++c) dst[c] += src[c];
      }
    }
}

// Rank i's piece (B, H, n, D) <-> its rows of the kernel's sparsified keys (B, H, ranks*n, D):
// rank i's row j is the segment's key number i*n + j.
void copy_piece(float* piece, float* rows, int64_t i, int64_t ranks, int64_t BH, int64_t n, int64_t D,
                bool to_rows) {
  const ProfileScope profile(ProfileCategory::elementwise);
  for (int64_t bh = 0; bh < BH; ++bh) {
    float* a = piece + bh * n * D;
    float* b = rows + (bh * ranks + i) * n * D;
    if (to_rows)
      std::memcpy(b, a, n * D * sizeof(float));
    else
      std::memcpy(a, b, n * D * sizeof(float));
  }
}

}  // namespace

void check_sequence_split(const AttentionSpec& spec, int64_t seq_len, int64_t ranks) {
  if (ranks <= 1) return;
  LN_CHECK(spec.kind == AttentionKind::dilated, "attention.kind ", to_string(spec.kind),
           " is not supported with parallel.sequence > 1 (", ranks,
           "); use attention.kind: dilated, or "
           "parallel.sequence: 1");
  LN_CHECK(!spec.dense_queries,
           "attention.dense_queries with parallel.sequence > 1 is not yet supported (the split sends each "
           "head only the keys its own queries read); use parallel.sequence: 1");
  LN_CHECK(seq_len % ranks == 0, "data.seq_len (", seq_len, ") is not a multiple of parallel.sequence (",
           ranks, "); each rank holds seq_len / parallel.sequence tokens, so use a multiple of ", ranks);
  const int64_t l = seq_len / ranks;
  for (size_t p = 0; p < spec.segments.size(); ++p) {
    const int64_t w = std::min(spec.segments[p], seq_len), r = spec.dilations[p];
    LN_CHECK(l % r == 0, "attention.dilations[", p, "] = ", r, " does not divide the ", l,
             " tokens per rank (data.seq_len / parallel.sequence); use a dilation dividing ", l,
             " or another parallel.sequence");
    LN_CHECK(w > l ? w % l == 0 : l % w == 0, "attention.segments[", p, "] = ", spec.segments[p],
             (w > l ? " is not a multiple of " : " does not divide "), "the ", l,
             " tokens per rank (data.seq_len / parallel.sequence); use segments that are multiples or "
             "divisors of ",
             l);
  }
}

Var sequence_parallel_attention(const Var& q, const Var& k, const Var& v, const AttentionSpec& spec,
                                SequenceExchange& exchange, bool rotated_inputs) {
  LN_CHECK(q.defined() && k.defined() && v.defined(),
           "[sequence_parallel_attention] q, k and v must all be defined");
  LN_CHECK(q.ndim() == 4 && k.shape() == q.shape() && v.shape() == q.shape(),
           "[sequence_parallel_attention] q, k, v must be (B, H, l, D) of one shape, got q ",
           shape_str(q.shape()), ", k ", shape_str(k.shape()), ", v ", shape_str(v.shape()));
  const int64_t B = q.dim(0), H = q.dim(1), l = q.dim(2), D = q.dim(3);
  const int64_t R = exchange.rank(), P = exchange.ranks(), N = P * l, pos0 = R * l;
  // The spec was validated when it was built (ModelSpec::validate); the kernel checks its call.
  check_sequence_split(spec, N, P);
  LN_CHECK(xpos_max_log_factor(spec, D, N) < 80.0,
           "[sequence_parallel_attention] XPOS decay over segments of ", N,
           " positions is beyond fp32; use segments <= ~64K or model.positions: rope");

  const bool rotate = spec.positions != PositionKind::none && !rotated_inputs;
  auto rotated = [&](const Tensor& x, bool inverse) {
    Tensor y = Tensor::empty(x.shape());
    rotate_pairs(x.data(), y.data(), B * H, l, D, pos0, spec.rope_base, inverse);
    return y;
  };
  Tensor qr = rotate ? rotated(q.value(), false) : q.value();
  Tensor kr = rotate ? rotated(k.value(), false) : k.value();
  Tensor vv = v.value();

  // The kernel's precision follows the model's (ops/precision.hpp); the vjp keeps the forward's.
  const Precision precision = matmul_precision();
  auto plans = std::make_shared<std::vector<PatternPlan>>(plan_patterns(spec, N, l, R, P));
  // The gathered, sparsified keys and values of each long pattern, saved for the backward.
  std::vector<Tensor> kg(plans->size()), vg(plans->size());
  Tensor o = Tensor::zeros(q.shape());
  Tensor lse = Tensor::full({B, H, l}, -INFINITY);
  // Every long pattern's exchange is posted first and flies while the local patterns compute
  // (segments ascend, so the local patterns come first and the mixing order stays the order
  // of the patterns).
  std::vector<Tensor> mine(plans->size()), got(plans->size());
  std::vector<std::unique_ptr<SequenceExchange::Pending>> gathers(plans->size());
  for (size_t p = 0; p < plans->size(); ++p) {
    const PatternPlan& plan = (*plans)[p];
    if (plan.group == 1) continue;
    const int64_t piece = B * H * (l / plan.r) * D;
    mine[p] = Tensor::empty({2, piece});  // k then v: one exchange per pattern
    sparsify(kr.data(), mine[p].data(), spec, B, H, l, D, plan.r);
    sparsify(vv.data(), mine[p].data() + piece, spec, B, H, l, D, plan.r);
    got[p] = Tensor::empty({plan.n_ranks, 2, piece});
    gathers[p] = exchange.start_gather(mine[p].data(), got[p].data(), 2 * piece, plan.group, spec.causal);
  }
  for (size_t p = 0; p < plans->size(); ++p) {
    const PatternPlan& plan = (*plans)[p];
    AttentionDims dims{.batch = B, .heads = H, .q_len = l, .k_len = l, .head_dim = D, .precision = precision};
    AttentionWindow win{.q_start = pos0, .k_start = pos0, .seq_len = N, .accumulate = true};
    const float *kp = kr.data(), *vp = vv.data();
    if (plan.group > 1) {
      const int64_t n = l / plan.r, piece = B * H * n * D;
      gathers[p]->finish();
      kg[p] = Tensor::empty({B, H, plan.n_ranks * n, D});
      vg[p] = Tensor::empty({B, H, plan.n_ranks * n, D});
      for (int64_t i = 0; i < plan.n_ranks; ++i) {  // (ranks, 2, B, H, n, D) -> two (B, H, ranks*n, D)
        copy_piece(got[p].data() + (2 * i) * piece, kg[p].data(), i, plan.n_ranks, B * H, n, D, true);
        copy_piece(got[p].data() + (2 * i + 1) * piece, vg[p].data(), i, plan.n_ranks, B * H, n, D, true);
      }
      got[p] = Tensor();
      mine[p] = Tensor();
      dims.k_len = plan.n_ranks * n;
      win.k_start = plan.first * l;
      win.keys_sparsified = true;
      kp = kg[p].data();
      vp = vg[p].data();
    }
    attention_forward(plan.one, dims, win, qr.data(), kp, vp, o.data(), lse.data());
  }

  SequenceExchange* ex = &exchange;
  return make_result(o, {q, k, v}, "sequence_parallel_attention", [=](const Tensor& grad) {
    Tensor g = grad;
    Tensor dq = Tensor::zeros(qr.shape()), dk = Tensor::zeros(kr.shape()), dv = Tensor::zeros(vv.shape());
    // The long patterns first: each one's reduce-scatter starts as soon as its keys' gradients
    // are known and flies while the next patterns (the local ones last, the bulk of the work)
    // compute; their sums are added to dk, dv at the end, after the local patterns' (the same
    // order as one pattern at a time).
    std::vector<Tensor> pieces(plans->size()), mine(plans->size());
    std::vector<std::unique_ptr<SequenceExchange::Pending>> scatters(plans->size());
    for (size_t p = 0; p < plans->size(); ++p) {
      const PatternPlan& plan = (*plans)[p];
      if (plan.group == 1) continue;
      AttentionDims dims{
          .batch = B, .heads = H, .q_len = l, .k_len = l, .head_dim = D, .precision = precision};
      AttentionWindow win{.q_start = pos0, .k_start = pos0, .seq_len = N, .accumulate = true};
      const int64_t n = l / plan.r, piece = B * H * n * D;
      dims.k_len = plan.n_ranks * n;
      win.k_start = plan.first * l;
      win.keys_sparsified = true;
      Tensor dkg = Tensor::zeros(kg[p].shape()), dvg = Tensor::zeros(vg[p].shape());
      attention_backward(plan.one, dims, win, qr.data(), kg[p].data(), vg[p].data(), o.data(), lse.data(),
                         g.data(), dq.data(), dkg.data(), dvg.data());
      pieces[p] = Tensor::empty({plan.n_ranks, 2, piece});
      for (int64_t i = 0; i < plan.n_ranks; ++i) {
        copy_piece(pieces[p].data() + (2 * i) * piece, dkg.data(), i, plan.n_ranks, B * H, n, D, false);
        copy_piece(pieces[p].data() + (2 * i + 1) * piece, dvg.data(), i, plan.n_ranks, B * H, n, D, false);
      }
      mine[p] = Tensor::empty({2, piece});
      scatters[p] =
          ex->start_reduce_scatter(pieces[p].data(), mine[p].data(), 2 * piece, plan.group, spec.causal);
    }
    for (size_t p = 0; p < plans->size(); ++p) {
      const PatternPlan& plan = (*plans)[p];
      if (plan.group > 1) continue;
      AttentionDims dims{
          .batch = B, .heads = H, .q_len = l, .k_len = l, .head_dim = D, .precision = precision};
      AttentionWindow win{.q_start = pos0, .k_start = pos0, .seq_len = N, .accumulate = true};
      attention_backward(plan.one, dims, win, qr.data(), kr.data(), vv.data(), o.data(), lse.data(), g.data(),
                         dq.data(), dk.data(), dv.data());
    }
    for (size_t p = 0; p < plans->size(); ++p) {
      if (!scatters[p]) continue;
      const int64_t piece = B * H * (l / (*plans)[p].r) * D;
      scatters[p]->finish();
      unsparsify_add(mine[p].data(), dk.data(), spec, B, H, l, D, (*plans)[p].r);
      unsparsify_add(mine[p].data() + piece, dv.data(), spec, B, H, l, D, (*plans)[p].r);
    }
    if (rotate) {  // the rotation is orthogonal: its vjp rotates back
      rotate_pairs(dq.data(), dq.data(), B * H, l, D, pos0, spec.rope_base, true);
      rotate_pairs(dk.data(), dk.data(), B * H, l, D, pos0, spec.rope_base, true);
    }
    return std::vector<Tensor>{dq, dk, dv};
  });
}

}  // namespace ln
