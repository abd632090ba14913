#pragma once
// The median of a list of measurements (benchmark repeats): the middle value, or the mean of
// the two middle values for an even count. The benches report it instead of the mean because
// one preempted repeat on a shared machine moves a mean but not a median.
#include <algorithm>
#include <vector>

#include "core/error.hpp"

namespace ln {

inline double median(std::vector<double> v) {
  LN_CHECK(!v.empty(), "[median] no values (internal error: a benchmark measured nothing)");
  const size_t n = v.size();
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n / 2), v.end());
  const double upper = v[n / 2];
  if (n % 2) return upper;
  // The lower middle is the largest of the n/2 values nth_element left in front of it.
  const double lower = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n / 2));
  return 0.5 * (lower + upper);
}

}  // namespace ln
