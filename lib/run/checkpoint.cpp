#include "run/checkpoint.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/json.hpp"
#include "core/json_reader.hpp"
#include "data/sha256.hpp"
#include "run/run_folder.hpp"

namespace ln {

namespace fs = std::filesystem;

namespace {

constexpr const char* kManifest = "MANIFEST.json";
constexpr const char* kFormat = "longnet-checkpoint";
const std::vector<std::string> kRequired = {"model.safetensors", "optimizer.safetensors", "state.json"};

// The step of a "step-<digits>" name, or -1.
int64_t step_of(const std::string& name) {
  if (name.size() < 6 || name.rfind("step-", 0) != 0 || name.size() > 5 + 18) return -1;
  int64_t step = 0;
  for (size_t i = 5; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return -1;
    step = step * 10 + (name[i] - '0');
  }
  return step;
}

// A file of the checkpoint that exists but cannot be read is an access problem (permissions, a
// failing disk), not damage: the caller stops with this, and nothing is moved aside.
[[noreturn]] void access_error(const fs::path& path, const std::string& reason) {
  LN_FAIL("[checkpoint] cannot read ", path.string(), ": ", reason,
          "; that is an access problem, not damage, so nothing was moved or changed: fix the permissions "
          "(or the disk) and run again");
}

// Whether `path` is a regular file: false when it is missing or something else; an access
// error when the folder cannot be searched (permission denied).
bool regular_file_present(const fs::path& path) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec == std::errc::permission_denied || ec == std::errc::operation_not_permitted ||
      ec == std::errc::io_error)
    access_error(path, ec.message());
  return fs::is_regular_file(status);
}

// Runs `read` on a file known to exist; any failure to open or read it is an access error.
template <class Read>
auto read_present_file(const fs::path& path, Read read) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) access_error(path, std::strerror(errno));
  ::close(fd);
  try {
    return read(path.string());
  } catch (const Error& e) {
    access_error(path, e.message());
  }
}

struct ManifestFile {
  std::string name;
  uint64_t bytes;
  std::string sha256;
};

std::string manifest_json(int64_t step, const std::vector<ManifestFile>& files) {
  std::string out = "{\n  \"format\": \"" + std::string(kFormat) +
                    "\",\n  \"format_version\": " + std::to_string(kCheckpointFormatVersion) +
                    ",\n  \"step\": " + std::to_string(step) + ",\n  \"files\": {";
  for (size_t i = 0; i < files.size(); ++i) {
    out +=
        (i ? ",\n    " : "\n    ") + json_escape(files[i].name) + ": " +
        JsonObject().add("bytes", static_cast<uint64_t>(files[i].bytes)).add("sha256", files[i].sha256).str();
  }
  return out + "\n  }\n}\n";
}

