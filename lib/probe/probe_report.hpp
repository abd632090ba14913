#pragma once
// What the probes print and write: a table for the terminal, one JSON object for tools, and
// for the passkey probe the heatmap users know from needle-in-a-haystack tests (context
// length across, needle depth down, each cell coloured by the share of keys found).
#include <string>
#include <vector>

#include "probe/copy_probe.hpp"
#include "probe/passkey_probe.hpp"

namespace ln {

// Where the numbers came from, printed above the tables and kept in the JSON.
struct ProbeHeader {
  std::string checkpoint;
  int64_t step = 0;
  int64_t train_seq_len = 0;
  std::string attention;  // e.g. "dilated segments [2048, 4096, 8192] dilations [1, 2, 4]"
  bool extend_patterns = false;
  std::string precision;          // fp32 | bf16
  std::vector<std::string> text;  // the files the probes drew from
  int64_t text_tokens = 0;
  uint64_t seed = 1;
  double seconds = 0;
};

std::string copy_probe_table(const ProbeHeader& header, const CopyProbeSettings& settings,
                             const std::vector<CopyProbeRow>& rows);
std::string copy_probe_json(const ProbeHeader& header, const CopyProbeSettings& settings,
                            const std::vector<CopyProbeRow>& rows);

std::string passkey_probe_table(const ProbeHeader& header, const PasskeyProbeSettings& settings,
                                const std::vector<PasskeyCell>& cells);
std::string passkey_probe_json(const ProbeHeader& header, const PasskeyProbeSettings& settings,
                               const std::vector<PasskeyCell>& cells);
// A self-contained SVG: one column per length, one row per depth, cells coloured from red (no
// key found) through yellow to green (every key found), each labelled with its accuracy.
std::string passkey_heatmap_svg(const ProbeHeader& header, const PasskeyProbeSettings& settings,
                                const std::vector<PasskeyCell>& cells);

}  // namespace ln
