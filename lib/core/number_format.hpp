#pragma once
// Human-readable numbers, the one home of every formatter the layers share: progress lines,
// reports, config values and messages (lib/config, lib/train, lib/eval, lib/report).
#include <cstdint>
#include <string>
#include <vector>

namespace ln {

// "950", "12.3k", "123k", "1.23M", "3.14", "0.5": three significant digits with an SI suffix.
std::string format_count(double value);
// "0s", "42s", "4m12s", "1h02m", "2d03h"; "?" for negative or non-finite durations.
std::string format_duration(double seconds);
// "8.0e-04"
std::string format_lr(double lr);
// The shortest text that reads back as `value` ("0.1", "3e-4", "1e12"; C++ to_chars with the
// exponent's sign and leading zeros dropped): config values and their ranges.
std::string format_number(double value);
// "3.14" with `digits` decimals; "-" for NaN or an infinity.
std::string format_fixed(double value, int digits);
// "1,234,567" (also for negative values).
std::string format_thousands(int64_t value);
// "1.23 GiB"
std::string format_gib(uint64_t bytes);
// "[1, 2, 4]"
std::string format_int_list(const std::vector<int64_t>& values);

}  // namespace ln
