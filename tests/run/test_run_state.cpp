// state.json (lib/run/run_state.hpp): the one writer and the one reader round-trip every
// field (the config as a typed Config, the LR anchor to the last bit), and the reader refuses
// another format, a missing version and a newer version with one line naming the file.
#include <doctest/doctest.h>

#include <string>

#include "config/config.hpp"
#include "run/run_state.hpp"
#include "support/text_checks.hpp"

using namespace ln;
using test::contains;
using test::error_of;

namespace {

RunState sample_state() {
  RunState s;
  s.step = 1200;
  s.seed = 1337;
  s.tokenizer_sha256 = std::string(64, 'a');
  s.token_cache = "data/cache/tokens-x.bin";
  s.threads = 2;
  s.elapsed_s = 812.123456789012345;
  s.lr_anchor = LrAnchor{300, 1.0 / 3.0 * 1e-3};
  s.config.model.layers = 2;
  s.config.attention.kind = AttentionKind::dense;
  s.config.train.schedule = LrScheduleKind::linear;
  s.config.train.lr = 1.0 / 7.0 * 1e-3;
  return s;
}

// `json` with the first occurrence of `from` replaced by `to` (which must occur).
std::string replaced(std::string json, const std::string& from, const std::string& to) {
  const size_t at = json.find(from);
  REQUIRE(at != std::string::npos);
  return json.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("state.json round-trips every field, the config typed and the LR anchor to the last bit") {
  const RunState s = sample_state();
  const std::string json = run_state_json(s);
  CHECK(contains(json, "\"format\": \"longnet-train-state\""));
  CHECK(contains(json, "\"version\": 1"));
  const RunState back = read_run_state(json, "state.json");
  CHECK(back.step == 1200);
  CHECK(back.seed == 1337);
  CHECK(back.tokenizer_sha256 == s.tokenizer_sha256);
  CHECK(back.token_cache == s.token_cache);
  CHECK(back.threads == 2);
  CHECK(back.elapsed_s == s.elapsed_s);
  REQUIRE(back.lr_anchor);
  CHECK(back.lr_anchor->step == 300);
  CHECK(back.lr_anchor->lr == s.lr_anchor->lr);
  // The config comes back typed and equal to the one written, key by key through the schema.
  for (const ConfigKey& key : config_schema())
    CHECK_MESSAGE(key.to_yaml(back.config) == key.to_yaml(s.config), key.name);
  CHECK(back.config.model.layers == 2);
  CHECK(back.config.attention.kind == AttentionKind::dense);
  CHECK(back.config.train.schedule == LrScheduleKind::linear);
  CHECK(back.config.train.lr == s.config.train.lr);

  RunState no_anchor = s;
  no_anchor.lr_anchor.reset();
  CHECK_FALSE(read_run_state(run_state_json(no_anchor), "state.json").lr_anchor);
}

TEST_CASE(
    "state.json: another format, a missing or newer version, or a bad config is refused naming the file") {
  const std::string json = run_state_json(sample_state());
  CHECK(error_of([] {
          read_run_state("{\"format\": \"other\"}", "x/state.json");
        }).find("x/state.json is not a longnet training state") != std::string::npos);
  CHECK(contains(error_of([&] {
                   read_run_state(replaced(json, "longnet-train-state", "longnet-other"), "x/state.json");
                 }),
                 "x/state.json is not a longnet training state"));
  const std::string newer =
      error_of([&] { read_run_state(replaced(json, "\"version\": 1", "\"version\": 2"), "x/state.json"); });
  CHECK(contains(newer, "x/state.json has version 2, newer than this build reads (1)"));
  CHECK(contains(
      error_of([&] { read_run_state(replaced(json, "\"version\": 1", "\"version\": 0"), "x/state.json"); }),
      "x/state.json has no valid \"version\""));
  CHECK(contains(error_of([&] { read_run_state(replaced(json, "\"version\": 1,", ""), "x/state.json"); }),
                 "x/state.json has no valid \"version\""));
  // The embedded config goes through the strict schema: an unknown key is refused, located.
  const std::string bad_config = error_of(
      [&] { read_run_state(replaced(json, "model:\\n", "model:\\n  layerz: 3\\n"), "x/state.json"); });
  CHECK(contains(bad_config, "x/state.json:config"));
  CHECK(contains(bad_config, "layerz"));
  // Written by this build, read back: no error.
  CHECK_NOTHROW(read_run_state(json, "x/state.json"));
}