// Parses and checks the manifest; returns the problem, or fills `step` and `files`.
std::optional<std::string> read_manifest(const fs::path& dir, int64_t& step,
                                         std::vector<ManifestFile>& files) {
  fs::path path = dir / kManifest;
  if (!regular_file_present(path))
    return std::string(kManifest) + " is missing (the checkpoint was never finished)";
  const std::string text = read_present_file(path, [](const std::string& p) { return read_file(p); });
  JsonValue root;
  try {
    root = parse_json(text, kManifest);
  } catch (const Error& e) {
    return e.message();
  }
  if (!root.is_object()) return std::string(kManifest) + " is not a JSON object";
  const JsonValue* format = root.find("format");
  if (!format || !format->is_string() || format->text != kFormat) {
    return std::string(kManifest) + " does not say \"format\": \"" + kFormat + "\"";
  }
  const JsonValue* version = root.find("format_version");
  if (!version || !version->as_uint()) return std::string(kManifest) + " has no format_version";
  if (*version->as_uint() != kCheckpointFormatVersion) {
    return "format_version " + version->text + " is not the version this longnet reads (" +
           std::to_string(kCheckpointFormatVersion) + ")";
  }
  const JsonValue* step_value = root.find("step");
  if (!step_value || !step_value->as_uint()) return std::string(kManifest) + " has no step";
  step = static_cast<int64_t>(*step_value->as_uint());
  const JsonValue* list = root.find("files");
  if (!list || !list->is_object()) return std::string(kManifest) + " has no \"files\" object";
  files.clear();
  for (const auto& [name, entry] : list->members) {
    // Names are plain file names inside the checkpoint, never paths that escape it.
    if (name.empty() || name == kManifest || name.find('/') != std::string::npos || name == "." ||
        name == "..") {
      return std::string(kManifest) + " lists a bad file name '" + name + "'";
    }
    const JsonValue* bytes = entry.find("bytes");
    const JsonValue* sha = entry.find("sha256");
    if (!entry.is_object() || !bytes || !bytes->as_uint() || !sha || !sha->is_string() ||
        sha->text.size() != 64) {
      return std::string(kManifest) + " entry for " + name + " needs bytes and a 64-digit sha256";
    }
    files.push_back({name, *bytes->as_uint(), sha->text});
  }
  for (const auto& required : kRequired) {
    bool listed =
        std::any_of(files.begin(), files.end(), [&](const ManifestFile& f) { return f.name == required; });
    if (!listed) return std::string(kManifest) + " does not list " + required;
  }
  return std::nullopt;
}

// Test hook for the crash campaign (tests/reliability): LONGNET_TEST_SAVE_PAUSE_MS=N sleeps N ms
// between the files of a save, so a SIGKILL lands inside checkpoint writes. Unset: no effect.
void test_pause_between_files() {
  static const long ms = [] {
    const char* text = std::getenv("LONGNET_TEST_SAVE_PAUSE_MS");
    return text ? std::strtol(text, nullptr, 10) : 0L;
  }();
  if (ms > 0) ::usleep(static_cast<useconds_t>(ms) * 1000);
}

void remove_quietly(const fs::path& path) {
  std::error_code ignored;
  fs::remove_all(path, ignored);
}

}  // namespace

std::string checkpoint_dir_name(int64_t step) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "step-%09lld", static_cast<long long>(step));
  return buf;
}

std::string write_checkpoint(const std::string& run_dir, int64_t step, const CheckpointData& data) {
  LN_CHECK(step >= 0, "[checkpoint] step must be >= 0, got ", step);
  parse_json(data.state_json, "[checkpoint] state.json given to write_checkpoint");  // throws if invalid
  std::error_code ec;
  fs::create_directories(run_dir, ec);
  LN_CHECK(!ec, "[checkpoint] cannot create the run directory '", run_dir, "': ", ec.message());
  // The run directory's own entry must be durable too, or a new run's checkpoints can vanish.
  fs::path run_path = fs::absolute(run_dir).lexically_normal();
  if (!run_path.has_filename()) run_path = run_path.parent_path();  // "runs/x/" -> "runs/x"
  fsync_directory(run_path.parent_path().string());
  remove_stale_temporaries(run_dir);

  const std::string name = checkpoint_dir_name(step);
  const fs::path final_dir = fs::path(run_dir) / name;
  const fs::path tmp = fs::path(run_dir) / (".tmp-" + name);
  remove_quietly(tmp);
  fs::create_directory(tmp, ec);
  LN_CHECK(!ec, "[checkpoint] cannot create '", tmp.string(), "': ", ec.message());
  try {
    std::vector<std::string> written;
    save_safetensors((tmp / "model.safetensors").string(), data.model, data.model_metadata);
    test_pause_between_files();
    save_safetensors((tmp / "optimizer.safetensors").string(), data.optimizer);
    test_pause_between_files();
    write_file_synced((tmp / "state.json").string(), data.state_json);
    test_pause_between_files();
    written = kRequired;
    if (!data.tokenizer_bytes.empty()) {
      write_file_synced((tmp / "tokenizer.model").string(), data.tokenizer_bytes);
      written.push_back("tokenizer.model");
    } else if (!data.tokenizer_path.empty()) {
      write_file_synced((tmp / "tokenizer.model").string(), read_file(data.tokenizer_path));
      written.push_back("tokenizer.model");
    }
    std::vector<ManifestFile> files;
    for (const auto& file : written) {
      std::string path = (tmp / file).string();
      files.push_back({file, static_cast<uint64_t>(fs::file_size(path)), sha256_file(path)});
    }
    write_file_synced((tmp / kManifest).string(), manifest_json(step, files));
    fsync_directory(tmp.string());
    test_pause_between_files();

    // Replace an existing checkpoint of this step only now that the new one is complete; its
    // stand-aside name starts with .tmp- so a crash here leaves only a stale temporary.
    const fs::path replaced = fs::path(run_dir) / (".tmp-replaced-" + name);
    bool had_old = fs::exists(final_dir, ec);
    if (had_old) {
      remove_quietly(replaced);
      fs::rename(final_dir, replaced);
    }
    fs::rename(tmp, final_dir);
    fsync_directory(run_dir);
    if (had_old) remove_quietly(replaced);
  } catch (const fs::filesystem_error& e) {
    remove_quietly(tmp);
    LN_FAIL("[checkpoint] cannot write ", final_dir.string(), ": ", e.code().message());
  } catch (...) {
    remove_quietly(tmp);
    throw;
  }
  return final_dir.string();
}

