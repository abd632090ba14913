#include "kernels/bf16_convert.hpp"

#include "kernels/parallel.hpp"

namespace ln {

void convert_to_bf16(const float* x, bf16* y, int64_t n) {
  par::for_rows(n, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) y[i] = bf16(x[i]);
  });
}

void round_to_bf16(const float* x, float* y, int64_t n) {
  par::for_rows(n, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) y[i] = static_cast<float>(bf16(x[i]));
  });
}

}  // namespace ln
