#include "ops/gelu.hpp"

#include "core/error.hpp"
#include "kernels/gelu.hpp"

namespace ln {

Var gelu(const Var& x) {
  LN_CHECK(x.defined(), "[gelu] input is an empty Var");
  LN_CHECK(x.value().dtype() == Precision::fp32, "[gelu] x is ", precision_name(x.value().dtype()),
           "; need fp32");
  Tensor y = Tensor::empty(x.shape());
  if (!grad_enabled() || !x.requires_grad()) {
    gelu_forward(x.value().data(), x.numel(), y.data());
    return make_result(y, {x}, "gelu", nullptr);
  }
  // The vjp keeps dy/dx instead of x: the same bytes, and the pass that makes y makes it for
  // one exp per element, so the backward is a multiply (and x, the fc1 output, can be freed).
  Tensor dydx = Tensor::empty(x.shape());
  gelu_forward_with_derivative(x.value().data(), x.numel(), y.data(), dydx.data());
  return make_result(y, {x}, "gelu", [dydx](const Tensor& g) {
    Tensor dx = Tensor::empty(dydx.shape());
    gelu_backward_with_derivative(dydx.data(), g.data(), dydx.numel(), dx.data());
    return std::vector<Tensor>{dx};
  });
}

}  // namespace ln
