#include "kernels/attention/attention_spec.hpp"

#include <cmath>
#include <iostream>
#include <mutex>
#include <optional>
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

namespace {

using Problem = AttentionSpecProblem;

// The rules that involve the positions and the sparse kind (attention_spec_problem's first half).
std::optional<Problem> position_or_sparse_problem(const AttentionSpec& spec, int64_t head_dim) {
  if (spec.positions != PositionKind::none && head_dim % 2 != 0) {
    return Problem{{"model.head_dim", "model.heads", "model.d_model", "model.positions"},
                   detail::concat("model.positions: ", to_string(spec.positions),
                                  " rotates pairs of channels but the head dimension is ", head_dim,
                                  " (odd): the head dim (model.head_dim, or d_model/heads when 0) must be "
                                  "even; change d_model, heads or head_dim, or use positions: none")};
  }
  const bool rotates = spec.positions == PositionKind::rope || spec.positions == PositionKind::xpos;
  if (rotates && !(spec.rope_base > 0 && std::isfinite(spec.rope_base))) {
    return Problem{
        {"model.rope_base"},
        detail::concat("model.rope_base is ", spec.rope_base, "; use a positive number such as 10000")};
  }
  if (spec.positions == PositionKind::xpos && !(spec.xpos_gamma > 0 && std::isfinite(spec.xpos_gamma))) {
    return Problem{{"model.xpos_gamma", "model.positions"},
                   detail::concat("model.xpos_gamma is ", spec.xpos_gamma,
                                  " but XPOS needs gamma > 0 (its decay divides by it); use e.g. 0.4, or "
                                  "positions: rope")};
  }
  if (spec.positions == PositionKind::xpos &&
      !(spec.xpos_scale_base > 0 && std::isfinite(spec.xpos_scale_base))) {
    return Problem{{"model.xpos_scale_base"},
                   detail::concat("model.xpos_scale_base is ", spec.xpos_scale_base,
                                  "; use a positive number such as 512")};
  }
  if (spec.kind != AttentionKind::sparse) return std::nullopt;
  if (spec.sparse_block < 1) {
    return Problem{{"attention.sparse_block"},
                   detail::concat("attention.sparse_block is ", spec.sparse_block,
                                  "; use a block length >= 1 such as 128")};
  }
  if (spec.sparse_summary < 1 || spec.sparse_summary > spec.sparse_block) {
    return Problem{{"attention.sparse_summary", "attention.sparse_block"},
                   detail::concat("attention.sparse_summary (", spec.sparse_summary,
                                  ") must not exceed attention.sparse_block (", spec.sparse_block,
                                  ") nor be below 1: attention.sparse_summary is ", spec.sparse_summary,
                                  "; use a value in [1, ", spec.sparse_block, "]")};
  }
  return std::nullopt;
}

// The patterns (w_p, r_p) of the dilated kind.
std::optional<Problem> pattern_problem(const AttentionSpec& spec) {
  if (spec.segments.size() != spec.dilations.size()) {
    return Problem{{"attention.dilations", "attention.segments"},
                   detail::concat("attention.segments has ", spec.segments.size(),
                                  " entries but attention.dilations has ", spec.dilations.size(),
                                  "; give one dilation per segment")};
  }
  if (spec.kind != AttentionKind::dilated) return std::nullopt;
  for (size_t i = 0; i < spec.segments.size(); ++i) {
    const int64_t w = spec.segments[i], r = spec.dilations[i];
    if (w < 1) {
      return Problem{{"attention.segments"},
                     detail::concat("attention.segments[", i, "] is ", w, "; segment lengths must be >= 1")};
    }
    if (r < 1) {
      return Problem{{"attention.dilations"},
                     detail::concat("attention.dilations[", i, "] is ", r, "; dilations must be >= 1")};
    }
    if (r > w) {
      return Problem{{"attention.dilations", "attention.segments"},
                     detail::concat("attention.dilations[", i, "] = ", r,
                                    " is larger than its segment attention.segments[", i, "] = ", w,
                                    "; use a dilation <= the segment length")};
    }
    if (i > 0 && w < spec.segments[i - 1]) {
      return Problem{{"attention.segments"},
                     detail::concat("attention.segments must be ascending but attention.segments[", i,
                                    "] = ", w, " < attention.segments[", i - 1, "] = ", spec.segments[i - 1],
                                    "; sort the patterns by segment length (and their dilations with them)")};
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<AttentionSpecProblem> attention_spec_problem(const AttentionSpec& spec, int64_t heads,
                                                           int64_t head_dim) {
  if (heads < 1)
    return Problem{{"model.heads"}, detail::concat("model.heads is ", heads, "; use at least 1 head")};
  if (head_dim < 1) {
    return Problem{{"model.head_dim", "model.d_model", "model.heads"},
                   detail::concat("head dimension is ", head_dim, "; use at least 1")};
  }
  if (auto problem = position_or_sparse_problem(spec, head_dim)) return problem;
  if (spec.dense_queries && spec.kind != AttentionKind::dilated) {
    return Problem{
        {"attention.dense_queries", "attention.kind"},
        detail::concat("attention.dense_queries is true but attention.kind is ", to_string(spec.kind),
                       "; it applies to kind dilated only (every query of ", to_string(spec.kind),
                       " attention is answered by every head already): set it to false")};
  }
  if (spec.kind == AttentionKind::dilated && spec.segments.empty()) {
    return Problem{{"attention.segments"},
                   "attention.segments is empty; give at least one segment length, e.g. [2048, 4096]"};
  }
  if (spec.kind == AttentionKind::dilated && spec.dilations.empty()) {
    return Problem{{"attention.dilations"},
                   "attention.dilations is empty; give one dilation per segment, e.g. [1, 2]"};
  }
  return pattern_problem(spec);
}

void validate_attention_spec(const AttentionSpec& spec, int64_t heads, int64_t head_dim) {
  if (auto problem = attention_spec_problem(spec, heads, head_dim)) LN_FAIL("[attention] ", problem->message);
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
