#include "kernels/reference/broadcast.hpp"

#include <cstddef>
#include <vector>

namespace ln::reference {

namespace {
// Offset of flat output element e under the given strides.
int64_t offset(int64_t e, const int64_t* shape, const int64_t* strides, int rank) {
  int64_t off = 0;
  for (int i = rank - 1; i >= 0; --i) {
    off += (e % shape[i]) * strides[i];
    e /= shape[i];
  }
  return off;
}
int64_t numel(const int64_t* shape, int rank) {
  int64_t n = 1;
  for (int i = 0; i < rank; ++i) n *= shape[i];
  return n;
}
}  // namespace

void broadcast_binary(BinaryOp op, const float* a, const int64_t* a_strides, const float* b,
                      const int64_t* b_strides, const int64_t* out_shape, int rank, float* out) {
  for (int64_t e = 0; e < numel(out_shape, rank); ++e) {
    float x = a[offset(e, out_shape, a_strides, rank)];
    float y = b[offset(e, out_shape, b_strides, rank)];
    out[e] = op == BinaryOp::add ? x + y : op == BinaryOp::sub ? x - y : x * y;
  }
}

void broadcast_reduce(const float* g, const int64_t* out_shape, const int64_t* in_strides, int rank,
                      float scale, float* in, int64_t in_numel) {
  std::vector<double> acc(static_cast<size_t>(in_numel), 0.0);
  for (int64_t e = 0; e < numel(out_shape, rank); ++e) acc[offset(e, out_shape, in_strides, rank)] += g[e];
  for (int64_t i = 0; i < in_numel; ++i) in[i] = static_cast<float>(scale * acc[i]);
}

}  // namespace ln::reference
