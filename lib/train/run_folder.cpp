#include "train/run_folder.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>

#include "core/error.hpp"
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

RunFolderLock::RunFolderLock(const std::string& run_dir) {
  std::error_code ec;
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

int remove_stale_run_files(const std::string& run_dir) {
  return remove_stale_temporaries(run_dir) + remove_tmp_files(run_dir, false);
}

int remove_dead_writers_files(const std::string& dir) { return remove_tmp_files(dir, true); }

}  // namespace ln
