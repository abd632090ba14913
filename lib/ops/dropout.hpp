#pragma once
#include <cstdint>

#include "autograd/var.hpp"

namespace ln {

// Inverted dropout: each element is zeroed with probability p, survivors scaled by 1/(1-p).
// The mask is a pure function of (seed, flat element index) -- the same for any thread
// count -- and the backward recomputes it (nothing saved). p == 0 returns x itself.
// Use a different seed per call site and step (e.g. hash of (run seed, step, layer)).
Var dropout(const Var& x, float p, uint64_t seed);

}  // namespace ln