std::optional<std::string> checkpoint_problem(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return "not a directory";
  int64_t step = 0;
  std::vector<ManifestFile> files;
  if (auto problem = read_manifest(dir, step, files)) return problem;
  int64_t named_step = step_of(fs::path(dir).filename().string());
  if (named_step >= 0 && named_step != step) {
    return "the directory name says step " + std::to_string(named_step) + " but " + kManifest +
           " says step " + std::to_string(step);
  }
  for (const auto& file : files) {
    fs::path path = fs::path(dir) / file.name;
    if (!regular_file_present(path)) return file.name + " is missing";
    uint64_t size = fs::file_size(path, ec);
    if (ec) access_error(path, ec.message());
    if (size != file.bytes) {
      return file.name + " is " + std::to_string(size) + " bytes, the manifest says " +
             std::to_string(file.bytes) + (size < file.bytes ? " (truncated)" : "");
    }
    const std::string sha = read_present_file(path, [](const std::string& p) { return sha256_file(p); });
    if (sha != file.sha256) {
      return file.name + " has sha256 " + sha.substr(0, 12) + "..., the manifest says " +
             file.sha256.substr(0, 12) + "... (the file is damaged)";
    }
  }
  // Every file matches its manifest entry; now the state's own step. A state.json claiming
  // another step (edited, with the manifest recomputed) would make a step-4 checkpoint look
  // like a finished run at step 1000.
  const fs::path state_path = fs::path(dir) / "state.json";
  std::optional<uint64_t> state_step;
  const std::string state_text =
      read_present_file(state_path, [](const std::string& p) { return read_file(p); });
  try {
    JsonValue state = parse_json(state_text, "state.json");
    if (const JsonValue* s = state.is_object() ? state.find("step") : nullptr) {
      state_step = s->as_uint();
      if (!state_step) return std::string("state.json has a malformed step");
    }
  } catch (const Error& e) {
    return e.message();
  }
  if (state_step && static_cast<int64_t>(*state_step) != step) {
    return "state.json says step " + std::to_string(*state_step) + " but " + kManifest + " says step " +
           std::to_string(step);
  }
  return std::nullopt;
}

