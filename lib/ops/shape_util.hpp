#pragma once
// Shape helpers shared by the ops' front functions (validation and broadcasting).
#include <cstdint>

#include "autograd/var.hpp"
#include "core/error.hpp"
#include "core/tensor.hpp"

namespace ln::shape {

// The input of a shape or reduction op must be a defined f32 Var; `op` names the caller.
inline void check_f32(const Var& x, const char* op) {
  LN_CHECK(x.defined(), "[", op, "] input is an empty Var");
  LN_CHECK(x.value().dtype() == Precision::fp32, "[", op, "] input is ", precision_name(x.value().dtype()),
           "; this op takes f32");
}

// dim in [-ndim, ndim) -> [0, ndim); `op` names the caller in the error.
inline int normalize_dim(int dim, int ndim, const char* op) {
  LN_CHECK(dim >= -ndim && dim < ndim, "[", op, "] dim ", dim, " is out of range for a ", ndim,
           "-d tensor; use a dim in [", -ndim, ", ", ndim, ")");
  return dim < 0 ? dim + ndim : dim;
}

// Product of shape[begin, end).
inline int64_t product(const Shape& s, int begin, int end) {
  int64_t p = 1;
  for (int i = begin; i < end; ++i) p *= s[i];
  return p;
}

// numpy broadcasting: trailing dims aligned; each pair equal or one of them 1.
inline Shape broadcast(const Shape& a, const Shape& b, const char* op) {
  size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    LN_CHECK(da == db || da == 1 || db == 1, "[", op, "] shapes ", shape_str(a), " and ", shape_str(b),
             " do not broadcast (dim ", i, " of the result: ", da, " vs ", db,
             "); sizes must match or be 1, aligned from the last dim");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

// Element strides of a contiguous tensor of shape `in`, aligned to `out` (same or higher
// rank, `in` broadcastable to it), with 0 on broadcast dims.
inline std::vector<int64_t> broadcast_strides(const Shape& in, const Shape& out) {
  std::vector<int64_t> strides(out.size(), 0);
  int64_t s = 1;
  for (size_t k = 0; k < in.size(); ++k) {
    size_t i = in.size() - 1 - k;   // dim of `in`
    size_t o = out.size() - 1 - k;  // aligned dim of `out`
    strides[o] = in[i] == 1 && out[o] != 1 ? 0 : s;
    s *= in[i];
  }
  return strides;
}

}  // namespace ln::shape
