#pragma once
// Graceful stop for the training loop on SIGINT (Ctrl-C) and SIGTERM.
//
//   StopSignalScope stop_scope;               // installs the handlers, clears the flag
//   for (...) { train_step(); if (stop_requested()) { save(); break; } }
//                                              // leaving the scope restores the old handlers
//
// First signal: sets the flag the loop polls and prints (to stderr)
//   "longnet: SIGINT received: finishing this step and saving; press Ctrl-C again to abort"
// Second signal (either kind): prints "aborting" and exits at once with status 128 + signal
// (130 for Ctrl-C), without saving: the last checkpoint on disk is intact because checkpoints
// are written to a temporary name and renamed.
// The handler only touches a lock-free atomic and calls write(2)/_exit(2): async-signal-safe.

namespace ln {

class StopSignalScope {
 public:
  // `doing`: what the first signal starts, for its message ("finishing this step and saving" by
  // default; eval and generate stop early and print what they have); `aborting`: what the second
  // one does.
  explicit StopSignalScope(const char* doing = "finishing this step and saving",
                           const char* aborting = "aborting without saving");
  ~StopSignalScope();
  StopSignalScope(const StopSignalScope&) = delete;
  StopSignalScope& operator=(const StopSignalScope&) = delete;

 private:
  struct Saved;
  Saved* saved_;
};

// True once a stop was requested (by a signal or request_stop()).
bool stop_requested();
// The signal that requested the stop (SIGINT / SIGTERM), 0 if none or requested in code.
int stop_signal();
// Requests a stop from code (e.g. non-finite loss handling shares the same exit path).
void request_stop();
// Clears the request (StopSignalScope does this when it installs).
void clear_stop_request();

}  // namespace ln
