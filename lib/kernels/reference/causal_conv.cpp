#include "kernels/reference/causal_conv.hpp"

namespace ln::reference {

namespace {
int64_t at(const CausalConvShape& s, int64_t b, int64_t h, int64_t t, int64_t d) {
  return ((b * s.H + h) * s.T + t) * s.D + d;
}
}  // namespace

void causal_conv_forward(const float* x, const float* taps, const CausalConvShape& s, float* y) {
  const int64_t C = s.H * s.D;
  for (int64_t b = 0; b < s.B; ++b)
    for (int64_t h = 0; h < s.H; ++h)
      for (int64_t t = 0; t < s.T; ++t)
        for (int64_t d = 0; d < s.D; ++d) {
          double sum = x[at(s, b, h, t, d)];
          for (int64_t k = 1; k < s.K; ++k)
            if (t - k >= 0) sum += double(taps[(k - 1) * C + h * s.D + d]) * x[at(s, b, h, t - k, d)];
          y[at(s, b, h, t, d)] = static_cast<float>(sum);
        }
}

void causal_conv_backward(const float* x, const float* taps, const float* dy, const CausalConvShape& s,
                          float* dx, float* dtaps) {
  const int64_t C = s.H * s.D;
  // dx[t] collects every output that read x[t]: y[t] itself and y[t + k] through tap k.
  if (dx)
    for (int64_t b = 0; b < s.B; ++b)
      for (int64_t h = 0; h < s.H; ++h)
        for (int64_t t = 0; t < s.T; ++t)
          for (int64_t d = 0; d < s.D; ++d) {
            double sum = dy[at(s, b, h, t, d)];
            for (int64_t k = 1; k < s.K; ++k)
              if (t + k < s.T) sum += double(taps[(k - 1) * C + h * s.D + d]) * dy[at(s, b, h, t + k, d)];
            dx[at(s, b, h, t, d)] = static_cast<float>(sum);
          }
  if (dtaps)
    for (int64_t k = 1; k < s.K; ++k)
      for (int64_t h = 0; h < s.H; ++h)
        for (int64_t d = 0; d < s.D; ++d) {
          double sum = 0;
          for (int64_t b = 0; b < s.B; ++b)
            for (int64_t t = k; t < s.T; ++t) sum += double(dy[at(s, b, h, t, d)]) * x[at(s, b, h, t - k, d)];
          dtaps[(k - 1) * C + h * s.D + d] = static_cast<float>(sum);
        }
}

}  // namespace ln::reference
