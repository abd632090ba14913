// Every validation error of the attention config, the once-only warning, and the parsers.
#include <doctest/doctest.h>

#include <string>

#include "core/error.hpp"
#include "kernels/attention/attention_spec.hpp"

using namespace ln;

namespace {
std::string error_of(const AttentionSpec& spec, int64_t heads = 4, int64_t head_dim = 64) {
  try {
    validate_attention_spec(spec, heads, head_dim);
  } catch (const Error& e) {
    return e.message();
  }
  return "";
}
AttentionSpec dilated(std::vector<int64_t> w, std::vector<int64_t> r) {
  AttentionSpec s;
  s.segments = std::move(w);
  s.dilations = std::move(r);
  return s;
}
bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}
}  // namespace

TEST_CASE("the default spec (the paper's schedule) is valid") {
  CHECK(error_of(AttentionSpec{}, 12, 64).empty());
}

TEST_CASE("every validation error names its key in one line") {
  struct Case {
    AttentionSpec spec;
    int64_t heads, head_dim;
    std::string expect;
  };
  AttentionSpec odd_pos;
  odd_pos.positions = PositionKind::rope;
  AttentionSpec bad_base = odd_pos;
  bad_base.rope_base = 0;
  AttentionSpec bad_gamma;
  bad_gamma.xpos_gamma = -1;
  AttentionSpec bad_sb;
  bad_sb.xpos_scale_base = 0;
  AttentionSpec sparse0;
  sparse0.kind = AttentionKind::sparse;
  sparse0.sparse_block = 0;
  AttentionSpec sparse1;
  sparse1.kind = AttentionKind::sparse;
  sparse1.sparse_summary = 200;
  std::vector<Case> cases = {
      {dilated({}, {}), 4, 64, "attention.segments is empty"},
      {dilated({8}, {}), 4, 64, "attention.dilations is empty"},
      {dilated({8, 16}, {1}), 4, 64, "attention.segments has 2 entries but attention.dilations has 1"},
      {dilated({8, 0}, {1, 1}), 4, 64, "attention.segments[1] is 0"},
      {dilated({8, 16}, {1, 0}), 4, 64, "attention.dilations[1] is 0"},
      {dilated({8, 16}, {1, 32}), 4, 64,
       "attention.dilations[1] = 32 is larger than its segment attention.segments[1] = 16"},
      {dilated({8, 32, 16}, {1, 2, 4}), 4, 64, "attention.segments[2] = 16 < attention.segments[1] = 32"},
      {AttentionSpec{}, 0, 64, "model.heads is 0"},
      {AttentionSpec{}, 4, 0, "head dimension is 0"},
      {odd_pos, 4, 63, "head dimension is 63 (odd)"},
      {bad_base, 4, 64, "model.rope_base is 0"},
      {bad_gamma, 4, 64, "model.xpos_gamma is -1"},
      {bad_sb, 4, 64, "model.xpos_scale_base is 0"},
      {sparse0, 4, 64, "attention.sparse_block is 0"},
      {sparse1, 4, 64, "attention.sparse_summary is 200"},
  };
  for (const Case& c : cases) {
    std::string msg = error_of(c.spec, c.heads, c.head_dim);
    INFO("expected: ", c.expect, "; got: ", msg);
    CHECK(contains(msg, c.expect));
    CHECK(contains(msg, "[attention]"));
    CHECK_FALSE(contains(msg, "\n"));
  }
}

TEST_CASE("a dilation above the head count is legal but warned about once, naming the pattern") {
  auto spec = dilated({2048, 4096}, {1, 12});
  auto warnings = attention_spec_warnings(spec, 4);
  REQUIRE(warnings.size() == 1);
  CHECK(contains(warnings[0], "attention.segments[1] = 4096"));
  CHECK(contains(warnings[0], "attention.dilations[1] = 12"));
  CHECK(contains(warnings[0], "8 of its 12 offsets have no head"));
  CHECK(attention_spec_warnings(dilated({2048}, {4}), 4).empty());
  const int64_t before = attention_warnings_printed();
  validate_attention_spec(spec, 4, 64);
  CHECK(attention_warnings_printed() == before + 1);
  validate_attention_spec(spec, 4, 64);  // the same pattern again: no second warning
  CHECK(attention_warnings_printed() == before + 1);
}

TEST_CASE("head offsets: the paper's mod rule and torchscale's block rule") {
  CHECK(head_offset_of(HeadOffset::mod, 5, 8, 4) == 1);
  CHECK(head_offset_of(HeadOffset::block, 5, 8, 4) == 2);   // ceil(8/4) = 2 heads per offset
  CHECK(head_offset_of(HeadOffset::block, 4, 12, 5) == 1);  // ceil(12/5) = 3
  for (int64_t H : {1, 3, 4, 12})
    for (int64_t r : {1, 2, 5, 12})
      for (int64_t h = 0; h < H; ++h) CHECK(head_offset_of(HeadOffset::block, h, H, r) < r);
}

TEST_CASE("parsers accept the valid names and list them on error") {
  CHECK(parse_attention_kind("dense") == AttentionKind::dense);
  CHECK(parse_attention_kind("sparse") == AttentionKind::sparse);
  CHECK(parse_attention_kind("dilated") == AttentionKind::dilated);
  CHECK(parse_head_offset("block") == HeadOffset::block);
  CHECK(parse_position_kind("xpos") == PositionKind::xpos);
  CHECK(std::string(to_string(HeadOffset::mod)) == "mod");
  try {
    parse_attention_kind("dilate");
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(contains(e.message(), "attention.kind is 'dilate'; valid values: dilated, dense, sparse"));
  }
  CHECK_THROWS_AS(parse_head_offset("modulo"), Error);
  CHECK_THROWS_AS(parse_position_kind("alibi"), Error);
}

TEST_CASE("XPOS decay range: per-segment centring stays finite where whole-sequence centring would not") {
  AttentionSpec spec;                                             // the paper's schedule, w <= 32768
  CHECK(xpos_max_log_factor(spec, 64, int64_t{1} << 20) < 41.0);  // e^41 ~ 6e17: fine in fp32
  AttentionSpec dense = spec;
  dense.kind = AttentionKind::dense;
  CHECK(xpos_max_log_factor(dense, 64, int64_t{1} << 20) > 88.0);  // e^88 overflows fp32
}
