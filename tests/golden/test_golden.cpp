// The golden end-to-end test: tiny LongNet models whose logits, loss and every parameter
// gradient must match values computed by an independent PyTorch implementation
// (tests/golden/make_golden.py, float64; its output is committed next to this file).
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "autograd/var.hpp"
#include "core/json_reader.hpp"
#include "nn/language_model.hpp"
#include "support/temp_dir.hpp"

using namespace ln;

namespace {

const JsonValue& member(const JsonValue& v, const std::string& key) {
  const JsonValue* m = v.find(key);
  REQUIRE_MESSAGE(m, "golden file has no '", key, "'");
  return *m;
}

std::vector<double> numbers(const JsonValue& v) {
  std::vector<double> out;
  for (const auto& item : v.items) out.push_back(std::stod(item.text));
  return out;
}

int64_t integer(const JsonValue& v) { return std::stoll(v.text); }

ModelSpec spec_of(const JsonValue& c) {
  ModelSpec s;
  s.vocab_size = integer(member(c, "vocab"));
  s.d_model = integer(member(c, "d_model"));
  s.layers = integer(member(c, "layers"));
  s.heads = integer(member(c, "heads"));
  s.mlp_ratio = integer(member(c, "mlp_ratio"));
  s.subln = member(c, "subln").boolean;
  s.tie_embeddings = member(c, "tie").boolean;
  s.attention.kind = parse_attention_kind(member(c, "kind").text);
  s.attention.positions = parse_position_kind(member(c, "positions").text);
  s.attention.head_offset = parse_head_offset(member(c, "head_offset").text);
  s.attention.segments.clear();
  s.attention.dilations.clear();
  for (double w : numbers(member(c, "segments"))) s.attention.segments.push_back(static_cast<int64_t>(w));
  for (double r : numbers(member(c, "dilations"))) s.attention.dilations.push_back(static_cast<int64_t>(r));
  if (s.attention.kind == AttentionKind::dense) s.attention.segments = {1}, s.attention.dilations = {1};
  return s;
}

// fp32 forward/backward against float64: relative agreement to ~1e-5 is expected; the bounds
// leave a 10-100x margin, while any wrong term (a missing mixing gradient, a wrong head offset,
// a mis-centred XPOS decay) moves values by 1e-2 or more.
void check_close(const std::vector<float>& got, const std::vector<double>& want, double atol, double rtol,
                 const std::string& what) {
  REQUIRE(got.size() == want.size());
  double worst = 0;
  size_t worst_at = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    double excess = std::abs(got[i] - want[i]) - (atol + rtol * std::abs(want[i]));
    if (i == 0 || excess > worst) worst = excess, worst_at = i;
  }
  INFO(what, ": worst element ", worst_at, " got ", got[worst_at], " want ", want[worst_at]);
  CHECK(worst <= 0);
}

void run_case(const std::string& name) {
  CAPTURE(name);
  JsonValue golden =
      parse_json(test::read_file(std::string(LONGNET_SOURCE_DIR) + "/tests/golden/" + name + ".json"), name);
  ModelSpec spec = spec_of(member(golden, "config"));
  LanguageModel model(spec, 0);

  std::vector<std::pair<std::string, Tensor>> weights;
  for (const auto& [pname, p] : member(golden, "params").members) {
    Shape shape;
    for (double d : numbers(member(p, "shape"))) shape.push_back(static_cast<int64_t>(d));
    std::vector<float> data;
    for (double x : numbers(member(p, "data"))) data.push_back(static_cast<float>(x));
    weights.emplace_back(pname, Tensor::from(data, shape));
  }
  model.load_parameters(weights, name);

  const int64_t B = integer(member(golden, "B")), T = integer(member(golden, "T"));
  std::vector<int32_t> ids, targets;
  for (double x : numbers(member(golden, "ids"))) ids.push_back(static_cast<int32_t>(x));
  for (double x : numbers(member(golden, "targets"))) targets.push_back(static_cast<int32_t>(x));

  {
    NoGradGuard no_grad;
    check_close(model.logits(ids, B, T).value().to_vector(), numbers(member(golden, "logits")), 1e-4, 1e-4,
                "logits");
  }
  Var loss = model.loss(ids, targets, B, T);
  CHECK(loss.value().item() == doctest::Approx(std::stod(member(golden, "loss").text)).epsilon(1e-5));
  loss.backward();
  const JsonValue& grads = member(golden, "grads");
  for (const auto& [pname, var] : model.parameters()) {
    std::vector<double> want = numbers(member(grads, pname));
    double scale = 0;
    for (double g : want) scale = std::max(scale, std::abs(g));
    REQUIRE(var.grad().defined());
    check_close(var.grad().to_vector(), want, 1e-4 * scale + 1e-7, 1e-3, "gradient of " + pname);
  }
}

}  // namespace

TEST_CASE("golden: dilated attention with XPOS matches PyTorch") { run_case("dilated_xpos"); }
TEST_CASE("golden: RoPE, torchscale head offsets and MAGNETO sub-LayerNorm match PyTorch") {
  run_case("dilated_rope_block_subln");
}
TEST_CASE("golden: dense attention without positions matches PyTorch") { run_case("dense_none"); }
