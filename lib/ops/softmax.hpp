#pragma once
#include "autograd/var.hpp"

namespace ln {

// Softmax over the last dim, max-subtracted (stable). x: (..., C).
Var softmax(const Var& x);

}  // namespace ln
