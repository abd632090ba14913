// Loading, overriding, validating and printing configs, all driven by config_schema().
#include "config/config.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "config/value_text.hpp"
#include "core/bounded_read.hpp"
#include "core/error.hpp"

namespace ln {

namespace {

constexpr size_t kMaxConfigBytes = size_t(1) << 20;

std::string trim(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  size_t end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

// The documents of a YAML stream, counted up to two with the event parser, and the line where
// the second starts. Not YAML::LoadAll: yaml-cpp 0.7's never returns on some malformed streams
// (a token no node can start with is reported as a null document without being consumed, again
// and again, each a new node in memory: jbeder/yaml-cpp#1319), and a config needs no more than
// "one, or more than one".
class DocumentCounter : public YAML::EventHandler {
 public:
  int documents = 0;
  int second_line = 0;  // 1-based
  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents == 2) second_line = mark.line + 1;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
  }
  void OnMapEnd() override {}
};

DocumentCounter count_documents(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentCounter counter;
  while (counter.documents < 2 && parser.HandleNextDocument(counter)) {
  }
  return counter;
}

// yaml-cpp 0.7 (Debian 12) never returns from LoadAll on some invalid YAML: a ',' outside any [ ]
// or { } that starts a token (",", "- a\n,", "\"x\" ,", "&a ,"; found by fuzz/fuzz_config_yaml.cpp).
// count_documents no longer hangs on them (it reports the token's line), but such a comma is
// never valid in a config and most often a list without brackets, so it is refused here first,
// with that advice: any
// ',' outside brackets, quotes and comments that follows whitespace, the start of a line, a
// closing quote or a closing bracket, or ends an anchor or tag ("&a,"). (A plain value with " ," inside, "a:
// x ,y", is refused too; no config key needs one.) Returns the 1-based line of the first such comma, or 0.
int line_of_stray_comma(const std::string& text) {
  int line = 1, depth = 0;
  char quote = 0;  // the open quote, or 0
  bool comment = false;
  bool property = false;  // inside an anchor, alias or tag (&a, *a, !t): ends at whitespace
  char previous = '\n';   // the last character outside a comment
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') {
      ++line;
      comment = false;
      property = false;
      if (!quote) previous = '\n';
      continue;
    }
    if (comment) continue;
    if (quote) {
      if (quote == '"' && c == '\\') {
        ++i;  // an escaped character
      } else if (c == quote) {
        quote = 0;
      }
      previous = c;
      continue;
    }
    if (c == '#' && (previous == ' ' || previous == '\t' || previous == '\n')) {
      comment = true;
      continue;
    }
    const bool token_start = previous == ' ' || previous == '\t' || previous == '\n';
    if (c == ' ' || c == '\t') property = false;
    if ((c == '&' || c == '*' || c == '!') && token_start) property = true;
    if (c == ',' && depth == 0 && property) return line;
    if (c == '"' || c == '\'') {
      const bool opens = previous == ' ' || previous == '\t' || previous == '\n' || previous == '[' ||
                         previous == '{' || previous == ',' || previous == ':' || previous == '-';
      if (opens) quote = c;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    } else if (c == ',' && depth == 0 &&
               (previous == ' ' || previous == '\t' || previous == '\n' || previous == '"' ||
                previous == '\'' || previous == ']' || previous == '}')) {
      return line;
    }
    previous = c;
  }
  return 0;
}

std::string where(const std::string& source, const YAML::Node& node, const YAML::Node& fallback) {
  YAML::Mark mark = node.Mark();
  if (mark.is_null()) mark = fallback.Mark();
  if (mark.is_null()) return source;
  return source + ":" + std::to_string(mark.line + 1);
}

const char* node_kind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Scalar:
      return "a single value";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    default:
      return "an undefined node";
  }
}

std::string a_type(const ConfigKey& key) {
  std::string name = key.type_name();
  return (name == "integer" ? "an " : "a ") + name;
}

