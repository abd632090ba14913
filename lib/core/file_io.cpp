#include "core/file_io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.hpp"

namespace ln {

void write_file_synced(const std::string& path, const std::vector<std::string_view>& pieces) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  LN_CHECK(fd >= 0, "cannot create '", path, "': ", std::strerror(errno),
           "; check the directory exists and is writable");
  for (std::string_view piece : pieces) {
    const char* p = piece.data();
    size_t left = piece.size();
    while (left > 0) {
      ssize_t n = ::write(fd, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        int err = errno;
        ::close(fd);
        LN_FAIL("cannot write '", path, "': ", std::strerror(err), "; check free disk space");
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
  }
  if (::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    LN_FAIL("cannot fsync '", path, "': ", std::strerror(err));
  }
  LN_CHECK(::close(fd) == 0, "cannot close '", path, "': ", std::strerror(errno));
}

void write_file_atomic(const std::string& path, std::string_view contents) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  try {
    write_file_synced(tmp, contents);
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    LN_FAIL("cannot replace '", path, "': ", std::strerror(err));
  }
}

void fsync_directory(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  LN_CHECK(fd >= 0, "cannot open directory '", path, "': ", std::strerror(errno));
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  LN_CHECK(rc == 0, "cannot fsync directory '", path, "': ", std::strerror(err));
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  LN_CHECK(in, "cannot read '", path, "': ", std::strerror(errno));
  std::ostringstream out;
  out << in.rdbuf();
  LN_CHECK(!in.bad(), "error while reading '", path, "'");
  return out.str();
}

}  // namespace ln
