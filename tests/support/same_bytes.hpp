#pragma once
// Bit-for-bit tensor equality (dtype, shape and every byte): what a lossless round trip keeps.
#include <cstring>

#include "core/tensor.hpp"

namespace ln::test {

inline bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() && std::memcmp(a.raw(), b.raw(), a.bytes()) == 0;
}

}  // namespace ln::test
