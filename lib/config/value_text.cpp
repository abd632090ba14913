#include "config/value_text.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include "core/json.hpp"

namespace ln {

std::optional<int64_t> parse_int(const std::string& text) {
  const char* first = text.data();
  const char* last = first + text.size();
  if (first != last && *first == '+') ++first;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(first, last, value);
  if (ec != std::errc() || end != last || first == last) return std::nullopt;
  return value;
}

std::optional<double> parse_real(const std::string& text) {
  const char* first = text.data();
  const char* last = first + text.size();
  if (first != last && *first == '+') ++first;
  double value = 0;
  auto [end, ec] = std::from_chars(first, last, value);
  if (ec != std::errc() || end != last || first == last || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<bool> parse_bool(const std::string& text) {
  std::string lower = text;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "true" || lower == "yes" || lower == "on") return true;
  if (lower == "false" || lower == "no" || lower == "off") return false;
  return std::nullopt;
}

bool in_range(const ConfigKey& key, double value) {
  if (key.lo_open ? !(value > key.lo) : !(value >= key.lo)) return false;
  if (key.hi_open ? !(value < key.hi) : !(value <= key.hi)) return false;
  return true;
}

std::string format_text(int64_t value) { return std::to_string(value); }
std::string format_text(double value) { return format_number(value); }
std::string format_text(bool value) { return value ? "true" : "false"; }
std::string format_text(const std::string& value) { return value.empty() ? "\"\"" : value; }

std::string format_text(const std::vector<int64_t>& value) { return format_int_list(value); }

std::string format_text(const std::vector<std::string>& value) {
  std::string out = "[";
  for (size_t i = 0; i < value.size(); ++i) out += (i ? ", " : "") + value[i];
  return out + "]";
}

std::string format_yaml(int64_t value, bool) { return std::to_string(value); }
// YAML 1.1 (PyYAML, yaml-cpp) reads a float only with a '.' and, in an exponent, a sign:
// "1e-5" and "10000" would come back as a string and an integer. So "1.0e-05"-style text:
// the shortest round-trip digits, a '.' in the mantissa, a signed two-digit exponent.
std::string format_yaml(double value, bool) {
  if (!std::isfinite(value)) return std::isnan(value) ? ".nan" : (value > 0 ? ".inf" : "-.inf");
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  std::string text(buf, end);
  const size_t e = text.find('e');
  std::string mantissa = text.substr(0, e);
  if (mantissa.find('.') == std::string::npos) mantissa += ".0";
  if (e == std::string::npos) return mantissa;
  std::string exponent = text.substr(e + 1);  // to_chars writes "e-05" / "e+12"
  if (exponent[0] != '-' && exponent[0] != '+') exponent = "+" + exponent;
  return mantissa + "e" + exponent;
}
std::string format_yaml(bool value, bool) { return value ? "true" : "false"; }
std::string format_yaml(const std::string& value, bool plain) { return plain ? value : json_escape(value); }
std::string format_yaml(const std::vector<int64_t>& value, bool) { return format_text(value); }

std::string format_yaml(const std::vector<std::string>& value, bool) {
  std::string out = "[";
  for (size_t i = 0; i < value.size(); ++i) out += (i ? ", " : "") + json_escape(value[i]);
  return out + "]";
}

size_t edit_distance(const std::string& a, const std::string& b) {
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<size_t>> d(n + 1, std::vector<size_t>(m + 1));
  for (size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

std::string nearest_word(const std::string& word, const std::vector<std::string>& words) {
  std::string best;
  size_t best_cost = word.size() / 3 + 1;  // this far or farther is not a typo
  for (const auto& w : words) {
    size_t cost = edit_distance(word, w);
    if (cost < best_cost) best_cost = cost, best = w;
  }
  return best;
}

}  // namespace ln
