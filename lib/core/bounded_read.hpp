#pragma once
// Reading a whole input (a config, a prompt) that comes from outside, in bounded time and memory.
//
// Three ways an outside path can hang or exhaust a process, and what happens to each here:
//   - a FIFO or a terminal: open() itself blocks until a writer appears;
//   - an endless device (/dev/zero, /dev/urandom): read() never reaches the end;
//   - a merely huge file: reading it succeeds but everything after it is slow.
// read_bounded() looks at the path with stat() before opening it (so a FIFO is refused without
// blocking when streams are not allowed) and stops reading at `max_bytes` + 1 bytes, so every
// call returns within the time it takes to read `max_bytes`. Every refusal is one ln::Error
// naming the input (`what`, e.g. "--prompt-file") and the path, with what to do instead.
#include <cstddef>
#include <string>

namespace ln {

struct BoundedReadOptions {
  std::string what;  // "config file", "--prompt-file": names the input in errors
  size_t max_bytes = size_t(1) << 20;
  bool allow_stdin = false;    // the path "-" reads standard input (up to max_bytes)
  bool allow_streams = false;  // FIFOs and character devices are read (up to max_bytes)
  std::string limit_hint;      // appended to the "too large" error: what to do instead
};

// The whole content of `path`, at most options.max_bytes bytes.
std::string read_bounded(const std::string& path, const BoundedReadOptions& options);

}  // namespace ln
