#pragma once
// The attention kernel's precision for the current thread's matmul precision (ops/precision.hpp):
// under bf16 the kernel multiplies bf16 operands too (kernels/attention/attention_kernel.hpp,
// AttentionPrecision), keeping softmax statistics and outputs fp32.
#include "kernels/attention/attention_kernel.hpp"
#include "ops/precision.hpp"

namespace ln {

inline AttentionPrecision attention_precision() {
  return matmul_precision() == Precision::bf16 ? AttentionPrecision::bf16 : AttentionPrecision::fp32;
}

}  // namespace ln
