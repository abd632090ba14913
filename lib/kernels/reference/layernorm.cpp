// Plain-loop twins of kernels/layernorm.cpp, accumulating in double: the textbook formulas.
#include "kernels/reference/layernorm.hpp"

#include <cmath>

namespace ln::reference {

void layernorm_forward(const float* x, const float* weight, const float* bias, int64_t n, int64_t c,
                       float eps, float* y, float* mean, float* rstd) {
  for (int64_t i = 0; i < n; ++i) {
    double s = 0;
    for (int64_t j = 0; j < c; ++j) s += x[i * c + j];
    double m = s / c;
    double v = 0;
    for (int64_t j = 0; j < c; ++j) v += (x[i * c + j] - m) * (x[i * c + j] - m);
    double rs = 1.0 / std::sqrt(v / c + eps);
    mean[i] = static_cast<float>(m);
    rstd[i] = static_cast<float>(rs);
    for (int64_t j = 0; j < c; ++j)
      y[i * c + j] = static_cast<float>((x[i * c + j] - m) * rs * weight[j] + (bias ? bias[j] : 0.0f));
  }
}

void layernorm_backward(const float* dy, const float* x, const float* weight, const float* mean,
                        const float* rstd, int64_t n, int64_t c, float* dx, float* dweight, float* dbias) {
  if (dweight)
    for (int64_t j = 0; j < c; ++j) dweight[j] = 0;
  if (dbias)
    for (int64_t j = 0; j < c; ++j) dbias[j] = 0;
  for (int64_t j = 0; j < c; ++j) {
    double dw = 0, db = 0;
    for (int64_t i = 0; i < n; ++i) {
      double xhat = (x[i * c + j] - mean[i]) * static_cast<double>(rstd[i]);
      dw += dy[i * c + j] * xhat;
      db += dy[i * c + j];
    }
    if (dweight) dweight[j] = static_cast<float>(dw);
    if (dbias) dbias[j] = static_cast<float>(db);
  }
  if (!dx) return;
  for (int64_t i = 0; i < n; ++i) {
    double sg = 0, sgx = 0;
    for (int64_t j = 0; j < c; ++j) {
      double g = static_cast<double>(dy[i * c + j]) * weight[j];
      double xhat = (x[i * c + j] - mean[i]) * static_cast<double>(rstd[i]);
      sg += g;
      sgx += g * xhat;
    }
    for (int64_t j = 0; j < c; ++j) {
      double g = static_cast<double>(dy[i * c + j]) * weight[j];
      double xhat = (x[i * c + j] - mean[i]) * static_cast<double>(rstd[i]);
      dx[i * c + j] = static_cast<float>(rstd[i] * (g - sg / c - xhat * sgx / c));
    }
  }
}

void rmsnorm_forward(const float* x, const float* weight, int64_t n, int64_t c, float eps, float* y,
                     float* rstd) {
  for (int64_t i = 0; i < n; ++i) {
    double s = 0;
    for (int64_t j = 0; j < c; ++j) s += static_cast<double>(x[i * c + j]) * x[i * c + j];
    double rs = 1.0 / std::sqrt(s / c + eps);
    rstd[i] = static_cast<float>(rs);
    for (int64_t j = 0; j < c; ++j) y[i * c + j] = static_cast<float>(x[i * c + j] * rs * weight[j]);
  }
}

void rmsnorm_backward(const float* dy, const float* x, const float* weight, const float* rstd, int64_t n,
                      int64_t c, float* dx, float* dweight) {
  if (dweight) {
    for (int64_t j = 0; j < c; ++j) {
      double dw = 0;
      for (int64_t i = 0; i < n; ++i) dw += static_cast<double>(dy[i * c + j]) * x[i * c + j] * rstd[i];
      dweight[j] = static_cast<float>(dw);
    }
  }
  if (!dx) return;
  for (int64_t i = 0; i < n; ++i) {
    double sgx = 0;
    for (int64_t j = 0; j < c; ++j)
      sgx += static_cast<double>(dy[i * c + j]) * weight[j] * x[i * c + j] * rstd[i];
    for (int64_t j = 0; j < c; ++j) {
      double g = static_cast<double>(dy[i * c + j]) * weight[j];
      dx[i * c + j] =
          static_cast<float>(rstd[i] * (g - x[i * c + j] * static_cast<double>(rstd[i]) * sgx / c));
    }
  }
}

}  // namespace ln::reference
