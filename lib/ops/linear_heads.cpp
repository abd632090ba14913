// linear_heads: front (checks), forward (oneDNN GEMM + head transpose copy), vjp (transpose
// back, then linear's three GEMMs).
#include "ops/linear_heads.hpp"

#include "core/error.hpp"
#include "kernels/attention/positions.hpp"
#include "kernels/matmul_dnnl.hpp"
#include "kernels/transpose.hpp"
#include "ops/precision.hpp"

namespace ln {

Var linear_heads(const Var& x, const Var& weight, const Var& bias, int64_t heads, bool rotate,
                 int64_t position_offset, float rope_base, const Tensor& x_operand) {
  LN_CHECK(x.defined() && weight.defined(), "[linear_heads] x and weight must be defined");
  LN_CHECK(x.ndim() == 3, "[linear_heads] x ", shape_str(x.shape()), " must be (B, T, C_in)");
  LN_CHECK(weight.ndim() == 2 && weight.dim(1) == x.dim(2), "[linear_heads] weight ",
           shape_str(weight.shape()), " must be (C_out, ", x.dim(2), ") for x ", shape_str(x.shape()));
  LN_CHECK(x.value().dtype() == Precision::fp32 && weight.value().dtype() == Precision::fp32,
           "[linear_heads] x and weight must be f32");
  const int64_t B = x.dim(0), T = x.dim(1), in = x.dim(2), out = weight.dim(0);
  LN_CHECK(heads >= 1 && out % heads == 0, "[linear_heads] ", out, " output features do not split into ",
           heads, " heads");
  const bool has_bias = bias.defined();
  if (has_bias) {
    LN_CHECK(bias.ndim() == 1 && bias.dim(0) == out && bias.value().dtype() == Precision::fp32,
             "[linear_heads] bias ", shape_str(bias.shape()), " must be f32 (", out, ",)");
  }
  const int64_t H = heads, D = out / heads, rows = B * T;

  const Precision prec = matmul_precision();  // ops/precision.hpp; the vjp uses the same
  // Operands converted once and reused by the vjp (as in linear.cpp: bf16 copies under bf16).
  const Tensor x_op = x_operand.defined() ? x_operand : matmul_operand(prec, x.value());
  const Tensor w_op = matmul_operand(prec, weight.value());
  LN_CHECK(x_op.numel() == x.numel() && x_op.dtype() == w_op.dtype(), "[linear_heads] x_operand (",
           precision_name(x_op.dtype()), ", ", x_op.numel(),
           " elements) is not x as this precision multiplies it");
  Tensor y;
  {
    Tensor flat = Tensor::empty({rows, out});  // (B, T, H, D), freed on return
    matmul_operands({1, rows, in, out, false, true}, x_op, w_op, has_bias ? bias.value().data() : nullptr,
                    flat.data());
    y = Tensor::empty({B, H, T, D});
    transpose_copy(flat.data(), B, T, 1, H, D, y.data());
  }
  if (rotate) {
    LN_CHECK(D % 2 == 0, "[linear_heads] rotation needs an even head dim, got ", D);
    rotate_pairs(y.data(), y.data(), B * H, T, D, position_offset, rope_base, false);
  }

  const Shape x_shape = x.shape(), w_shape = weight.shape();
  const bool want_x = x.requires_grad(), want_w = weight.requires_grad(),
             want_b = has_bias && bias.requires_grad();
  const Tensor x_saved = want_w ? x_op : Tensor(), w_saved = want_x ? w_op : Tensor();
  std::vector<Var> inputs{x, weight};
  if (has_bias) inputs.push_back(bias);
  return make_result(y, inputs, "linear_heads", [=](const Tensor& dy_heads) {
    std::vector<Tensor> grads(has_bias ? 3 : 2);
    Tensor dy = Tensor::empty({rows, out});  // (B, H, T, D) -> (B, T, H, D)
    if (rotate) {                            // the rotation is orthogonal: its vjp rotates back
      Tensor back = Tensor::empty(dy_heads.shape());
      rotate_pairs(dy_heads.data(), back.data(), B * H, T, D, position_offset, rope_base, true);
      transpose_copy(back.data(), B, H, 1, T, D, dy.data());
    } else {
      transpose_copy(dy_heads.data(), B, H, 1, T, D, dy.data());
    }
    const Tensor dy_op = matmul_operand(prec, dy);  // one conversion for both products
    if (want_x) {                                   // dx (R, C_in) = dy (R, C_out) · weight (C_out, C_in)
      grads[0] = Tensor::empty(x_shape);
      matmul_operands({1, rows, out, in}, dy_op, w_saved, nullptr, grads[0].data());
    }
    if (want_w) {  // dweight (C_out, C_in) = dyᵀ · x
      grads[1] = Tensor::empty(w_shape);
      matmul_operands({1, out, rows, in, true, false}, dy_op, x_saved, nullptr, grads[1].data());
    }
    if (want_b) {  // dbias = column sums of dy, as linear() computes them
      Tensor ones = Tensor::full({rows}, 1.0f);
      grads[2] = Tensor::empty({out});
      matmul_dnnl({1, 1, rows, out}, ones.data(), dy.data(), nullptr, grads[2].data());
    }
    return grads;
  });
}

}  // namespace ln
