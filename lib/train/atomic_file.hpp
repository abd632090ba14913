#pragma once
// Whole-file writes that readers never see half done: write "<path>.tmp.<pid>", fsync,
// rename over <path>. A crash leaves either the old file or the new one (and possibly a
// stray temp file, never a torn <path>).
#include <string>
#include <string_view>

namespace ln {

void write_file_atomic(const std::string& path, std::string_view contents);

// The whole file as a string; throws ln::Error naming the path if it cannot be read.
std::string read_file(const std::string& path);

}  // namespace ln
