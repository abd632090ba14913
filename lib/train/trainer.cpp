#include "train/trainer.hpp"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>

#include "parallel/mpi_session.hpp"
#include "train/progress.hpp"
#include "train/stop_signal.hpp"
#include "train/train_session.hpp"

namespace ln {

TrainResult train(const Config& given, const TrainOptions& given_options) {
  // Under mpirun every rank calls this; rank 0 alone reports (and writes, TrainSession).
  TrainOptions options = given_options;
  options.quiet = options.quiet || parallel::world_rank() != 0;
  // From here a SIGINT/SIGTERM is a graceful stop, during set-up too (a signal before the
  // first step ends the call with nothing written).
  StopSignalScope signals;
  TrainSession session(given, options);
  if (session.finished_already()) return session.result();
  const TrainConfig& tc = session.config().train;

  std::optional<ProgressLine> progress;
  if (!options.quiet) progress.emplace(tc.steps, static_cast<int>(tc.log_every), stderr, -1, session.step());
  if (progress && session.mfu())
    progress->set_mfu(session.mfu()->flops_per_token(), session.mfu()->peak_flops_per_s());
  auto say = [&](const std::string& line) {
    if (progress) progress->message(line);
  };
  if (session.any_rank(session.stopped_in_setup() || stop_requested())) {
    if (progress) progress->finish();
    if (session.is_root()) std::cerr << "longnet: stopped by signal before the first step; nothing to save\n";
    session.result().stopped_early = true;
    return session.result();
  }
  while (session.step() < tc.steps) {
    const TrainSession::StepStats st = session.train_step();
    const int64_t step = session.step();
    if (progress) progress->update(step, st.loss, st.lr, session.plan().tokens());

    const bool out_of_time = tc.max_minutes > 0 && session.session_seconds() > tc.max_minutes * 60.0;
    const bool stop_after = options.stop_after > 0 && step - session.first_step() >= options.stop_after;
    // Every rank stops at the same step, or the collectives hang.
    const bool stopping = session.any_rank(stop_requested() || out_of_time || stop_after);
    const bool last = step == tc.steps;
    if (tc.eval_every > 0 && (step % tc.eval_every == 0 || last || stopping) && session.has_validation()) {
      const ValidationResult val = session.validate(last);
      say("step " + std::to_string(step) + ": validation loss " + std::to_string(val.loss) + ", perplexity " +
          std::to_string(std::exp(val.loss)) + " (" + std::to_string(val.tokens) + " of " +
          std::to_string(val.split_tokens) + " validation tokens" +
          (session.result().val_whole_split ? ", all" : "") + ")");
    }
    if ((tc.save_every > 0 && step % tc.save_every == 0) || last || stopping) session.save();
    if (stopping) {
      session.result().stopped_early = true;
      say(std::string(out_of_time  ? "train.max_minutes reached"
                      : stop_after ? "--stop-after reached"
                                   : "stopped by signal") +
          "; saved " + session.result().checkpoint + "; run the same command again to resume");
      break;
    }
  }
  if (progress) progress->finish();
  session.finish();
  return session.result();
}

}  // namespace ln
