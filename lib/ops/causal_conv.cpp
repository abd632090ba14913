#include "ops/causal_conv.hpp"

#include "core/error.hpp"
#include "kernels/causal_conv.hpp"

namespace ln {

Var causal_conv(const Var& x, const Var& taps) {
  LN_CHECK(x.defined() && x.ndim() == 4, "[causal_conv] x must be (B, H, T, D), got ",
           x.defined() ? shape_str(x.shape()) : "an empty Var");
  LN_CHECK(x.value().dtype() == Precision::fp32, "[causal_conv] x is ", precision_name(x.value().dtype()),
           "; need fp32");
  const CausalConvShape s{x.dim(0), x.dim(1), x.dim(2), x.dim(3), taps.defined() ? taps.dim(0) + 1 : 0};
  LN_CHECK(taps.defined() && taps.ndim() == 2 && taps.dim(0) >= 1 && taps.dim(1) == s.H * s.D,
           "[causal_conv] taps must be (K-1, H*D) = (K-1, ", s.H * s.D, ") for x ", shape_str(x.shape()),
           ", got ", taps.defined() ? shape_str(taps.shape()) : "an empty Var");
  Tensor y = Tensor::empty(x.shape());
  causal_conv_forward(x.value().data(), taps.value().data(), s, y.data());
  Tensor xv = x.value(), wv = taps.value();
  const bool want_dx = x.requires_grad(), want_dw = taps.requires_grad();
  return make_result(y, {x, taps}, "causal_conv", [xv, wv, s, want_dx, want_dw](const Tensor& g) {
    Tensor dx = want_dx ? Tensor::empty(xv.shape()) : Tensor();
    Tensor dw = want_dw ? Tensor::empty(wv.shape()) : Tensor();
    causal_conv_backward(xv.data(), wv.data(), g.data(), s, want_dx ? dx.data() : nullptr,
                         want_dw ? dw.data() : nullptr);
    return std::vector<Tensor>{dx, dw};
  });
}

}  // namespace ln
