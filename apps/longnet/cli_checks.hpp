#pragma once
// CLI11 validators for counts and seeds, run on the text as typed, before CLI11 converts it:
// CLI11's own conversion wraps or saturates out-of-range integers (18446744073709551616 became a
// valid seed, and -n 18446744073709551616 a negative cache size) and takes "1e12" as an integer.
//
//   cmd.add_option("-n,--tokens", n, "...")->check(ln::app::integer_in(0, 1'000'000));
#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdint>
#include <string>

namespace ln::app {

// The whole text must be a decimal integer in [lo, hi].
inline CLI::Validator integer_in(int64_t lo, int64_t hi) {
  const std::string range = "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  return CLI::Validator(
      [lo, hi, range](std::string& text) -> std::string {
        const char* first = text.data();
        const char* last = first + text.size();
        if (first != last && *first == '+') ++first;
        int64_t value = 0;
        auto [end, ec] = std::from_chars(first, last, value);
        if (ec != std::errc() || end != last || first == last || value < lo || value > hi) {
          return "must be an integer in " + range + ", got '" + text + "'";
        }
        return {};
      },
      "INT in " + range);
}

}  // namespace ln::app
