#include "train/train_step.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <unordered_set>

#include "core/error.hpp"
#include "data/token_buffer.hpp"
#include "parallel/gradient_sum.hpp"
#include "train/grad_clip.hpp"
#include "train/sharded_loss.hpp"

namespace ln {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string fallback_text(const std::string& last_checkpoint) {
  return last_checkpoint.empty() ? std::string("(none yet)") : last_checkpoint;
}

// The forward of micro-batch m: the loss to backpropagate and its value, the mean over the whole
// micro-batch (the same on every rank). Distributed: this rank's rows and token slice, its loss
// scaled so that the world's sum is that mean.
std::pair<Var, double> micro_batch_loss(const StepParts& p, const TokenBuffer& inputs,
                                        const TokenBuffer& targets, int64_t step, int64_t m) {
  const BatchGeometry& g = p.geometry;
  ForwardOptions fwd;
  fwd.train = true;
  fwd.recompute = p.tc.recompute;
  fwd.precision = p.tc.precision;
  fwd.dropout_seed = static_cast<uint64_t>(p.tc.seed) * 0x9e3779b97f4a7c15ull +
                     static_cast<uint64_t>(step * g.plan.accum_steps + m);
  if (p.grid.world_size() == 1) {
    Var loss = p.model.loss(inputs.tokens(), targets.tokens(), g.micro, g.T, fwd);
    const double value = loss.value().item();
    return {loss, value};
  }
  ShardedLoss part = sharded_loss(p.model, inputs.tokens(), targets.tokens(), g.rows, g.l, fwd, p.grid);
  return {part.loss, part.value};
}

// The backward of the step's last micro-batch in a distributed run: each parameter's world sum
// starts as soon as its gradient is final, overlapping the rest of the backward, so every rank
// ends with identical gradients.
void backward_with_gradient_sum(const StepParts& p, Var& loss, const Tensor& seed) {
  parallel::GradientSum sum(p.grid, p.geometry.bucket_floats);
  std::unordered_set<const VarImpl*> pending;
  for (const Var& param : p.params) pending.insert(param.impl().get());
  loss.backward(seed, [&](VarImpl& leaf) {
    if (pending.erase(&leaf)) sum.ready(leaf.grad);
  });
  for (Var param : p.params) {  // parameters this pass never reached, in parameter order
    if (!pending.count(param.impl().get())) continue;
    if (!param.grad().defined()) param.grad() = Tensor::zeros(param.shape());
    sum.ready(param.grad());
  }
  sum.finish();
}

}  // namespace

BatchGeometry plan_geometry(const Config& config, parallel::ProcessGrid& grid) {
  const TrainConfig& tc = config.train;
  BatchGeometry g;
  // Sequences per optimizer step, split into grad_accum micro-batches.
  g.T = config.data.seq_len;
  const int64_t sequences = tc.batch_tokens > 0 ? tc.batch_tokens / g.T : tc.batch_size;
  {
    parallel::SymmetricErrorScope symmetric;  // the same checks fail the same way on every rank
    LN_CHECK(sequences % tc.grad_accum == 0, "train.grad_accum (", tc.grad_accum, ") must divide the ",
             sequences, " sequences of a step (train.batch_size or batch_tokens / seq_len)");
    g.plan =
        plan_batch(g.T, tc.batch_tokens > 0 ? 0 : tc.batch_size, tc.batch_tokens, sequences / tc.grad_accum);
    g.micro = g.plan.micro_batch;
    LN_CHECK(g.micro % grid.data_size() == 0, "the micro-batch of ", g.micro,
             " sequences does not split over ", grid.data_size(),
             " data-parallel replicas (MPI ranks / parallel.sequence); use a batch that is a "
             "multiple of ",
             grid.data_size() * tc.grad_accum, " sequences");
    g.rows = g.micro / grid.data_size();
    g.l = g.T / grid.sequence_size();
  }
  g.first_row = grid.data_rank() * g.rows;
  g.first_token = grid.sequence_rank() * g.l;
  return g;
}

int64_t layer_bucket_floats(const std::vector<Var>& params, const std::vector<std::string>& names) {
  // The parameters of layers.0 (every layer has the same): one all-reduce per layer, started
  // while the backward goes on through the layers below it.
  int64_t layer = 0;
  for (size_t i = 0; i < params.size(); ++i)
    if (names[i].rfind("layers.0.", 0) == 0) layer += params[i].value().numel();
  return std::clamp<int64_t>(layer, 1024, int64_t{1} << 22);
}

TrainStepStats run_train_step(const StepParts& p, int64_t step, double lr,
                              const std::string& last_checkpoint) {
  const BatchGeometry& g = p.geometry;
  const int64_t accum = g.plan.accum_steps;
  TrainStepStats st;
  st.lr = lr;
  p.optimizer.zero_grad();
  const parallel::CommStats sequence0 = p.grid.sequence_stats(), gradients0 = p.grid.gradient_stats();
  // This rank's part of each micro-batch only: (rows, l), l = T / P (DESIGN §4).
  TokenBuffer inputs(g.rows * g.l), targets(g.rows * g.l);
  for (int64_t m = 0; m < accum; ++m) {
    p.batches.fill(step, m, accum, g.first_row, g.rows, g.first_token, g.l, inputs.data(), targets.data());
    const auto forward_start = Clock::now();
    auto [loss, value] = micro_batch_loss(p, inputs, targets, step, m);
    const auto backward_start = Clock::now();
    st.forward_s += std::chrono::duration<double>(backward_start - forward_start).count();
    LN_CHECK(std::isfinite(value), "non-finite loss (", value, ") at step ", step,
             "; stopping. The last good checkpoint is ", fallback_text(last_checkpoint),
             "; try a lower train.lr or a higher train.warmup_steps");
    st.loss += value / accum;
    // Mean over micro-batches: scale each micro-batch's gradient by 1/accum.
    const Tensor seed = Tensor::full({}, 1.0f / static_cast<float>(accum));
    if (p.grid.world_size() > 1 && m == accum - 1) {
      backward_with_gradient_sum(p, loss, seed);
    } else {
      loss.backward(seed);
    }
    st.backward_s += seconds_since(backward_start);
  }
  // HOOK: the gradients of the whole step are complete here, before clipping and the
  // optimizer; in a distributed run they are already summed over the world (above, overlapped
  // with the last micro-batch's backward), so every rank clips and steps identically.
  st.grad_norm = clip_grad_norm(p.params, p.tc.grad_clip);
  LN_CHECK(std::isfinite(st.grad_norm), "non-finite gradient norm at step ", step,
           "; stopping. The last good checkpoint is ", fallback_text(last_checkpoint),
           "; try a lower train.lr or train.grad_clip");
  p.optimizer.step(lr);
  st.sequence = p.grid.sequence_stats() - sequence0;
  st.gradients = p.grid.gradient_stats() - gradients0;
  return st;
}

}  // namespace ln
