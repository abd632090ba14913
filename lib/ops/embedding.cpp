#include "ops/embedding.hpp"

#include <memory>

#include "core/error.hpp"
#include "kernels/embedding.hpp"

namespace ln {

Var embedding(const Var& weight, const std::vector<int32_t>& ids, const Shape& ids_shape) {
  LN_CHECK(weight.defined() && weight.ndim() == 2, "[embedding] weight must be (V, C), got ",
           weight.defined() ? shape_str(weight.shape()) : "an empty Var");
  LN_CHECK(weight.value().dtype() == Precision::fp32, "[embedding] weight is ",
           precision_name(weight.value().dtype()), "; embedding takes an f32 table");
  const int64_t n = static_cast<int64_t>(ids.size());
  LN_CHECK(shape_numel(ids_shape) == n, "[embedding] ids_shape ", shape_str(ids_shape), " holds ",
           shape_numel(ids_shape), " ids but ", n, " were given");
  const int64_t v = weight.dim(0), c = weight.dim(1);
  for (int64_t i = 0; i < n; ++i) {
    LN_CHECK(ids[i] >= 0 && ids[i] < v, "[embedding] id ", ids[i], " at position ", i,
             " is outside the table (V = ", v,
             "); the tokenizer's vocabulary must fit the model's vocab_size");
  }
  Shape out_shape = ids_shape;
  out_shape.push_back(c);
  Tensor out = Tensor::empty(out_shape);
  embedding_forward(weight.value().data(), ids.data(), n, v, c, out.data());
  auto saved = std::make_shared<const std::vector<int32_t>>(ids);
  return make_result(out, {weight}, "embedding", [saved, v, c](const Tensor& g) {
    Tensor dw = Tensor::empty({v, c});
    embedding_backward(g.data(), saved->data(), static_cast<int64_t>(saved->size()), v, c, dw.data());
    return std::vector<Tensor>{dw};
  });
}

}  // namespace ln
