// The choice keys (lib/config/schema.cpp) and their enums' name tables (core/enum_names.hpp):
// each table is the one list of its names, every name parses back to itself through the
// config (YAML and --set) and prints as itself, and an unknown name is refused with the
// nearest valid one suggested.
#include <doctest/doctest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/enum_names.hpp"
#include "support/text_checks.hpp"

using namespace ln;
using test::contains;
using test::error_of;

namespace {

// name -> value -> name through one table; every value of the enum listed once.
template <class E, size_t N>
void check_table(const EnumName<E> (&table)[N], size_t enum_size) {
  std::set<std::string> names;
  std::set<E> values;
  for (const auto& entry : table) {
    CAPTURE(entry.name);
    CHECK(names.insert(entry.name).second);
    CHECK(values.insert(entry.value).second);
    REQUIRE(enum_from_name(table, entry.name));
    CHECK(*enum_from_name(table, entry.name) == entry.value);
    CHECK(std::string(enum_name(table, entry.value)) == entry.name);
  }
  CHECK(values.size() == enum_size);
  CHECK_FALSE(enum_from_name(table, "no-such-name"));
  CHECK_FALSE(enum_from_name(table, ""));
}

}  // namespace

TEST_CASE("every enum table maps each name to one value and back, and lists every value") {
  check_table(kAttentionKindNames, 3);
  check_table(kHeadOffsetNames, 2);
  check_table(kPositionKindNames, 3);
  check_table(kDocumentSeparatorNames, 2);
  check_table(kLrScheduleKindNames, 4);
  check_table(kRecomputeNames, 3);
  check_table(kPrecisionNames, 2);
}

TEST_CASE("each choice key offers exactly its table's names, and each name round-trips through the config") {
  // The user-facing lists, written out by hand (the order users see, the default first).
  const std::map<std::string, std::vector<std::string>> expected = {
      {"model.positions", {"xpos", "rope", "none"}},
      {"attention.kind", {"dilated", "dense", "sparse"}},
      {"attention.head_offset", {"mod", "block"}},
      {"data.document_separator", {"file", "blank_line"}},
      {"train.schedule", {"cosine", "linear", "polynomial", "constant"}},
      {"train.recompute", {"none", "attention", "blocks"}},
      {"train.precision", {"fp32", "bf16"}},
  };
  for (const auto& [name, names] : expected) {
    CAPTURE(name);
    const ConfigKey* key = find_config_key(name);
    REQUIRE(key);
    CHECK(key->type == KeyType::choice);
    CHECK(key->choices == names);
    CHECK(key->default_text() == names.front());  // the default comes first
    for (const std::string& choice : names) {
      CAPTURE(choice);
      Config c;
      apply_override(c, name + "=" + choice);
      CHECK(key->to_yaml(c) == choice);
      CHECK(key->format(c) == choice);
      // And through YAML text, as a config file or state.json gives it.
      const Config back =
          parse_config_yaml(key->section() + ":\n  " + key->leaf() + ": " + choice + "\n", "c.yaml");
      CHECK(key->to_yaml(back) == choice);
    }
  }
  // Parsed once into the typed field.
  Config c;
  apply_override(c, "train.schedule=polynomial");
  CHECK(c.train.schedule == LrScheduleKind::polynomial);
  apply_override(c, "data.document_separator=blank_line");
  CHECK(c.data.document_separator == DocumentSeparator::blank_line);
  apply_override(c, "train.precision=bf16");
  CHECK(c.train.precision == Precision::bf16);
}

TEST_CASE("an unknown choice is refused with the valid names and the nearest one") {
  Config c;
  const std::string e = error_of([&] { apply_override(c, "train.schedule=cosin"); });
  CHECK(contains(e, "train.schedule must be one of cosine|linear|polynomial|constant, got 'cosin'"));
  CHECK(contains(e, "did you mean 'cosine'?"));
  CHECK(c.train.schedule == LrScheduleKind::cosine);  // unchanged
  CHECK(contains(error_of([&] { apply_override(c, "train.recompute=block"); }), "did you mean 'blocks'?"));
  CHECK(contains(
      error_of([&] { parse_config_yaml("data:\n  document_separator: blank_lines\n", "c.yaml"); }),
      "c.yaml:2: data.document_separator must be one of file|blank_line, got 'blank_lines'; did you mean "
      "'blank_line'?"));
}
