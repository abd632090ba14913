#pragma once
// Inverted dropout whose mask is a pure function of (seed, element index): a counter-based
// hash (splitmix64 finaliser), so the mask never depends on threads or on evaluation order,
// and the backward recomputes it instead of storing it.
#include <cstdint>

namespace ln {

// Whether element `index` is kept under dropout probability p with this seed.
bool dropout_keep(uint64_t seed, int64_t index, float p);
// y[i] = keep(i) ? x[i] / (1 - p) : 0, for 0 <= p < 1. The backward is the same call on dy
// (the map is linear in x with the same mask). y may alias x.
void dropout_apply(const float* x, int64_t n, float p, uint64_t seed, float* y);

}  // namespace ln
