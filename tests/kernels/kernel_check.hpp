#pragma once
// Helpers for the kernel-vs-reference tests: random inputs and a max-error comparison.
#include <cmath>
#include <vector>

#include "core/threading.hpp"
#include "support/gradcheck.hpp"

namespace ln::test {

inline std::vector<float> random_vec(int64_t n, uint64_t seed, float lo = -1.0f, float hi = 1.0f) {
  return random_tensor({n}, seed, lo, hi).to_vector();
}

// True when |a - b| <= atol + rtol |b| elementwise; reports the worst element.
inline bool all_close(const std::vector<float>& a, const std::vector<float>& b, double atol,
                      double rtol = 0.0) {
  REQUIRE(a.size() == b.size());
  double worst = 0;
  size_t at = 0;
  bool ok = true;
  for (size_t i = 0; i < a.size(); ++i) {
    double err = std::abs(static_cast<double>(a[i]) - b[i]);
    bool good = err <= atol + rtol * std::abs(b[i]);
    if (!good && (ok || err > worst)) {
      worst = err;
      at = i;
    }
    ok = ok && good;
  }
  if (!ok) MESSAGE("worst element ", at, ": ", a[at], " vs reference ", b[at]);
  return ok;
}

// Runs f() once with 1 thread and once with 2, restoring the default afterwards.
template <typename F>
void with_threads(int n, F&& f) {
  set_threads(n);
  f();
  set_threads(0);
}

}  // namespace ln::test
