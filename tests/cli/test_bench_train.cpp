// `longnet bench train` drives the trainer's TrainSession: it cuts a step into
// train.grad_accum micro-batches and groups weight decay (train.decay_norms_and_embeddings)
// exactly like `longnet train`.
#include <doctest/doctest.h>

#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "train/metrics_log.hpp"

namespace {
// bench train on a tiny model (C = 16, one block, 2 heads, T = 32), one timed step and no warm-up;
// `sets` are further --set assignments (a later one wins).
std::vector<std::string> tiny_bench(const std::vector<std::string>& sets) {
  std::vector<std::string> args = {"bench", "train", "--threads", "1", "--steps", "1", "--warmup", "0"};
  for (const char* base : {"model.d_model=16", "model.layers=1", "model.heads=2", "data.seq_len=32",
                           "attention.segments=[8,16,32]"})
    args.insert(args.end(), {"--set", base});
  for (const std::string& set : sets) args.insert(args.end(), {"--set", set});
  return args;
}
}  // namespace

TEST_CASE("bench train honours train.grad_accum") {
  ln::test::TempDir dir;
  auto with = [&](const std::string& accum) {
    return tiny_bench({"train.batch_size=4", "train.grad_accum=" + accum});
  };
  REQUIRE(ln::test::run_longnet(with("2"), dir / "two.log").code == 0);
  std::string out = ln::test::read_file(dir / "two.log");
  auto line = ln::parse_metrics_line(out.substr(out.find("{\"bench\"")));
  REQUIRE(line);
  CHECK(line->number("batch", 0) == 4);
  CHECK(line->number("micro_batch", 0) == 2);
  CHECK(line->number("grad_accum", 0) == 2);
  ln::test::ExitStatus bad = ln::test::run_longnet(with("3"), dir / "three.log");
  CHECK(bad.code == 2);
  CHECK(ln::test::read_file(dir / "three.log").find("train.grad_accum (3) must divide the 4 sequences") !=
        std::string::npos);
}

TEST_CASE("bench train honours train.decay_norms_and_embeddings") {
  ln::test::TempDir dir;
  auto run = [&](const std::string& decay_all, const std::string& log) {
    const std::vector<std::string> args =
        tiny_bench({"tokenizer.vocab_size=300", "model.tie_embeddings=false", "train.batch_size=2",
                    "train.decay_norms_and_embeddings=" + decay_all});
    REQUIRE(ln::test::run_longnet(args, dir / log).code == 0);
    const std::string out = ln::test::read_file(dir / log);
    auto line = ln::parse_metrics_line(out.substr(out.find("{\"bench\"")));
    REQUIRE(line);
    return std::make_pair(line->number("params", -1), line->number("decayed_params", -1));
  };
  // Hand count for C = 16, one block, MLP 4C = 64, V = 300, untied head:
  //   weight matrices (decayed by default): q, k, v, out 4 * 16*16 + fc1 16*64 + fc2 64*16 + head 300*16 =
  //   7872 the rest: embedding 300*16 + biases 4*16 + 64 + 16 + three LayerNorms 3 * 2*16                  =
  //   5040
  const auto [params_all, decayed_all] = run("true", "all.log");
  const auto [params_default, decayed_default] = run("false", "default.log");
  CHECK(params_all == params_default);
  CHECK(decayed_all == params_all);  // every parameter decays
  CHECK(params_default == 7872 + 5040);
  CHECK(decayed_default == 7872);  // only the weight matrices
  CHECK(decayed_default < params_default);
}

TEST_CASE("bench train takes a byte-sized vocabulary (no tokenizer is trained)") {
  // The benchmark command sets tokenizer.vocab_size=256, which a trained tokenizer with
  // byte fallback refuses (256 byte pieces leave no room); bench train's tokens are random ids.
  ln::test::TempDir dir;
  const std::vector<std::string> args = tiny_bench({"tokenizer.vocab_size=256", "train.batch_size=1"});
  REQUIRE(ln::test::run_longnet(args, dir / "v256.log").code == 0);
  const std::string out = ln::test::read_file(dir / "v256.log");
  auto line = ln::parse_metrics_line(out.substr(out.find("{\"bench\"")));
  REQUIRE(line);
  CHECK(line->number("vocab", 0) == 256);
  // train itself still refuses it, naming the keys
  ln::test::ExitStatus bad =
      ln::test::run_longnet({"config", "--set", "tokenizer.vocab_size=256"}, dir / "cfg.log");
  CHECK(bad.code == 2);
  CHECK(ln::test::read_file(dir / "cfg.log").find("leaves no room beside the 256 byte-fallback pieces") !=
        std::string::npos);
}

