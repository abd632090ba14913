#pragma once
// Durable whole-file writes and reads, for checkpoints, run logs and plots.
#include <string>
#include <string_view>
#include <vector>

namespace ln {

// Writes `pieces` one after another to `path` (created or truncated) and fsyncs the file.
void write_file_synced(const std::string& path, const std::vector<std::string_view>& pieces);
inline void write_file_synced(const std::string& path, std::string_view bytes) {
  write_file_synced(path, std::vector<std::string_view>{bytes});
}

// Replaces `path` atomically: readers see the old contents or the new, never a torn file
// (write to a temporary name in the same directory, fsync, rename).
void write_file_atomic(const std::string& path, std::string_view contents);

// fsync a directory, so that renames and creations inside it survive a crash.
void fsync_directory(const std::string& path);

// The whole file; ln::Error naming the path when it cannot be read.
std::string read_file(const std::string& path);

}  // namespace ln
