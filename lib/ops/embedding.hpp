#pragma once
#include <cstdint>
#include <vector>

#include "autograd/var.hpp"

namespace ln {

// weight: (V, C); ids: numel(ids_shape) token ids in [0, V) -> result: ids_shape + (C).
// The backward scatter-adds into dweight deterministically (kernels/embedding.hpp).
Var embedding(const Var& weight, const std::vector<int32_t>& ids, const Shape& ids_shape);

}  // namespace ln
