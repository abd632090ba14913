#pragma once
// Errors: one exception type that carries a complete, one-line, actionable message.
//
//   LN_CHECK(w % r == 0, "[dilated_attention] segment ", w, " is not a multiple of dilation ", r,
//            " (attention.segments[", i, "]); use a multiple of ", r);
//
// The message says what is wrong, where, and what to do; the throw site's file:line is
// appended so a bug report points at the code. The CLI prints it as one line and exits 2.
#include <sstream>
#include <stdexcept>
#include <string>

namespace ln {

class Error : public std::runtime_error {
 public:
  Error(const std::string& message, const char* file, int line);
  // The message without the source location, for users.
  const std::string& message() const { return message_; }

 private:
  std::string message_;
};

namespace detail {
template <typename... Args>
std::string concat(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}
[[noreturn]] void throw_error(const std::string& message, const char* file, int line);
}  // namespace detail

}  // namespace ln

#define LN_CHECK(cond, ...)                                                             \
  do {                                                                                  \
    if (!(cond)) [[unlikely]]                                                           \
      ::ln::detail::throw_error(::ln::detail::concat(__VA_ARGS__), __FILE__, __LINE__); \
  } while (0)

#define LN_FAIL(...) ::ln::detail::throw_error(::ln::detail::concat(__VA_ARGS__), __FILE__, __LINE__)
