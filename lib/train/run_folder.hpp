#pragma once
// The run folder (train.out_dir) belongs to one trainer at a time.
//
// RunFolderLock takes an advisory flock(2) on <run_dir>/train.lock for the life of the object
// and writes its pid into that file. A second trainer on the same folder is refused at once:
//   "run folder runs/x in use by pid 4242 (another longnet train); wait for it or stop it"
// The kernel drops the lock when the holder dies (even by SIGKILL), so a crash never leaves the
// folder locked; the file itself stays (deleting it would race with a new holder). Readers
// (eval, generate) never take the lock: checkpoints are renamed into place whole.
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

 private:
  int fd_ = -1;
};

// In run_dir (locked by the caller): `.tmp-*` entries (half-written checkpoints) and files
// named `<name>.tmp` or `<name>.tmp.<digits>` (write_file_atomic and tokenizer temporaries).
// Returns how many entries were removed.
int remove_stale_run_files(const std::string& run_dir);

// In a directory shared by runs (data.cache_dir, not locked): only `<name>.tmp.<pid>` files
// whose process is gone. Returns how many were removed.
int remove_dead_writers_files(const std::string& dir);

}  // namespace ln
