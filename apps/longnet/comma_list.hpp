#pragma once
// The benches' list flags ("--dtypes fp32,bf16", "--shapes 64x64x64,..."): the non-empty items
// of `text` between separators.
#include <sstream>
#include <string>
#include <vector>

namespace ln::app {

inline std::vector<std::string> split_items(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, sep);)
    if (!part.empty()) parts.push_back(part);
  return parts;
}

}  // namespace ln::app
