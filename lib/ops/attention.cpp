// The attention op: front function (checks, names itself), forward (rotation + kernel) and
// vjp (kernel backward + inverse rotation), side by side.
#include "ops/attention.hpp"

#include "core/error.hpp"
#include "kernels/attention/attention_kernel.hpp"
#include "kernels/attention/positions.hpp"
#include "ops/precision.hpp"

namespace ln {

namespace {
// Rotated copy of x: (B, H, T, D) for positions pos0 + t (inverse: rotate back).
Tensor rotated(const Tensor& x, const AttentionSpec& spec, int64_t pos0, bool inverse) {
  Tensor y = Tensor::empty(x.shape());
  rotate_pairs(x.data(), y.data(), x.dim(0) * x.dim(1), x.dim(2), x.dim(3), pos0, spec.rope_base, inverse);
  return y;
}
}  // namespace

Var attention(const Var& q, const Var& k, const Var& v, const AttentionSpec& spec, int64_t position_offset,
              bool rotated_inputs) {
  LN_CHECK(q.defined() && k.defined() && v.defined(), "[attention] q, k and v must all be defined");
  LN_CHECK(q.ndim() == 4, "[attention] q must be (B, H, T, D) but has shape ", shape_str(q.shape()));
  LN_CHECK(k.shape() == q.shape() && v.shape() == q.shape(),
           "[attention] q, k, v must have the same shape (B, H, T, D) "
           "but got q ",
           shape_str(q.shape()), ", k ", shape_str(k.shape()), ", v ", shape_str(v.shape()));
  LN_CHECK(q.value().dtype() == Precision::fp32 && k.value().dtype() == Precision::fp32 &&
               v.value().dtype() == Precision::fp32,
           "[attention] q, k, v must be f32");
  LN_CHECK(position_offset >= 0, "[attention] position_offset is ", position_offset, "; it must be >= 0");
  const int64_t B = q.dim(0), H = q.dim(1), T = q.dim(2), D = q.dim(3);
  // The spec was validated when it was built (ModelSpec::validate, LanguageModel); the
  // kernel checks its call. Only the shapes are checked here, on every call.
  const double xpos_log = xpos_max_log_factor(spec, D, position_offset + T);
  LN_CHECK(xpos_log < kXposMaxLogFactor, "[attention] XPOS decay over a ",
           spec.kind == AttentionKind::dilated ? "segment" : "sequence", " of ", position_offset + T,
           " positions needs factors up to e^", static_cast<int64_t>(xpos_log),
           ", beyond fp32; use kind dilated with segments <= ~64K, or model.positions: rope");

  const bool rotate = spec.positions != PositionKind::none && !rotated_inputs;
  Tensor qr = rotate ? rotated(q.value(), spec, position_offset, false) : q.value();
  Tensor kr = rotate ? rotated(k.value(), spec, position_offset, false) : k.value();
  Tensor vv = v.value();
  // bf16 when the model multiplies in bf16 (train/eval/generate precision); the vjp below runs
  // with the forward's dims, so in the forward's precision.
  const AttentionDims dims{
      .batch = B, .heads = H, .q_len = T, .k_len = T, .head_dim = D, .precision = matmul_precision()};
  const AttentionWindow window{.q_start = position_offset, .k_start = position_offset};
  Tensor o = Tensor::empty(q.shape());
  Tensor lse = Tensor::empty({B, H, T});
  attention_forward(spec, dims, window, qr.data(), kr.data(), vv.data(), o.data(), lse.data());

  return make_result(o, {q, k, v}, "attention", [=](const Tensor& grad) {
    Tensor g = grad;
    Tensor dq = Tensor::empty(qr.shape()), dk = Tensor::empty(kr.shape()), dv = Tensor::empty(vv.shape());
    attention_backward(spec, dims, window, qr.data(), kr.data(), vv.data(), o.data(), lse.data(), g.data(),
                       dq.data(), dk.data(), dv.data());
    if (rotate) {  // the rotation is orthogonal: its vjp rotates back
      rotate_pairs(dq.data(), dq.data(), B * H, T, D, position_offset, spec.rope_base, true);
      rotate_pairs(dk.data(), dk.data(), B * H, T, D, position_offset, spec.rope_base, true);
    }
    return std::vector<Tensor>{dq, dk, dv};
  });
}

}  // namespace ln
