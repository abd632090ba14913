#include "core/number_format.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>

namespace ln {

std::string format_count(double v) {
  if (!std::isfinite(v)) return std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf");
  static const char* suffixes[] = {"", "k", "M", "G", "T", "P"};
  int i = 0;
  // Move to the next suffix when rounding to 3 digits would print 1000 (999.96 -> "1.00k").
  while (std::abs(v) >= 999.5 && i < 5) v /= 1000, ++i;
  const double a = std::abs(v);
  char buf[32];
  if (i == 0 && a == std::floor(a)) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, a >= 99.95 ? "%.0f%s" : a >= 9.995 ? "%.1f%s" : "%.2f%s", v, suffixes[i]);
  }
  std::string s = buf;
  if (i == 0 && s.find('.') != std::string::npos) {  // plain numbers: trim zeros ("0.50" -> "0.5")
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const int64_t s = static_cast<int64_t>(std::llround(seconds));
  char buf[48];
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(s));
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  } else if (s < 86400) {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(s / 3600),
                  static_cast<long long>(s % 3600 / 60));
  } else {
    std::snprintf(buf, sizeof buf, "%lldd%02lldh", static_cast<long long>(s / 86400),
                  static_cast<long long>(s % 86400 / 3600));
  }
  return buf;
}

std::string format_lr(double lr) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1e", lr);
  return buf;
}

}  // namespace ln
