#pragma once
// AttentionSpec: which attention a layer computes (DESIGN.md §2), shared by the kernels, the
// differentiable op, the config layer and the benchmark. The YAML layer maps
//   attention.kind / segments / dilations / head_offset / causal / dense_queries / sparse_block /
//   sparse_summary
//   model.positions / rope_base / xpos_gamma / xpos_scale_base
// onto these fields one to one.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/enum_names.hpp"

namespace ln {

enum class AttentionKind { dense, sparse, dilated };
// Which sparse offset g(h) head h takes in a pattern of dilation r:
//   mod:   g(h) = h mod r                 (the paper's rule; default)
//   block: g(h) = floor(h / ceil(H / r))  (torchscale's rule, for parity)
enum class HeadOffset { mod, block };
enum class PositionKind { none, rope, xpos };

// The names of each choice (config keys attention.kind, attention.head_offset,
// model.positions): the only lists of them (core/enum_names.hpp), the default first.
inline constexpr EnumName<AttentionKind> kAttentionKindNames[] = {
    {"dilated", AttentionKind::dilated}, {"dense", AttentionKind::dense}, {"sparse", AttentionKind::sparse}};
inline constexpr EnumName<HeadOffset> kHeadOffsetNames[] = {{"mod", HeadOffset::mod},
                                                            {"block", HeadOffset::block}};
inline constexpr EnumName<PositionKind> kPositionKindNames[] = {
    {"xpos", PositionKind::xpos}, {"rope", PositionKind::rope}, {"none", PositionKind::none}};

struct AttentionSpec {
  AttentionKind kind = AttentionKind::dilated;
  std::vector<int64_t> segments{2048, 4096, 8192, 16384, 32768};  // w_p, ascending
  std::vector<int64_t> dilations{1, 2, 4, 6, 12};                 // r_p
  HeadOffset head_offset = HeadOffset::mod;
  bool causal = true;
  // kind dilated: the paper dilates queries and keys alike, so in a pattern of dilation r head h
  // answers only the queries on its own grid (offset g(h)). With dense_queries, every query of
  // the segment attends to head h's key grid (keys at or before it): r times the pairs of that
  // pattern (N w / r instead of N w / r^2, still linear in N), and every head answers every
  // query, so a far match is seen by 1/r of the heads instead of 1/r^2 (DESIGN §8).
  bool dense_queries = false;
  // kind sparse (Child et al. 2019, "fixed" pattern): a query sees its own block of
  // `sparse_block` positions plus the last `sparse_summary` positions of every other
  // (causal: every earlier) block.
  int64_t sparse_block = 128;
  int64_t sparse_summary = 16;
  PositionKind positions = PositionKind::xpos;
  float rope_base = 10000.f;
  float xpos_gamma = 0.4f;
  float xpos_scale_base = 512.f;
};

// The rules an attention spec must satisfy, in one place: heads and head dim, positions (an
// even head dim to rotate, positive rope_base, xpos_gamma and xpos_scale_base), the sparse
// block and summary, one dilation per segment, and for the dilated kind every pattern (w >= 1,
// 1 <= r <= w, segments ascending). The config layer calls it at load (pointing at the first
// of `keys` the user set) and validate_attention_spec for every other caller.
struct AttentionSpecProblem {
  std::vector<std::string> keys;  // the config keys involved
  std::string message;            // one line naming them, e.g. "attention.segments[2] is 0; ..."
};
// The first problem of `spec` for a model of `heads` heads of `head_dim`, or nullopt.
std::optional<AttentionSpecProblem> attention_spec_problem(const AttentionSpec& spec, int64_t heads,
                                                           int64_t head_dim);

// Throws ln::Error "[attention] <message>" for the first problem. Prints (once per process and
// pattern) a warning when a dilation exceeds the head count.
void validate_attention_spec(const AttentionSpec& spec, int64_t heads, int64_t head_dim);
// The warnings validate_attention_spec would print (empty when none); for tests and tools.
std::vector<std::string> attention_spec_warnings(const AttentionSpec& spec, int64_t heads);
// How many distinct warnings have been printed by this process so far.
int64_t attention_warnings_printed();

// g(h) for pattern dilation r (DESIGN §2).
inline int64_t head_offset_of(HeadOffset rule, int64_t h, int64_t heads, int64_t r) {
  if (rule == HeadOffset::mod) return h % r;
  int64_t per = (heads + r - 1) / r;
  return h / per;
}

AttentionKind parse_attention_kind(const std::string& text);
HeadOffset parse_head_offset(const std::string& text);
PositionKind parse_position_kind(const std::string& text);
const char* to_string(AttentionKind kind);
const char* to_string(HeadOffset rule);
const char* to_string(PositionKind kind);

// The largest |exponent| of XPOS's decay, (w'/2) / scale_base * |ln zeta_min|, over the
// segments a sequence of length seq_len uses; fp32 holds e^x for |x| < ~87.
double xpos_max_log_factor(const AttentionSpec& spec, int64_t head_dim, int64_t seq_len);
// The bound every caller holds xpos_max_log_factor below: the attention op, eval's context,
// the KV cache and the config's check at data.seq_len.
inline constexpr double kXposMaxLogFactor = 80.0;

}  // namespace ln
