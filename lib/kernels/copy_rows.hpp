#pragma once
// Strided block copies: the data movement of slice, concat and split.
#include <cstdint>

namespace ln {

// dst[r * dst_stride + j] = src[r * src_stride + j] for r < rows, j < len.
void copy_rows(const float* src, int64_t src_stride, float* dst, int64_t dst_stride, int64_t rows,
               int64_t len);

}  // namespace ln
