#pragma once
// One table per enum of user-visible choices, giving name <-> value:
//
//   inline constexpr EnumName<PositionKind> kPositionKindNames[] = {
//       {"xpos", PositionKind::xpos}, {"rope", PositionKind::rope}, {"none", PositionKind::none}};
//
// The table sits next to its enum (kernels/attention_spec.hpp, ops/precision.hpp, ...) and is
// the only list of that enum's names: the config schema takes its choices from it (validation,
// "did you mean", `longnet config --keys`), printing uses enum_name, and parsing uses
// enum_from_name. Order is the order users see (the default first).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ln {

template <class E>
struct EnumName {
  const char* name;
  E value;
};

// The name of `value` ("?" for a value the table lacks, which a complete table never does).
template <class E, size_t N>
constexpr const char* enum_name(const EnumName<E> (&table)[N], E value) {
  for (const auto& entry : table)
    if (entry.value == value) return entry.name;
  return "?";
}

// The value called `text`, or nullopt.
template <class E, size_t N>
constexpr std::optional<E> enum_from_name(const EnumName<E> (&table)[N], std::string_view text) {
  for (const auto& entry : table)
    if (text == entry.name) return entry.value;
  return std::nullopt;
}

// Every name, in table order.
template <class E, size_t N>
std::vector<std::string> enum_names(const EnumName<E> (&table)[N]) {
  std::vector<std::string> out;
  for (const auto& entry : table) out.emplace_back(entry.name);
  return out;
}

// "a, b, c" (for "use one of ..." messages).
template <class E, size_t N>
std::string enum_names_text(const EnumName<E> (&table)[N], const char* separator = ", ") {
  std::string out;
  for (const auto& entry : table) out += (out.empty() ? "" : separator) + std::string(entry.name);
  return out;
}

}  // namespace ln
