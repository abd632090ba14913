#pragma once
// Scoring a token stream with a language model over planned windows (score/windows.hpp):
// every scored prediction's loss −log p(token | history) in nats, accumulated per window
// (the standard error's clusters, score/loss_stats.hpp) and per position bucket.
//
// Every window is an independent sequence starting at position 0 (ForwardOptions
// position_offset 0), exactly like a training window: the model never sees a window as the
// continuation of an earlier one, and its positions (rotations, segment boundaries) are the
// ones it was trained with — up to the context, which may exceed the training length.
#include <cstdint>
#include <functional>
#include <vector>

#include "kernels/sequence_exchange.hpp"
#include "nn/language_model.hpp"
#include "ops/precision.hpp"
#include "score/loss_stats.hpp"
#include "score/windows.hpp"

namespace ln {

struct StreamResult {
  LossStats loss;  // clusters = windows
  PositionBuckets by_position;
  int64_t windows = 0;
  int64_t input_tokens = 0;  // tokens run through the model (>= scored, for sliding windows)
  // With keep_token_losses: every prediction's loss in stream order (index t - 1 holds
  // prediction t) and its position in the window that scored it (tokens of history).
  std::vector<float> token_loss;
  std::vector<int32_t> token_position;
  bool stopped = false;  // `stop` ended the scoring early: the windows above are the ones scored
};

// Called after every forward with the input tokens processed so far in this call and the
// running loss.
using EvalProgressFn = std::function<void(int64_t input_tokens_done, const LossStats& so_far)>;

// tokens: the stream (N); windows from plan_windows over N tokens. `batch` windows of equal
// length go through one forward ((batch, T) ids -> per-token losses); the head runs in row
// chunks, so memory is the activations of batch * T tokens, never (batch*T, V) logits.
//
// sequence (under mpirun, DESIGN §4): every rank of the group calls this with the same
// arguments; each window whose length splits over the group (check_sequence_split) is run as
// P slices, one per rank, and the per-token losses are gathered, so every rank returns the same
// result. Windows that do not split run whole on every rank.
//
// precision: of the model's products (eval --precision); by default the caller's thread's
// (ops/precision.hpp). stop (one process only: ranks would disagree): asked after every
// forward; true ends the scoring there, with result.stopped set (eval's Ctrl-C).
StreamResult evaluate_stream(const LanguageModel& model, const std::vector<int32_t>& tokens,
                             const std::vector<EvalWindow>& windows, int64_t batch,
                             const EvalProgressFn& progress = {}, SequenceExchange* sequence = nullptr,
                             Precision precision = matmul_precision(), bool keep_token_losses = false,
                             const std::function<bool()>& stop = {});

// Per-prediction losses in stream order (index t-1 holds prediction t), each scored by the
// window that scores it; for tests and tools that want the raw numbers.
std::vector<double> stream_token_losses(const LanguageModel& model, const std::vector<int32_t>& tokens,
                                        const std::vector<EvalWindow>& windows, int64_t batch,
                                        Precision precision = matmul_precision());

// Refuses (ln::Error naming --context) a context the model's attention cannot run: XPOS's decay
// factors must stay inside fp32 over a whole segment (dilated) or sequence (dense, sparse).
void check_eval_context(const ModelSpec& spec, int64_t context);
// The largest context check_eval_context accepts (INT64_MAX when unbounded).
int64_t max_eval_context(const ModelSpec& spec);

}  // namespace ln
