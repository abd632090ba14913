#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <string>

#include "train/stop_signal.hpp"

using namespace ln;

namespace {

volatile std::sig_atomic_t g_previous_handler_calls = 0;
extern "C" void previous_handler(int) { g_previous_handler_calls = g_previous_handler_calls + 1; }

void (*current_handler(int sig))(int) {
  struct sigaction sa;
  sigaction(sig, nullptr, &sa);
  return sa.sa_handler;
}

// raise() with stderr sent to /dev/null, so the handler's message does not clutter test output.
void raise_muted(int sig) {
  const int saved = dup(STDERR_FILENO);
  const int null_fd = open("/dev/null", O_WRONLY);
  dup2(null_fd, STDERR_FILENO);
  raise(sig);
  dup2(saved, STDERR_FILENO);
  close(saved);
  close(null_fd);
}

// Runs `body` in a forked child with stderr captured; returns (exit status or -signal, stderr).
template <typename Body>
std::pair<int, std::string> in_child(Body body) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    dup2(fds[1], STDERR_FILENO);
    body();
    _exit(0);
  }
  close(fds[1]);
  std::string err;
  char buf[256];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) err.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status), err};
}

}  // namespace

TEST_CASE("one SIGINT sets the flag and the scope restores the previous handlers") {
  std::signal(SIGINT, previous_handler);
  std::signal(SIGTERM, previous_handler);
  {
    StopSignalScope scope;
    CHECK_FALSE(stop_requested());
    CHECK((current_handler(SIGINT) != previous_handler));
    // The handler's message goes to stderr: mute it here (the child test below checks it).
    raise_muted(SIGINT);
    CHECK(stop_requested());
    CHECK(stop_signal() == SIGINT);
    CHECK(g_previous_handler_calls == 0);
  }
  CHECK((current_handler(SIGINT) == previous_handler));
  CHECK((current_handler(SIGTERM) == previous_handler));
  raise(SIGINT);  // now the previous handler runs again
  CHECK(g_previous_handler_calls == 1);
  {
    StopSignalScope scope;  // a new scope starts with a cleared request
    CHECK_FALSE(stop_requested());
    raise_muted(SIGTERM);
    CHECK(stop_requested());
    CHECK(stop_signal() == SIGTERM);
  }
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  clear_stop_request();
  request_stop();
  CHECK(stop_requested());
  CHECK(stop_signal() == 0);
  clear_stop_request();
}

TEST_CASE("the first signal prints the message; a second one exits with 128 + signal") {
  auto [status, err] = in_child([] {
    StopSignalScope scope;
    raise(SIGINT);
    if (!stop_requested()) _exit(3);
    raise(SIGINT);
    _exit(4);  // not reached
  });
  CHECK(status == 130);
  CHECK(err.find("finishing this step and saving; press Ctrl-C again to abort") != std::string::npos);
  CHECK(err.find("aborting") != std::string::npos);

  auto [status2, err2] = in_child([] {
    StopSignalScope scope;
    raise(SIGTERM);
    _exit(stop_requested() && stop_signal() == SIGTERM ? 0 : 5);
  });
  CHECK(status2 == 0);  // one SIGTERM does not kill: the loop saves and exits normally
  CHECK(err2.find("SIGTERM received") != std::string::npos);
}
