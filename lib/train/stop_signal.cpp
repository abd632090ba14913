#include "train/stop_signal.hpp"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>

#include "core/error.hpp"
#include "parallel/mpi_session.hpp"

namespace ln {

namespace {

std::atomic<int> g_signals{0};  // how many stop signals arrived
std::atomic<int> g_signal{0};   // the first one
std::atomic<bool> g_requested{false};
std::atomic<bool> g_quiet{false};        // under mpirun, ranks other than 0 (mpirun signals them all)
std::atomic<bool> g_distributed{false};  // more than one rank: a save needs every rank
static_assert(std::atomic<int>::is_always_lock_free && std::atomic<bool>::is_always_lock_free,
              "signal handlers need lock-free atomics");

// The first signal's messages, composed when a scope is installed (a handler may not format).
char g_int_text[256], g_term_text[256], g_abort_text[128];

void say(const char* text) {
  if (g_quiet.load()) return;
  // write(2) is async-signal-safe; a short write to a terminal is not worth a retry loop here.
  ssize_t ignored = ::write(STDERR_FILENO, text, std::strlen(text));
  (void)ignored;
}

extern "C" void on_stop_signal(int sig) {
  const int before = g_signals.fetch_add(1);
  if (before == 0) {
    g_signal.store(sig);
    g_requested.store(true);
    say(sig == SIGINT ? g_int_text : g_term_text);
    return;
  }
  say(g_abort_text);
  ::_exit(128 + sig);
}

}  // namespace

struct StopSignalScope::Saved {
  struct sigaction old_int, old_term;
};

StopSignalScope::StopSignalScope(const char* doing, const char* aborting) : saved_(new Saved) {
  clear_stop_request();
  // Distributed, mpirun also sends SIGTERM when another rank died: then no step finishes and
  // nothing is saved, so training promises no save; the trainer says "saved ..." once it has.
  if (parallel::world_size() > 1 && std::strcmp(doing, "finishing this step and saving") == 0)
    doing = "stopping after this step; the checkpoint is saved only if every rank gets there";
  std::snprintf(g_int_text, sizeof g_int_text,
                "\nlongnet: SIGINT received: %s; press Ctrl-C again to abort\n", doing);
  std::snprintf(g_term_text, sizeof g_term_text, "\nlongnet: SIGTERM received: %s; send it again to abort\n",
                doing);
  std::snprintf(g_abort_text, sizeof g_abort_text, "\nlongnet: second signal received: %s\n", aborting);
  g_quiet.store(parallel::world_rank() != 0);
  g_distributed.store(parallel::world_size() > 1);
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;  // blocking reads/writes in the loop continue; the flag is polled
  const bool ok =
      ::sigaction(SIGINT, &sa, &saved_->old_int) == 0 && ::sigaction(SIGTERM, &sa, &saved_->old_term) == 0;
  if (!ok) {
    const int err = errno;
    delete saved_;
    LN_FAIL("[stop_signal] cannot install SIGINT/SIGTERM handlers: ", std::strerror(err));
  }
}

StopSignalScope::~StopSignalScope() {
  ::sigaction(SIGINT, &saved_->old_int, nullptr);
  ::sigaction(SIGTERM, &saved_->old_term, nullptr);
  delete saved_;
}

bool stop_requested() { return g_requested.load(); }
int stop_signal() { return g_signal.load(); }
void request_stop() { g_requested.store(true); }
void clear_stop_request() {
  g_requested.store(false);
  g_signal.store(0);
  g_signals.store(0);
}

}  // namespace ln
