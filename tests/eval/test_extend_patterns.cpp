// eval/extend_patterns: the schedule continued exactly, no change when the context fits, the
// same forward as a model configured with those patterns, and `longnet eval --extend-patterns`.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdlib>

#include "autograd/var.hpp"
#include "core/error.hpp"
#include "core/json_reader.hpp"
#include "eval/extend_patterns.hpp"
#include "eval_fixture.hpp"
#include "nn/language_model.hpp"
#include "support/temp_dir.hpp"

using namespace ln;

namespace {
AttentionSpec schedule(std::vector<int64_t> w, std::vector<int64_t> r) {
  AttentionSpec s;
  s.kind = AttentionKind::dilated;
  s.segments = std::move(w);
  s.dilations = std::move(r);
  return s;
}

ModelSpec tiny_model(const AttentionSpec& attention) {
  ModelSpec s;
  s.vocab_size = 23;
  s.d_model = 16;
  s.layers = 2;
  s.heads = 4;
  s.mlp_ratio = 2;
  s.attention = attention;
  s.attention.positions = PositionKind::xpos;
  return s;
}

std::vector<float> logits_of(const LanguageModel& model, int64_t T) {
  std::vector<int32_t> ids(T);
  for (int64_t i = 0; i < T; ++i) ids[i] = static_cast<int32_t>((i * 5 + 2 + i / 7) % 23);
  NoGradGuard no_grad;
  const Tensor t = model.logits(ids, 1, T).value();
  return std::vector<float>(t.data(), t.data() + t.numel());
}

double max_diff(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  double d = 0;
  for (size_t i = 0; i < a.size(); ++i) d = std::max(d, double(std::abs(a[i] - b[i])));
  return d;
}
}  // namespace

TEST_CASE("extend_patterns continues (w*a, r*a) until the widest segment covers the context") {
  const AttentionSpec base = schedule({128, 256, 512}, {1, 2, 4});
  SUBCASE("a context the trained widest segment covers changes nothing") {
    for (int64_t c : {1, 100, 512}) {
      const AttentionSpec s = extend_patterns(base, c);
      CHECK(s.segments == base.segments);
      CHECK(s.dilations == base.dilations);
    }
  }
  SUBCASE("one step past, and several") {
    CHECK(extend_patterns(base, 513).segments == std::vector<int64_t>{128, 256, 512, 1024});
    CHECK(extend_patterns(base, 513).dilations == std::vector<int64_t>{1, 2, 4, 8});
    const AttentionSpec s = extend_patterns(base, 3000);
    CHECK(s.segments == std::vector<int64_t>{128, 256, 512, 1024, 2048, 4096});
    CHECK(s.dilations == std::vector<int64_t>{1, 2, 4, 8, 16, 32});
  }
  SUBCASE("factor 3, and the paper's (16384, 6) -> (32768, 12) tail") {
    const AttentionSpec s = extend_patterns(schedule({10, 30}, {1, 3}), 200);
    CHECK(s.segments == std::vector<int64_t>{10, 30, 90, 270});
    CHECK(s.dilations == std::vector<int64_t>{1, 3, 9, 27});
    const AttentionSpec p =
        extend_patterns(schedule({2048, 4096, 8192, 16384, 32768}, {1, 2, 4, 6, 12}), 65536);
    CHECK(p.segments.back() == 65536);
    CHECK(p.dilations.back() == 24);
  }
  SUBCASE("schedules it cannot continue are refused with one line") {
    CHECK_THROWS_WITH_AS(extend_patterns(schedule({512}, {1}), 2048), doctest::Contains("at least two"),
                         Error);
    CHECK_THROWS_WITH_AS(extend_patterns(schedule({256, 512}, {1, 3}), 2048),
                         doctest::Contains("do not grow by one integer factor"), Error);
    CHECK_THROWS_WITH_AS(extend_patterns(schedule({300, 512}, {1, 2}), 2048),
                         doctest::Contains("do not grow by one integer factor"), Error);
    AttentionSpec dense = base;
    dense.kind = AttentionKind::dense;
    CHECK_THROWS_WITH_AS(extend_patterns(dense, 2048), doctest::Contains("attention.kind is dense"), Error);
  }
}

TEST_CASE("an extended model computes what a model configured with those patterns computes") {
  const AttentionSpec base = schedule({4, 8}, {1, 2});
  const LanguageModel plain(tiny_model(base), 11);

  CHECK(extended_model(plain, 8) == nullptr);                                 // fits: nothing to change
  const std::unique_ptr<LanguageModel> extended = extended_model(plain, 29);  // adds 16/4, 32/8
  REQUIRE(extended != nullptr);
  CHECK(extended->spec().attention.segments == std::vector<int64_t>{4, 8, 16, 32});
  CHECK(extended->spec().attention.dilations == std::vector<int64_t>{1, 2, 4, 8});

  // Explicitly configured with the extended patterns, other initial weights, then the trained ones loaded.
  LanguageModel explicit_model(tiny_model(schedule({4, 8, 16, 32}, {1, 2, 4, 8})), 99);
  explicit_model.load_parameters(plain.named_tensors(), "test");
  const int64_t T = 29;
  CHECK(max_diff(logits_of(*extended, T), logits_of(explicit_model, T)) == 0.0);
  // ... and it is a different computation from the plain model past the trained widest segment,
  const auto ext = logits_of(*extended, T), old = logits_of(plain, T);
  CHECK(max_diff(ext, old) > 1e-4);
  // ... while within it (T <= 8) the new patterns' segments are cut to T: same keys, counted again.
  CHECK(max_diff(logits_of(*extended, 8), logits_of(plain, 8)) > 0.0);
}

TEST_CASE("longnet eval --extend-patterns: unchanged at the training length, extended beyond it") {
  test::TrainedRun& run = test::trained_run();  // segments [8, 16], dilations [1, 2], seq_len 16
  test::TempDir scratch;
  auto eval_json = [&](const std::string& extra) {
    const std::string out = scratch / "out.json", err = scratch / "err.txt";
    const std::string cmd = std::string(LONGNET_BINARY) + " --threads 2 eval -m " + run.run_dir + " -f " +
                            run.heldout + " --json -q " + extra + " >" + out + " 2>" + err;
    const int status = std::system(cmd.c_str());
    INFO(test::read_file(err));
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    return parse_json(test::read_file(out), "eval --json");
  };
  auto loss = [](const JsonValue& v) {
    return std::stod(v.find("methods")->items.at(0).find("all")->find("mean_loss")->text);
  };
  const JsonValue plain = eval_json(""), extended = eval_json("--extend-patterns");
  CHECK(loss(plain) == loss(extended));
  CHECK(extended.find("attention")->text == plain.find("attention")->text);

  const JsonValue plain64 = eval_json("-c 64"), ext64 = eval_json("-c 64 --extend-patterns");
  CHECK(ext64.find("attention")->text.find("segments [8, 16, 32, 64] dilations [1, 2, 4, 8]") !=
        std::string::npos);
  CHECK(loss(plain64) != loss(ext64));
}
