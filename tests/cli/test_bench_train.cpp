// `longnet bench train` cuts a step into train.grad_accum micro-batches like `longnet train`.
#include <doctest/doctest.h>

#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "train/metrics_log.hpp"

TEST_CASE("bench train honours train.grad_accum") {
  ln::test::TempDir dir;
  const std::vector<std::string> base = {"bench",     "train",
                                         "--threads", "1",
                                         "--steps",   "1",
                                         "--warmup",  "0",
                                         "--set",     "model.d_model=16",
                                         "--set",     "model.layers=1",
                                         "--set",     "model.heads=2",
                                         "--set",     "data.seq_len=32",
                                         "--set",     "attention.segments=[8,16,32]",
                                         "--set",     "train.batch_size=4"};
  auto with = [&](const std::string& accum) {
    auto args = base;
    args.insert(args.end(), {"--set", "train.grad_accum=" + accum});
    return args;
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
