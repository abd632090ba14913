#pragma once
// Parameter initialisation from a counter-based generator, so that a model's initial weights
// are a pure function of (seed, parameter name): identical across platforms, standard
// libraries and thread counts, and independent of the order parameters are created in.
#include <cstdint>
#include <string>

#include "core/splitmix64.hpp"
#include "core/tensor.hpp"

namespace ln {

uint64_t hash_name(const std::string& name);  // FNV-1a, stable across runs and platforms

// Fills t with N(0, std^2) values drawn from the stream (seed, name).
void init_normal(Tensor& t, double std, uint64_t seed, const std::string& name);

}  // namespace ln
