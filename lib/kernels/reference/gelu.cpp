#include "kernels/reference/gelu.hpp"

#include <cmath>

namespace ln::reference {

void gelu_forward(const float* x, int64_t n, float* y) {
  for (int64_t i = 0; i < n; ++i) {
    double v = x[i];
    y[i] = static_cast<float>(0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))));
  }
}

void gelu_backward(const float* x, const float* dy, int64_t n, float* dx) {
  const double pi = 3.14159265358979323846;
  for (int64_t i = 0; i < n; ++i) {
    double v = x[i];
    double cdf = 0.5 * (1.0 + std::erf(v / std::sqrt(2.0)));
    double pdf = std::exp(-0.5 * v * v) / std::sqrt(2.0 * pi);
    dx[i] = static_cast<float>(dy[i] * (cdf + v * pdf));
  }
}

}  // namespace ln::reference
