#pragma once
// Plain-loop twins of kernels/embedding.hpp.
#include <cstdint>

namespace ln::reference {
void embedding_forward(const float* weight, const int32_t* ids, int64_t n, int64_t v, int64_t c, float* out);
void embedding_backward(const float* dout, const int32_t* ids, int64_t n, int64_t v, int64_t c,
                        float* dweight);
}  // namespace ln::reference
