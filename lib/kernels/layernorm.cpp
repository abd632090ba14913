#include "kernels/layernorm.hpp"

#include <cmath>
#include <vector>

#include "core/step_profile.hpp"
#include "kernels/parallel.hpp"

namespace ln {

namespace {

// out[j] = sum over chunks k (in order) of partial[k * stride + j], j < c.
void combine_partials(const float* partial, int64_t chunks, int64_t stride, int64_t c, float* out) {
  for (int64_t j = 0; j < c; ++j) out[j] = 0.0f;
  for (int64_t k = 0; k < chunks; ++k) {
    const float* p = partial + k * stride;
#pragma omp simd
    for (int64_t j = 0; j < c; ++j) out[j] += p[j];
  }
}

}  // namespace

void layernorm_forward(const float* x, const float* weight, const float* bias, int64_t n, int64_t c,
                       float eps, float* y, float* mean, float* rstd) {
  const ProfileScope profile(ProfileCategory::elementwise);
  par::for_rows(n, c, [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i) {
      const float* xi = x + i * c;
      float* yi = y + i * c;
      // Two passes (mean, then centred variance): exact enough for activations with a
      // large common offset, where E[x^2] - E[x]^2 would cancel catastrophically.
      float s = 0.0f;
#pragma omp simd reduction(+ : s)
      for (int64_t j = 0; j < c; ++j) s += xi[j];
      float m = s / static_cast<float>(c);
      float v = 0.0f;
#pragma omp simd reduction(+ : v)
      for (int64_t j = 0; j < c; ++j) v += (xi[j] - m) * (xi[j] - m);
      float rs = 1.0f / std::sqrt(v / static_cast<float>(c) + eps);
      mean[i] = m;
      rstd[i] = rs;
      if (bias) {
#pragma omp simd
        for (int64_t j = 0; j < c; ++j) yi[j] = (xi[j] - m) * rs * weight[j] + bias[j];
      } else {
#pragma omp simd
        for (int64_t j = 0; j < c; ++j) yi[j] = (xi[j] - m) * rs * weight[j];
      }
    }
  });
}

void layernorm_backward(const float* dy, const float* x, const float* weight, const float* mean,
                        const float* rstd, int64_t n, int64_t c, float* dx, float* dweight, float* dbias) {
  const ProfileScope profile(ProfileCategory::elementwise);
  // dx = rstd * (g - mean(g) - xhat * mean(g * xhat)),  g = dy * weight, xhat = (x - mean) * rstd.
  // One pass over x and dy: each fixed chunk of rows writes its dx rows and accumulates its
  // own dweight/dbias partials; partials are summed in chunk order afterwards.
  const int64_t chunks = par::fixed_chunks(n, 64);
  const bool want_params = dweight || dbias;
  std::vector<float> partial(want_params ? static_cast<size_t>(2 * chunks * c) : 0, 0.0f);
  par::for_rows(chunks, (n / chunks) * c, [&](int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; ++k) {
      float* pw = want_params ? partial.data() + 2 * k * c : nullptr;
      float* pb = want_params ? pw + c : nullptr;
      for (int64_t i = par::chunk_begin(n, chunks, k); i < par::chunk_begin(n, chunks, k + 1); ++i) {
        const float* xi = x + i * c;
        const float* dyi = dy + i * c;
        const float m = mean[i], rs = rstd[i];
        if (dx) {
          float sg = 0.0f, sgx = 0.0f;
#pragma omp simd reduction(+ : sg, sgx)
          for (int64_t j = 0; j < c; ++j) {
            float g = dyi[j] * weight[j];
            sg += g;
            sgx += g * (xi[j] - m) * rs;
          }
          const float inv_c = 1.0f / static_cast<float>(c);
          sg *= inv_c;
          sgx *= inv_c;
          float* dxi = dx + i * c;
#pragma omp simd
          for (int64_t j = 0; j < c; ++j) dxi[j] = rs * (dyi[j] * weight[j] - sg - (xi[j] - m) * rs * sgx);
        }
        if (want_params) {
#pragma omp simd
          for (int64_t j = 0; j < c; ++j) {
            pw[j] += dyi[j] * (xi[j] - m) * rs;
            pb[j] += dyi[j];
          }
        }
      }
    }
  });
  if (dweight) combine_partials(partial.data(), chunks, 2 * c, c, dweight);
  if (dbias) combine_partials(partial.data() + c, chunks, 2 * c, c, dbias);
}

void rmsnorm_forward(const float* x, const float* weight, int64_t n, int64_t c, float eps, float* y,
                     float* rstd) {
  const ProfileScope profile(ProfileCategory::elementwise);
  par::for_rows(n, c, [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i) {
      const float* xi = x + i * c;
      float* yi = y + i * c;
      float s = 0.0f;
#pragma omp simd reduction(+ : s)
      for (int64_t j = 0; j < c; ++j) s += xi[j] * xi[j];
      float rs = 1.0f / std::sqrt(s / static_cast<float>(c) + eps);
      rstd[i] = rs;
#pragma omp simd
      for (int64_t j = 0; j < c; ++j) yi[j] = xi[j] * rs * weight[j];
    }
  });
}

void rmsnorm_backward(const float* dy, const float* x, const float* weight, const float* rstd, int64_t n,
                      int64_t c, float* dx, float* dweight) {
  const ProfileScope profile(ProfileCategory::elementwise);
  // y = x * r * w with r = (mean(x^2) + eps)^-1/2:  dx = r * (g - xhat * mean(g * xhat)),
  // g = dy * w, xhat = x * r. Same one-pass chunking as layernorm_backward.
  const int64_t chunks = par::fixed_chunks(n, 64);
  std::vector<float> partial(dweight ? static_cast<size_t>(chunks * c) : 0, 0.0f);
  par::for_rows(chunks, (n / chunks) * c, [&](int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; ++k) {
      float* pw = dweight ? partial.data() + k * c : nullptr;
      for (int64_t i = par::chunk_begin(n, chunks, k); i < par::chunk_begin(n, chunks, k + 1); ++i) {
        const float* xi = x + i * c;
        const float* dyi = dy + i * c;
        const float rs = rstd[i];
        if (dx) {
          float sgx = 0.0f;
#pragma omp simd reduction(+ : sgx)
          for (int64_t j = 0; j < c; ++j) sgx += dyi[j] * weight[j] * xi[j] * rs;
          sgx /= static_cast<float>(c);
          float* dxi = dx + i * c;
#pragma omp simd
          for (int64_t j = 0; j < c; ++j) dxi[j] = rs * (dyi[j] * weight[j] - xi[j] * rs * sgx);
        }
        if (pw) {
#pragma omp simd
          for (int64_t j = 0; j < c; ++j) pw[j] += dyi[j] * xi[j] * rs;
        }
      }
    }
  });
  if (dweight) combine_partials(partial.data(), chunks, c, c, dweight);
}

}  // namespace ln
