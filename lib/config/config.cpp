// Loading, overriding, validating and printing configs, all driven by config_schema().
#include "config/config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "config/value_text.hpp"
#include "core/error.hpp"

namespace ln {

namespace {

std::string trim(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  size_t end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

std::string where(const std::string& source, const YAML::Node& node, const YAML::Node& fallback) {
  YAML::Mark mark = node.Mark();
  if (mark.is_null()) mark = fallback.Mark();
  if (mark.is_null()) return source;
  return source + ":" + std::to_string(mark.line + 1);
}

const char* node_kind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null: return "nothing";
    case YAML::NodeType::Scalar: return "a single value";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a mapping";
    default: return "an undefined node";
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

// A quoted scalar ("4") is a string: typed keys see it with its quotes so it fails to parse
// and the message shows why, instead of silently reading a string as a number.
std::string scalar_text(const YAML::Node& node, const ConfigKey& key) {
  bool numeric = key.type == KeyType::integer || key.type == KeyType::real ||
                 key.type == KeyType::boolean || key.type == KeyType::integer_list;
  if (numeric && node.Tag() == "!") return "\"" + node.Scalar() + "\"";
  return node.Scalar();
}

void assign_from_yaml(Config& config, const ConfigKey& key, const YAML::Node& value,
                      const std::string& location) {
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
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    LN_FAIL(source_name, ":", e.mark.line + 1, ": not valid YAML: ", e.msg);
  }
  LN_CHECK(root && !root.IsNull(), source_name,
           " is empty; give at least one section (model:, attention:, tokenizer:, data:, train:), "
           "or no --config for the defaults");
  LN_CHECK(root.IsMap(), where(source_name, root, root),
           ": the top level must be a mapping of sections (model:, attention:, ...), got ",
           node_kind(root));

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
    if (body.IsNull()) continue;  // `model:` with nothing under it keeps the defaults
    LN_CHECK(body.IsMap(), location, ": section '", section, "' must be a mapping of keys, got ",
             node_kind(body));
    for (const auto& item : body) {
      std::string item_location = where(source_name, item.first, item.second);
      LN_CHECK(item.first.IsScalar(), item_location, ": keys in '", section,
               "' must be plain words, got ", node_kind(item.first));
      std::string name = section + "." + item.first.Scalar();
      const ConfigKey* key = find_config_key(name);
      if (!key) unknown_key(name, item_location);
      auto [prior, is_new] = seen.emplace(name, item.first.Mark().line + 1);
      LN_CHECK(is_new, item_location, ": ", name, " given twice (first on line ", prior->second,
               "); keep one");
      // A missing value has no position of its own: point at its key.
      const YAML::Node& at = item.second.IsNull() ? item.first : item.second;
      assign_from_yaml(config, *key, item.second, where(source_name, at, item.first));
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
  std::ifstream in(path, std::ios::binary);
  LN_CHECK(in, "cannot read config file '", path, "'; check its permissions");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config_yaml(text.str(), path, overrides);
}

void apply_override(Config& config, const std::string& assignment) {
  const std::string location = "--set " + assignment;
  size_t eq = assignment.find('=');
  LN_CHECK(eq != std::string::npos, location, ": expected section.key=value, e.g. --set model.layers=6");
  std::string name = trim(assignment.substr(0, eq));
  std::string value = trim(assignment.substr(eq + 1));
  const ConfigKey* key = find_config_key(name);
  if (!key) unknown_key(name, location);

  RawValue raw;
  if (key->type == KeyType::integer_list || key->type == KeyType::text_list) {
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
}

void validate_config(const Config& c) {
  const std::string at = "config " + c.source + ": ";
  LN_CHECK(c.model.d_model % c.model.heads == 0, at, "model.d_model (", c.model.d_model,
           ") must be a multiple of model.heads (", c.model.heads, "); change one of them");
  int64_t head_dim = c.model.d_model / c.model.heads;
  LN_CHECK(c.model.positions == "none" || head_dim % 2 == 0, at, "model.positions: ", c.model.positions,
           " rotates pairs of channels, so the head dim d_model/heads (", head_dim,
           ") must be even; change d_model or heads, or use positions: none");
  LN_CHECK(c.attention.segments.size() == c.attention.dilations.size(), at, "attention.segments has ",
           c.attention.segments.size(), " entries but attention.dilations has ",
           c.attention.dilations.size(), "; give one dilation per segment");
  LN_CHECK(c.train.min_lr <= c.train.lr, at, "train.min_lr (", format_number(c.train.min_lr),
           ") must not exceed train.lr (", format_number(c.train.lr), ")");
  LN_CHECK(c.train.warmup_steps <= c.train.steps, at, "train.warmup_steps (", c.train.warmup_steps,
           ") must not exceed train.steps (", c.train.steps, ")");
  LN_CHECK(c.train.batch_tokens == 0 || c.train.batch_tokens % c.data.seq_len == 0, at,
           "train.batch_tokens (", c.train.batch_tokens, ") must be a multiple of data.seq_len (",
           c.data.seq_len, "); e.g. ", std::max<int64_t>(1, c.train.batch_tokens / c.data.seq_len) * c.data.seq_len);
  LN_CHECK(c.model.vocab_size == 0 || !c.tokenizer.model.empty() ||
               c.model.vocab_size >= c.tokenizer.vocab_size,
           at, "model.vocab_size (", c.model.vocab_size, ") is smaller than tokenizer.vocab_size (",
           c.tokenizer.vocab_size, "), so some token ids have no embedding; use model.vocab_size: 0");
  LN_CHECK(c.train.eval_every == 0 || c.data.val_fraction > 0, at,
           "train.eval_every is ", c.train.eval_every,
           " but data.val_fraction is 0, so there is nothing to validate on; set one of them");
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
