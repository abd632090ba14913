#pragma once
// Running the longnet binary through the shell, its stdout and stderr captured apart, for the
// tests that check what a user sees (messages, tables, exit codes). support/process.hpp is the
// fork/exec kind, for tests that signal or time the child.
#include <sys/wait.h>

#include <cstdlib>
#include <string>

#include "support/temp_dir.hpp"

namespace ln::test {

struct CommandResult {
  int code = -1;  // exit status; -1 when the shell did not exit normally
  std::string out, err;
};

// s in single quotes, its own single quotes escaped: one shell word whatever it holds.
inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// `longnet args` (args already shell-quoted where needed); `prefix` goes before the command,
// e.g. "LONGNET_DEBUG=1" or "timeout 30".
inline CommandResult run_longnet(const std::string& args, const std::string& prefix = "") {
  static TempDir io;
  static int counter = 0;
  const std::string out = io.file("out" + std::to_string(counter)),
                    err = io.file("err" + std::to_string(counter));
  ++counter;
  const std::string cmd = prefix + (prefix.empty() ? "" : " ") + shell_quote(LONGNET_BINARY) + " " + args +
                          " >" + out + " 2>" + err;
  const int status = std::system(cmd.c_str());
  CommandResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

}  // namespace ln::test
