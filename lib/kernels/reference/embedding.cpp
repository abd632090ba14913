#include "kernels/reference/embedding.hpp"

namespace ln::reference {

void embedding_forward(const float* weight, const int32_t* ids, int64_t n, int64_t v, int64_t c, float* out) {
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < c; ++j) out[i * c + j] = weight[ids[i] * c + j];
}

void embedding_backward(const float* dout, const int32_t* ids, int64_t n, int64_t v, int64_t c,
                        float* dweight) {
  for (int64_t k = 0; k < v * c; ++k) dweight[k] = 0.0f;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < c; ++j) dweight[ids[i] * c + j] += dout[i * c + j];
}

}  // namespace ln::reference
