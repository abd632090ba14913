#pragma once
// Short human-readable numbers for progress lines and reports (training progress, eval
// progress and its report): shared by lib/train and lib/eval, so they live in core.
#include <string>

namespace ln {

// "950", "12.3k", "123k", "1.23M", "3.14", "0.5": three significant digits with an SI suffix.
std::string format_count(double value);
// "0s", "42s", "4m12s", "1h02m", "2d03h"; "?" for negative or non-finite durations.
std::string format_duration(double seconds);
// "8.0e-04"
std::string format_lr(double lr);

}  // namespace ln
