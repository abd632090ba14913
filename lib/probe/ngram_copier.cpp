#include "probe/ngram_copier.hpp"

#include <string>
#include <unordered_map>

#include "core/error.hpp"

namespace ln {

namespace {

// The n tokens before position i as a byte string: a hashable key for any n and vocabulary.
std::string context_key(const std::vector<int32_t>& tokens, int64_t n, int64_t i) {
  return std::string(reinterpret_cast<const char*>(tokens.data() + (i - n)),
                     static_cast<size_t>(n) * sizeof(int32_t));
}

}  // namespace

double ngram_copier_hits(const std::vector<int32_t>& tokens, int64_t n, int64_t from, int64_t to) {
  const int64_t size = static_cast<int64_t>(tokens.size());
  LN_CHECK(n >= 1 && n <= from && from <= to && to <= size, "[ngram copier] positions [", from, ", ", to,
           ") of ", size, " tokens cannot be predicted from the ", n, " before each");
  // context -> (successor -> times seen), filled in position order so that a lookup at i sees
  // only the positions before it.
  std::unordered_map<std::string, std::unordered_map<int32_t, int64_t>> followers;
  double hits = 0;
  for (int64_t i = n; i < to; ++i) {
    auto& seen = followers[context_key(tokens, n, i)];
    if (i >= from && !seen.empty()) {
      int64_t best = 0, tied = 0;
      for (const auto& [token, count] : seen) {
        if (count > best) {
          best = count;
          tied = 1;
        } else if (count == best) {
          ++tied;
        }
      }
      const auto it = seen.find(tokens[static_cast<size_t>(i)]);
      if (it != seen.end() && it->second == best) hits += 1.0 / static_cast<double>(tied);
    }
    ++seen[tokens[static_cast<size_t>(i)]];
  }
  return hits;
}

}  // namespace ln
