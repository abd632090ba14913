#include "ops/elementwise.hpp"

#include "core/step_profile.hpp"
#include "kernels/broadcast.hpp"
#include "ops/shape_util.hpp"

namespace ln {

namespace {

void check_input(const Var& v, const char* op, const char* which) {
  LN_CHECK(v.defined(), "[", op, "] input ", which, " is an empty Var");
  LN_CHECK(v.value().dtype() == Precision::fp32, "[", op, "] input ", which, " is ",
           precision_name(v.value().dtype()), "; elementwise ops take f32 (convert with Tensor::to)");
}

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b, const Shape& out_shape) {
  Tensor out = Tensor::empty(out_shape);
  auto sa = shape::broadcast_strides(a.shape(), out_shape);
  auto sb = shape::broadcast_strides(b.shape(), out_shape);
  broadcast_binary(op, a.data(), sa.data(), b.data(), sb.data(), out_shape.data(),
                   static_cast<int>(out_shape.size()), out.data());
  return out;
}

// Gradient for an input of shape `in` from the gradient g of the broadcast result:
// g itself when nothing was broadcast, else g summed over the broadcast dims (times scale).
Tensor reduce_to(const Tensor& g, const Shape& in, float scale = 1.0f) {
  if (g.shape() == in && scale == 1.0f) return g;
  Tensor out = Tensor::empty(in);
  auto strides = shape::broadcast_strides(in, g.shape());
  broadcast_reduce(g.data(), g.shape().data(), strides.data(), g.ndim(), scale, out.data(), out.numel());
  return out;
}

Var binary_front(BinaryOp op, const Var& a, const Var& b, const char* name) {
  check_input(a, name, "a");
  check_input(b, name, "b");
  Shape out_shape = shape::broadcast(a.shape(), b.shape(), name);
  Tensor out = binary(op, a.value(), b.value(), out_shape);
  Shape sa = a.shape(), sb = b.shape();
  if (op == BinaryOp::add) {
    return make_result(out, {a, b}, name, [sa, sb](const Tensor& g) {
      return std::vector<Tensor>{reduce_to(g, sa), reduce_to(g, sb)};
    });
  }
  if (op == BinaryOp::sub) {
    return make_result(out, {a, b}, name, [sa, sb](const Tensor& g) {
      return std::vector<Tensor>{reduce_to(g, sa), reduce_to(g, sb, -1.0f)};
    });
  }
  // mul: d/da = g * b, d/db = g * a, each reduced to its input's shape. Only the operand
  // whose partner needs a gradient is saved.
  Tensor av = b.requires_grad() ? a.value() : Tensor();
  Tensor bv = a.requires_grad() ? b.value() : Tensor();
  return make_result(out, {a, b}, name, [av, bv, sa, sb](const Tensor& g) {
    Tensor ga, gb;
    if (bv.defined()) ga = reduce_to(binary(BinaryOp::mul, g, bv, g.shape()), sa);
    if (av.defined()) gb = reduce_to(binary(BinaryOp::mul, g, av, g.shape()), sb);
    return std::vector<Tensor>{ga, gb};
  });
}

}  // namespace

Var add(const Var& a, const Var& b) { return binary_front(BinaryOp::add, a, b, "add"); }
Var sub(const Var& a, const Var& b) { return binary_front(BinaryOp::sub, a, b, "sub"); }
Var mul(const Var& a, const Var& b) { return binary_front(BinaryOp::mul, a, b, "mul"); }

Var scale(const Var& x, float s) {
  check_input(x, "scale", "x");
  Tensor out = Tensor::empty(x.shape());
  const float* px = x.value().data();
  float* po = out.data();
  int64_t n = out.numel();
  {
    // A loop of its own, not a kernel's: it marks itself for the step profile.
    const ProfileScope profile(ProfileCategory::elementwise);
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) po[i] = s * px[i];
  }
  return make_result(out, {x}, "scale", [s](const Tensor& g) {
    Tensor gx = Tensor::empty(g.shape());
    const float* pg = g.data();
    float* pgx = gx.data();
    int64_t m = g.numel();
    const ProfileScope profile(ProfileCategory::elementwise);
#pragma omp simd
    for (int64_t i = 0; i < m; ++i) pgx[i] = s * pg[i];
    return std::vector<Tensor>{gx};
  });
}

Var add_scalar(const Var& x, float s) {
  check_input(x, "add_scalar", "x");
  Tensor out = Tensor::empty(x.shape());
  const float* px = x.value().data();
  float* po = out.data();
  int64_t n = out.numel();
  {
    const ProfileScope profile(ProfileCategory::elementwise);
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) po[i] = px[i] + s;
  }
  return make_result(out, {x}, "add_scalar", [](const Tensor& g) { return std::vector<Tensor>{g}; });
}

}  // namespace ln
