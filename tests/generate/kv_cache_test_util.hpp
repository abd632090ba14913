#pragma once
// Shared by the KV-cache and generator tests: the small attention geometry they decode with
// and random prompt tokens.
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "kernels/attention/attention_spec.hpp"

namespace ln::test {

// Short sequences, so XPOS decays strongly and sparse has several blocks and summary columns.
inline AttentionSpec attention_of(AttentionKind kind, std::vector<int64_t> segments,
                                  std::vector<int64_t> dilations, HeadOffset rule, PositionKind positions) {
  AttentionSpec a;
  a.kind = kind;
  a.segments = std::move(segments);
  a.dilations = std::move(dilations);
  a.head_offset = rule;
  a.positions = positions;
  a.xpos_scale_base = 16.f;  // strong decay over these short sequences
  a.sparse_block = 8;
  a.sparse_summary = 3;
  return a;
}

inline std::vector<int32_t> random_ids(int64_t n, int32_t vocab, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<int32_t> ids(static_cast<size_t>(n));
  for (auto& id : ids) id = static_cast<int32_t>(rng() % static_cast<uint32_t>(vocab));
  return ids;
}

}  // namespace ln::test
