#include "probe/copy_probe.hpp"

#include <algorithm>
#include <utility>

#include "core/error.hpp"
#include "data/counter_rng.hpp"
#include "data/retrieval_documents.hpp"
#include "probe/ngram_copier.hpp"

namespace ln {

std::vector<int64_t> default_copy_distances(int64_t context, int64_t passage, int64_t alignments) {
  const int64_t longest = context - 1 - 2 * passage - (alignments - 1);
  std::vector<int64_t> out;
  for (int64_t d = 64; d < longest; d *= 2) out.push_back(d);
  if (longest >= 0) out.push_back(longest);
  return out;
}

std::vector<CopyProbeRow> run_copy_probe(ProbeModels& models, const RangeView& text, int32_t eos,
                                         const CopyProbeSettings& settings,
                                         const std::function<void(int64_t, int64_t)>& progress) {
  LN_CHECK(!settings.distances.empty(), "[copy probe] no distances to probe");
  LN_CHECK(settings.passage >= 2, "[copy probe] the passage must hold at least 2 tokens, got ",
           settings.passage);
  LN_CHECK(settings.samples >= 1, "[copy probe] give at least 1 sample per distance, got ", settings.samples);
  LN_CHECK(settings.alignments >= 1, "[copy probe] alignments must be >= 1, got ", settings.alignments);
  LN_CHECK(settings.window == 0 || settings.window > settings.passage, "[copy probe] a window of ",
           settings.window, " tokens cannot hold the passage of ", settings.passage,
           " and the token before it");
  for (int64_t d : settings.distances) {
    LN_CHECK(d >= 0, "[copy probe] a distance must be >= 0 tokens, got ", d);
    const int64_t need = copy_document_min_text(settings.passage, d + settings.alignments - 1);
    LN_CHECK(text.size() >= need, "[copy probe] the text holds ", text.size(), " tokens; distance ", d,
             " with a passage of ", settings.passage, " needs at least ", need,
             " (the passage, the gap and another passage); give more text or smaller distances");
  }
  std::vector<CopyProbeRow> rows;
  const int64_t n = settings.passage;
  for (size_t k = 0; k < settings.distances.size(); ++k) {
    CopyProbeRow row;
    row.distance = settings.distances[k];
    double sum_new = 0, sum_repeat = 0;
    int64_t hits_new = 0, hits_repeat = 0;
    std::array<double, kCopierOrders> copier_hits{};
    for (int64_t s = 0; s < settings.samples; ++s) {
      const int64_t gap = row.distance + s % settings.alignments;
      const CopyDocument doc = make_copy_document(
          text, n, gap, eos,
          counter_hash(settings.seed, static_cast<uint64_t>(row.distance), static_cast<uint64_t>(s)));
      const int64_t length = static_cast<int64_t>(doc.repeat.size());
      const int64_t cut = settings.window > 0 ? std::max<int64_t>(0, length - settings.window) : 0;
      std::vector<int32_t> repeat(doc.repeat.begin() + cut, doc.repeat.end());
      // The scored tokens: the second copy's 2nd .. n-th (window positions from .. to-1).
      const int64_t from = doc.second - cut + 1, to = doc.second - cut + n;
      for (int order = 1; order <= kCopierOrders; ++order)
        if (to > order)
          copier_hits[order - 1] += ngram_copier_hits(repeat, order, std::max<int64_t>(from, order), to);
      const WindowScores scores = score_windows(
          models, {std::move(repeat), std::vector<int32_t>(doc.control.begin() + cut, doc.control.end())});
      // Token second + i (i >= 1) is prediction second + i - 1 (of the window, shifted by the cut).
      for (int64_t i = 1; i < n; ++i) {
        const int64_t j = doc.second - cut + i - 1;
        sum_repeat += scores.loss_at(0, j);
        sum_new += scores.loss_at(1, j);
        hits_repeat += scores.greedy_at(0, j);
        hits_new += scores.greedy_at(1, j);
      }
      row.predictions += n - 1;
      row.longest = std::max<int64_t>(row.longest, length - cut);
    }
    row.samples = settings.samples;
    const double p = static_cast<double>(row.predictions);
    row.loss_new = sum_new / p;
    row.loss_repeat = sum_repeat / p;
    row.ratio = row.loss_new > 0 ? row.loss_repeat / row.loss_new : 0;
    row.greedy_new = static_cast<double>(hits_new) / p;
    row.greedy_repeat = static_cast<double>(hits_repeat) / p;
    for (int k = 0; k < kCopierOrders; ++k) row.copier_repeat[k] = copier_hits[k] / p;
    rows.push_back(row);
    if (progress) progress(static_cast<int64_t>(k + 1), static_cast<int64_t>(settings.distances.size()));
  }
  return rows;
}

}  // namespace ln
