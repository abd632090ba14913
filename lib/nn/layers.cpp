#include "nn/layers.hpp"

#include "ops/embedding.hpp"
#include "ops/layer_norm.hpp"
#include "ops/linear.hpp"

namespace ln {

Linear::Linear(int64_t in, int64_t out, bool with_bias) : weight(Tensor::zeros({out, in}), true) {
  if (with_bias) bias = Var(Tensor::zeros({out}), true);
}

Var Linear::operator()(const Var& x) const { return linear(x, weight, bias); }

void Linear::parameters(const std::string& prefix, NamedParameters& out) const {
  out.emplace_back(prefix + ".weight", weight);
  if (bias.defined()) out.emplace_back(prefix + ".bias", bias);
}

Embedding::Embedding(int64_t vocab, int64_t dim) : weight(Tensor::zeros({vocab, dim}), true) {}

Var Embedding::operator()(const std::vector<int32_t>& ids, const Shape& ids_shape) const {
  return embedding(weight, ids, ids_shape);
}

void Embedding::parameters(const std::string& prefix, NamedParameters& out) const {
  out.emplace_back(prefix + ".weight", weight);
}

LayerNorm::LayerNorm(int64_t dim, float eps_)
    : weight(Tensor::full({dim}, 1.0f), true), bias(Tensor::zeros({dim}), true), eps(eps_) {}

Var LayerNorm::operator()(const Var& x) const { return layer_norm(x, weight, bias, eps); }

void LayerNorm::parameters(const std::string& prefix, NamedParameters& out) const {
  out.emplace_back(prefix + ".weight", weight);
  out.emplace_back(prefix + ".bias", bias);
}

}  // namespace ln
