#pragma once
// Sums and means. Deterministic for any thread count.
#include "autograd/var.hpp"

namespace ln {

Var sum(const Var& x);   // all elements -> scalar (shape ())
Var mean(const Var& x);  // all elements -> scalar; mean of an empty tensor is an error
// Sum along dim; keepdim keeps it as size 1.
Var sum(const Var& x, int dim, bool keepdim = false);

}  // namespace ln
