#include "core/bounded_read.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.hpp"

namespace ln {

namespace {

std::string size_text(size_t bytes) {
  if (bytes >= (size_t(1) << 20) && bytes % (size_t(1) << 20) == 0)
    return std::to_string(bytes >> 20) + " MiB";
  if (bytes >= (size_t(1) << 10) && bytes % (size_t(1) << 10) == 0)
    return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " bytes";
}

const char* kind_of(mode_t mode) {
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// Reads fd until end of input or until more than max_bytes arrived.
std::string read_capped(int fd, const std::string& name, const BoundedReadOptions& o) {
  std::string out;
  char buffer[1 << 16];
  for (;;) {
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    LN_CHECK(got >= 0, o.what, " ", name, " cannot be read: ", std::strerror(errno));
    if (got == 0) return out;
    LN_CHECK(out.size() + size_t(got) <= o.max_bytes, o.what, " ", name, " is larger than the limit of ",
             size_text(o.max_bytes), o.limit_hint.empty() ? "" : "; ", o.limit_hint);
    out.append(buffer, size_t(got));
  }
}

}  // namespace

std::string read_bounded(const std::string& path, const BoundedReadOptions& o) {
  LN_CHECK(!path.empty(), o.what, " is an empty path; name a file");
  if (path == "-") {
    LN_CHECK(o.allow_stdin, o.what, " cannot be '-' (standard input); name a file");
    return read_capped(STDIN_FILENO, "(standard input)", o);
  }
  struct stat st {};
  LN_CHECK(::stat(path.c_str(), &st) == 0, o.what, " ", path,
           errno == ENOENT ? " does not exist; check the path" : " cannot be read: ",
           errno == ENOENT ? "" : std::strerror(errno));
  LN_CHECK(!S_ISDIR(st.st_mode), o.what, " ", path, " is a directory; name a file");
  const bool regular = S_ISREG(st.st_mode);
  LN_CHECK(regular || (o.allow_streams && (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode))), o.what, " ", path,
           " is ", kind_of(st.st_mode), ", which may never end; name a regular file",
           o.allow_stdin ? " (or '-' and pipe the text to standard input)" : "");
  // A regular file's size is known up front: refuse a huge one before reading a byte of it.
  LN_CHECK(!regular || size_t(st.st_size) <= o.max_bytes, o.what, " ", path, " is ",
           size_text(size_t(st.st_size)), ", larger than the limit of ", size_text(o.max_bytes),
           o.limit_hint.empty() ? "" : "; ", o.limit_hint);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  LN_CHECK(fd >= 0, o.what, " ", path, " cannot be opened: ", std::strerror(errno),
           "; check its permissions");
  try {
    std::string text = read_capped(fd, path, o);
    ::close(fd);
    return text;
  } catch (...) {
    ::close(fd);
    throw;
  }
}

}  // namespace ln
