#include "autograd/activation_recompute.hpp"

#include <algorithm>
#include <cstring>

#include "core/error.hpp"
#include "core/step_profile.hpp"

namespace ln {

Var checkpoint(const VarFn& fn, const Var& x, const char* name) {
  LN_CHECK(x.defined(), "[", name, "] input is an empty Var");
  // Without a gradient to route through x there is no node to hang the recompute on (the
  // parameters' gradients would be lost): run fn normally.
  if (!grad_enabled() || !x.requires_grad()) return fn(x);
  Tensor y;
  {
    NoGradGuard no_grad;
    y = fn(x).value();
  }
  Tensor xv = x.value();
  return make_result(y, {x}, name, [fn, xv](const Tensor& dy) {
    GradModeGuard grad_mode;
    Var leaf(xv, true);
    Var again;
    {
      // The step profile shows the re-run forward as recomputation; its backward is the backward.
      const ProfileRecomputeScope recompute;
      again = fn(leaf);
    }
    again.backward(dy);
    return std::vector<Tensor>{leaf.grad()};  // undefined when fn ignores x: no gradient
  });
}

namespace {
// Rows [r0, r1) of a (R, width) tensor, copied into a (r1 - r0, width) tensor.
Tensor copy_rows_of(const Tensor& t, int64_t r0, int64_t r1, int64_t width) {
  Tensor out = Tensor::empty({r1 - r0, width});
  const ProfileScope profile(ProfileCategory::elementwise);
  std::memcpy(out.data(), t.data() + r0 * width, sizeof(float) * static_cast<size_t>((r1 - r0) * width));
  return out;
}
}  // namespace

Var chunked_rows(const VarFn& fn, const Var& x, int64_t chunk, const char* name) {
  LN_CHECK(x.defined() && x.ndim() >= 1, "[", name, "] input must be (..., C)");
  LN_CHECK(chunk >= 1, "[", name, "] chunk is ", chunk, " rows; it must be at least 1");
  LN_CHECK(x.value().dtype() == Precision::fp32, "[", name, "] input must be f32");
  const int64_t width = x.dim(-1);
  const int64_t rows = width > 0 ? x.numel() / width : 0;
  const bool record = grad_enabled() && x.requires_grad();
  // One chunk without recording is just fn; with recording it is still recomputed, so the
  // memory a caller plans for (one chunk of fn's intermediates) does not depend on R.
  if (rows <= chunk && !record) return fn(x);

  // Forward, chunk by chunk, without recording.
  Tensor xv = x.value();
  Tensor y;
  int64_t out_width = 0;
  {
    NoGradGuard no_grad;
    for (int64_t r0 = 0; r0 < rows; r0 += chunk) {
      const int64_t r1 = std::min(rows, r0 + chunk);
      Tensor yc = fn(Var(copy_rows_of(xv, r0, r1, width))).value();
      LN_CHECK(yc.numel() % (r1 - r0) == 0, "[", name, "] the function is not row-wise: ", r1 - r0,
               " rows in gave ", shape_str(yc.shape()));
      if (!y.defined()) {
        out_width = yc.numel() / (r1 - r0);
        Shape shape = x.shape();
        shape.back() = out_width;
        y = Tensor::empty(shape);
      }
      LN_CHECK(yc.numel() == (r1 - r0) * out_width, "[", name, "] chunk output ", shape_str(yc.shape()),
               " does not have ", out_width, " columns");
      const ProfileScope profile(ProfileCategory::elementwise);
      std::memcpy(y.data() + r0 * out_width, yc.data(), yc.bytes());
    }
  }
  if (!record) return Var(y);

  const Shape in_shape = x.shape();
  return make_result(y, {x}, name, [fn, xv, in_shape, rows, width, out_width, chunk](const Tensor& dy) {
    GradModeGuard grad_mode;
    Tensor dx = Tensor::empty(in_shape);
    for (int64_t r0 = 0; r0 < rows; r0 += chunk) {
      const int64_t r1 = std::min(rows, r0 + chunk);
      Var leaf(copy_rows_of(xv, r0, r1, width), true);
      Var yc;
      {
        const ProfileRecomputeScope recompute;
        yc = fn(leaf);
      }
      yc.backward(copy_rows_of(dy, r0, r1, out_width).reshape(yc.shape()));
      const ProfileScope profile(ProfileCategory::elementwise);
      if (leaf.grad().defined())
        std::memcpy(dx.data() + r0 * width, leaf.grad().data(), leaf.grad().bytes());
      else
        std::memset(dx.data() + r0 * width, 0, sizeof(float) * static_cast<size_t>((r1 - r0) * width));
    }
    return std::vector<Tensor>{dx};
  });
}

}  // namespace ln
