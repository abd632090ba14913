#include "train/run_report.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>

#include "core/file_io.hpp"
#include "core/threading.hpp"
#include "core/version.hpp"
#include "data/sha256.hpp"
#include "kernels/attention/attention_kernel.hpp"
#include "train/loss_plot.hpp"

namespace ln {

namespace {

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

void RunReport::write_row(const JsonObject& row) {
  if (writer_ && metrics_) metrics_->append(row);
}

void RunReport::write_plot() {
  if (writer_)
    write_loss_plot(run_dir_ + "/loss.svg", loss_plot_data(read_metrics(run_dir_ + "/metrics.jsonl")));
}

void RunReport::open(bool resumed, int64_t step) {
  if (!writer_) return;
  const std::string path = run_dir_ + "/metrics.jsonl";
  if (!resumed) {
    metrics_.emplace(MetricsLog::create(path));
    return;
  }
  metrics_.emplace(MetricsLog::resume(path, step));
  for (const auto& rec : read_metrics(path)) {
    const double v = rec.number("val_loss", std::nan(""));
    if (std::isfinite(v) && v < best_val_) best_val_ = v, best_val_step_ = rec.step().value_or(-1);
  }
}

void RunReport::header(const std::string& resolved_yaml, int64_t step, const std::string& resumed_from,
                       const std::string& init_from) {
  if (!writer_) return;
  write_file_atomic(run_dir_ + "/config.yaml", resolved_yaml);
  JsonObject row;
  row.add("kind", "run")
      .add("step", step)
      .add("version", kLongnetVersion)
      .add("config_sha256", sha256_hex(resolved_yaml))
      .add("threads", int64_t{threads()})
      .add("isa", std::string(attention_isa_name()))
      .add("start_time", utc_now())
      .add("resumed_from", resumed_from)
      .add("init_from", init_from);
  if (mfu_) {
    row.add("peak_gflops", mfu_->peak_flops_per_s() / 1e9)
        .add("peak_source", mfu_->peak.source)
        .add("peak_isa", mfu_->peak.isa)
        .add("peak_processes", mfu_->processes);
  }
  write_row(row);
}

void RunReport::train_row(int64_t step, const TrainStepStats& st, int64_t tokens, double elapsed_s) {
  JsonObject row;
  row.add("kind", "train")
      .add("step", step)
      .add("loss", st.loss)
      .add("lr", st.lr)
      .add("grad_norm", st.grad_norm)
      .add("tokens", tokens)
      .add("elapsed_s", elapsed_s)
      .add("step_s", st.step_s);
  if (mfu_) row.add("mfu", mfu_->of_step(st.step_s)).add("peak_gflops", mfu_->peak_flops_per_s() / 1e9);
  row.add("world", st.world)
      .add("sequence", st.sequence_ranks)
      .add("data", st.world / st.sequence_ranks)
      .add("comm_exposed_s", st.comm_exposed_s)
      .add("comm_hidden_s", std::max(0.0, st.comm_flight_s - st.comm_exposed_s))
      .add("comm_bytes_recv", st.comm_bytes_recv)
      .add("comm_messages_recv", st.comm_messages_recv)
      .add("gradient_bytes", st.gradient_bytes);
  write_row(row);
}

void RunReport::val_row(int64_t step, const ValidationResult& val, bool whole_split) {
  if (val.loss < best_val_) best_val_ = val.loss, best_val_step_ = step;
  write_row(JsonObject()
                .add("kind", "val")
                .add("step", step)
                .add("val_loss", val.loss)
                .add("val_ppl", std::exp(val.loss))
                .add("scope", whole_split ? "split" : "subset")
                .add("val_tokens", val.tokens)
                .add("val_split_tokens", val.split_tokens));
  write_plot();
}

void RunReport::checkpoint_row(int64_t step, const std::string& path, double elapsed_s) {
  write_row(
      JsonObject().add("kind", "checkpoint").add("step", step).add("path", path).add("elapsed_s", elapsed_s));
  // The plot follows the checkpoints too, so runs without validation still get one.
  write_plot();
}

void RunReport::summary(const Summary& s) {
  write_row(JsonObject()
                .add("kind", "summary")
                .add("step", s.step)
                .add("session_s", s.session_s)
                .add("elapsed_s", s.elapsed_s)
                .add("tokens", s.tokens)
                .add("best_val_loss", best_val_)
                .add("best_val_step", best_val_step_)
                .add("baseline_val_loss", s.baseline_val_loss)
                .add("finished", s.finished));
}

}  // namespace ln
