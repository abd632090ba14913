#pragma once
// The parameterised building blocks: Linear, Embedding, LayerNorm. Each owns its Vars and
// reports them under stable names ("<prefix>.weight", "<prefix>.bias").
#include <string>
#include <utility>
#include <vector>

#include "autograd/var.hpp"

namespace ln {

using NamedParameters = std::vector<std::pair<std::string, Var>>;

class Linear {
 public:
  Linear() = default;
  // weight: (out, in) like PyTorch's nn.Linear; bias: (out) when `bias` is true.
  Linear(int64_t in, int64_t out, bool bias);
  Var operator()(const Var& x) const;  // x: (..., in) -> (..., out)
  void parameters(const std::string& prefix, NamedParameters& out) const;
  Var weight, bias;
};

class Embedding {
 public:
  Embedding() = default;
  Embedding(int64_t vocab, int64_t dim);
  // ids: B*T token ids laid out as `ids_shape` -> ids_shape + (dim)
  Var operator()(const std::vector<int32_t>& ids, const Shape& ids_shape) const;
  void parameters(const std::string& prefix, NamedParameters& out) const;
  Var weight;  // (V, C)
};

class LayerNorm {
 public:
  LayerNorm() = default;
  LayerNorm(int64_t dim, float eps);
  Var operator()(const Var& x) const;  // over the last dim
  void parameters(const std::string& prefix, NamedParameters& out) const;
  Var weight, bias;
  float eps = 1e-5f;
};

}  // namespace ln
