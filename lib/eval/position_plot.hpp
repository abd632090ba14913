#pragma once
// Loss by position inside the window (the paper's Fig. 7b, "does the model use the context it
// is given?"): a JSON table of the log-spaced position buckets and a self-contained SVG plot
// of mean loss against position (log2 x axis, ± 1 standard error bars, the training length
// marked), one bold curve for all files together and a thin one per file (up to 8 files),
// with the legend in a column right of the plot (the SVG is wider than `width` by it).
#include <cstdint>
#include <string>
#include <vector>

#include "score/loss_stats.hpp"

namespace ln {

struct PositionSeries {
  std::string label;  // "all files", or a file name
  PositionBuckets buckets;
};

struct PositionPlotData {
  std::string title = "loss by position in the window";
  std::string subtitle;                // e.g. "step 300 · non-overlapping windows of 2048 tokens"
  int64_t context = 0;                 // the last bucket ends here
  int64_t train_seq_len = 0;           // marked with a dashed line when inside the range; 0: none
  std::vector<PositionSeries> series;  // series[0] is drawn bold (all files)
};

// [{"from":1,"to":1,"tokens":..,"mean_loss":..,"loss_se":..,"perplexity":..}, ...]: the
// buckets that hold tokens, `to` clipped at `context`.
std::string position_buckets_json(const PositionBuckets& buckets, int64_t context);

std::string render_position_svg(const PositionPlotData& data, int width = 800, int height = 480);

// Writes PREFIX.json (one JSON object: context, train_seq_len, method fields given in
// `header_json_fields` (already-formatted "key":value pairs, may be empty), and one bucket
// table per series) and PREFIX.svg, each atomically. Returns the two paths.
std::vector<std::string> write_position_outputs(const std::string& prefix, const PositionPlotData& data,
                                                const std::string& header_json_fields);

}  // namespace ln
