#pragma once
// Incremental decoding of one sequence: the prompt through the parallel forward (filling the KV
// cache), then one token at a time against the cache. Sampling is separate (sampler.hpp).
#include <cstdint>
#include <memory>
#include <vector>

#include "core/tensor.hpp"
#include "generate/kv_cache.hpp"
#include "nn/language_model.hpp"
#include "ops/precision.hpp"

namespace ln {

class Generator {
 public:
  // capacity: the most positions the sequence will reach (prompt + tokens to generate).
  // precision: of every product, the prompt pass's and each decode step's, KV cache included
  // (ops/precision.hpp, kv_cache.hpp); by default the caller's (longnet generate --precision).
  Generator(const LanguageModel& model, int64_t capacity, Precision precision = matmul_precision());

  // Runs the prompt (positions [0, T)) and returns the logits (V) after its last token.
  // Call once, first.
  Tensor prompt(const std::vector<int32_t>& ids);
  // Appends `id` at the next position and returns the logits (V) after it.
  Tensor next(int32_t id);

  int64_t length() const { return length_; }
  Precision precision() const { return precision_; }
  const KvCache& cache() const { return *cache_; }

 private:
  const LanguageModel& model_;
  Precision precision_;
  std::unique_ptr<KvCache> cache_;
  int64_t length_ = 0;
};

}  // namespace ln
