#pragma once
// Elementwise arithmetic with numpy broadcasting (trailing dims aligned, size-1 dims
// stretched); the vjp sums the gradient over the dims an input was broadcast along.
#include "autograd/var.hpp"

namespace ln {

Var add(const Var& a, const Var& b);
Var sub(const Var& a, const Var& b);
Var mul(const Var& a, const Var& b);
Var scale(const Var& x, float s);       // s * x
Var add_scalar(const Var& x, float s);  // x + s

}  // namespace ln
