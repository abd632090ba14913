#pragma once
// The report of `make retrieval` (issue 18; scripts/retrieval.sh writes its inputs): one
// Markdown page that says, from the files alone, whether the models use their context.
//
// Inputs, under one directory DIR:
//   DIR/MODEL/metrics.jsonl            each trained model's run (its last "summary" row)
//   DIR/MODEL/retrieval_train_seconds  training wall time (scripts/retrieval.sh)
//   DIR/probes/MODEL.copy[TAG].json     `longnet probe copy --json`
//   DIR/probes/MODEL.passkey[TAG].json  `longnet probe passkey --json` (and .svg heatmaps)
// A missing file is a cell or line saying so, never a number.
#include <string>

namespace ln {

// The Markdown of DIR/REPORT.md. ln::Error (one line, naming the file) when a file present is
// not what it should be.
std::string build_retrieval_report(const std::string& dir);

}  // namespace ln
