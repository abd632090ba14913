#include "score/perplexity.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "autograd/var.hpp"
#include "core/error.hpp"
#include "kernels/softmax_xent.hpp"
#include "ops/sequence_parallel_attention.hpp"

namespace ln {

namespace {

// The limit the attention op enforces (ops/attention.cpp): e^x must stay well inside fp32.
constexpr double kMaxXposLog = kXposMaxLogFactor;

// True when windows of length T run split over the sequence group (else whole on every rank).
bool splits(const LanguageModel& model, SequenceExchange* sequence, int64_t T) {
  if (!sequence || sequence->ranks() <= 1) return false;
  try {
    check_sequence_split(model.spec().attention, T, sequence->ranks());
  } catch (const Error&) {
    return false;
  }
  return true;
}

// Runs windows [first, first + count) (all of length T) in one forward and calls
// on_row(window index, row j, loss) for every scored row.
template <typename OnRow>
void score_batch(const LanguageModel& model, const std::vector<int32_t>& tokens,
                 const std::vector<EvalWindow>& windows, size_t first, size_t count, Precision precision,
                 OnRow&& on_row, SequenceExchange* sequence = nullptr) {
  const int64_t B = static_cast<int64_t>(count), T = windows[first].length;
  std::vector<int32_t> ids(static_cast<size_t>(B * T)), targets(static_cast<size_t>(B * T));
  for (int64_t b = 0; b < B; ++b) {
    const EvalWindow& w = windows[first + static_cast<size_t>(b)];
    for (int64_t j = 0; j < T; ++j) {
      ids[static_cast<size_t>(b * T + j)] = tokens[static_cast<size_t>(w.begin + j)];
      // Rows before first_scored were scored by an earlier window: ignore them (-1).
      targets[static_cast<size_t>(b * T + j)] =
          j >= w.first_scored ? tokens[static_cast<size_t>(w.begin + j + 1)] : -1;
    }
  }
  // The head runs in row chunks: no (B*T, V) logits, so one window can be 1M tokens long.
  ForwardOptions fwd;
  fwd.precision = precision;
  std::vector<float> row_loss(static_cast<size_t>(B * T));
  if (splits(model, sequence, T)) {
    // This rank's slice of every window, then everyone's row losses: (P, B, l) -> (B, T).
    const int64_t P = sequence->ranks(), R = sequence->rank(), l = T / P;
    std::vector<int32_t> part_ids(static_cast<size_t>(B * l)), part_targets(static_cast<size_t>(B * l));
    for (int64_t b = 0; b < B; ++b)
      for (int64_t j = 0; j < l; ++j) {
        part_ids[static_cast<size_t>(b * l + j)] = ids[static_cast<size_t>(b * T + R * l + j)];
        part_targets[static_cast<size_t>(b * l + j)] = targets[static_cast<size_t>(b * T + R * l + j)];
      }
    std::vector<float> all(static_cast<size_t>(B * T));
    fwd.sequence = sequence;
    const Tensor mine = model.token_losses(part_ids, part_targets, B, l, fwd);  // (B*l)
    sequence->segment_gather(mine.data(), all.data(), B * l, P, false);
    for (int64_t r = 0; r < P; ++r)
      for (int64_t b = 0; b < B; ++b)
        std::copy_n(all.data() + (r * B + b) * l, l, row_loss.data() + b * T + r * l);
  } else {
    const Tensor losses = model.token_losses(ids, targets, B, T, fwd);
    std::copy_n(losses.data(), B * T, row_loss.data());
  }
  for (int64_t b = 0; b < B; ++b) {
    const EvalWindow& w = windows[first + static_cast<size_t>(b)];
    for (int64_t j = w.first_scored; j < T; ++j)
      on_row(first + static_cast<size_t>(b), j, row_loss[static_cast<size_t>(b * T + j)]);
  }
}

void check_windows(const std::vector<int32_t>& tokens, const std::vector<EvalWindow>& windows, int64_t batch,
                   int64_t vocab) {
  LN_CHECK(batch >= 1, "[eval] batch is ", batch, "; give at least 1 window per forward");
  for (const EvalWindow& w : windows) {
    LN_CHECK(w.begin >= 0 && w.length >= 1 && w.first_scored >= 0 && w.first_scored <= w.length &&
                 w.begin + w.length < static_cast<int64_t>(tokens.size()),
             "[eval] window {begin ", w.begin, ", length ", w.length, "} does not fit a stream of ",
             tokens.size(), " tokens");
  }
  for (int32_t t : tokens) {
    LN_CHECK(t >= 0 && t < vocab, "[eval] token id ", t, " is outside the model's vocabulary of ", vocab,
             "; the text was encoded with another tokenizer");
  }
}

// Windows [i, end) of equal length, at most `batch` of them.
size_t batch_end(const std::vector<EvalWindow>& windows, size_t i, int64_t batch) {
  size_t end = i + 1;
  while (end < windows.size() && static_cast<int64_t>(end - i) < batch &&
         windows[end].length == windows[i].length)
    ++end;
  return end;
}

}  // namespace

StreamResult evaluate_stream(const LanguageModel& model, const std::vector<int32_t>& tokens,
                             const std::vector<EvalWindow>& windows, int64_t batch,
                             const EvalProgressFn& progress, SequenceExchange* sequence, Precision precision,
                             bool keep_token_losses, const std::function<bool()>& stop) {
  check_windows(tokens, windows, batch, model.spec().vocab_size);
  StreamResult result;
  if (keep_token_losses) {
    const size_t predictions = tokens.empty() ? 0 : tokens.size() - 1;
    result.token_loss.assign(predictions, std::nanf(""));
    result.token_position.assign(predictions, 0);
  }
  struct Sums {
    int64_t n = 0;
    double s = 0, s2 = 0;
  };
  for (size_t i = 0; i < windows.size();) {
    const size_t end = batch_end(windows, i, batch);
    // Per window: its total and its per-bucket sums (each window is one cluster of each).
    std::vector<Sums> total(end - i);
    std::vector<std::vector<Sums>> buckets(end - i);
    score_batch(
        model, tokens, windows, i, end - i, precision,
        [&](size_t w, int64_t j, float loss) {
          if (keep_token_losses) {
            const size_t t = static_cast<size_t>(windows[w].begin + j);  // prediction t + 1
            result.token_loss[t] = loss;
            result.token_position[t] = static_cast<int32_t>(j + 1);
          }
          const double l = loss;
          Sums& t = total[w - i];
          t.n += 1, t.s += l, t.s2 += l * l;
          const size_t k = static_cast<size_t>(bucket_of_position(j + 1));
          auto& wb = buckets[w - i];
          if (wb.size() <= k) wb.resize(k + 1);
          wb[k].n += 1, wb[k].s += l, wb[k].s2 += l * l;
        },
        sequence);
    for (size_t w = 0; w < end - i; ++w) {
      result.loss.add_cluster(total[w].n, total[w].s, total[w].s2);
      auto& dst = result.by_position.buckets;
      if (dst.size() < buckets[w].size()) dst.resize(buckets[w].size());
      for (size_t k = 0; k < buckets[w].size(); ++k)
        dst[k].add_cluster(buckets[w][k].n, buckets[w][k].s, buckets[w][k].s2);
      result.input_tokens += windows[i + w].length;
      result.windows += 1;
    }
    if (progress) progress(result.input_tokens, result.loss);
    i = end;
    if (i < windows.size() && stop && stop()) {
      result.stopped = true;
      break;
    }
  }
  return result;
}

std::vector<double> stream_token_losses(const LanguageModel& model, const std::vector<int32_t>& tokens,
                                        const std::vector<EvalWindow>& windows, int64_t batch,
                                        Precision precision) {
  check_windows(tokens, windows, batch, model.spec().vocab_size);
  std::vector<double> losses(tokens.empty() ? 0 : tokens.size() - 1, std::nan(""));
  for (size_t i = 0; i < windows.size();) {
    const size_t end = batch_end(windows, i, batch);
    score_batch(model, tokens, windows, i, end - i, precision, [&](size_t w, int64_t j, float loss) {
      losses[static_cast<size_t>(windows[w].begin + j)] = loss;  // prediction begin + j + 1
    });
    i = end;
  }
  return losses;
}

int64_t max_eval_context(const ModelSpec& spec) {
  auto fits = [&](int64_t n) {
    return xpos_max_log_factor(spec.attention, spec.head_dim(), n) < kMaxXposLog;
  };
  const int64_t huge = int64_t{1} << 40;
  if (fits(huge)) return std::numeric_limits<int64_t>::max();
  int64_t lo = 0, hi = huge;  // fits(lo) (a context of 0 has no span), !fits(hi)
  while (hi - lo > 1) {
    const int64_t mid = lo + (hi - lo) / 2;
    (fits(mid) ? lo : hi) = mid;
  }
  return lo;
}

void check_eval_context(const ModelSpec& spec, int64_t context) {
  LN_CHECK(context >= 1, "[eval] context is ", context, "; give a window of at least 1 token");
  const int64_t limit = max_eval_context(spec);
  LN_CHECK(context <= limit, "[eval] context ", context, " is too long for this model: XPOS decay over a ",
           spec.attention.kind == AttentionKind::dilated ? "segment" : "sequence", " of ", context,
           " positions needs factors beyond fp32 (attention.kind ", to_string(spec.attention.kind),
           ", model.positions xpos, xpos_scale_base ", spec.attention.xpos_scale_base,
           "); use a context <= ", limit);
}

}  // namespace ln
