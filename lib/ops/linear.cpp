// matmul and linear: front (shape checks naming the op and both shapes), forward (one
// oneDNN call), and vjp (oneDNN calls with transposes instead of transposed copies).
#include "ops/linear.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "kernels/matmul_dnnl.hpp"
#include "ops/precision.hpp"

namespace ln {

namespace {

void check_f32(const char* op, const char* name, const Var& v) {
  LN_CHECK(v.value().dtype() == Precision::fp32, "[", op, "] ", name, " ", shape_str(v.shape()), " is ",
           precision_name(v.value().dtype()),
           "; this op takes fp32 tensors, convert with .to(Precision::fp32)");
}

}  // namespace

// a: (..., M, K), b: (..., K, N) or (K, N) -> (..., M, N)
Var matmul(const Var& a, const Var& b) {
  LN_CHECK(a.defined() && b.defined(), "[matmul] both inputs must be defined tensors");
  const Shape& as = a.shape();
  const Shape& bs = b.shape();
  LN_CHECK(
      a.ndim() >= 2 && b.ndim() >= 2, "[matmul] a ", shape_str(as), " and b ", shape_str(bs),
      " must both have at least 2 dims (..., M, K) and (..., K, N); reshape vectors to (1, K) or (K, 1)");
  check_f32("matmul", "a", a);
  check_f32("matmul", "b", b);
  const int64_t m = a.dim(-2), k = a.dim(-1), n = b.dim(-1);
  LN_CHECK(b.dim(-2) == k, "[matmul] a ", shape_str(as), " has ", k, " columns but b ", shape_str(bs),
           " has ", b.dim(-2), " rows; the inner dimensions must match");
  const bool broadcast_b = b.ndim() == 2;
  if (!broadcast_b) {
    bool same = a.ndim() == b.ndim() && std::equal(as.begin(), as.end() - 2, bs.begin());
    LN_CHECK(same, "[matmul] a ", shape_str(as), " and b ", shape_str(bs),
             " have different batch dims; b must be 2-D (K, N) or have exactly a's leading dims");
  }
  const int64_t batch = shape_numel(Shape(as.begin(), as.end() - 2));

  Shape out_shape(as.begin(), as.end() - 2);
  out_shape.push_back(m);
  out_shape.push_back(n);
  Tensor y = Tensor::empty(out_shape);
  MatmulShape fwd{batch, m, k, n, false, false, -1, broadcast_b ? 0 : -1};
  matmul_dnnl(fwd, a.value().data(), b.value().data(), nullptr, y.data());

  // Save only what the wanted gradients read: da needs b, db needs a.
  Tensor a_saved = b.requires_grad() ? a.value() : Tensor();
  Tensor b_saved = a.requires_grad() ? b.value() : Tensor();
  return make_result(y, {a, b}, "matmul", [=](const Tensor& dy) {
    std::vector<Tensor> grads(2);
    if (b_saved.defined()) {
      // da (batch, M, K) = dy (batch, M, N) · bᵀ; b's stride 0 when it is shared.
      grads[0] = Tensor::empty(as);
      MatmulShape s{batch, m, n, k, false, true, -1, broadcast_b ? 0 : -1};
      matmul_dnnl(s, dy.data(), b_saved.data(), nullptr, grads[0].data());
    }
    if (a_saved.defined()) {
      grads[1] = Tensor::empty(bs);
      if (broadcast_b) {
        // db (K, N) = Σ_i a_iᵀ dy_i = (batch·M, K)ᵀ · (batch·M, N): one GEMM, no reduction.
        MatmulShape s{1, k, batch * m, n, true, false};
        matmul_dnnl(s, a_saved.data(), dy.data(), nullptr, grads[1].data());
      } else {
        // db_i (K, N) = a_iᵀ (K, M) · dy_i (M, N).
        MatmulShape s{batch, k, m, n, true, false};
        matmul_dnnl(s, a_saved.data(), dy.data(), nullptr, grads[1].data());
      }
    }
    return grads;
  });
}

// x: (..., C_in), weight: (C_out, C_in), bias: (C_out,) -> (..., C_out)
Var linear(const Var& x, const Var& weight, const Var& bias) {
  LN_CHECK(x.defined() && weight.defined(), "[linear] x and weight must be defined tensors");
  const Shape& xs = x.shape();
  const Shape& ws = weight.shape();
  LN_CHECK(x.ndim() >= 1, "[linear] x ", shape_str(xs), " must have at least 1 dim (..., C_in)");
  LN_CHECK(weight.ndim() == 2, "[linear] weight ", shape_str(ws),
           " must be 2-D (C_out, C_in) like PyTorch's nn.Linear; x is ", shape_str(xs));
  check_f32("linear", "x", x);
  check_f32("linear", "weight", weight);
  const int64_t in = weight.dim(1), out = weight.dim(0);
  LN_CHECK(x.dim(-1) == in, "[linear] x ", shape_str(xs), " has ", x.dim(-1), " features but weight ",
           shape_str(ws), " expects ", in, " (weight is (C_out, C_in))");
  const bool has_bias = bias.defined();
  if (has_bias) {
    check_f32("linear", "bias", bias);
    LN_CHECK(bias.ndim() == 1 && bias.dim(0) == out, "[linear] bias ", shape_str(bias.shape()),
             " does not match weight ", shape_str(ws), "; it must be (", out, ",)");
  }
  const int64_t rows = in > 0 ? x.numel() / in : shape_numel(Shape(xs.begin(), xs.end() - 1));

  Shape out_shape = xs;
  out_shape.back() = out;
  Tensor y = Tensor::empty(out_shape);
  // y (R, C_out) = x (R, C_in) · weightᵀ, weight stored (C_out, C_in): trans_b.
  MatmulShape fwd{1, rows, in, out, false, true};
  const Precision prec = matmul_precision();  // ops/precision.hpp; the vjp uses the same
  // The operands as the product takes them (bf16 copies under precision bf16), converted once:
  // the vjp reuses them, so under bf16 the saved input costs half the bytes of the fp32 one.
  const Tensor x_op = matmul_operand(prec, x.value()), w_op = matmul_operand(prec, weight.value());
  matmul_operands(fwd, x_op, w_op, has_bias ? bias.value().data() : nullptr, y.data());

  Tensor x_saved = weight.requires_grad() ? x_op : Tensor();
  Tensor w_saved = x.requires_grad() ? w_op : Tensor();
  const bool want_bias = has_bias && bias.requires_grad();
  std::vector<Var> inputs{x, weight};
  if (has_bias) inputs.push_back(bias);
  return make_result(y, inputs, "linear", [=](const Tensor& dy) {
    std::vector<Tensor> grads(has_bias ? 3 : 2);
    const Tensor dy_op = matmul_operand(prec, dy);  // one conversion for both products
    if (w_saved.defined()) {
      // dx (R, C_in) = dy (R, C_out) · weight (C_out, C_in).
      grads[0] = Tensor::empty(xs);
      matmul_operands({1, rows, out, in}, dy_op, w_saved, nullptr, grads[0].data());
    }
    if (x_saved.defined()) {
      // dweight (C_out, C_in) = dyᵀ · x, dy stored (R, C_out): trans_a, K = R.
      grads[1] = Tensor::empty(ws);
      matmul_operands({1, out, rows, in, true, false}, dy_op, x_saved, nullptr, grads[1].data());
    }
    if (want_bias) {
      // dbias (C_out) = column sums of dy = ones (1, R) · dy (R, C_out), on the threaded GEMM.
      Tensor ones = Tensor::full({rows}, 1.0f);
      grads[2] = Tensor::empty({out});
      matmul_dnnl({1, 1, rows, out}, ones.data(), dy.data(), nullptr, grads[2].data());
    }
    return grads;
  });
}

}  // namespace ln
