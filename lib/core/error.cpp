#include "core/error.hpp"

#include <cstring>

namespace ln {

namespace {
// Keep "lib/ops/linear.cpp" rather than a machine-specific absolute path.
const char* short_path(const char* file) {
  for (const char* marker : {"/lib/", "/apps/", "/tests/"}) {
    if (const char* at = std::strstr(file, marker)) return at + 1;
  }
  return file;
}
}  // namespace

Error::Error(const std::string& message, const char* file, int line)
    : std::runtime_error(message + " (at " + short_path(file) + ":" + std::to_string(line) + ")"),
      message_(message) {}

namespace detail {
void throw_error(const std::string& message, const char* file, int line) { throw Error(message, file, line); }
}  // namespace detail

}  // namespace ln
