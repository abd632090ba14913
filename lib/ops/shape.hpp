#pragma once
// Layout ops. reshape/view share storage; transpose, slice, concat and split copy (Tensors
// have no strided views, so every kernel downstream sees contiguous data).
#include <cstdint>
#include <vector>

#include "autograd/var.hpp"

namespace ln {

// Same elements, new shape (one dim may be -1). Shares x's storage.
Var reshape(const Var& x, const Shape& shape);
Var view(const Var& x, const Shape& shape);  // same as reshape
// Swaps dims dim0 and dim1 (negative dims count from the end) into a new contiguous tensor.
// (B, T, H, D) <-> (B, H, T, D) is transpose(x, 1, 2).
Var transpose(const Var& x, int dim0, int dim1);
// x[..., start:end, ...] along dim; start/end may be negative (counted from the end).
Var slice(const Var& x, int dim, int64_t start, int64_t end);
// Joins tensors that agree on every dim but `dim`.
Var concat(const std::vector<Var>& xs, int dim);
// Cuts x along dim into pieces of the given sizes (they must add up to x's size there),
// e.g. a fused (B, T, 3C) qkv projection into three (B, T, C).
std::vector<Var> split(const Var& x, int dim, const std::vector<int64_t>& sizes);

}  // namespace ln