TEST_CASE("a step that cannot fit is refused before allocating, naming the recompute that would need less") {
  ln::test::TempDir dir;
  const std::vector<std::string> args =
      tiny_bench({"model.d_model=256", "model.layers=4", "model.heads=16", "data.seq_len=16777216",
                  "attention.segments=[2048,16777216]", "attention.dilations=[1,16]", "train.recompute=none",
                  // RoPE: XPOS's decay over a 16M segment would leave fp32, which the config refuses first.
                  "model.positions=rope"});
  ln::test::ExitStatus bad = ln::test::run_longnet(args, dir / "big.log");
  CHECK(bad.code == 2);
  const std::string log = ln::test::read_file(dir / "big.log");
  CHECK(log.find("this configuration needs about") != std::string::npos);
  CHECK(log.find("train.recompute: blocks would need about") != std::string::npos);
}

TEST_CASE("bench train --profile prints the mean step's breakdown as a table and a JSON line") {
  ln::test::TempDir dir;
  std::vector<std::string> args = tiny_bench({"train.batch_size=2"});
  args[5] = "2";  // --steps 2
  args.push_back("--profile");
  REQUIRE(ln::test::run_longnet(args, dir / "profile.log").code == 0);
  const std::string out = ln::test::read_file(dir / "profile.log");
  CAPTURE(out);
  CHECK(out.find("step profile: mean of 2 timed steps, fp32, recompute none\n") != std::string::npos);
  CHECK(out.find("category          ms/step   share  calls/step   GFLOP/s\n") != std::string::npos);
  for (const char* row : {"\ngemm ", "\nattention ", "\nconversion ", "\nelementwise ", "\noptimizer ",
                          "\ncommunication ", "\nother ", "\nstep ", "\nrecompute: "})
    CHECK(out.find(row) != std::string::npos);
  const size_t at = out.find("{\"bench\": \"train_profile\"");
  REQUIRE(at != std::string::npos);
  auto line = ln::parse_metrics_line(out.substr(at, out.find('\n', at) - at));
  REQUIRE(line);
  CHECK(line->strings.at("averaged") == "mean");
  CHECK(line->strings.at("precision") == "fp32");
  CHECK(line->number("profiled_steps", 0) == 2);
  double sum_ms = line->number("other_ms", -1e9);
  for (const char* c : {"gemm", "attention", "conversion", "elementwise", "optimizer", "communication"}) {
    CAPTURE(c);
    const double ms = line->number(std::string(c) + "_ms", -1);
    CHECK(ms >= 0);
    sum_ms += ms;
  }
  CHECK(line->number("other_ms", -1) >= 0);
  // The JSON carries 9 significant digits: the seven rounded terms add up to the rounded total
  // within a few parts in 1e8 of it (a tighter bound failed on rounding alone).
  CHECK(sum_ms == doctest::Approx(line->number("profiled_step_ms", 0)).epsilon(1e-7));
  // One block: q/k/v, out_proj, fc1, fc2 take 4 products forward and 12 backward; the head 4.
  CHECK(line->number("gemm_calls", 0) == 20);
  CHECK(line->number("attention_calls", 0) == 2);
  CHECK(line->number("gemm_gflops", 0) > 0);
  CHECK(line->number("attention_gflops", 0) > 0);
  // Without --profile there is no second line.
  REQUIRE(ln::test::run_longnet(tiny_bench({"train.batch_size=2"}), dir / "plain.log").code == 0);
  CHECK(ln::test::read_file(dir / "plain.log").find("train_profile") == std::string::npos);
}
