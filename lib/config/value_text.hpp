#pragma once
// Text <-> value helpers shared by the schema and the loader (internal to lib/config).
// Parsing is strict: the whole text must be the value ("4x" is not 4), numbers must be finite.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/number_format.hpp"

namespace ln {

std::optional<int64_t> parse_int(const std::string& text);
std::optional<double> parse_real(const std::string& text);
std::optional<bool> parse_bool(const std::string& text);  // true/false, yes/no, on/off
bool in_range(const ConfigKey& key, double value);

// format_number (the shortest text that reads back as the same double): core/number_format.hpp.

// Table text.
std::string format_text(int64_t value);
std::string format_text(double value);
std::string format_text(bool value);
std::string format_text(const std::string& value);  // empty shows as ""
std::string format_text(const std::vector<int64_t>& value);
std::string format_text(const std::vector<std::string>& value);

// YAML text; strings are double-quoted (JSON escapes are valid YAML) unless `plain`.
std::string format_yaml(int64_t value, bool plain);
std::string format_yaml(double value, bool plain);
std::string format_yaml(bool value, bool plain);
std::string format_yaml(const std::string& value, bool plain);
std::string format_yaml(const std::vector<int64_t>& value, bool plain);
std::string format_yaml(const std::vector<std::string>& value, bool plain);

// Optimal-string-alignment distance (Levenshtein plus adjacent transpositions).
size_t edit_distance(const std::string& a, const std::string& b);
// The word in `words` nearest to `word`, or "" when nothing is reasonably close.
std::string nearest_word(const std::string& word, const std::vector<std::string>& words);

}  // namespace ln
