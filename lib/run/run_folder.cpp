#include "run/run_folder.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "run/checkpoint.hpp"

namespace ln {

namespace fs = std::filesystem;

namespace {

constexpr const char* kLockFile = "train.lock";

// The pid written in the lock file, or "" when it cannot be read.
std::string holder_pid(int fd) {
  char buf[32] = {};
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return "";
  std::string text(buf, static_cast<size_t>(n));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

bool all_digits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

// "<name>.tmp" or "<name>.tmp.<digits>": the digits (maybe empty) in *pid, else false.
bool is_tmp_file_name(const std::string& name, std::string* pid) {
  const size_t at = name.rfind(".tmp");
  if (at == std::string::npos || at == 0) return false;
  const std::string rest = name.substr(at + 4);
  if (rest.empty()) {
    *pid = "";
    return true;
  }
  if (rest[0] != '.' || !all_digits(rest.substr(1))) return false;
  *pid = rest.substr(1);
  return true;
}

bool process_alive(const std::string& pid) {
  if (!all_digits(pid) || pid.size() > 9) return false;
  return ::kill(static_cast<pid_t>(std::stol(pid)), 0) == 0 || errno == EPERM;
}

}  // namespace

RunFolderLock::RunFolderLock(const std::string& run_dir) : run_dir_(run_dir) {
  std::error_code ec;
  created_ = !fs::exists(run_dir, ec);
  fs::create_directories(run_dir, ec);
  LN_CHECK(!ec, "cannot create train.out_dir '", run_dir, "': ", ec.message(),
           "; choose a writable train.out_dir (--set train.out_dir=DIR)");
  const std::string path = (fs::path(run_dir) / kLockFile).string();
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  LN_CHECK(fd_ >= 0, "cannot open the run folder lock '", path, "': ", std::strerror(errno),
           "; check that train.out_dir is writable");
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    const std::string pid = holder_pid(fd_);
    ::close(fd_);
    fd_ = -1;
    LN_CHECK(err != EWOULDBLOCK, "run folder ", run_dir, " in use by pid ", pid.empty() ? "?" : pid,
             " (another longnet train); wait for it to finish, stop it, or use another train.out_dir");
    LN_FAIL("cannot lock the run folder '", path, "': ", std::strerror(err));
  }
  const std::string me = std::to_string(::getpid()) + "\n";
  const bool written =
      ::ftruncate(fd_, 0) == 0 && ::pwrite(fd_, me.data(), me.size(), 0) == static_cast<ssize_t>(me.size());
  (void)written;  // the lock is held either way; a failed write only hides the pid from a second trainer
}

RunFolderLock::~RunFolderLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

void RunFolderLock::release_unused_folder() {
  if (fd_ < 0) return;
  std::error_code ec;
  bool only_lock = created_;
  for (const auto& entry : fs::directory_iterator(run_dir_, ec)) {
    if (entry.path().filename() != kLockFile) only_lock = false;
  }
  if (only_lock && !ec) {
    fs::remove(fs::path(run_dir_) / kLockFile, ec);
    if (!ec) fs::remove(run_dir_, ec);
  }
  ::close(fd_);
  fd_ = -1;
}

namespace {

// Removes the `*.tmp` / `*.tmp.<digits>` files of `dir`; with only_dead_pids, only those whose
// pid suffix names no running process.
int remove_tmp_files(const std::string& dir, bool only_dead_pids) {
  std::error_code ec;
  if (dir.empty() || !fs::is_directory(dir, ec)) return 0;
  std::vector<fs::path> stale;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string pid;
    if (!entry.is_regular_file(ec) || !is_tmp_file_name(entry.path().filename().string(), &pid)) continue;
    if (only_dead_pids && (pid.empty() || process_alive(pid))) continue;
    stale.push_back(entry.path());
  }
  int removed = 0;
  for (const auto& path : stale) removed += fs::remove(path, ec) ? 1 : 0;
  return removed;
}

}  // namespace

int remove_stale_temporaries(const std::string& run_dir) {
  std::error_code ec;
  if (!fs::is_directory(run_dir, ec)) return 0;
  std::vector<fs::path> stale;
  for (const auto& entry : fs::directory_iterator(run_dir, ec)) {
    if (entry.path().filename().string().rfind(".tmp-", 0) == 0) stale.push_back(entry.path());
  }
  for (const auto& path : stale) fs::remove_all(path, ec);
  return static_cast<int>(stale.size());
}

int remove_stale_run_files(const std::string& run_dir) {
  return remove_stale_temporaries(run_dir) + remove_tmp_files(run_dir, false);
}

int remove_dead_writers_files(const std::string& dir) { return remove_tmp_files(dir, true); }

std::string set_aside_damaged_checkpoint(const std::string& dir) {
  const fs::path from(dir);
  const std::string base = "damaged-" + from.filename().string();
  fs::path to = from.parent_path() / base;
  for (int i = 2; fs::exists(to); ++i) to = from.parent_path() / (base + "." + std::to_string(i));
  std::error_code ec;
  fs::rename(from, to, ec);
  LN_CHECK(!ec, "[checkpoint] cannot move the damaged checkpoint ", dir, " aside to ", to.string(), ": ",
           ec.message());
  fsync_directory(from.parent_path().string());
  return to.string();
}

std::string choose_resume_checkpoint(const std::string& run_dir, const std::string& mode) {
  const auto existing = list_checkpoints(run_dir);
  if (mode == "never") {
    LN_CHECK(existing.empty(), "--resume never starts a new run, but ", run_dir, " already holds ",
             existing.size(), " checkpoint(s) (newest ", fs::path(existing.back().path).filename().string(),
             "); choose a new train.out_dir (--set train.out_dir=DIR), or move the old run away yourself");
    return "";
  }
  std::vector<std::pair<std::string, std::string>> damaged;  // path, problem (newest first)
  std::optional<std::string> latest;
  for (auto it = existing.rbegin(); it != existing.rend(); ++it) {
    if (auto problem = checkpoint_problem(it->path)) {
      damaged.emplace_back(it->path, *problem);
    } else if (!latest) {
      latest = it->path;
    }
  }
  std::string dir;
  if (mode == "auto") {
    if (!latest) {
      if (existing.empty()) return "";
      std::string reasons;
      for (const auto& [path, problem] : damaged) {
        reasons += (reasons.empty() ? "" : "; ") + fs::path(path).filename().string() + ": " + problem;
      }
      LN_FAIL(
          "no intact checkpoint in ", run_dir, "; ", damaged.size(), " damaged: ", reasons,
          "; nothing was changed. Use --resume never with a new train.out_dir to start over, or restore a "
          "checkpoint");
    }
    dir = *latest;
  } else {
    dir = mode;
    LN_CHECK(fs::is_directory(dir), "--resume ", dir,
             " is not a checkpoint directory; use auto, never or a step-* dir");
    if (auto problem = checkpoint_problem(dir)) LN_FAIL("cannot resume from ", dir, ": ", *problem);
  }
  for (const auto& [path, problem] : damaged) {
    const std::string aside = set_aside_damaged_checkpoint(path);
    std::cerr << "warning: damaged checkpoint " << fs::path(path).filename().string() << " (" << problem
              << ") moved aside to " << aside << "; resuming from " << dir << "\n";
  }
  return dir;
}

}  // namespace ln
