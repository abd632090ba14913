#pragma once
// Checkpoints (DESIGN §5): a directory `step-000001200/` inside the run directory holding
//   model.safetensors      weights (documented names, row-major, [out, in] like PyTorch Linear)
//   optimizer.safetensors  optimizer state
//   state.json             step, RNG streams, data cursor, resolved config, ... (the caller's JSON)
//   tokenizer.model        a copy of the tokenizer (when one is given)
//   MANIFEST.json          format version, step, and size + sha256 of every other file
//
// Writing is crash-safe: everything goes into `.tmp-step-000001200/`, each file is fsynced,
// MANIFEST.json is written last, the directory is renamed into place and the run directory
// fsynced. Reading verifies the manifest first; a damaged checkpoint is refused with its path
// and the reason, and `latest_intact_checkpoint` falls back to the newest one that verifies.
// One writer per run directory (rank 0): stale `.tmp-*` directories are taken as crash
// leftovers, ignored by every reader and deleted by the next write or prune
// (remove_stale_temporaries, run/run_folder.hpp: the run folder's housekeeping).
//
// Readers (eval, generate, --init-from) run while a trainer saves and prunes. A reader holds
// the checkpoint it loads (CheckpointHold: a shared flock(2) on the step-N directory, taken
// while it still has its name); pruning takes each doomed checkpoint's lock exclusively before
// it renames it out of the step-* namespace and deletes it, and leaves a held one for a later
// prune. So a reader always loads a complete checkpoint: the one it holds, or, when pruning
// took it first, the next newest (load_trained_model lists again).
//
// Only content damage makes a checkpoint damaged. An I/O error while verifying it (permission
// denied, EIO) is an ln::Error of its own ("cannot read ...: Permission denied"), never a
// damage reason: resume must not move a readable-later checkpoint aside.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "run/safetensors.hpp"

namespace ln {

constexpr int kCheckpointFormatVersion = 1;

struct CheckpointData {
  NamedTensors model, optimizer;
  std::map<std::string, std::string> model_metadata;  // __metadata__ of model.safetensors
  std::string state_json;                             // must be valid JSON
  // Writing: the tokenizer file to copy in ("" = none). Reading: the checkpoint's own copy,
  // or "" when it has none.
  std::string tokenizer_path;
  // Writing: the tokenizer's bytes, used instead of tokenizer_path when not empty. A trainer
  // reads them once at start, so a save never depends on a file rotation may have deleted.
  std::string tokenizer_bytes;
  int64_t step = -1;  // reading: the step recorded in the manifest
};

struct CheckpointEntry {
  int64_t step;
  std::string path;
};

// "step-000001200".
std::string checkpoint_dir_name(int64_t step);

// Writes the checkpoint for `step` into `run_dir` (created if needed) and returns its path.
// An existing checkpoint of the same step is replaced only once the new one is complete.
std::string write_checkpoint(const std::string& run_dir, int64_t step, const CheckpointData& data);

// Why the checkpoint at `dir` cannot be trusted ("model.safetensors is 96 bytes, the manifest
// says 120"), or nullopt when every file matches its manifest entry and the steps in the
// directory name, MANIFEST.json and state.json (when it has one) agree. A file that exists but
// cannot be read (permission denied, an I/O error) is not damage: ln::Error "[checkpoint]
// cannot read <path>: <reason>; ...".
std::optional<std::string> checkpoint_problem(const std::string& dir);

// Verifies, then loads. ln::Error "[checkpoint] <dir> is damaged: <reason>; ..." on failure.
CheckpointData read_checkpoint(const std::string& dir);

// Every `step-N` directory in `run_dir`, oldest first (not verified). Empty if no run dir.
std::vector<CheckpointEntry> list_checkpoints(const std::string& run_dir);

// The newest checkpoint that verifies, or nullopt. Each newer one that does not is appended to
// `skipped` as "step-000001200: reason".
std::optional<std::string> latest_intact_checkpoint(const std::string& run_dir,
                                                    std::vector<std::string>* skipped = nullptr);

// Deletes all but the newest `keep_last` checkpoints (by step; keep_last <= 0 keeps all), and
// any stale `.tmp-*` directories. A checkpoint a reader holds (CheckpointHold) is kept this
// time; a later prune deletes it. `keep` (a checkpoint path, when given) is never deleted: the
// one a trainer just wrote stays even when the folder holds checkpoints of larger steps.
// `belongs` (when given) tells the run's own checkpoints: the others (one copied in from
// another run) are neither counted nor deleted.
void prune_checkpoints(const std::string& run_dir, int64_t keep_last, const std::string& keep = "",
                       const std::function<bool(const std::string& dir)>& belongs = {});

// A reader's hold on one checkpoint directory: while it lives, pruning neither renames nor
// deletes the directory. take() returns nullopt when `dir` is gone (pruned meanwhile) or is
// being pruned right now; the caller then looks for the next newest checkpoint.
class CheckpointHold {
 public:
  static std::optional<CheckpointHold> take(const std::string& dir);
  CheckpointHold(CheckpointHold&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  CheckpointHold& operator=(CheckpointHold&& other) noexcept;
  CheckpointHold(const CheckpointHold&) = delete;
  CheckpointHold& operator=(const CheckpointHold&) = delete;
  ~CheckpointHold();

 private:
  explicit CheckpointHold(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// The name of the first tensor holding a NaN or an infinity, or nullopt.
std::optional<std::string> non_finite_tensor(const NamedTensors& tensors);

}  // namespace ln
