#include "kernels/gelu.hpp"

#include "kernels/parallel.hpp"
#include "kernels/vec_math.hpp"

namespace ln {

namespace {
constexpr float kInvSqrt2 = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;
constexpr int64_t kBlock = 4096;  // elements per parallel task
}  // namespace

void gelu_forward(const float* x, int64_t n, float* y) {
  par::for_rows((n + kBlock - 1) / kBlock, kBlock * 8, [&](int64_t b0, int64_t b1) {
    int64_t end = b1 * kBlock < n ? b1 * kBlock : n;
#pragma omp simd
    for (int64_t i = b0 * kBlock; i < end; ++i) {
      float v = x[i];
      y[i] = 0.5f * v * (1.0f + vmath::erf(v * kInvSqrt2));
    }
  });
}

void gelu_backward(const float* x, const float* dy, int64_t n, float* dx) {
  par::for_rows((n + kBlock - 1) / kBlock, kBlock * 8, [&](int64_t b0, int64_t b1) {
    int64_t end = b1 * kBlock < n ? b1 * kBlock : n;
#pragma omp simd
    for (int64_t i = b0 * kBlock; i < end; ++i) {
      float v = x[i];
      float cdf = 0.5f * (1.0f + vmath::erf(v * kInvSqrt2));
      float pdf = kInvSqrt2Pi * vmath::exp(-0.5f * v * v);
      dx[i] = dy[i] * (cdf + v * pdf);
    }
  });
}

}  // namespace ln
