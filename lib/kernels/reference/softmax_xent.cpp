#include "kernels/reference/softmax_xent.hpp"

#include <cmath>

namespace ln::reference {

void softmax_forward(const float* x, int64_t n, int64_t c, float* y) {
  for (int64_t i = 0; i < n; ++i) {
    double m = x[i * c];
    for (int64_t j = 1; j < c; ++j) m = std::fmax(m, x[i * c + j]);
    double s = 0;
    for (int64_t j = 0; j < c; ++j) s += std::exp(x[i * c + j] - m);
    for (int64_t j = 0; j < c; ++j) y[i * c + j] = static_cast<float>(std::exp(x[i * c + j] - m) / s);
  }
}

void softmax_backward(const float* y, const float* dy, int64_t n, int64_t c, float* dx) {
  for (int64_t i = 0; i < n; ++i) {
    double s = 0;
    for (int64_t j = 0; j < c; ++j) s += static_cast<double>(dy[i * c + j]) * y[i * c + j];
    for (int64_t j = 0; j < c; ++j) dx[i * c + j] = static_cast<float>(y[i * c + j] * (dy[i * c + j] - s));
  }
}

void softmax_xent_forward(const float* logits, const int32_t* targets, int64_t n, int64_t v, int32_t ignore,
                          float* row_loss, float* row_lse) {
  for (int64_t i = 0; i < n; ++i) {
    double m = logits[i * v];
    for (int64_t j = 1; j < v; ++j) m = std::fmax(m, logits[i * v + j]);
    double s = 0;
    for (int64_t j = 0; j < v; ++j) s += std::exp(logits[i * v + j] - m);
    double lse = m + std::log(s);
    if (row_lse) row_lse[i] = static_cast<float>(lse);
    if (row_loss)
      row_loss[i] = targets[i] == ignore ? 0.0f : static_cast<float>(lse - logits[i * v + targets[i]]);
  }
}

void softmax_xent_backward(const float* logits, const int32_t* targets, const float* row_lse,
                           const float* d_row_loss, int64_t n, int64_t v, int32_t ignore, float* dlogits) {
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < v; ++j) {
      if (targets[i] == ignore) {
        dlogits[i * v + j] = 0.0f;
        continue;
      }
      double p = std::exp(static_cast<double>(logits[i * v + j]) - row_lse[i]);
      dlogits[i * v + j] = static_cast<float>(d_row_loss[i] * (p - (j == targets[i] ? 1.0 : 0.0)));
    }
  }
}

}  // namespace ln::reference
