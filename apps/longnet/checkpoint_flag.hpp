#pragma once
// --checkpoint/-m of eval, generate and bench generate: the flag's own wording for a path that
// is no directory, then lib/run's loader (whose errors name paths, not flags).
#include <filesystem>
#include <string>

#include "core/error.hpp"
#include "run/trained_model.hpp"

namespace ln::app {

inline TrainedModel load_checkpoint_flag(const std::string& path) {
  LN_CHECK(std::filesystem::is_directory(path), "--checkpoint ", path,
           " is not a directory; give a run directory (train.out_dir) or one of its step-* checkpoints");
  return load_trained_model(path);
}

}  // namespace ln::app
