#include "ops/cross_entropy.hpp"

#include <memory>

#include "core/error.hpp"
#include "kernels/reduce.hpp"
#include "kernels/softmax_xent.hpp"

namespace ln {

namespace {
// Validates logits (..., V) against targets; returns {rows N, vocab V, counted rows}.
struct XentDims {
  int64_t n, v, counted;
};
XentDims check_xent(const Tensor& logits, const std::vector<int32_t>& targets, int32_t ignore_index,
                    const char* op) {
  LN_CHECK(logits.defined() && logits.ndim() >= 1, "[", op, "] logits must be (N, V)");
  LN_CHECK(logits.dtype() == Precision::fp32, "[", op, "] logits are ", precision_name(logits.dtype()),
           "; need fp32");
  const int64_t v = logits.dim(-1);
  LN_CHECK(v > 0, "[", op, "] logits ", shape_str(logits.shape()), " have no vocabulary dim");
  const int64_t n = logits.numel() / v;
  LN_CHECK(static_cast<int64_t>(targets.size()) == n, "[", op, "] logits ", shape_str(logits.shape()),
           " have ", n, " rows but ", targets.size(), " targets were given; need one target per row");
  int64_t counted = 0;
  for (int64_t i = 0; i < n; ++i) {
    int32_t t = targets[i];
    if (t == ignore_index) continue;
    LN_CHECK(t >= 0 && t < v, "[", op, "] target ", t, " at row ", i, " is outside [0, ", v,
             ") and is not ignore_index ", ignore_index, "; check the vocab size");
    ++counted;
  }
  return {n, v, counted};
}
}  // namespace

Tensor token_losses(const Tensor& logits, const std::vector<int32_t>& targets, int32_t ignore_index) {
  XentDims d = check_xent(logits, targets, ignore_index, "token_losses");
  Tensor row_loss = Tensor::empty({d.n});
  softmax_xent_forward(logits.data(), targets.data(), d.n, d.v, ignore_index, row_loss.data(), nullptr);
  return row_loss;
}

Var cross_entropy(const Var& logits, const std::vector<int32_t>& targets, int32_t ignore_index) {
  LN_CHECK(logits.defined(), "[cross_entropy] logits is an empty Var");
  const XentDims dims = check_xent(logits.value(), targets, ignore_index, "cross_entropy");
  const int64_t n = dims.n, v = dims.v, counted = dims.counted;
  Tensor row_loss = Tensor::empty({n});
  Tensor row_lse = Tensor::empty({n});
  softmax_xent_forward(logits.value().data(), targets.data(), n, v, ignore_index, row_loss.data(),
                       row_lse.data());
  double total = sum_all(row_loss.data(), n);
  float loss = counted > 0 ? static_cast<float>(total / static_cast<double>(counted)) : 0.0f;

  Tensor lv = logits.value();
  auto saved = std::make_shared<const std::vector<int32_t>>(targets);
  return make_result(Tensor::scalar(loss), {logits}, "cross_entropy",
                     [lv, row_lse, saved, n, v, counted, ignore_index](const Tensor& g) {
                       float d = counted > 0 ? g.item() / static_cast<float>(counted) : 0.0f;
                       Tensor d_row = Tensor::full({n}, d);
                       Tensor dlogits = Tensor::empty(lv.shape());
                       softmax_xent_backward(lv.data(), saved->data(), row_lse.data(), d_row.data(), n, v,
                                             ignore_index, dlogits.data());
                       return std::vector<Tensor>{dlogits};
                     });
}

}  // namespace ln
