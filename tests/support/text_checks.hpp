#pragma once
// Checking text in tests: ln::Error messages, substrings, occurrences.
//   CHECK(contains(error_of([&] { load_config(path, {}); }), "is a directory"));
#include <doctest/doctest.h>

#include <string>

#include "core/error.hpp"

namespace ln::test {

// The user-facing message (without the source location) of the ln::Error that f throws.
// Fails the test case when f throws nothing: every caller expects an error.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.message();
  }
  FAIL("expected an ln::Error");
  return {};
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// How many times `part` occurs in `text` (overlapping occurrences counted).
inline int count(const std::string& text, const std::string& part) {
  int n = 0;
  for (size_t p = text.find(part); p != std::string::npos; p = text.find(part, p + 1)) ++n;
  return n;
}

}  // namespace ln::test
