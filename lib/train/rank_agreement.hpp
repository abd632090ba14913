#pragma once
// How the ranks of a distributed run (mpirun, lib/parallel) stay in step around what only rank 0
// does. Rank 0 alone writes the run folder (ranks may share one file system): it takes the
// lock, cleans leftovers, chooses the checkpoint, trains the tokenizer, fills the token cache.
// The others must neither race it nor wait forever when it fails. In one process both
// functions are plain calls.
#include <functional>
#include <string>

#include "parallel/process_grid.hpp"

namespace ln {

// Runs `on_root` on rank 0 alone while the other ranks wait, and returns its text on every
// rank. When it fails, every rank raises the same error, so the CLI prints it once (rank 0)
// and every rank exits 2 with no collective left waiting.
std::string root_first(parallel::ProcessGrid& grid, const std::function<std::string()>& on_root);

// True when `flag` is true on any rank; every rank calls it at the same point (e.g. a stop
// signal that reached the ranks at different moments: all stop at the same step).
bool any_rank(parallel::ProcessGrid& grid, bool flag);

}  // namespace ln
