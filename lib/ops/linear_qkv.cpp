// linear_qkv: front (checks), forward (one oneDNN GEMM on the stacked weights, then the split
// into three head-major tensors), vjp (the three output gradients gathered into one buffer,
// then one dx, one dW and one dbias product on it).
#include "ops/linear_qkv.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>

#include "core/error.hpp"
#include "core/step_profile.hpp"
#include "kernels/attention/positions.hpp"
#include "kernels/copy_rows.hpp"
#include "kernels/matmul_dnnl.hpp"
#include "kernels/parallel.hpp"
#include "ops/precision.hpp"

namespace ln {

namespace {

constexpr const char* kSlotNames[3] = {"linear_qkv.q", "linear_qkv.k", "linear_qkv.v"};

// The layout both directions move between: the fused projection (B, T, 3, H, D) and three
// head-major tensors (B, H, T, D). One strided copy of T rows of D floats per (slot, b, h).
struct HeadSplit {
  int64_t B, T, H, D;
  int64_t C() const { return H * D; }
  int64_t fused_offset(int64_t s, int64_t b, int64_t h) const { return b * T * 3 * C() + s * C() + h * D; }
  int64_t head_offset(int64_t b, int64_t h) const { return (b * H + h) * T * D; }
};

// fused (B, T, 3C) -> out[s] (B, H, T, D) for s = 0, 1, 2
void split_fused(const HeadSplit& g, const float* fused, const std::array<float*, 3>& out) {
  // One call of the step profile: the copy_rows calls run inside its parallel tasks.
  const ProfileScope profile(ProfileCategory::elementwise);
  par::for_rows(3 * g.B * g.H, g.T * g.D, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t s = i / (g.B * g.H), b = (i / g.H) % g.B, h = i % g.H;
      copy_rows(fused + g.fused_offset(s, b, h), 3 * g.C(), out[s] + g.head_offset(b, h), g.D, g.T, g.D);
    }
  });
}

// heads (B, H, T, D) -> third s of fused (B, T, 3C)
void gather_fused(const HeadSplit& g, const float* heads, int64_t s, float* fused) {
  const ProfileScope profile(ProfileCategory::elementwise);
  par::for_rows(g.B * g.H, g.T * g.D, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t b = i / g.H, h = i % g.H;
      copy_rows(heads + g.head_offset(b, h), g.D, fused + g.fused_offset(s, b, h), 3 * g.C(), g.T, g.D);
    }
  });
}

// Three tensors of one shape (n, ...) one after the other: (3n, ...).
Tensor stack(const std::array<Tensor, 3>& parts) {
  Shape shape = parts[0].shape();
  shape[0] *= 3;
  Tensor out = Tensor::empty(shape);
  const ProfileScope profile(ProfileCategory::elementwise);
  const int64_t n = parts[0].numel();
  for (int s = 0; s < 3; ++s)
    std::memcpy(out.data() + s * n, parts[s].data(), static_cast<size_t>(n) * sizeof(float));
  return out;
}

// Rows [s*n, (s+1)*n) of a stacked (3n, ...) tensor, as a tensor of `shape`.
Tensor third(const Tensor& stacked, int64_t s, const Shape& shape) {
  Tensor t = Tensor::empty(shape);
  const ProfileScope profile(ProfileCategory::elementwise);
  std::memcpy(t.data(), stacked.data() + s * t.numel(), static_cast<size_t>(t.numel()) * sizeof(float));
  return t;
}

// What the three slot vjps hand the hub's vjp: their gradients, gathered as the fused GEMM's dy.
struct FusedGrad {
  Tensor dy;  // (rows, 3C), allocated by the first slot vjp that runs
  std::array<bool, 3> filled{false, false, false};
};

}  // namespace

