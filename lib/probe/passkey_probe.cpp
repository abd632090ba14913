#include "probe/passkey_probe.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "data/counter_rng.hpp"

namespace ln {

std::vector<int64_t> default_passkey_lengths(int64_t longest) {
  std::vector<int64_t> out;
  for (int64_t l = 1024; l <= longest; l *= 2) out.push_back(l);
  if (out.empty() || out.back() != longest) out.push_back(longest);
  return out;
}

std::vector<double> default_passkey_depths() { return {0.0, 0.25, 0.5, 0.75, 1.0}; }

std::vector<PasskeyCell> run_passkey_probe(ProbeModels& models, const RangeView& text,
                                           const PasskeyTemplate& pieces,
                                           const PasskeyProbeSettings& settings,
                                           const std::function<void(int64_t, int64_t)>& progress) {
  LN_CHECK(!settings.lengths.empty() && !settings.depths.empty(),
           "[passkey probe] no lengths or depths to probe");
  LN_CHECK(settings.samples >= 1, "[passkey probe] give at least 1 sample per cell, got ", settings.samples);
  for (double p : settings.depths)
    LN_CHECK(p >= 0 && p <= 1, "[passkey probe] a depth must be in [0, 1], got ", p);
  // Every document is built before any scoring, so a length the text or template cannot fill
  // fails now rather than after an hour of work.
  struct Planned {
    size_t cell;
    PasskeyDocument doc;
  };
  std::vector<PasskeyCell> cells;
  std::vector<std::vector<Planned>> by_length(settings.lengths.size());
  for (size_t li = 0; li < settings.lengths.size(); ++li) {
    const int64_t length = settings.lengths[li];
    for (size_t di = 0; di < settings.depths.size(); ++di) {
      PasskeyCell cell;
      cell.length = length;
      cell.depth = settings.depths[di];
      cell.samples = settings.samples;
      for (int64_t s = 0; s < settings.samples; ++s) {
        const uint64_t seed = counter_hash(settings.seed, static_cast<uint64_t>(length),
                                           static_cast<uint64_t>(di * 1000003 + static_cast<size_t>(s)));
        by_length[li].push_back(
            {cells.size(), make_passkey_document(text, pieces, length, cell.depth, settings.digits, seed)});
        const PasskeyDocument& doc = by_length[li].back().doc;
        LN_CHECK(settings.window == 0 || settings.window >= length - doc.answer + 1 +
                                                                static_cast<int64_t>(pieces.question.size()),
                 "[passkey probe] a window of ", settings.window,
                 " tokens cannot hold the question and the key (",
                 length - doc.answer + static_cast<int64_t>(pieces.question.size()), " tokens)");
      }
      cells.push_back(cell);
    }
  }
  for (size_t li = 0; li < by_length.size(); ++li) {
    const std::vector<Planned>& planned = by_length[li];
    const int64_t length = settings.lengths[li];
    const int64_t cut = settings.window > 0 ? std::max<int64_t>(0, length - settings.window) : 0;
    const size_t per_batch =
        static_cast<size_t>(std::max<int64_t>(1, settings.batch_tokens / (length - cut)));
    for (size_t i = 0; i < planned.size(); i += per_batch) {
      const size_t end = std::min(planned.size(), i + per_batch);
      std::vector<std::vector<int32_t>> windows;
      for (size_t k = i; k < end; ++k)
        windows.emplace_back(planned[k].doc.tokens.begin() + cut, planned[k].doc.tokens.end());
      const WindowScores scores = score_windows(models, windows);
      for (size_t k = i; k < end; ++k) {
        const PasskeyDocument& doc = planned[k].doc;
        const int64_t b = static_cast<int64_t>(k - i);
        bool all = true;
        double logprob = 0;
        for (int64_t t = doc.answer; t < length; ++t) {  // token t is prediction t - 1 (t - 1 - cut here)
          logprob -= scores.loss_at(b, t - 1 - cut);
          all = all && scores.greedy_at(b, t - 1 - cut);
        }
        PasskeyCell& cell = cells[planned[k].cell];
        cell.found += all ? 1 : 0;
        cell.logprob += logprob / static_cast<double>(cell.samples);
      }
    }
    if (progress) progress(static_cast<int64_t>(li + 1), static_cast<int64_t>(by_length.size()));
  }
  for (PasskeyCell& cell : cells)
    cell.accuracy = static_cast<double>(cell.found) / static_cast<double>(cell.samples);
  return cells;
}

}  // namespace ln
