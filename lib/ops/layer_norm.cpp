#include "ops/layer_norm.hpp"

#include "core/error.hpp"
#include "kernels/layernorm.hpp"

namespace ln {

namespace {
// Checks x (..., C) and a (C) parameter; returns C.
int64_t check_norm_inputs(const Var& x, const Var& weight, const Var& bias, float eps, const char* op) {
  LN_CHECK(x.defined() && x.ndim() >= 1, "[", op, "] x must have at least one dim");
  LN_CHECK(x.value().dtype() == Precision::fp32, "[", op, "] x is ", precision_name(x.value().dtype()),
           "; need fp32");
  const int64_t c = x.dim(-1);
  LN_CHECK(c > 0, "[", op, "] x ", shape_str(x.shape()), " has an empty last dim");
  LN_CHECK(weight.defined() && weight.shape() == Shape{c}, "[", op, "] weight must be (", c, ",) to match x ",
           shape_str(x.shape()), ", got ", weight.defined() ? shape_str(weight.shape()) : "an empty Var");
  LN_CHECK(!bias.defined() || bias.shape() == Shape{c}, "[", op, "] bias must be (", c, ",) to match x ",
           shape_str(x.shape()), ", got ", bias.defined() ? shape_str(bias.shape()) : "");
  LN_CHECK(eps > 0.0f, "[", op, "] eps must be > 0, got ", eps);
  return c;
}
}  // namespace

Var layer_norm(const Var& x, const Var& weight, const Var& bias, float eps) {
  const int64_t c = check_norm_inputs(x, weight, bias, eps, "layer_norm");
  const int64_t n = x.numel() / c;
  Tensor y = Tensor::empty(x.shape());
  Tensor mean = Tensor::empty({n});
  Tensor rstd = Tensor::empty({n});
  layernorm_forward(x.value().data(), weight.value().data(), bias.defined() ? bias.value().data() : nullptr,
                    n, c, eps, y.data(), mean.data(), rstd.data());
  Tensor xv = x.value(), wv = weight.value();
  bool want_dx = x.requires_grad(), want_dw = weight.requires_grad(),
       want_db = bias.defined() && bias.requires_grad();
  return make_result(y, {x, weight, bias}, "layer_norm",
                     [xv, wv, mean, rstd, n, c, want_dx, want_dw, want_db](const Tensor& g) {
                       Tensor dx = want_dx ? Tensor::empty(xv.shape()) : Tensor();
                       Tensor dw = want_dw ? Tensor::empty({c}) : Tensor();
                       Tensor db = want_db ? Tensor::empty({c}) : Tensor();
                       layernorm_backward(g.data(), xv.data(), wv.data(), mean.data(), rstd.data(), n, c,
                                          want_dx ? dx.data() : nullptr, want_dw ? dw.data() : nullptr,
                                          want_db ? db.data() : nullptr);
                       return std::vector<Tensor>{dx, dw, db};
                     });
}

Var rms_norm(const Var& x, const Var& weight, float eps) {
  const int64_t c = check_norm_inputs(x, weight, Var(), eps, "rms_norm");
  const int64_t n = x.numel() / c;
  Tensor y = Tensor::empty(x.shape());
  Tensor rstd = Tensor::empty({n});
  rmsnorm_forward(x.value().data(), weight.value().data(), n, c, eps, y.data(), rstd.data());
  Tensor xv = x.value(), wv = weight.value();
  bool want_dx = x.requires_grad(), want_dw = weight.requires_grad();
  return make_result(y, {x, weight}, "rms_norm", [xv, wv, rstd, n, c, want_dx, want_dw](const Tensor& g) {
    Tensor dx = want_dx ? Tensor::empty(xv.shape()) : Tensor();
    Tensor dw = want_dw ? Tensor::empty({c}) : Tensor();
    rmsnorm_backward(g.data(), xv.data(), wv.data(), rstd.data(), n, c, want_dx ? dx.data() : nullptr,
                     want_dw ? dw.data() : nullptr);
    return std::vector<Tensor>{dx, dw};
  });
}

}  // namespace ln
