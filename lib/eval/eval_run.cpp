#include "eval/eval_run.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "core/error.hpp"
#include "core/json.hpp"
#include "core/number_format.hpp"
#include "data/corpus.hpp"
#include "eval/eval_progress.hpp"
#include "eval/eval_text.hpp"
#include "eval/position_plot.hpp"
#include "eval/token_loss_file.hpp"
#include "eval/validation_split.hpp"
#include "parallel/mpi_session.hpp"
#include "parallel/process_grid.hpp"

namespace ln {

namespace {

std::string attention_text(const AttentionSpec& a) {
  std::string s = to_string(a.kind);
  if (a.kind == AttentionKind::dilated)
    s += " segments " + format_int_list(a.segments) + " dilations " + format_int_list(a.dilations);
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

EvalPlan plan_eval(const TrainedModel& trained, const EvalSettings& settings) {
  const LanguageModel& model = *trained.model;
  EvalPlan plan;
  EvalReport& report = plan.report;
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
  LN_CHECK(settings.batch >= 1, "[eval] batch is ", settings.batch, "; give at least 1 window per forward");
  report.batch = settings.batch;
  LN_CHECK(
      !settings.data.empty() || settings.validation_split,
      "[eval] nothing to evaluate; give held-out text files or directories, or the run's validation split");
  if (!settings.by_position.empty()) {  // fail now, not after the work
    const auto parent = std::filesystem::path(settings.by_position).parent_path();
    std::error_code ec;
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    LN_CHECK(!ec, "[eval] by-position output ", settings.by_position, ": cannot create the directory ",
             parent.string(), ": ", ec.message());
  }
  if (report.context > report.train_seq_len) {
    const auto kind = model.spec().attention.kind;
    report.notes.push_back(
        "note: the context of " + std::to_string(report.context) +
        " tokens is longer than the training seq_len " + std::to_string(report.train_seq_len) + " (" +
        (kind == AttentionKind::dilated
             ? "dilated attention simply runs more segments"
             : std::string(to_string(kind)) + " attention over the longer window") +
        "): positions past " + std::to_string(report.train_seq_len) + " measure length extrapolation");
  }

  const AttentionSpec& attention = model.spec().attention;
  if (attention.kind == AttentionKind::dilated && report.context > attention.segments.back()) {
    const std::string w = std::to_string(attention.segments.back());
    report.notes.push_back(
        "note: the largest attention segment is " + w +
        " tokens (attention.segments): each layer attends only inside segments of at most " + w +
        " positions, so history further back than that does not reach a prediction directly");
  }

  // Data: every file tokenized up front, so errors come before hours of work and the ETA
  // covers the whole job.
  const DocumentSeparator separator = trained.config.data.document_separator;
  std::vector<EvalText>& texts = plan.texts;
  if (settings.validation_split) {
    texts = validation_split_texts(trained);
    int64_t documents = 0;
    for (const auto& t : texts) documents += t.documents;
    std::ostringstream note;
    note << "validation split: the ";
    if (documents > 0) {
      note << documents << " held-out documents";
    } else {  // a one-document corpus (score/held_out.hpp)
      note << "last " << texts.front().predictions() << " tokens of the one document";
    }
    note << " of data.train (data.val_fraction " << trained.config.data.val_fraction << ", train.seed "
         << trained.config.train.seed << "), as training chose them";
    report.notes.push_back(note.str());
  }
  auto read_text = [&](const std::string& path, const std::string& name) {
    // A large file takes a while to tokenize before the first window is scored: say so.
    bool shown = false;
    texts.push_back(read_eval_text(path, trained.tokenizer, separator, [&](uint64_t done, uint64_t total) {
      if (!settings.progress) return;
      std::fprintf(stderr, "tokenizing %s: %d%%\n", name.c_str(), int(100.0 * double(done) / double(total)));
      shown = true;
    }));
    texts.back().path = name;
    if (shown)
      std::fprintf(stderr, "tokenizing %s: done, %zu tokens\n", name.c_str(), texts.back().tokens.size());
  };
  // In the order given: "-" is standard input (its copy), the rest files, folders and globs.
  std::vector<std::string> sources;
  auto flush_sources = [&] {
    if (sources.empty()) return;
    for (const std::string& path : list_corpus_files(sources, "the eval data")) read_text(path, path);
    sources.clear();
  };
  for (const std::string& entry : settings.data) {
    if (entry != "-") {
      sources.push_back(entry);
      continue;
    }
    flush_sources();
    LN_CHECK(!settings.stdin_copy.empty(), "[eval] data '-' (standard input) needs its copy in stdin_copy");
    read_text(settings.stdin_copy, "<stdin>");
  }
  flush_sources();

  plan.methods.push_back({"non_overlapping", report.context, {}});
  if (report.stride < report.context) plan.methods.push_back({"sliding", report.stride, {}});
  for (EvalPlan::Method& method : plan.methods) {
    for (const EvalText& text : texts) {
      method.windows.push_back(
          plan_windows(static_cast<int64_t>(text.tokens.size()), report.context, method.stride));
      plan.total_work += planned_input_tokens(method.windows.back());
    }
  }
  return plan;
}

void run_eval_plan(const TrainedModel& trained, const EvalSettings& settings, EvalPlan& plan) {
  const LanguageModel& model = *trained.model;
  EvalReport& report = plan.report;
  const std::vector<EvalText>& texts = plan.texts;
  // Under mpirun: each window split over parallel.sequence ranks; rank 0 reports and writes.
  parallel::ProcessGrid grid(settings.sequence_parallel);
  EvalProgress progress(plan.total_work, settings.progress && grid.is_root());
  int64_t work_done = 0, windows_done = 0, windows_planned = 0;
  for (const EvalPlan::Method& planned : plan.methods)
    for (const auto& windows : planned.windows) windows_planned += static_cast<int64_t>(windows.size());
  for (const EvalPlan::Method& planned : plan.methods) {
    if (report.partial) break;
    MethodResult method;
    method.name = planned.name;
    method.context = report.context;
    method.stride = planned.stride;
    for (size_t f = 0; f < texts.size(); ++f) {
      const EvalText& text = texts[f];
      progress.set_label(std::to_string(f + 1) + "/" + std::to_string(texts.size()) + " " +
                         std::filesystem::path(text.path).filename().string() +
                         (plan.methods.size() > 1 ? " " + method.name : std::string()));
      const int64_t before = work_done;
      FileResult file{display_path(text.path), text.bytes, text.documents, {}};
      // --per-token keeps the last method's losses: sliding when asked for, else non-overlapping.
      const bool keep = !settings.per_token.empty() && &planned == &plan.methods.back();
      file.result = evaluate_stream(
          model, text.tokens, planned.windows[f], report.batch,
          [&](int64_t done, const LossStats& so_far) {
            work_done = before + done;
            progress.update(work_done, so_far.mean_loss());
          },
          &grid.sequence(), settings.precision, keep, settings.stop);
      windows_done += file.result.windows;
      method.all.loss.merge(file.result.loss);
      method.all.by_position.merge(file.result.by_position);
      method.all.windows += file.result.windows;
      method.all.input_tokens += file.result.input_tokens;
      method.bytes += file.bytes;
      const bool stopped = file.result.stopped || (settings.stop && f + 1 < texts.size() && settings.stop());
      method.files.push_back(std::move(file));
      if (stopped) {
        report.partial = true;
        break;
      }
    }
    report.methods.push_back(std::move(method));
  }
  progress.finish();
  if (report.partial) {
    report.notes.push_back(
        "partial: interrupted after " + std::to_string(windows_done) + " of " +
        std::to_string(windows_planned) +
        " windows; the numbers below cover only the windows scored (a file's bytes, and so "
        "its bits per byte, are the whole file's)");
  }
}

EvalReport finish_eval_report(const TrainedModel& trained, const EvalSettings& settings, EvalPlan& plan) {
  EvalReport& report = plan.report;
  const std::vector<EvalText>& texts = plan.texts;
  if (report.partial) {  // the outputs of a whole evaluation only
    if (!settings.per_token.empty() || !settings.by_position.empty())
      report.notes.push_back("partial: --by-position and --per-token files were not written");
    return std::move(report);
  }
  if (!settings.per_token.empty() && parallel::world_rank() == 0 && !report.methods.empty()) {
    const MethodResult& method = report.methods.back();
    std::vector<TokenLossStream> streams;
    for (size_t f = 0; f < texts.size(); ++f)
      streams.push_back({method.files[f].path, &texts[f].tokens, &method.files[f].result});
    write_token_losses(settings.per_token, method.name, report.context, method.stride, streams,
                       trained.tokenizer);
    report.per_token_file = settings.per_token;
  }
  if (!settings.by_position.empty() && parallel::world_rank() == 0 && !report.methods.empty()) {
    const MethodResult& chunked = report.methods.front();  // positions 1 .. context, all of them
    PositionPlotData plot;
    plot.context = report.context;
    plot.train_seq_len = report.train_seq_len;
    plot.subtitle = "step " + std::to_string(report.step) + " \u00b7 " + chunked.describe() + " \u00b7 " +
                    std::to_string(chunked.all.loss.tokens()) + " tokens";
    plot.series.push_back(
        {texts.size() == 1 ? std::filesystem::path(texts[0].path).filename().string() : "all files",
         chunked.all.by_position});
    if (texts.size() > 1) {
      for (const auto& file : chunked.files) {
        plot.series.push_back(
            {std::filesystem::path(file.path).filename().string(), file.result.by_position});
      }
    }
    const std::string header = "\"checkpoint\":" + json_escape(report.checkpoint) +
                               ",\"step\":" + std::to_string(report.step) + ",\"method\":\"non_overlapping\"";
    report.position_files = write_position_outputs(settings.by_position, plot, header);
  }
  return std::move(report);
}

EvalReport run_eval(const TrainedModel& trained, const EvalSettings& settings) {
  const auto t0 = std::chrono::steady_clock::now();
  EvalPlan plan = plan_eval(trained, settings);
  run_eval_plan(trained, settings, plan);
  EvalReport report = finish_eval_report(trained, settings, plan);
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return report;
}

}  // namespace ln
