// The retrieval report (report/retrieval_report.hpp) over a hand-written runs folder: one row per
// run from its metrics' last summary, whatever that run measured.
#include <doctest/doctest.h>

#include <string>

#include "report/retrieval_report.hpp"
#include "support/temp_dir.hpp"
#include "support/text_checks.hpp"

using namespace ln;

TEST_CASE("the retrieval report: a run that never evaluated (best_val_loss null) is 'not measured'") {
  test::TempDir dir;
  const std::string root = dir.path().string();
  // Phase 1 of make retrieval evaluates nothing; a phase-2 run does.
  test::write_file(root + "/induction/config.yaml", "model: {}\n");
  test::write_file(root + "/induction/retrieval_train_seconds", "75\n");
  test::write_file(root + "/induction/metrics.jsonl",
                   "{\"kind\": \"train\", \"step\": 2}\n"
                   "{\"kind\": \"summary\", \"step\": 2, \"tokens\": 8192, \"best_val_loss\": null, "
                   "\"finished\": true}\n");
  test::write_file(root + "/longnet-8k/config.yaml", "model: {}\n");
  test::write_file(root + "/longnet-8k/metrics.jsonl",
                   "{\"kind\": \"summary\", \"step\": 400, \"tokens\": 3276800, \"best_val_loss\": 4.25, "
                   "\"finished\": true}\n");
  const std::string md = build_retrieval_report(root);
  CHECK(test::contains(md, "| induction | 2 | "));
  CHECK(test::contains(md, " | not measured |\n"));
  CHECK(test::contains(md, "| longnet-8k | 400 | "));
  CHECK(test::contains(md, " | 4.250 |\n"));
  CHECK(test::contains(md, "No copy probe was run."));
}
