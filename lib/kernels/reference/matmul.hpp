#pragma once
// Plain-loop twin of kernels/matmul_dnnl.hpp: the same MatmulShape, the same meaning of
// transposes, batch strides (-1 packed, 0 broadcast), bias and accumulate, written as the
// textbook triple loop with a double accumulator so that tests can hold the oneDNN kernel
// to it. Slow on purpose; never call it outside tests.
#include "kernels/matmul_dnnl.hpp"

namespace ln::reference {

// C[i] = op(A[i]) · op(B[i]) (+ bias) (+ C[i] if accumulate); see matmul_dnnl.hpp.
void matmul(const MatmulShape& shape, const float* a, const float* b, const float* bias, float* c,
            bool accumulate = false);
void matmul(const MatmulShape& shape, const bf16* a, const bf16* b, const float* bias, float* c,
            bool accumulate = false);

}  // namespace ln::reference
