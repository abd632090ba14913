#pragma once
// Files that survive a crash: written with write(2), fsynced, and directories fsynced after a
// rename, so a checkpoint is either absent or complete after power loss.
#include <string>
#include <string_view>
#include <vector>

namespace ln {

// Creates or truncates `path`, writes the pieces in order, fsyncs and closes it.
// ln::Error naming the path and the system's reason on any failure (e.g. disk full).
void write_file_synced(const std::string& path, const std::vector<std::string_view>& pieces);
inline void write_file_synced(const std::string& path, std::string_view bytes) {
  write_file_synced(path, std::vector<std::string_view>{bytes});
}
// fsync a directory, making renames and new entries inside it durable.
void fsync_directory(const std::string& path);
// The whole file; ln::Error naming the path if it cannot be read.
std::string read_whole_file(const std::string& path);

}  // namespace ln