[[noreturn]] void unknown_key(const std::string& name, const std::string& location) {
  std::string near = nearest_config_key(name);
  LN_FAIL("unknown key '", name, "' in ", location, "; did you mean '", near,
          "'? (longnet config --keys lists every key)");
}

// Explicit YAML tags (!!str 64, !!float 64, !custom) would let a value bypass the quoting rule
// below, and a config has no use for them: refuse every tag but the implicit ones ("?" for plain
// nodes, "!" for quoted scalars).
void check_untagged(const YAML::Node& node, const std::string& location, const std::string& name) {
  const std::string& tag = node.Tag();
  LN_CHECK(tag.empty() || tag == "?" || tag == "!", location, ": ", name, " has the YAML tag '", tag,
           "'; configs take no tags: write the plain value (quotes make a string)");
}

// A quoted scalar ("4") is a string: typed keys see it with its quotes so it fails to parse
// and the message shows why, instead of silently reading a string as a number.
std::string scalar_text(const YAML::Node& node, const ConfigKey& key) {
  bool numeric = key.type == KeyType::integer || key.type == KeyType::real || key.type == KeyType::boolean ||
                 key.type == KeyType::integer_list;
  if (numeric && node.Tag() == "!") return "\"" + node.Scalar() + "\"";
  return node.Scalar();
}

void assign_from_yaml(Config& config, const ConfigKey& key, const YAML::Node& value,
                      const std::string& location) {
  check_untagged(value, location, key.name);
  if (value.IsSequence()) {
    for (const auto& item : value) check_untagged(item, location, key.name);
  }
  RawValue raw;
  if (value.IsNull()) {
    raw.is_null = true;
  } else if (value.IsScalar()) {
    raw.scalar = scalar_text(value, key);
  } else if (value.IsSequence()) {
    raw.is_list = true;
    for (const auto& item : value) {
      LN_CHECK(item.IsScalar(), location, ": ", key.name, " must be ", a_type(key),
               ", got a list containing ", node_kind(item));
      raw.items.push_back(scalar_text(item, key));
    }
  } else {
    LN_FAIL(location, ": ", key.name, " must be ", a_type(key), ", got ", node_kind(value),
            " (check the indentation)");
  }
  std::string problem = key.assign(config, raw);
  LN_CHECK(problem.empty(), location, ": ", key.name, " ", problem);
}

}  // namespace

