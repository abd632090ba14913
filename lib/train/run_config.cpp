#include "train/run_config.hpp"

#include <algorithm>
#include <set>

#include "core/error.hpp"

namespace ln {

namespace {

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

std::string list_changes(const std::vector<ConfigChange>& changes, const std::string& before_name,
                         const std::string& after_name) {
  std::string out;
  for (const auto& c : changes) {
    out += (out.empty() ? "" : ", ") + c.key + " (" + c.before + " " + before_name + ", " + c.after + " " +
           after_name + ")";
  }
  return out;
}

}  // namespace

std::vector<ConfigChange> config_changes(const Config& before, const Config& after) {
  std::vector<ConfigChange> out;
  for (const ConfigKey& key : config_schema()) {
    if (key.name == "train.out_dir" || key.name == "data.cache_dir") continue;
    if (key.name.rfind("parallel.", 0) == 0) continue;  // how the run is launched (any world size resumes)
    if (key.name == "model.vocab_size" && (before.model.vocab_size == 0 || after.model.vocab_size == 0))
      continue;
    std::string a = key.to_yaml(before), b = key.to_yaml(after);
    if (a != b) out.push_back({key.name, a, b});
  }
  return out;
}

bool is_run_identity_key(const std::string& key) {
  const std::string section = key.substr(0, key.find('.'));
  return section != "train" || key == "train.seed";
}

std::vector<ConfigChange> identity_changes(const Config& before, const Config& after) {
  std::vector<ConfigChange> out;
  for (auto& change : config_changes(before, after))
    if (is_run_identity_key(change.key)) out.push_back(std::move(change));
  return out;
}

std::string override_key(const std::string& assignment) {
  return trim(assignment.substr(0, assignment.find('=')));
}

ResumedConfig resolve_resumed_config(const Config& saved, const Config& given,
                                     const std::vector<std::string>& overrides, bool config_given,
                                     const std::string& run) {
  ResumedConfig out;
  if (config_given) {
    out.config = given;
  } else {
    out.config = saved;
    for (const auto& assignment : overrides) apply_override(out.config, assignment);
    out.config.train.out_dir = given.train.out_dir;
    out.config.parallel = given.parallel;  // the launch's (mpirun and --set), not the run's
    out.config.source = run + " (the run's own config)";
    validate_config(out.config);
  }
  std::set<std::string> set_keys;
  for (const auto& assignment : overrides) set_keys.insert(override_key(assignment));

  std::vector<ConfigChange> identity, unasked;
  for (auto& change : config_changes(saved, out.config)) {
    if (is_run_identity_key(change.key)) {
      identity.push_back(change);
    } else if (!set_keys.count(change.key)) {
      unasked.push_back(change);
    } else {
      out.changes.push_back(change);
    }
  }
  LN_CHECK(identity.empty(), "cannot resume ", run,
           " with a different model, data or tokenizer: ", list_changes(identity, "in the run", "now"),
           "; a run folder keeps its config: drop these changes, or start a new run in another train.out_dir "
           "(--init-from ",
           run, " starts one from these weights)");
  if (!unasked.empty()) {
    std::string example = unasked.front().key + "=" + unasked.front().after;
    LN_FAIL(
        "the config differs from the one ", run,
        " was trained with: ", list_changes(unasked, "in the run", "now"),
        "; a run folder keeps its config: run without --config to resume it as it was, or change a training "
        "setting on purpose with --set (e.g. --set ",
        example, ")");
  }
  return out;
}

}  // namespace ln
