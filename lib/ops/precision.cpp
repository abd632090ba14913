#include "ops/precision.hpp"

#include "core/error.hpp"
#include "core/tensor.hpp"
#include "kernels/bf16_convert.hpp"

namespace ln {

namespace {
thread_local Precision t_precision = Precision::fp32;
}

Precision matmul_precision() { return t_precision; }
PrecisionScope::PrecisionScope(Precision p) : previous_(t_precision) { t_precision = p; }
PrecisionScope::~PrecisionScope() { t_precision = previous_; }

void matmul_in(Precision p, const MatmulShape& shape, const float* a, const float* b, const float* bias,
               float* c, bool accumulate) {
  if (p == Precision::fp32) return matmul_dnnl(shape, a, b, bias, c, accumulate);
  LN_CHECK(shape.batch == 1, "[matmul] bf16 products are for unbatched shapes, got batch ", shape.batch);
  const int64_t na = shape.m * shape.k, nb = shape.k * shape.n;
  if (matmul_bf16_supported()) {
    Tensor a16 = Tensor::empty({na}, Precision::bf16), b16 = Tensor::empty({nb}, Precision::bf16);
    convert_to_bf16(a, a16.data_bf16(), na);
    convert_to_bf16(b, b16.data_bf16(), nb);
    matmul_dnnl(shape, a16.data_bf16(), b16.data_bf16(), bias, c, accumulate);
  } else {
    Tensor ar = Tensor::empty({na}), br = Tensor::empty({nb});
    round_to_bf16(a, ar.data(), na);
    round_to_bf16(b, br.data(), nb);
    matmul_dnnl(shape, ar.data(), br.data(), bias, c, accumulate);
  }
}

}  // namespace ln

namespace ln {

Tensor matmul_operand(Precision p, const Tensor& x) {
  LN_CHECK(x.dtype() == Precision::fp32, "[matmul] an operand must be fp32, got ", precision_name(x.dtype()));
  if (p == Precision::fp32) return x;
  if (matmul_bf16_supported()) {
    Tensor y = Tensor::empty(x.shape(), Precision::bf16);
    convert_to_bf16(x.data(), y.data_bf16(), x.numel());
    return y;
  }
  Tensor y = Tensor::empty(x.shape());
  round_to_bf16(x.data(), y.data(), x.numel());
  return y;
}

void matmul_operands(const MatmulShape& shape, const Tensor& a, const Tensor& b, const float* bias, float* c,
                     bool accumulate) {
  LN_CHECK(a.dtype() == b.dtype(), "[matmul] operands of one product must share a dtype, got ",
           precision_name(a.dtype()), " and ", precision_name(b.dtype()));
  LN_CHECK(shape.batch == 1 && a.numel() == shape.m * shape.k && b.numel() == shape.k * shape.n,
           "[matmul] operands of ", a.numel(), " and ", b.numel(), " elements do not fit an unbatched ",
           shape.m, "x", shape.k, "x", shape.n, " product");
  if (a.dtype() == Precision::bf16)
    return matmul_dnnl(shape, a.data_bf16(), b.data_bf16(), bias, c, accumulate);
  matmul_dnnl(shape, a.data(), b.data(), bias, c, accumulate);
}

}  // namespace ln
