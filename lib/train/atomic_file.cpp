#include "train/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.hpp"

namespace ln {

void write_file_atomic(const std::string& path, std::string_view contents) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  LN_CHECK(fd >= 0, "[write_file_atomic] cannot create '", tmp, "': ", std::strerror(errno),
           "; check that the directory exists and is writable");
  const char* p = contents.data();
  size_t left = contents.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      LN_FAIL("[write_file_atomic] writing '", tmp, "' failed: ", std::strerror(err), "; is the disk full?");
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    LN_FAIL("[write_file_atomic] cannot replace '", path, "': ", std::strerror(err));
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  LN_CHECK(in.good(), "[read_file] cannot open '", path, "': ", std::strerror(errno));
  std::ostringstream out;
  out << in.rdbuf();
  LN_CHECK(!in.bad(), "[read_file] reading '", path, "' failed");
  return out.str();
}

}  // namespace ln
