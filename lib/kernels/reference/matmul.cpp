#include "kernels/reference/matmul.hpp"

#include "core/error.hpp"

namespace ln::reference {

namespace {

inline double value(float x) { return x; }
inline double value(bf16 x) { return static_cast<float>(x); }

template <typename T>
void run(const MatmulShape& s, const T* a, const T* b, const float* bias, float* c, bool accumulate) {
  LN_CHECK(s.batch >= 0 && s.m >= 0 && s.k >= 0 && s.n >= 0, "[reference::matmul] negative size");
  int64_t stride_a = s.batch_stride_a == -1 ? s.m * s.k : s.batch_stride_a;
  int64_t stride_b = s.batch_stride_b == -1 ? s.k * s.n : s.batch_stride_b;
  for (int64_t bi = 0; bi < s.batch; ++bi) {
    const T* ab = a + bi * stride_a;
    const T* bb = b + bi * stride_b;
    float* cb = c + bi * s.m * s.n;
    for (int64_t i = 0; i < s.m; ++i) {
      for (int64_t j = 0; j < s.n; ++j) {
        double sum = bias ? bias[j] : 0.0;
        for (int64_t p = 0; p < s.k; ++p) {
          // op(A)[i][p] and op(B)[p][j] read from the stored (possibly transposed) layout.
          double x = value(s.trans_a ? ab[p * s.m + i] : ab[i * s.k + p]);
          double y = value(s.trans_b ? bb[j * s.k + p] : bb[p * s.n + j]);
          sum += x * y;
        }
        float& out = cb[i * s.n + j];
        out = accumulate ? static_cast<float>(out + sum) : static_cast<float>(sum);
      }
    }
  }
}

}  // namespace

void matmul(const MatmulShape& shape, const float* a, const float* b, const float* bias, float* c,
            bool accumulate) {
  run(shape, a, b, bias, c, accumulate);
}

void matmul(const MatmulShape& shape, const bf16* a, const bf16* b, const float* bias, float* c,
            bool accumulate) {
  run(shape, a, b, bias, c, accumulate);
}

}  // namespace ln::reference
