#include "kernels/softmax_xent.hpp"

#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "core/step_profile.hpp"
#include "kernels/parallel.hpp"
#include "kernels/vec_math.hpp"

namespace ln {

namespace {

float row_max(const float* x, int64_t c) {
  float m = -std::numeric_limits<float>::infinity();
#pragma omp simd reduction(max : m)
  for (int64_t j = 0; j < c; ++j) m = x[j] > m ? x[j] : m;
  return m;
}

// logsumexp of one row as (max, log sum exp(x - max)): the loss is formed as
// (max - x_t) + log_sum so that a large common offset does not eat its precision.
// An all -inf row gives max = -inf.
struct Lse {
  float max, log_sum;
};
Lse row_lse(const float* x, int64_t c) {
  float m = row_max(x, c);
  if (m == -std::numeric_limits<float>::infinity()) return {m, 0.0f};
  float s = 0.0f;
#pragma omp simd reduction(+ : s)
  for (int64_t j = 0; j < c; ++j) s += vmath::exp(x[j] - m);
  return {m, std::log(s)};
}

}  // namespace

void softmax_forward(const float* x, int64_t n, int64_t c, float* y) {
  const ProfileScope profile(ProfileCategory::elementwise);
  par::for_rows(n, c, [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i) {
      const float* xi = x + i * c;
      float* yi = y + i * c;
      float m = row_max(xi, c);
      float s = 0.0f;
#pragma omp simd reduction(+ : s)
      for (int64_t j = 0; j < c; ++j) {
        float e = vmath::exp(xi[j] - m);
        yi[j] = e;
        s += e;
      }
      float inv = 1.0f / s;
#pragma omp simd
      for (int64_t j = 0; j < c; ++j) yi[j] *= inv;
    }
  });
}

void softmax_backward(const float* y, const float* dy, int64_t n, int64_t c, float* dx) {
  const ProfileScope profile(ProfileCategory::elementwise);
  par::for_rows(n, c, [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i) {
      const float* yi = y + i * c;
      const float* dyi = dy + i * c;
      float* dxi = dx + i * c;
      float s = 0.0f;
#pragma omp simd reduction(+ : s)
      for (int64_t j = 0; j < c; ++j) s += dyi[j] * yi[j];
#pragma omp simd
      for (int64_t j = 0; j < c; ++j) dxi[j] = yi[j] * (dyi[j] - s);
    }
  });
}

void softmax_xent_forward(const float* logits, const int32_t* targets, int64_t n, int64_t v, int32_t ignore,
                          float* row_loss, float* row_lse_out) {
  const ProfileScope profile(ProfileCategory::elementwise);
  for (int64_t i = 0; i < n; ++i) {
    int32_t t = targets[i];
    LN_CHECK(t == ignore || (t >= 0 && t < v), "[softmax_xent] target ", t, " at row ", i,
             " is outside the vocabulary [0, ", v, ") and is not the ignore index ", ignore,
             "; check the tokenizer's vocab size against the model's");
  }
  par::for_rows(n, v, [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i) {
      const float* li = logits + i * v;
      Lse lse = row_lse(li, v);
      if (row_lse_out) row_lse_out[i] = lse.max + lse.log_sum;
      if (row_loss) row_loss[i] = targets[i] == ignore ? 0.0f : (lse.max - li[targets[i]]) + lse.log_sum;
    }
  });
}

void softmax_xent_backward(const float* logits, const int32_t* targets, const float* row_lse,
                           const float* d_row_loss, int64_t n, int64_t v, int32_t ignore, float* dlogits) {
  const ProfileScope profile(ProfileCategory::elementwise);
  par::for_rows(n, v, [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i) {
      const float* li = logits + i * v;
      float* di = dlogits + i * v;
      int32_t t = targets[i];
      if (t == ignore) {
#pragma omp simd
        for (int64_t j = 0; j < v; ++j) di[j] = 0.0f;
        continue;
      }
      float g = d_row_loss[i], lse = row_lse[i];
#pragma omp simd
      for (int64_t j = 0; j < v; ++j) di[j] = g * vmath::exp(li[j] - lse);
      di[t] -= g;
    }
  });
}

}  // namespace ln
