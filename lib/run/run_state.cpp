#include "run/run_state.hpp"

#include <charconv>
#include <cstdio>

#include "core/error.hpp"
#include "core/json.hpp"
#include "core/json_reader.hpp"

namespace ln {

namespace {

std::string exact(double value) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", value);
  return buf;
}

std::optional<double> as_double(const JsonValue* v) {
  if (!v || v->kind != JsonValue::Kind::number) return std::nullopt;
  double out = 0;
  const auto [end, ec] = std::from_chars(v->text.data(), v->text.data() + v->text.size(), out);
  if (ec != std::errc() || end != v->text.data() + v->text.size()) return std::nullopt;
  return out;
}

}  // namespace

std::string run_state_json(const RunState& s) {
  JsonObject out;
  out.add("format", kRunStateFormat)
      .add("version", kRunStateVersion)
      .add("step", s.step)
      .add("seed", s.seed)
      .add("data_cursor", s.step)
      .add("tokenizer_sha256", s.tokenizer_sha256)
      .add("token_cache", s.token_cache)
      .add("threads", s.threads)
      .add_raw("elapsed_s", exact(s.elapsed_s));
  if (s.lr_anchor)
    out.add("lr_anchor_step", s.lr_anchor->step).add_raw("lr_anchor_lr", exact(s.lr_anchor->lr));
  return out.add("config", config_to_yaml(s.config)).str();
}

RunState read_run_state(const std::string& json, const std::string& where) {
  JsonValue root = parse_json(json, where);
  LN_CHECK(root.is_object(), where, " is not a JSON object");
  const JsonValue* format = root.find("format");
  LN_CHECK(format && format->is_string() && format->text == kRunStateFormat, where,
           " is not a longnet training state (its \"format\" is not \"", kRunStateFormat,
           "\"); give a checkpoint directory written by longnet train");
  const JsonValue* version = root.find("version");
  LN_CHECK(version && version->as_uint() && *version->as_uint() >= 1, where,
           " has no valid \"version\"; the checkpoint is damaged: use another checkpoint of the run");
  LN_CHECK(static_cast<int64_t>(*version->as_uint()) <= kRunStateVersion, where, " has version ",
           *version->as_uint(), ", newer than this build reads (", kRunStateVersion,
           "); use the longnet that wrote it, or a newer one");
  RunState s;
  const JsonValue* step = root.find("step");
  LN_CHECK(step && step->as_uint(), where, " has no step");
  s.step = static_cast<int64_t>(*step->as_uint());
  if (const JsonValue* seed = root.find("seed"); seed && seed->as_uint())
    s.seed = static_cast<int64_t>(*seed->as_uint());
  const JsonValue* sha = root.find("tokenizer_sha256");
  LN_CHECK(sha && sha->is_string() && sha->text.size() == 64, where, " has no tokenizer_sha256");
  s.tokenizer_sha256 = sha->text;
  if (const JsonValue* cache = root.find("token_cache"); cache && cache->is_string())
    s.token_cache = cache->text;
  if (const JsonValue* t = root.find("threads"); t && t->as_uint())
    s.threads = static_cast<int64_t>(*t->as_uint());
  // Checkpoints written before elapsed_s existed resume with 0.
  if (auto elapsed = as_double(root.find("elapsed_s"))) s.elapsed_s = *elapsed;
  const JsonValue* anchor_step = root.find("lr_anchor_step");
  if (anchor_step) {
    auto anchor_lr = as_double(root.find("lr_anchor_lr"));
    LN_CHECK(anchor_step->as_uint() && anchor_lr, where, " has a malformed lr_anchor_step/lr_anchor_lr");
    s.lr_anchor = LrAnchor{static_cast<int64_t>(*anchor_step->as_uint()), *anchor_lr};
  }
  const JsonValue* config = root.find("config");
  LN_CHECK(config && config->is_string(), where, " has no config");
  s.config = parse_config_yaml(config->text, where + ":config");
  return s;
}

}  // namespace ln