Config parse_config_yaml(const std::string& yaml_text, const std::string& source_name,
                         const std::vector<std::string>& overrides) {
  Config config;
  config.source = source_name;
  YAML::Node root;
  const int comma_line = line_of_stray_comma(yaml_text);
  LN_CHECK(comma_line == 0, source_name, ":", comma_line,
           ": not valid YAML: a ',' outside [ ] or { } "
           "(commas separate list items only inside brackets: segments: [128, 256])");
  try {
    const DocumentCounter documents = count_documents(yaml_text);
    if (documents.documents >= 2) {
      // A real second document starts at its '---'; anything else is the stray token the
      // parser could not start a node with (see DocumentCounter).
      std::istringstream lines(yaml_text);
      std::string line, previous;
      for (int i = 0; i < documents.second_line && std::getline(lines, line); ++i) {
        if (i + 1 < documents.second_line) previous = line;
      }
      const bool marked = line.rfind("---", 0) == 0 || trim(previous) == "...";
      LN_CHECK(!marked, source_name, ":", documents.second_line,
               ": a second YAML document "
               "starts here (after '---'); a config is one document: merge them or remove the '---'");
      LN_FAIL(source_name, ":", documents.second_line, ": not valid YAML: no value can start at '",
              trim(line).substr(0, 24), "' (a comma, bracket or other indicator where a value should be?)");
    }
    root = YAML::Load(yaml_text);  // the one document (or none: a null root)
  } catch (const YAML::Exception& e) {
    LN_FAIL(source_name, ":", e.mark.line + 1, ": not valid YAML: ", e.msg);
  }
  LN_CHECK(root && !root.IsNull(), source_name,
           " is empty; give at least one section (model:, attention:, tokenizer:, data:, train:), "
           "or no --config for the defaults");
  LN_CHECK(root.IsMap(), where(source_name, root, root),
           ": the top level must be a mapping of sections (model:, attention:, ...), got ", node_kind(root));

  check_untagged(root, where(source_name, root, root), "the top level");
  const std::vector<std::string> sections = config_sections();
  std::map<std::string, int> seen;  // name -> line it was first given on
  for (const auto& entry : root) {
    const YAML::Node& key_node = entry.first;
    const YAML::Node& body = entry.second;
    std::string location = where(source_name, key_node, body);
    LN_CHECK(key_node.IsScalar(), location, ": section names must be plain words, got ", node_kind(key_node));
    std::string section = key_node.Scalar();
    if (std::find(sections.begin(), sections.end(), section) == sections.end()) {
      const ConfigKey* dotted = find_config_key(section);
      LN_CHECK(!dotted, location, ": write '", section, "' nested, as '", dotted ? dotted->section() : "",
               ":' then '  ", dotted ? dotted->leaf() : "", ": ...' on the next line");
      unknown_key(section, location);
    }
    int line = key_node.Mark().line + 1;
    auto [first, fresh] = seen.emplace(section, line);
    LN_CHECK(fresh, location, ": section '", section, "' given twice (first on line ", first->second,
             "); merge them");
    check_untagged(key_node, location, section);
    check_untagged(body, location, section);
    if (body.IsNull()) continue;  // `model:` with nothing under it keeps the defaults
    LN_CHECK(body.IsMap(), location, ": section '", section, "' must be a mapping of keys, got ",
             node_kind(body));
    for (const auto& item : body) {
      std::string item_location = where(source_name, item.first, item.second);
      LN_CHECK(item.first.IsScalar(), item_location, ": keys in '", section, "' must be plain words, got ",
               node_kind(item.first));
      std::string name = section + "." + item.first.Scalar();
      check_untagged(item.first, item_location, name);
      const ConfigKey* key = find_config_key(name);
      if (!key) unknown_key(name, item_location);
      auto [prior, is_new] = seen.emplace(name, item.first.Mark().line + 1);
      LN_CHECK(is_new, item_location, ": ", name, " given twice (first on line ", prior->second,
               "); keep one");
      // A missing value has no position of its own: point at its key.
      const YAML::Node& at = item.second.IsNull() ? item.first : item.second;
      const std::string value_location = where(source_name, at, item.first);
      assign_from_yaml(config, *key, item.second, value_location);
      config.origin[name] = value_location;
    }
  }
  for (const auto& assignment : overrides) apply_override(config, assignment);
  validate_config(config);
  return config;
}

Config load_config(const std::string& path, const std::vector<std::string>& overrides) {
  if (path.empty()) {
    Config config;
    for (const auto& assignment : overrides) apply_override(config, assignment);
    validate_config(config);
    return config;
  }
  std::error_code ec;
  LN_CHECK(std::filesystem::exists(path, ec), "config file '", path,
           "' does not exist; see configs/ for examples, or omit --config for the defaults");
  LN_CHECK(!std::filesystem::is_directory(path, ec), "config file '", path,
           "' is a directory; give a .yaml file");
  // Regular files only, and small: a FIFO or /dev/zero given as a config would hang the reader.
  BoundedReadOptions read;
  read.what = "config file";
  read.max_bytes = kMaxConfigBytes;
  read.limit_hint = "a config is a few hundred bytes of YAML; see configs/ for examples";
  return parse_config_yaml(read_bounded(path, read), path, overrides);
}

