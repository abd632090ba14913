#pragma once
// Running the longnet binary from tests: spawn it with extra environment variables and its
// output in a file, wait for it, kill it. POSIX only (fork/exec), like the rest of longnet.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

namespace ln::test {

// How the child runs. honour_file_modes: file permissions bind it even when the tests run as root
// (CI does): its capability bounding set loses CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH, so a
// file of mode 000 cannot be read. (A no-op for an ordinary user, whom the modes bind anyway.)
struct SpawnOptions {
  bool honour_file_modes = false;
};

// Starts LONGNET_BINARY with `args`; stdout and stderr go to `output_path`.
inline pid_t spawn_longnet(const std::vector<std::string>& args, const std::string& output_path,
                           const std::vector<std::pair<std::string, std::string>>& env = {},
                           SpawnOptions options = {}) {
  std::vector<std::string> all = {LONGNET_BINARY};
  all.insert(all.end(), args.begin(), args.end());
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    if (options.honour_file_modes && ::geteuid() == 0) {
      if (::prctl(PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, 0, 0, 0) != 0 ||
          ::prctl(PR_CAPBSET_DROP, CAP_DAC_READ_SEARCH, 0, 0, 0) != 0)
        ::_exit(126);
    }
    for (const auto& [key, value] : env) ::setenv(key.c_str(), value.c_str(), 1);
    const int fd = ::open(output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

struct ExitStatus {
  bool exited = false;  // normal exit (else killed by `signal`)
  int code = -1;
  int signal = 0;
};

inline ExitStatus wait_for(pid_t pid) {
  int raw = 0;
  while (::waitpid(pid, &raw, 0) < 0) {
  }
  ExitStatus s;
  s.exited = WIFEXITED(raw);
  s.code = s.exited ? WEXITSTATUS(raw) : -1;
  s.signal = WIFSIGNALED(raw) ? WTERMSIG(raw) : 0;
  return s;
}

// True (and the status filled) once the child has ended; false while it runs.
inline bool poll_exit(pid_t pid, ExitStatus& status) {
  int raw = 0;
  const pid_t r = ::waitpid(pid, &raw, WNOHANG);
  if (r != pid) return false;
  status.exited = WIFEXITED(raw);
  status.code = status.exited ? WEXITSTATUS(raw) : -1;
  status.signal = WIFSIGNALED(raw) ? WTERMSIG(raw) : 0;
  return true;
}

// True once `pid` catches `sig` (its handler is installed: /proc/PID/status SigCgt), false when
// it has not after `timeout_ms` or has ended. Tests send a signal only once it is handled. Only
// the longnet binary counts: between fork and exec the child is a copy of the test process, whose
// doctest handlers catch SIGINT too (exec resets them).
inline bool wait_for_handler(pid_t pid, int sig, int timeout_ms) {
  char binary[PATH_MAX];
  REQUIRE(::realpath(LONGNET_BINARY, binary) != nullptr);
  const std::string proc = "/proc/" + std::to_string(pid);
  for (int waited = 0; waited < timeout_ms; waited += 10) {
    char exe[PATH_MAX];
    const ssize_t n = ::readlink((proc + "/exe").c_str(), exe, sizeof exe - 1);
    const bool execd = n > 0 && std::string(exe, static_cast<size_t>(n)) == binary;
    if (FILE* f = execd ? std::fopen((proc + "/status").c_str(), "r") : nullptr) {
      char line[256];
      unsigned long long mask = 0;
      while (std::fgets(line, sizeof line, f)) {
        if (std::sscanf(line, "SigCgt: %llx", &mask) == 1) break;
      }
      std::fclose(f);
      if (mask & (1ull << (sig - 1))) return true;
    }
    ::usleep(10000);
  }
  return false;
}

// Runs to completion.
inline ExitStatus run_longnet(const std::vector<std::string>& args, const std::string& output_path,
                              const std::vector<std::pair<std::string, std::string>>& env = {},
                              SpawnOptions options = {}) {
  return wait_for(spawn_longnet(args, output_path, env, options));
}

// Runs `LONGNET_BINARY args` through the shell and keeps its combined stdout and stderr, line
// by line (for tests that read a command's JSON lines or its one-line error).
struct CapturedRun {
  int status = -1;  // exit status, -1 if it did not exit normally
  std::vector<std::string> lines;
};
inline CapturedRun run_longnet_captured(const std::string& args) {
  const std::string cmd = std::string(LONGNET_BINARY) + " " + args + " 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  CapturedRun r;
  std::string line;
  for (int ch; (ch = std::fgetc(pipe)) != EOF;) {
    if (ch == '\n') {
      r.lines.push_back(line);
      line.clear();
    } else {
      line += static_cast<char>(ch);
    }
  }
  if (!line.empty()) r.lines.push_back(line);
  const int raw = ::pclose(pipe);
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return r;
}

}  // namespace ln::test
