#include "kernels/copy_rows.hpp"

#include <cstring>

#include "core/step_profile.hpp"
#include "kernels/parallel.hpp"

namespace ln {

void copy_rows(const float* src, int64_t src_stride, float* dst, int64_t dst_stride, int64_t rows,
               int64_t len) {
  const ProfileScope profile(ProfileCategory::elementwise);
  if (len <= 0) return;
  par::for_rows(rows, len, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r)
      std::memcpy(dst + r * dst_stride, src + r * src_stride, static_cast<size_t>(len) * sizeof(float));
  });
}

}  // namespace ln
