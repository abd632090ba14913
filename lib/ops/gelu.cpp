#include "ops/gelu.hpp"

#include "core/error.hpp"
#include "kernels/gelu.hpp"

namespace ln {

Var gelu(const Var& x) {
  LN_CHECK(x.defined(), "[gelu] input is an empty Var");
  LN_CHECK(x.value().dtype() == DType::f32, "[gelu] x is ", dtype_name(x.value().dtype()), "; need f32");
  Tensor y = Tensor::empty(x.shape());
  gelu_forward(x.value().data(), x.numel(), y.data());
  Tensor xv = x.value();
  return make_result(y, {x}, "gelu", [xv](const Tensor& g) {
    Tensor dx = Tensor::empty(xv.shape());
    gelu_backward(xv.data(), g.data(), xv.numel(), dx.data());
    return std::vector<Tensor>{dx};
  });
}

}  // namespace ln
