#include "kernels/attention/attention_spec.hpp"

#include <cmath>
#include <iostream>
#include <mutex>
#include <set>

#include "core/error.hpp"

namespace ln {

namespace {
std::mutex g_warn_mutex;
std::set<std::string> g_warned;
}  // namespace

std::vector<std::string> attention_spec_warnings(const AttentionSpec& spec, int64_t heads) {
  std::vector<std::string> out;
  if (spec.kind != AttentionKind::dilated || heads < 1) return out;
  for (size_t i = 0; i < spec.segments.size() && i < spec.dilations.size(); ++i) {
    int64_t r = spec.dilations[i];
    if (r <= heads) continue;
    // Which offsets 0..r-1 some head takes under the configured rule.
    std::vector<bool> used(static_cast<size_t>(r), false);
    for (int64_t h = 0; h < heads; ++h)
      used[static_cast<size_t>(head_offset_of(spec.head_offset, h, heads, r))] = true;
    int64_t missing = 0;
    for (bool u : used) missing += u ? 0 : 1;
    out.push_back(detail::concat(
        "[attention] warning: pattern ", i, " (attention.segments[", i, "] = ", spec.segments[i],
        ", attention.dilations[", i, "] = ", r, ") has dilation ", r, " > ", heads, " heads: ", missing,
        " of its ", r, " offsets have no head, so those rows are covered only by the other patterns"));
  }
  return out;
}

int64_t attention_warnings_printed() {
  std::lock_guard<std::mutex> lock(g_warn_mutex);
  return static_cast<int64_t>(g_warned.size());
}

void validate_attention_spec(const AttentionSpec& spec, int64_t heads, int64_t head_dim) {
  LN_CHECK(heads >= 1, "[attention] model.heads is ", heads, "; use at least 1 head");
  LN_CHECK(head_dim >= 1, "[attention] head dimension is ", head_dim, "; use at least 1");
  if (spec.positions != PositionKind::none) {
    LN_CHECK(head_dim % 2 == 0, "[attention] model.positions: ", to_string(spec.positions),
             " rotates pairs of dimensions but the head dimension is ", head_dim,
             " (odd); use an even head dimension or model.positions: none");
  }
  if (spec.positions == PositionKind::rope || spec.positions == PositionKind::xpos) {
    LN_CHECK(spec.rope_base > 0 && std::isfinite(spec.rope_base), "[attention] model.rope_base is ",
             spec.rope_base, "; use a positive number such as 10000");
  }
  if (spec.positions == PositionKind::xpos) {
    LN_CHECK(spec.xpos_gamma > 0 && std::isfinite(spec.xpos_gamma), "[attention] model.xpos_gamma is ",
             spec.xpos_gamma, "; use a positive number such as 0.4");
    LN_CHECK(spec.xpos_scale_base > 0 && std::isfinite(spec.xpos_scale_base),
             "[attention] model.xpos_scale_base is ", spec.xpos_scale_base,
             "; use a positive number such as 512");
  }
  if (spec.kind == AttentionKind::sparse) {
    LN_CHECK(spec.sparse_block >= 1, "[attention] attention.sparse_block is ", spec.sparse_block,
             "; use a block length >= 1 such as 128");
    LN_CHECK(spec.sparse_summary >= 1 && spec.sparse_summary <= spec.sparse_block,
             "[attention] attention.sparse_summary is ", spec.sparse_summary,
             "; use a value in [1, attention.sparse_block = ", spec.sparse_block, "]");
  }
  if (spec.kind != AttentionKind::dilated) return;

  LN_CHECK(!spec.segments.empty(),
           "[attention] attention.segments is empty; give at least one "
           "segment length, e.g. [2048, 4096]");
  LN_CHECK(!spec.dilations.empty(),
           "[attention] attention.dilations is empty; give one dilation "
           "per segment, e.g. [1, 2]");
  LN_CHECK(spec.segments.size() == spec.dilations.size(), "[attention] attention.segments has ",
           spec.segments.size(), " entries but attention.dilations has ", spec.dilations.size(),
           "; give one dilation per segment length");
  for (size_t i = 0; i < spec.segments.size(); ++i) {
    int64_t w = spec.segments[i], r = spec.dilations[i];
    LN_CHECK(w >= 1, "[attention] attention.segments[", i, "] is ", w, "; segment lengths must be >= 1");
    LN_CHECK(r >= 1, "[attention] attention.dilations[", i, "] is ", r, "; dilations must be >= 1");
    LN_CHECK(r <= w, "[attention] attention.dilations[", i, "] = ", r,
             " is larger than its segment "
             "attention.segments[",
             i, "] = ", w, "; use a dilation <= the segment length");
    if (i > 0) {
      LN_CHECK(w >= spec.segments[i - 1],
               "[attention] attention.segments must be ascending but "
               "attention.segments[",
               i, "] = ", w, " < attention.segments[", i - 1, "] = ", spec.segments[i - 1],
               "; sort the patterns by segment length");
    }
  }
  for (const std::string& warning : attention_spec_warnings(spec, heads)) {
    std::lock_guard<std::mutex> lock(g_warn_mutex);
    if (g_warned.insert(warning).second) std::cerr << warning << "\n";
  }
}

namespace {
template <typename E, size_t N>
E parse_enum(const std::string& text, const char* key, const EnumName<E> (&table)[N]) {
  if (auto value = enum_from_name(table, text)) return *value;
  LN_FAIL("[attention] ", key, " is '", text, "'; valid values: ", enum_names_text(table));
}
}  // namespace

AttentionKind parse_attention_kind(const std::string& text) {
  return parse_enum(text, "attention.kind", kAttentionKindNames);
}
HeadOffset parse_head_offset(const std::string& text) {
  return parse_enum(text, "attention.head_offset", kHeadOffsetNames);
}
PositionKind parse_position_kind(const std::string& text) {
  return parse_enum(text, "model.positions", kPositionKindNames);
}

const char* to_string(AttentionKind kind) { return enum_name(kAttentionKindNames, kind); }
const char* to_string(HeadOffset rule) { return enum_name(kHeadOffsetNames, rule); }
const char* to_string(PositionKind kind) { return enum_name(kPositionKindNames, kind); }

double xpos_max_log_factor(const AttentionSpec& spec, int64_t head_dim, int64_t seq_len) {
  if (spec.positions != PositionKind::xpos) return 0.0;
  double span = 0;  // the largest distance |n - centre| of a decay window
  if (spec.kind == AttentionKind::dilated) {
    for (int64_t w : spec.segments) span = std::max(span, 0.5 * static_cast<double>(std::min(w, seq_len)));
  } else {
    span = 0.5 * static_cast<double>(seq_len);
  }
  double zeta_min = spec.xpos_gamma / (1.0 + spec.xpos_gamma);
  (void)head_dim;
  return span / spec.xpos_scale_base * std::abs(std::log(zeta_min));
}

}  // namespace ln
