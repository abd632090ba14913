#include "ops/reduce.hpp"

#include "kernels/reduce.hpp"
#include "ops/shape_util.hpp"

namespace ln {

using shape::check_f32;

namespace {
Var sum_scaled(const Var& x, double factor, const char* name) {
  double total = sum_all(x.value().data(), x.numel());
  Shape in_shape = x.shape();
  float f = static_cast<float>(factor);
  return make_result(
      Tensor::scalar(static_cast<float>(total * factor)), {x}, name,
      [in_shape, f](const Tensor& g) { return std::vector<Tensor>{Tensor::full(in_shape, g.item() * f)}; });
}
}  // namespace

Var sum(const Var& x) {
  check_f32(x, "sum");
  return sum_scaled(x, 1.0, "sum");
}

Var mean(const Var& x) {
  check_f32(x, "mean");
  LN_CHECK(x.numel() > 0, "[mean] input ", shape_str(x.shape()), " has no elements; the mean is undefined");
  return sum_scaled(x, 1.0 / static_cast<double>(x.numel()), "mean");
}

Var sum(const Var& x, int dim, bool keepdim) {
  check_f32(x, "sum");
  int d = shape::normalize_dim(dim, x.ndim(), "sum");
  const Shape in_shape = x.shape();
  const int64_t outer = shape::product(in_shape, 0, d);
  const int64_t size = in_shape[d];
  const int64_t inner = shape::product(in_shape, d + 1, x.ndim());
  Shape out_shape = in_shape;
  if (keepdim)
    out_shape[d] = 1;
  else
    out_shape.erase(out_shape.begin() + d);
  Tensor out = Tensor::empty(out_shape);
  sum_dim(x.value().data(), outer, size, inner, out.data());
  return make_result(out, {x}, "sum_dim", [in_shape, outer, size, inner](const Tensor& g) {
    Tensor gx = Tensor::empty(in_shape);
    expand_dim(g.data(), outer, size, inner, gx.data());
    return std::vector<Tensor>{gx};
  });
}

}  // namespace ln
