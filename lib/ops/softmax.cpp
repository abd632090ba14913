#include "ops/softmax.hpp"

#include "core/error.hpp"
#include "kernels/softmax_xent.hpp"

namespace ln {

Var softmax(const Var& x) {
  LN_CHECK(x.defined() && x.ndim() >= 1, "[softmax] x must have at least one dim");
  LN_CHECK(x.value().dtype() == Precision::fp32, "[softmax] x is ", precision_name(x.value().dtype()),
           "; need fp32");
  const int64_t c = x.dim(-1);
  LN_CHECK(c > 0, "[softmax] x ", shape_str(x.shape()), " has an empty last dim");
  const int64_t n = x.numel() / c;
  Tensor y = Tensor::empty(x.shape());
  softmax_forward(x.value().data(), n, c, y.data());
  // The backward needs only the output: dx = y * (dy - <dy, y>).
  return make_result(y, {x}, "softmax", [y, n, c](const Tensor& g) {
    Tensor dx = Tensor::empty(y.shape());
    softmax_backward(y.data(), g.data(), n, c, dx.data());
    return std::vector<Tensor>{dx};
  });
}

}  // namespace ln