void apply_override(Config& config, const std::string& assignment) {
  const std::string location = "--set " + assignment;
  size_t eq = assignment.find('=');
  LN_CHECK(eq != std::string::npos, location, ": expected section.key=value, e.g. --set model.layers=6");
  std::string name = trim(assignment.substr(0, eq));
  std::string value = trim(assignment.substr(eq + 1));
  const ConfigKey* key = find_config_key(name);
  if (!key) unknown_key(name, location);

  const bool list = key->type == KeyType::integer_list || key->type == KeyType::text_list;
  if (list && !value.empty() && (value.front() == '[' || value.front() == '"' || value.front() == '\'')) {
    // A YAML flow list or a quoted item, read as in a config file: '["/x", "*.txt"]' is two
    // paths without their quotes, ['a,b'] one item with a comma in it.
    const int comma_line = line_of_stray_comma(value);
    LN_CHECK(comma_line == 0, location, ": not valid YAML: a ',' outside [ ] (e.g. --set '", name,
             "=[a, b]')");
    YAML::Node node;
    try {
      node = YAML::Load(value);
    } catch (const YAML::Exception& e) {
      LN_FAIL(location, ": not valid YAML: ", e.msg,
              " (a list is written [a, b], quoted items as ['*.txt'])");
    }
    assign_from_yaml(config, *key, node, location);
    config.origin[key->name] = location;
    return;
  }
  RawValue raw;
  if (list) {
    // "[1,2,4]", "1,2,4" or "[]".
    raw.is_list = true;
    std::string body = value;
    if (body.size() >= 2 && body.front() == '[' && body.back() == ']') body = body.substr(1, body.size() - 2);
    if (!trim(body).empty()) {
      std::stringstream items(body);
      std::string item;
      while (std::getline(items, item, ',')) raw.items.push_back(trim(item));
      if (body.back() == ',') raw.items.push_back("");
    }
  } else {
    raw.scalar = value;
  }
  std::string problem = key->assign(config, raw);
  LN_CHECK(problem.empty(), location, ": ", key->name, " ", problem);
  config.origin[key->name] = location;
}

std::string config_table(const Config& config) {
  const Config defaults;
  size_t width = 0;
  for (const auto& key : config_schema()) width = std::max(width, key.name.size());
  std::string out = "config: " + config.source + "  (* = not the default)\n";
  for (const auto& key : config_schema()) {
    std::string value = key.format(config);
    std::string fallback = key.format(defaults);
    bool changed = value != fallback;
    out += changed ? "* " : "  ";
    out += key.name + std::string(width - key.name.size() + 2, ' ') + value;
    if (changed) out += "   (default " + fallback + ")";
    out += "\n";
  }
  return out;
}

std::string config_to_yaml(const Config& config) {
  std::string out = "# longnet config, resolved from " + config.source + "\n";
  std::string section;
  for (const auto& key : config_schema()) {
    if (key.section() != section) {
      section = key.section();
      out += section + ":\n";
    }
    out += "  " + key.leaf() + ": " + key.to_yaml(config) + "\n";
  }
  return out;
}

std::string resolved_config_yaml(const Config& config, int64_t vocab_size) {
  Config resolved = config;
  if (vocab_size > 0) resolved.model.vocab_size = vocab_size;
  return config_to_yaml(resolved);
}

std::string config_keys_help() {
  size_t name_w = 3, type_w = 4, default_w = 7, range_w = 5;
  for (const auto& key : config_schema()) {
    name_w = std::max(name_w, key.name.size());
    type_w = std::max(type_w, key.type_name().size());
    default_w = std::max(default_w, key.default_text().size());
    range_w = std::max(range_w, key.range_text().size());
  }
  auto row = [&](const std::string& a, const std::string& b, const std::string& c, const std::string& d,
                 const std::string& e) {
    auto pad = [](const std::string& s, size_t w) { return s + std::string(w - s.size() + 2, ' '); };
    return pad(a, name_w) + pad(b, type_w) + pad(c, default_w) + pad(d, range_w) + e + "\n";
  };
  std::string out = row("key", "type", "default", "range", "meaning");
  for (const auto& key : config_schema()) {
    out += row(key.name, key.type_name(), key.default_text(), key.range_text(), key.help);
  }
  return out;
}

}  // namespace ln
