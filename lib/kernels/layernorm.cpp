#include "kernels/layernorm.hpp"

#include <cmath>
#include <vector>

#include "kernels/parallel.hpp"

namespace ln {

namespace {

// Reduces per-chunk partial sums of `rows_fn` into out[0..c): out = sum over chunks in
// chunk order. rows_fn(begin, end, partial) accumulates rows [begin, end) into partial (C).
template <typename RowsFn>
void reduce_rows_fixed(int64_t n, int64_t c, float* out, RowsFn&& rows_fn) {
  int64_t chunks = par::fixed_chunks(n);
  std::vector<float> partial(static_cast<size_t>(chunks * c), 0.0f);
  par::for_rows(chunks, (n / chunks) * c, [&](int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; ++k)
      rows_fn(par::chunk_begin(n, chunks, k), par::chunk_begin(n, chunks, k + 1), partial.data() + k * c);
  });
  for (int64_t j = 0; j < c; ++j) out[j] = 0.0f;
  for (int64_t k = 0; k < chunks; ++k) {
    const float* p = partial.data() + k * c;
#pragma omp simd
    for (int64_t j = 0; j < c; ++j) out[j] += p[j];
  }
}

}  // namespace

void layernorm_forward(const float* x, const float* weight, const float* bias, int64_t n, int64_t c,
                       float eps, float* y, float* mean, float* rstd) {
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
  // dx = rstd * (g - mean(g) - xhat * mean(g * xhat)),  g = dy * weight, xhat = (x - mean) * rstd
  if (dx) {
    par::for_rows(n, c, [&](int64_t r0, int64_t r1) {
      for (int64_t i = r0; i < r1; ++i) {
        const float* xi = x + i * c;
        const float* dyi = dy + i * c;
        float m = mean[i], rs = rstd[i];
        float sg = 0.0f, sgx = 0.0f;
#pragma omp simd reduction(+ : sg, sgx)
        for (int64_t j = 0; j < c; ++j) {
          float g = dyi[j] * weight[j];
          sg += g;
          sgx += g * (xi[j] - m) * rs;
        }
        float inv_c = 1.0f / static_cast<float>(c);
        sg *= inv_c;
        sgx *= inv_c;
        float* dxi = dx + i * c;
#pragma omp simd
        for (int64_t j = 0; j < c; ++j) dxi[j] = rs * (dyi[j] * weight[j] - sg - (xi[j] - m) * rs * sgx);
      }
    });
  }
  if (dweight) {
    reduce_rows_fixed(n, c, dweight, [&](int64_t r0, int64_t r1, float* acc) {
      for (int64_t i = r0; i < r1; ++i) {
        const float* xi = x + i * c;
        const float* dyi = dy + i * c;
        float m = mean[i], rs = rstd[i];
#pragma omp simd
        for (int64_t j = 0; j < c; ++j) acc[j] += dyi[j] * (xi[j] - m) * rs;
      }
    });
  }
  if (dbias) {
    reduce_rows_fixed(n, c, dbias, [&](int64_t r0, int64_t r1, float* acc) {
      for (int64_t i = r0; i < r1; ++i) {
        const float* dyi = dy + i * c;
#pragma omp simd
        for (int64_t j = 0; j < c; ++j) acc[j] += dyi[j];
      }
    });
  }
}

void rmsnorm_forward(const float* x, const float* weight, int64_t n, int64_t c, float eps, float* y,
                     float* rstd) {
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
  // y = x * r * w with r = (mean(x^2) + eps)^-1/2:  dx = r * (g - xhat * mean(g * xhat)),
  // g = dy * w, xhat = x * r.
  if (dx) {
    par::for_rows(n, c, [&](int64_t r0, int64_t r1) {
      for (int64_t i = r0; i < r1; ++i) {
        const float* xi = x + i * c;
        const float* dyi = dy + i * c;
        float rs = rstd[i];
        float sgx = 0.0f;
#pragma omp simd reduction(+ : sgx)
        for (int64_t j = 0; j < c; ++j) sgx += dyi[j] * weight[j] * xi[j] * rs;
        sgx /= static_cast<float>(c);
        float* dxi = dx + i * c;
#pragma omp simd
        for (int64_t j = 0; j < c; ++j) dxi[j] = rs * (dyi[j] * weight[j] - xi[j] * rs * sgx);
      }
    });
  }
  if (dweight) {
    reduce_rows_fixed(n, c, dweight, [&](int64_t r0, int64_t r1, float* acc) {
      for (int64_t i = r0; i < r1; ++i) {
        const float* xi = x + i * c;
        const float* dyi = dy + i * c;
        float rs = rstd[i];
#pragma omp simd
        for (int64_t j = 0; j < c; ++j) acc[j] += dyi[j] * xi[j] * rs;
      }
    });
  }
}

}  // namespace ln
