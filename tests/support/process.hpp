#pragma once
// Running the longnet binary from tests: spawn it with extra environment variables and its
// output in a file, wait for it, kill it. POSIX only (fork/exec), like the rest of longnet.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

namespace ln::test {

// Starts LONGNET_BINARY with `args`; stdout and stderr go to `output_path`.
inline pid_t spawn_longnet(const std::vector<std::string>& args, const std::string& output_path,
                           const std::vector<std::pair<std::string, std::string>>& env = {}) {
  std::vector<std::string> all = {LONGNET_BINARY};
  all.insert(all.end(), args.begin(), args.end());
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
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

// Runs to completion.
inline ExitStatus run_longnet(const std::vector<std::string>& args, const std::string& output_path,
                              const std::vector<std::pair<std::string, std::string>>& env = {}) {
  return wait_for(spawn_longnet(args, output_path, env));
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
