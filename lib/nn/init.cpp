#include "nn/init.hpp"

#include <cmath>

namespace ln {

uint64_t hash_name(const std::string& name) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : name) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

void init_normal(Tensor& t, double std, uint64_t seed, const std::string& name) {
  const uint64_t stream = splitmix64(seed ^ hash_name(name));
  float* p = t.data();
  const int64_t n = t.numel();
  // Box-Muller on pairs of uniforms in (0, 1].
  for (int64_t i = 0; i < n; i += 2) {
    const uint64_t a = splitmix64(stream + 2 * static_cast<uint64_t>(i));
    const uint64_t b = splitmix64(stream + 2 * static_cast<uint64_t>(i) + 1);
    const double u1 = (static_cast<double>(a >> 11) + 1.0) * 0x1.0p-53;
    const double u2 = static_cast<double>(b >> 11) * 0x1.0p-53;
    const double radius = std * std::sqrt(-2.0 * std::log(u1));
    p[i] = static_cast<float>(radius * std::cos(2.0 * M_PI * u2));
    if (i + 1 < n) p[i + 1] = static_cast<float>(radius * std::sin(2.0 * M_PI * u2));
  }
}

}  // namespace ln