QkvHeads linear_qkv(const Var& x, const Var& wq, const Var& wk, const Var& wv, const Var& bq, const Var& bk,
                    const Var& bv, int64_t heads, bool rotate, int64_t position_offset, float rope_base) {
  const std::array<const Var*, 3> w{&wq, &wk, &wv}, bias{&bq, &bk, &bv};
  LN_CHECK(x.defined() && wq.defined() && wk.defined() && wv.defined(),
           "[linear_qkv] x and the three weights must be defined");
  LN_CHECK(x.ndim() == 3, "[linear_qkv] x ", shape_str(x.shape()), " must be (B, T, C_in)");
  LN_CHECK(x.value().dtype() == Precision::fp32, "[linear_qkv] x must be f32");
  const int64_t B = x.dim(0), T = x.dim(1), in = x.dim(2), out = wq.dim(0);
  for (int s = 0; s < 3; ++s) {
    const Var& ws = *w[s];
    LN_CHECK(ws.ndim() == 2 && ws.dim(0) == out && ws.dim(1) == in && ws.value().dtype() == Precision::fp32,
             "[linear_qkv] weight ", "qkv"[s], " ", shape_str(ws.shape()), " must be f32 (", out, ", ", in,
             ") for x ", shape_str(x.shape()), " (all three weights share a shape)");
  }
  const bool has_bias = bq.defined();
  LN_CHECK(bk.defined() == has_bias && bv.defined() == has_bias,
           "[linear_qkv] pass all three biases or none");
  for (int s = 0; s < 3 && has_bias; ++s) {
    const Var& bs = *bias[s];
    LN_CHECK(bs.ndim() == 1 && bs.dim(0) == out && bs.value().dtype() == Precision::fp32,
             "[linear_qkv] bias ", "qkv"[s], " ", shape_str(bs.shape()), " must be f32 (", out, ",)");
  }
  LN_CHECK(heads >= 1 && out % heads == 0, "[linear_qkv] ", out, " output features do not split into ", heads,
           " heads");
  const int64_t H = heads, D = out / heads, rows = B * T, out3 = 3 * out;
  LN_CHECK(!rotate || D % 2 == 0, "[linear_qkv] rotation needs an even head dim, got ", D);
  const HeadSplit split{B, T, H, D};

  // The stacked weight (3C, C_in) and bias (3C,): rows [s*C, (s+1)*C) are projection s.
  const Tensor w_cat = stack({wq.value(), wk.value(), wv.value()});
  const Tensor b_cat = has_bias ? stack({bq.value(), bk.value(), bv.value()}) : Tensor();

  const Precision prec = matmul_precision();  // ops/precision.hpp; the vjp uses the same
  // Operands converted once and reused by the vjp (as in linear_heads.cpp).
  const Tensor x_op = matmul_operand(prec, x.value());
  const Tensor w_op = matmul_operand(prec, w_cat);
  std::array<Tensor, 3> values;
  {
    Tensor fused = Tensor::empty({rows, out3});  // (B, T, 3, H, D), freed on return
    matmul_operands({1, rows, in, out3, false, true}, x_op, w_op, has_bias ? b_cat.data() : nullptr,
                    fused.data());
    for (auto& v : values) v = Tensor::empty({B, H, T, D});
    split_fused(split, fused.data(), {values[0].data(), values[1].data(), values[2].data()});
  }
  if (rotate) {
    for (int s = 0; s < 2; ++s)
      rotate_pairs(values[s].data(), values[s].data(), B * H, T, D, position_offset, rope_base, false);
  }

  // The hub: one node for the fused products, below the three outputs.
  const Shape x_shape = x.shape(), w_shape = wq.shape(), b_shape{out};
  const bool want_x = x.requires_grad();
  const bool want_w = wq.requires_grad() || wk.requires_grad() || wv.requires_grad();
  const bool want_b = has_bias && (bq.requires_grad() || bk.requires_grad() || bv.requires_grad());
  // For dx the vjp needs the stacked weight. Under bf16 it keeps the bf16 copy the forward made
  // (as linear_heads keeps its w_op); under fp32 the stack is a copy of the parameters, so it
  // keeps the parameters' own values (shared, no bytes) and stacks them again when it runs.
  const Tensor x_saved = want_w ? x_op : Tensor();
  const Tensor w_saved = want_x && prec != Precision::fp32 ? w_op : Tensor();
  const std::array<Tensor, 3> w_values = want_x && prec == Precision::fp32
                                             ? std::array<Tensor, 3>{wq.value(), wk.value(), wv.value()}
                                             : std::array<Tensor, 3>{};
  auto state = std::make_shared<FusedGrad>();
  std::vector<Var> inputs{x, wq, wk, wv};
  if (has_bias) inputs.insert(inputs.end(), {bq, bk, bv});
  Var hub = make_result(Tensor::zeros({1}), inputs, "linear_qkv", [=](const Tensor&) {
    std::vector<Tensor> grads(has_bias ? 7 : 4);
    LN_CHECK(state->dy.defined(), "[linear_qkv] backward reached the projections before q, k or v");
    Tensor dy = std::move(state->dy);  // (rows, 3C); a third no gradient reached is zero
    for (int s = 0; s < 3; ++s) {
      if (state->filled[s]) continue;
      const ProfileScope profile(ProfileCategory::elementwise);
      for (int64_t r = 0; r < rows; ++r) std::fill_n(dy.data() + r * out3 + s * out, out, 0.0f);
    }
    const Tensor dy_op = matmul_operand(prec, dy);  // one conversion for both products
    if (want_x) {  // dx (R, C_in) = dy (R, 3C) · w_cat (3C, C_in): the three sums inside one GEMM
      grads[0] = Tensor::empty(x_shape);
      const Tensor w_use = w_saved.defined() ? w_saved : stack(w_values);
      matmul_operands({1, rows, out3, in}, dy_op, w_use, nullptr, grads[0].data());
    }
    if (want_w) {  // dw_cat (3C, C_in) = dyᵀ · x, split back into the three weights
      Tensor dw = Tensor::empty({out3, in});
      matmul_operands({1, out3, rows, in, true, false}, dy_op, x_saved, nullptr, dw.data());
      for (int s = 0; s < 3; ++s) grads[1 + s] = third(dw, s, w_shape);
    }
    if (want_b) {  // dbias = column sums of dy, as linear() computes them
      Tensor ones = Tensor::full({rows}, 1.0f), db = Tensor::empty({out3});
      matmul_dnnl({1, 1, rows, out3}, ones.data(), dy.data(), nullptr, db.data());
      for (int s = 0; s < 3; ++s) grads[4 + s] = third(db, s, b_shape);
    }
    return grads;
  });

  QkvHeads result;
  std::array<Var*, 3> outs{&result.q, &result.k, &result.v};
  for (int s = 0; s < 3; ++s) {
    const bool rotated = rotate && s < 2;
    *outs[s] = make_result(values[s], {hub}, kSlotNames[s], [=](const Tensor& dy_heads) {
      if (!state->dy.defined()) state->dy = Tensor::empty({rows, out3});
      const float* src = dy_heads.data();
      Tensor back;
      if (rotated) {  // the rotation is orthogonal: its vjp rotates back
        back = Tensor::empty(dy_heads.shape());
        rotate_pairs(dy_heads.data(), back.data(), B * H, T, D, position_offset, rope_base, true);
        src = back.data();
      }
      gather_fused(split, src, s, state->dy.data());
      state->filled[s] = true;
      return std::vector<Tensor>{Tensor::zeros({1})};  // the hub's gradient carries nothing
    });
  }
  return result;
}

}  // namespace ln
