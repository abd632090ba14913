#pragma once
// The report of `make paper` (issue 10: does dilated attention pay off?): reads what the run
// wrote and renders REPORT.md and one SVG. It reports only what was measured: a missing
// file is a cell saying so, never a number.
//
// Inputs, all under one directory DIR (scripts/paper.sh writes them):
//   DIR/paper.jsonl   one JSON object per line. A line with "model" describes one trained model:
//                     model, config, tokens_per_step, flops_per_step (longnet flops),
//                     steps_planned, train_seconds. A line with "budget_minutes" describes the
//                     run: budget_minutes, nominal_gflops, budget_flops, eval_files (string).
//   DIR/eval/MODEL.cCONTEXT.json       `longnet eval --json` of MODEL at that context
//   DIR/eval/MODEL.cCONTEXT.ext.json   the same with --extend-patterns (dilated models, contexts
//                                      beyond the training length; at or below it the plain
//                                      numbers are the extended ones by construction)
//   DIR/eval/MODEL.cCONTEXT[.ext].pos.json  `--by-position` tables at the largest context
//   DIR/probes/MODEL.copy[TAG].json, MODEL.passkey[TAG].json (and .svg heatmaps)
//                                      `longnet probe copy|passkey --json` of each model
//                                      (report/probe_tables.hpp), as make retrieval's report
// Outputs: the Markdown text (the caller writes DIR/REPORT.md) and DIR/loss_by_position.svg.
//
// lib/report holds reports over finished runs' outputs: it reads files, scores nothing, and sits
// above the layers that measure (score, eval), needing only core.
#include <cstdint>
#include <string>
#include <vector>

namespace ln {

struct PaperReportOptions {
  std::string dir;
  std::vector<int64_t> contexts{2048, 8192, 32768};
};

struct PaperReport {
  std::string markdown;
  std::string svg;                   // loss by position at the largest context, one curve per model
  std::vector<std::string> missing;  // input files that were not there
};

// ln::Error (one line, naming the file) when paper.jsonl is missing or a file present is not
// the JSON it should be.
PaperReport build_paper_report(const PaperReportOptions& options);

}  // namespace ln
