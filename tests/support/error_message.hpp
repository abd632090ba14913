#pragma once
// The message of the ln::Error that f() throws, or "" when it throws none: for tests that
// check what a refusal says.
#include <string>
#include <utility>

#include "core/error.hpp"

namespace ln::test {

template <class F>
std::string error_message(F&& f) {
  try {
    std::forward<F>(f)();
  } catch (const Error& e) {
    return e.message();
  }
  return "";
}

}  // namespace ln::test
