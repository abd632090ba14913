#pragma once
// `longnet eval` as a library call: tokenizes the data files, plans the windows of each
// method, scores every file, aggregates, and writes the by-position table and plot.
//
// Methods: "non_overlapping" (windows of --context tokens scored in full) always; "sliding"
// (--stride S) in addition when S < context. With S == context the sliding plan is the
// non-overlapping one (eval/windows.hpp), so it is not run twice.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "eval/eval_text.hpp"
#include "run/trained_model.hpp"
#include "score/perplexity.hpp"
#include "score/windows.hpp"

namespace ln {

struct EvalSettings {
  std::vector<std::string> data;  // files and/or directories (list_corpus_files); "-": stdin_copy
  // What standard input held (`eval -f -`), saved to a file by the caller; reported as "<stdin>".
  std::string stdin_copy;
  bool validation_split = false;  // also the run's own validation documents (eval/validation_split.hpp)
  int64_t context = -1;           // < 0: the training seq_len (0 is an error)
  int64_t stride = -1;            // < 0: the context (0 is an error)
  int64_t batch = 1;              // windows per forward
  std::string by_position;        // output prefix for PREFIX.json / PREFIX.svg; empty: none
  // A TSV file of every scored prediction (eval/token_loss_file.hpp); empty: none.
  std::string per_token;
  bool progress = true;                   // progress line on stderr
  int64_t sequence_parallel = 1;          // parallel.sequence: ranks that split each window (mpirun)
  Precision precision = Precision::fp32;  // of the model's products (--precision)
  // Asked after every forward (one process only): true stops the scoring there and the report
  // holds what was scored so far, marked partial (eval's Ctrl-C). Empty: never stops.
  std::function<bool()> stop;
};

struct FileResult {
  std::string path;
  int64_t bytes = 0, documents = 0;
  StreamResult result;
};

struct MethodResult {
  std::string name;  // non_overlapping | sliding
  int64_t context = 0, stride = 0;
  std::vector<FileResult> files;
  StreamResult all;  // every file together
  int64_t bytes = 0;
  std::string describe() const;  // one line: the method and its settings
};

struct EvalReport {
  std::string checkpoint;
  int64_t step = 0, parameters = 0, train_seq_len = 0;
  std::string attention;  // "dilated segments [128, 256, 512] dilations [1, 2, 4]"
  int64_t context = 0, stride = 0, batch = 1;
  std::vector<MethodResult> methods;
  std::vector<std::string> notes;           // e.g. context longer than the training length
  std::vector<std::string> position_files;  // written by --by-position
  std::string per_token_file;               // written by --per-token
  double seconds = 0;
  bool partial = false;  // settings.stop ended the scoring early: only the windows scored so far
};

// The three stages of an evaluation. Flag wording ("--batch", "--data") belongs to the CLI
// (apps/longnet/eval_command.cpp checks its flags before calling); errors here name settings.

// What will be scored, decided and checked before any scoring: the report's header and notes,
// every text tokenized, and the windows of each method for each text.
struct EvalPlan {
  EvalReport report;  // header fields and notes; methods empty until run_eval_plan
  std::vector<EvalText> texts;
  struct Method {
    std::string name;  // non_overlapping | sliding
    int64_t stride = 0;
    std::vector<std::vector<EvalWindow>> windows;  // per text
  };
  std::vector<Method> methods;
  int64_t total_work = 0;  // input tokens of every window of every method (progress)
};

// Plan: resolves the defaults and checks everything before any work: window settings (context
// 0, stride 0, stride > context), the context against the attention config, the batch, the
// by-position output directory, the data files (missing, empty, invalid UTF-8), then tokenizes
// them. ln::Error, one line each.
EvalPlan plan_eval(const TrainedModel& trained, const EvalSettings& settings);

// Run: scores every planned window (progress on stderr when settings.progress) and aggregates
// per file and per method into plan.report.methods. Under mpirun each window is split over
// settings.sequence_parallel ranks.
void run_eval_plan(const TrainedModel& trained, const EvalSettings& settings, EvalPlan& plan);

// Report: the by-position outputs (settings.by_position, rank 0 only) into
// report.position_files, the per-token file (settings.per_token); returns the finished report.
EvalReport finish_eval_report(const TrainedModel& trained, const EvalSettings& settings, EvalPlan& plan);

// plan_eval, run_eval_plan and finish_eval_report in turn, with the wall time in report.seconds.
EvalReport run_eval(const TrainedModel& trained, const EvalSettings& settings);

}  // namespace ln
