#include "ops/dropout.hpp"

#include "core/error.hpp"
#include "kernels/dropout.hpp"

namespace ln {

Var dropout(const Var& x, float p, uint64_t seed) {
  LN_CHECK(x.defined(), "[dropout] input is an empty Var");
  LN_CHECK(p >= 0.0f && p < 1.0f, "[dropout] probability ", p, " is outside [0, 1); use 0 to disable");
  if (p == 0.0f) return x;
  LN_CHECK(x.value().dtype() == Precision::fp32, "[dropout] x is ", precision_name(x.value().dtype()),
           "; need fp32");
  Tensor y = Tensor::empty(x.shape());
  dropout_apply(x.value().data(), x.numel(), p, seed, y.data());
  return make_result(y, {x}, "dropout", [p, seed](const Tensor& g) {
    Tensor dx = Tensor::empty(g.shape());
    dropout_apply(g.data(), g.numel(), p, seed, dx.data());
    return std::vector<Tensor>{dx};
  });
}

}  // namespace ln
