#pragma once
// Seconds on the monotonic clock, for measuring intervals (timeouts, exposed communication
// time); never for wall-clock dates.
#include <chrono>

namespace ln {

inline double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace ln
