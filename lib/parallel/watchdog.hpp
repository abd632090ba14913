#pragma once
// No hangs (DESIGN §4, "Deadlines"): every wait of a distributed run has a deadline,
// parallel.timeout_s. A thread of each rank (the watchdog, started by MpiSession when the world
// has more than one rank and MPI grants MPI_THREAD_MULTIPLE) does three things:
//   - answers the other ranks' pings at once, whatever the main thread is doing, so a rank that
//     does not answer is stopped, hung or cut off, never merely busy;
//   - calls into MPI every millisecond or so while the main thread computes, so that messages
//     and nonblocking collectives posted before the compute progress behind it, and drives the
//     rounds of the exchanges registered with it (mpi_exchange.cpp);
//   - watches the main thread: when it has waited in one place (a WaitScope) longer than the
//     deadline, it pings every rank and ends the whole job (MPI_Abort, exit status 3) with one
//     line naming the rank that went silent, or the rank that computes far longer than the
//     deadline, and the last checkpoint, which is intact (checkpoints are written aside and
//     renamed). Ranks in a declared solo phase (rank 0 training the tokenizer, writing a
//     checkpoint: a SoloPhase) answer "busy", and the others keep waiting for them.
// When two ranks time out together, the lower rank reports and the other stays quiet.
// Without MPI, or with one rank, every type here does nothing.
#include <string>

namespace ln::parallel {

constexpr double kDefaultTimeoutSeconds = 600;

// The deadline of every wait from now on (parallel.timeout_s); > 0.
void set_wait_timeout(double seconds);
double wait_timeout();

// The text the abort line ends with, e.g. "the last checkpoint, runs/x/step-000000200, is
// intact; run the same command again to resume from it" (the trainer keeps it current).
void set_abort_note(const std::string& note);

// The main thread is waiting for the other ranks (what: a static text, e.g. "the gradient
// all-reduce") while this is alive. Scopes nest; the outermost one's clock counts.
class WaitScope {
 public:
  explicit WaitScope(const char* what);
  ~WaitScope();
  WaitScope(const WaitScope&) = delete;
  WaitScope& operator=(const WaitScope&) = delete;

 private:
  bool outer_;
};

// This rank works alone, possibly for long, while the others wait for it (rank 0's set-up
// work, a checkpoint): it answers pings with "busy", and the others wait on.
class SoloPhase {
 public:
  explicit SoloPhase(const char* what);
  ~SoloPhase();
  SoloPhase(const SoloPhase&) = delete;
  SoloPhase& operator=(const SoloPhase&) = delete;

 private:
  bool outer_;
};

// Something the watchdog thread advances between its checks (an exchange in flight); the
// object must stay registered only while alive. advance() must be thread-safe.
class Progressing {
 public:
  virtual ~Progressing() = default;
  virtual void advance() = 0;
};
void register_progress(Progressing* item);
void unregister_progress(Progressing* item);

// Started by MpiSession after MPI_Init_thread (a thread of its own when `threaded`, else the
// checks run inside the main thread's waits only), stopped before MPI_Finalize.
void start_watchdog(bool threaded);
void stop_watchdog();
// The main thread's waits call this while they poll (the unthreaded fallback's checks).
void watchdog_poll();

}  // namespace ln::parallel
