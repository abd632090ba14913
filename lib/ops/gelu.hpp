#pragma once
#include "autograd/var.hpp"

namespace ln {

// Exact erf GELU (PyTorch's default F.gelu), elementwise.
Var gelu(const Var& x);

}  // namespace ln
