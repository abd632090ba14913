#include "kernels/reference/transpose.hpp"

namespace ln::reference {

void transpose_copy(const float* x, int64_t a, int64_t m, int64_t b, int64_t n, int64_t k, float* y) {
  for (int64_t ai = 0; ai < a; ++ai)
    for (int64_t ni = 0; ni < n; ++ni)
      for (int64_t bi = 0; bi < b; ++bi)
        for (int64_t mi = 0; mi < m; ++mi)
          for (int64_t ki = 0; ki < k; ++ki)
            y[(((ai * n + ni) * b + bi) * m + mi) * k + ki] = x[(((ai * m + mi) * b + bi) * n + ni) * k + ki];
}

}  // namespace ln::reference