CheckpointData read_checkpoint(const std::string& dir) {
  auto problem = checkpoint_problem(dir);
  LN_CHECK(!problem, "[checkpoint] ", dir, " is damaged: ", *problem,
           "; resume from an earlier checkpoint (--resume auto picks the newest intact one)");
  int64_t step = 0;
  std::vector<ManifestFile> files;
  read_manifest(dir, step, files);
  CheckpointData data;
  data.step = step;
  SafetensorsFile model = load_safetensors((fs::path(dir) / "model.safetensors").string());
  data.model = model.named();
  data.model_metadata = model.metadata;
  data.optimizer = load_safetensors((fs::path(dir) / "optimizer.safetensors").string()).named();
  data.state_json = read_file((fs::path(dir) / "state.json").string());
  bool has_tokenizer = std::any_of(files.begin(), files.end(),
                                   [](const ManifestFile& f) { return f.name == "tokenizer.model"; });
  if (has_tokenizer) data.tokenizer_path = (fs::path(dir) / "tokenizer.model").string();
  return data;
}

std::vector<CheckpointEntry> list_checkpoints(const std::string& run_dir) {
  std::vector<CheckpointEntry> out;
  std::error_code ec;
  if (!fs::is_directory(run_dir, ec)) return out;
  for (const auto& entry : fs::directory_iterator(run_dir, ec)) {
    int64_t step = step_of(entry.path().filename().string());
    if (step >= 0 && entry.is_directory(ec)) out.push_back({step, entry.path().string()});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.step < b.step; });
  return out;
}

std::optional<std::string> latest_intact_checkpoint(const std::string& run_dir,
                                                    std::vector<std::string>* skipped) {
  auto all = list_checkpoints(run_dir);
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    auto problem = checkpoint_problem(it->path);
    if (!problem) return it->path;
    if (skipped) skipped->push_back(fs::path(it->path).filename().string() + ": " + *problem);
  }
  return std::nullopt;
}

void prune_checkpoints(const std::string& run_dir, int64_t keep_last, const std::string& keep,
                       const std::function<bool(const std::string& dir)>& belongs) {
  remove_stale_temporaries(run_dir);
  if (keep_last <= 0) return;
  auto all = list_checkpoints(run_dir);
  if (belongs) std::erase_if(all, [&](const CheckpointEntry& e) { return !belongs(e.path); });
  if (static_cast<int64_t>(all.size()) <= keep_last) return;
  std::error_code ec;
  for (size_t i = 0; i + keep_last < all.size(); ++i) {
    if (!keep.empty() && fs::equivalent(all[i].path, keep, ec)) continue;
    // A reader holds its checkpoint with a shared lock: take it exclusively first, or leave the
    // checkpoint for a later prune. Held exclusively, nobody can start reading it.
    const int fd = ::open(all[i].path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) continue;  // gone already
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
      ::close(fd);
      continue;
    }
    // Rename first, so a crash mid-delete leaves a .tmp- leftover, never a half checkpoint.
    fs::path doomed = fs::path(run_dir) / (".tmp-pruned-" + fs::path(all[i].path).filename().string());
    std::error_code ec;
    fs::rename(all[i].path, doomed, ec);
    remove_quietly(ec ? fs::path(all[i].path) : doomed);
    ::close(fd);
  }
}

std::optional<CheckpointHold> CheckpointHold::take(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    access_error(dir, std::strerror(errno));
  }
  // Busy: pruning holds it and is deleting it. (A file system without flock holds nothing.)
  if (::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
    ::close(fd);
    return std::nullopt;
  }
  // Still under its name? Pruning renames only while it holds the lock, so once this reader's
  // lock is in place a checkpoint that still has its name keeps it.
  struct stat held {};
  struct stat named {};
  if (::fstat(fd, &held) != 0 || ::stat(dir.c_str(), &named) != 0 || held.st_dev != named.st_dev ||
      held.st_ino != named.st_ino) {
    ::close(fd);
    return std::nullopt;
  }
  return CheckpointHold(fd);
}

CheckpointHold& CheckpointHold::operator=(CheckpointHold&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

CheckpointHold::~CheckpointHold() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

std::optional<std::string> non_finite_tensor(const NamedTensors& tensors) {
  for (const auto& [name, tensor] : tensors) {
    for (float v : tensor.to_vector()) {
      if (!std::isfinite(v)) return name;
    }
  }
  return std::nullopt;
}

}  // namespace ln
