#pragma once
// Markdown tables of probe results read back from their JSON (`longnet probe ... --json`), one
// column per probe file: the retrieval report (`longnet report retrieval`) and the paper report
// put them side by side to compare models. A probe file that is missing or holds another probe
// is a column saying so, never a number.
#include <string>
#include <vector>

namespace ln {

struct ProbeColumn {
  std::string label;  // e.g. "longnet-8k, extended"
  std::string path;   // the probe's JSON file
};

// The loss ratio per distance: rows are the distances of every column (ascending), a cell the
// column's ratio there, or "–" when the column did not probe that distance.
std::string copy_ratio_table(const std::vector<ProbeColumn>& columns);

// The share of keys found per window length (all depths together), and below it the worst
// depth's share, so a model that finds keys only near the end shows.
std::string passkey_accuracy_table(const std::vector<ProbeColumn>& columns);

// Every probe JSON of `kind` ("copy", "passkey") in the folder `probes` (its files named
// MODEL.KIND[TAG].json), sorted by name, labelled by probe_label; none when the folder is absent.
std::vector<ProbeColumn> probe_columns(const std::string& probes, const std::string& kind);

// The Markdown of a report's probe sections (the retrieval and the paper report): the copy
// ratios and passkey accuracies of every probe in the folder `probes`, with the passkey heatmaps
// (*.svg) linked as `link_prefix` + file name; a sentence saying so for a probe never run.
std::string probe_sections(const std::string& probes, const std::string& link_prefix);

// The column's label from its probe JSON: the run folder's name (the checkpoint's parent),
// ", extended" with --extend-patterns, ", W-token window" with --window.
std::string probe_label(const std::string& path);

}  // namespace ln
