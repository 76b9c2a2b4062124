#include "core/stream.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>

namespace bulkhead {

Result<std::unique_ptr<FileStream>> FileStream::open(const std::string& path) {
  return openWindow(path, 0, std::numeric_limits<uint64_t>::max());
}

Result<std::unique_ptr<FileStream>> FileStream::openWindow(const std::string& path,
                                                           uint64_t offset, uint64_t length) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return makeError("{}: cannot open: {}", path, std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return makeError("{}: not a regular file", path);
  }
  return std::unique_ptr<FileStream>(new FileStream(fd, path, offset, length));
}

std::unique_ptr<FileStream> FileStream::adopt(int fd, std::string path) {
  return std::unique_ptr<FileStream>(
      new FileStream(fd, std::move(path), 0, std::numeric_limits<uint64_t>::max()));
}

FileStream::~FileStream() { ::close(fd_); }

Result<size_t> FileStream::read(void* buffer, size_t size) {
  if (remaining_ < size) size = static_cast<size_t>(remaining_);
  if (size == 0) return size_t{0};
  for (;;) {
    const ssize_t got = ::pread(fd_, buffer, size, static_cast<off_t>(offset_));
    if (got < 0) {
      if (errno == EINTR) continue;
      return makeError("{}: read failed: {}", path_, std::strerror(errno));
    }
    offset_ += static_cast<uint64_t>(got);
    remaining_ -= static_cast<uint64_t>(got);
    return static_cast<size_t>(got);
  }
}

Result<size_t> MemoryStream::read(void* buffer, size_t size) {
  const size_t n = std::min(size, data_.size() - position_);
  std::memcpy(buffer, data_.data() + position_, n);
  position_ += n;
  return n;
}

Result<std::string> readAll(ByteStream& stream, size_t maxBytes, std::string_view what) {
  std::string out;
  char buffer[64 * 1024];
  for (;;) {
    auto got = stream.read(buffer, sizeof buffer);
    if (!got) return std::move(got).error();
    if (*got == 0) return out;
    if (out.size() + *got > maxBytes) {
      return makeError("{}: larger than the limit of {} bytes", what, maxBytes);
    }
    out.append(buffer, *got);
  }
}

Result<std::string> readFileBounded(const std::string& path, size_t maxBytes) {
  // O_NONBLOCK: a FIFO planted where a file is expected must not hang the open.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return makeError("{}: cannot open: {}", path, std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return makeError("{}: not a regular file", path);
  }
  auto stream = FileStream::adopt(fd, path);
  return readAll(*stream, maxBytes, path);
}

}  // namespace bulkhead
