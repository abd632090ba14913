#include "kernels/gelu.hpp"

#include "core/step_profile.hpp"
#include "kernels/parallel.hpp"
#include "kernels/vec_math.hpp"

namespace ln {

namespace {
constexpr float kInvSqrt2 = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;
constexpr int64_t kGeluBlock = 4096;  // elements per parallel task

// Phi(x) + x * phi(x), with phi(x) = exp(-x²/2) / sqrt(2 pi) taken from erf's own exp.
inline float gelu_derivative(float v, float& cdf) {
  float gaussian;  // exp(-(v / sqrt 2)²) = exp(-v² / 2)
  cdf = 0.5f * (1.0f + vmath::erf_and_gaussian(v * kInvSqrt2, gaussian));
  return cdf + v * (kInvSqrt2Pi * gaussian);
}
}  // namespace

void gelu_forward(const float* x, int64_t n, float* y) {
  const ProfileScope profile(ProfileCategory::elementwise);
  par::for_rows((n + kGeluBlock - 1) / kGeluBlock, kGeluBlock * 8, [&](int64_t b0, int64_t b1) {
    int64_t end = b1 * kGeluBlock < n ? b1 * kGeluBlock : n;
#pragma omp simd
    for (int64_t i = b0 * kGeluBlock; i < end; ++i) {
      float v = x[i];
      y[i] = 0.5f * v * (1.0f + vmath::erf(v * kInvSqrt2));
    }
  });
}

void gelu_backward(const float* x, const float* dy, int64_t n, float* dx) {
  const ProfileScope profile(ProfileCategory::elementwise);
  par::for_rows((n + kGeluBlock - 1) / kGeluBlock, kGeluBlock * 8, [&](int64_t b0, int64_t b1) {
    int64_t end = b1 * kGeluBlock < n ? b1 * kGeluBlock : n;
#pragma omp simd
    for (int64_t i = b0 * kGeluBlock; i < end; ++i) {
      float cdf;
      dx[i] = dy[i] * gelu_derivative(x[i], cdf);
    }
  });
}

void gelu_forward_with_derivative(const float* x, int64_t n, float* y, float* dydx) {
  const ProfileScope profile(ProfileCategory::elementwise);
  par::for_rows((n + kGeluBlock - 1) / kGeluBlock, kGeluBlock * 8, [&](int64_t b0, int64_t b1) {
    int64_t end = b1 * kGeluBlock < n ? b1 * kGeluBlock : n;
#pragma omp simd
    for (int64_t i = b0 * kGeluBlock; i < end; ++i) {
      float v = x[i], cdf;
      dydx[i] = gelu_derivative(v, cdf);
      y[i] = v * cdf;  // = 0.5 v (1 + erf(v / sqrt 2)), the same float gelu_forward gives
    }
  });
}

void gelu_backward_with_derivative(const float* dydx, const float* dy, int64_t n, float* dx) {
  const ProfileScope profile(ProfileCategory::elementwise);
  par::for_rows((n + kGeluBlock - 1) / kGeluBlock, kGeluBlock * 8, [&](int64_t b0, int64_t b1) {
    int64_t end = b1 * kGeluBlock < n ? b1 * kGeluBlock : n;
#pragma omp simd
    for (int64_t i = b0 * kGeluBlock; i < end; ++i) dx[i] = dy[i] * dydx[i];
  });
}

}  // namespace ln
