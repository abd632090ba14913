#include "eval/eval_run.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "core/error.hpp"
#include "core/json.hpp"
#include "data/corpus.hpp"
#include "eval/eval_progress.hpp"
#include "eval/eval_text.hpp"
#include "eval/position_plot.hpp"
#include "eval/validation_split.hpp"
#include "dist/process_grid.hpp"

namespace ln {

namespace {

std::string list_text(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

std::string attention_text(const AttentionSpec& a) {
  std::string s = to_string(a.kind);
  if (a.kind == AttentionKind::dilated) s += " segments " + list_text(a.segments) + " dilations " + list_text(a.dilations);
  if (a.kind == AttentionKind::sparse) {
    s += " block " + std::to_string(a.sparse_block) + " summary " + std::to_string(a.sparse_summary);
  }
  return s + ", positions " + to_string(a.positions);
}

std::string display_path(const std::string& path) {
  std::error_code ec;
  const auto rel = std::filesystem::proximate(path, ec);
  const std::string r = ec ? path : rel.string();
  return r.rfind("..", 0) == 0 ? path : r;
}

}  // namespace

std::string MethodResult::describe() const {
  if (name == "sliding") {
    return "sliding window: context " + std::to_string(context) + ", stride " + std::to_string(stride) +
           " (every token scored once, with at least " + std::to_string(context - stride + 1) +
           " tokens of history after the first window)";
  }
  return "non-overlapping windows of " + std::to_string(context) + " tokens, each scored in full";
}

EvalReport run_eval(const TrainedModel& trained, const EvalSettings& settings) {
  const auto t0 = std::chrono::steady_clock::now();
  const LanguageModel& model = *trained.model;
  EvalReport report;
  report.checkpoint = trained.dir;
  report.step = trained.step;
  report.parameters = model.parameter_count();
  report.train_seq_len = trained.config.data.seq_len;
  report.attention = attention_text(model.spec().attention);

  // Settings first: nothing is read or run before they are known to be good.
  report.context = settings.context >= 0 ? settings.context : report.train_seq_len;
  report.stride = settings.stride >= 0 ? settings.stride : report.context;
  check_window_settings(report.context, report.stride);
  check_eval_context(model.spec(), report.context);
  LN_CHECK(settings.batch >= 1, "--batch is ", settings.batch, "; give at least 1 window per forward");
  report.batch = settings.batch;
  LN_CHECK(!settings.data.empty() || settings.validation_split,
           "nothing to evaluate; name held-out text files or directories with --data, or use --validation-split");
  if (!settings.by_position.empty()) {  // fail now, not after the work
    const auto parent = std::filesystem::path(settings.by_position).parent_path();
    std::error_code ec;
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    LN_CHECK(!ec, "--by-position ", settings.by_position, ": cannot create the directory ", parent.string(), ": ",
             ec.message());
  }
  if (report.context > report.train_seq_len) {
    const auto kind = model.spec().attention.kind;
    report.notes.push_back(
        "note: --context " + std::to_string(report.context) + " is longer than the training seq_len " +
        std::to_string(report.train_seq_len) + " (" +
        (kind == AttentionKind::dilated ? "dilated attention simply runs more segments"
                                        : std::string(to_string(kind)) + " attention over the longer window") +
        "): positions past " + std::to_string(report.train_seq_len) + " measure length extrapolation");
  }

  const AttentionSpec& attention = model.spec().attention;
  if (attention.kind == AttentionKind::dilated && report.context > attention.segments.back()) {
    const std::string w = std::to_string(attention.segments.back());
    report.notes.push_back("note: the largest attention segment is " + w +
                           " tokens (attention.segments): each layer attends only inside segments of at most " + w +
                           " positions, so history further back than that does not reach a prediction directly");
  }

  // Data: every file tokenized up front, so errors come before hours of work and the ETA
  // covers the whole job.
  const DocumentSeparator separator = trained.config.data.document_separator;
  std::vector<EvalText> texts;
  if (settings.validation_split) {
    texts = validation_split_texts(trained);
    int64_t documents = 0;
    for (const auto& t : texts) documents += t.documents;
    std::ostringstream note;
    note << "validation split: the " << documents << " held-out documents of data.train (data.val_fraction "
         << trained.config.data.val_fraction << ", train.seed " << trained.config.train.seed
         << "), as training chose them";
    report.notes.push_back(note.str());
  }
  if (!settings.data.empty()) {
    for (const std::string& path : list_corpus_files(settings.data, "--data")) {
      // A large file takes a while to tokenize before the first window is scored: say so.
      bool shown = false;
      texts.push_back(read_eval_text(path, trained.tokenizer, separator, [&](uint64_t done, uint64_t total) {
        if (!settings.progress) return;
        std::fprintf(stderr, "tokenizing %s: %d%%\n", path.c_str(), int(100.0 * double(done) / double(total)));
        shown = true;
      }));
      if (shown) std::fprintf(stderr, "tokenizing %s: done, %zu tokens\n", path.c_str(), texts.back().tokens.size());
    }
  }

  std::vector<std::pair<std::string, int64_t>> methods = {{"non_overlapping", report.context}};
  if (report.stride < report.context) methods.push_back({"sliding", report.stride});
  std::vector<std::vector<std::vector<EvalWindow>>> plans(methods.size());
  int64_t total_work = 0;
  for (size_t m = 0; m < methods.size(); ++m) {
    for (const EvalText& text : texts) {
      plans[m].push_back(plan_windows(static_cast<int64_t>(text.tokens.size()), report.context, methods[m].second));
      total_work += planned_input_tokens(plans[m].back());
    }
  }

  // Under mpirun: each window split over parallel.sequence ranks; rank 0 reports and writes.
  dist::ProcessGrid grid(settings.sequence_parallel);
  EvalProgress progress(total_work, settings.progress && grid.is_root());
  int64_t work_done = 0;
  for (size_t m = 0; m < methods.size(); ++m) {
    MethodResult method;
    method.name = methods[m].first;
    method.context = report.context;
    method.stride = methods[m].second;
    for (size_t f = 0; f < texts.size(); ++f) {
      const EvalText& text = texts[f];
      progress.set_label(std::to_string(f + 1) + "/" + std::to_string(texts.size()) + " " +
                         std::filesystem::path(text.path).filename().string() +
                         (methods.size() > 1 ? " " + method.name : std::string()));
      const int64_t before = work_done;
      FileResult file{display_path(text.path), text.bytes, text.documents, {}};
      file.result = evaluate_stream(model, text.tokens, plans[m][f], report.batch,
                                    [&](int64_t done, const LossStats& so_far) {
                                      work_done = before + done;
                                      progress.update(work_done, so_far.mean_loss());
                                    }, &grid.sequence());
      method.all.loss.merge(file.result.loss);
      method.all.by_position.merge(file.result.by_position);
      method.all.windows += file.result.windows;
      method.all.input_tokens += file.result.input_tokens;
      method.bytes += file.bytes;
      method.files.push_back(std::move(file));
    }
    report.methods.push_back(std::move(method));
  }
  progress.finish();

  if (!settings.by_position.empty() && grid.is_root()) {
    const MethodResult& chunked = report.methods.front();  // positions 1 .. context, all of them
    PositionPlotData plot;
    plot.context = report.context;
    plot.train_seq_len = report.train_seq_len;
    plot.subtitle = "step " + std::to_string(report.step) + " \u00b7 " + chunked.describe() + " \u00b7 " +
                    std::to_string(chunked.all.loss.tokens()) + " tokens";
    plot.series.push_back({texts.size() == 1 ? std::filesystem::path(texts[0].path).filename().string() : "all files",
                           chunked.all.by_position});
    if (texts.size() > 1) {
      for (const auto& file : chunked.files) {
        plot.series.push_back({std::filesystem::path(file.path).filename().string(), file.result.by_position});
      }
    }
    const std::string header = "\"checkpoint\":" + json_escape(report.checkpoint) + ",\"step\":" +
                               std::to_string(report.step) + ",\"method\":\"non_overlapping\"";
    report.position_files = write_position_outputs(settings.by_position, plot, header);
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return report;
}

}  // namespace ln
