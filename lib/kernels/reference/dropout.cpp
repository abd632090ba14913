#include "kernels/reference/dropout.hpp"

#include "kernels/dropout.hpp"

namespace ln::reference {

void dropout_apply(const float* x, int64_t n, float p, uint64_t seed, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = ln::dropout_keep(seed, i, p) ? x[i] / (1.0f - p) : 0.0f;
}

}  // namespace ln::reference
