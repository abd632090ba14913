#pragma once
// The run folder (train.out_dir) as a whole: who holds it, what a crash left in it, and which
// of its checkpoints a new session starts from (one checkpoint's own files: run/checkpoint.hpp).
//
// It belongs to one trainer at a time.
// RunFolderLock takes an advisory flock(2) on <run_dir>/train.lock for the life of the object
// and writes its pid into that file. A second trainer on the same folder is refused at once:
//   "run folder runs/x in use by pid 4242 (another longnet train); wait for it or stop it"
// The kernel drops the lock when the holder dies (even by SIGKILL), so a crash never leaves the
// folder locked; the file itself stays (deleting it would race with a new holder). Readers
// (eval, generate) never take this lock: checkpoints are renamed into place whole, and a reader
// holds the one checkpoint it loads against pruning (CheckpointHold, run/checkpoint.hpp).
//
// remove_stale_run_files deletes what a killed trainer leaves behind. Only the lock holder may
// call it on the run folder: every temporary there is then a leftover.
#include <string>

namespace ln {

class RunFolderLock {
 public:
  // Creates run_dir (ln::Error naming it when it cannot be created) and locks it.
  explicit RunFolderLock(const std::string& run_dir);
  ~RunFolderLock();
  RunFolderLock(const RunFolderLock&) = delete;
  RunFolderLock& operator=(const RunFolderLock&) = delete;

  // For a start that was refused: when this lock created the folder and it still holds nothing
  // but train.lock, removes both (while still holding the lock), so a refused start leaves no
  // folder behind. Otherwise does nothing. Then releases the lock.
  void release_unused_folder();

 private:
  std::string run_dir_;
  bool created_ = false;  // the folder did not exist before this lock
  int fd_ = -1;
};

// In run_dir (locked by the caller): `.tmp-*` entries (half-written checkpoints) and files
// named `<name>.tmp` or `<name>.tmp.<digits>` (write_file_atomic and tokenizer temporaries).
// Returns how many entries were removed.
int remove_stale_run_files(const std::string& run_dir);

// Deletes the `.tmp-*` directories of run_dir (half-written, replaced or pruned checkpoints a
// crash left). Every checkpoint write and prune calls it too. Returns how many were removed.
int remove_stale_temporaries(const std::string& run_dir);

// In a directory shared by runs (data.cache_dir, not locked): only `<name>.tmp.<pid>` files
// whose process is gone. Returns how many were removed.
int remove_dead_writers_files(const std::string& dir);

// Renames a damaged checkpoint `step-N` to `damaged-step-N` (or `damaged-step-N.2`, ...) in
// its run directory, so neither a new save of step N nor pruning touches its bytes. Returns
// the new path.
std::string set_aside_damaged_checkpoint(const std::string& dir);

// The checkpoint a session resumes, or "" for a new run; `mode` is --resume: "auto" (the
// newest intact checkpoint), "never" (refused when the folder holds checkpoints) or a step-N
// directory. Every checkpoint is verified first. When none verifies (auto), nothing is touched
// and ln::Error says why. Otherwise the damaged ones are moved aside (a later save of their step
// would overwrite them and pruning would delete them; their bytes, often intact weights, are
// the user's), each with a warning on stderr. Only the lock holder calls it.
std::string choose_resume_checkpoint(const std::string& run_dir, const std::string& mode);

}  // namespace ln
