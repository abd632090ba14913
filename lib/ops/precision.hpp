#pragma once
// The precision of the model's matrix products (train.precision):
//   fp32  every GEMM in fp32;
//   bf16  the linear layers' GEMMs (forward and both backward products) take bf16 copies of
//         their operands and accumulate in fp32 inside oneDNN; weights, optimizer state,
//         norms, softmax statistics and the loss stay fp32. A linear layer keeps its input for
//         the backward as the bf16 copy its forward multiplied (half the bytes, and the same
//         numbers the backward would have made). On CPUs without bf16 GEMMs the operands are
//         rounded to bf16 and multiplied in fp32 (exact: a product of two bf16 values fits
//         fp32), so the numbers are the same up to summation order. The attention kernel
//         follows it: bf16 tiles, fp32 accumulation and softmax statistics (the same
//         Precision, core/precision.hpp, passed in AttentionDims).
//
// The precision is a thread-local setting read by ops when they record themselves; a vjp
// uses the precision its forward ran with.
#include <string>

#include "core/precision.hpp"
#include "core/tensor.hpp"
#include "kernels/matmul_dnnl.hpp"

namespace ln {

Precision matmul_precision();  // the current thread's (fp32 unless a scope says otherwise)

class PrecisionScope {
 public:
  explicit PrecisionScope(Precision p);
  ~PrecisionScope();
  PrecisionScope(const PrecisionScope&) = delete;
  PrecisionScope& operator=(const PrecisionScope&) = delete;

 private:
  Precision previous_;
};

// c = op(a) · op(b) (+ bias) (+ c) in precision p, for an unbatched shape (shape.batch == 1).
void matmul_in(Precision p, const MatmulShape& shape, const float* a, const float* b, const float* bias,
               float* c, bool accumulate = false);

// An operand converted once for precision p, for every product that uses it (a forward and
// its vjp): fp32 -> x itself (shared, no copy); bf16 -> a bf16 copy where oneDNN multiplies
// bf16, else an fp32 copy rounded to bf16 (the exact fallback). x must be f32.
Tensor matmul_operand(Precision p, const Tensor& x);
// c = op(a) · op(b) (+ bias) (+ c) for two operands made by matmul_operand with the same p;
// the same numbers as matmul_in(p, ...) on the original fp32 values.
void matmul_operands(const MatmulShape& shape, const Tensor& a, const Tensor& b, const float* bias, float* c,
                     bool accumulate = false);

}  // namespace ln
