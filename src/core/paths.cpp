#include "core/paths.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace bulkhead {

std::string cacheDir() {
  if (const char* dir = std::getenv("BULKHEAD_CACHE_DIR"); dir && *dir) return dir;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) {
    return std::string(xdg) + "/bulkhead";
  }
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : "/tmp") + "/.cache/bulkhead";
}

Status makeDirectories(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return makeError("{}: cannot create directory: {}", path, ec.message());
  return {};
}

Status writeFileAtomic(const std::string& path, std::string_view data) {
  std::string temp = path + ".tmp.XXXXXX";
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) return makeError("{}: cannot create temporary file: {}", path, std::strerror(errno));
  size_t written = 0;
  while (written < data.size()) {
    const ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int saved = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      return makeError("{}: write failed: {}", path, std::strerror(saved));
    }
    written += static_cast<size_t>(n);
  }
  ::close(fd);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    ::unlink(temp.c_str());
    return makeError("{}: rename failed: {}", path, std::strerror(saved));
  }
  return {};
}

Result<ScratchDir> ScratchDir::create(std::string_view purpose) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = fmt::format("{}/bulkhead-{}-XXXXXX", tmp && *tmp ? tmp : "/tmp", purpose);
  if (::mkdtemp(pattern.data()) == nullptr) {
    return makeError("{}: cannot create scratch directory: {}", pattern, std::strerror(errno));
  }
  return ScratchDir(std::move(pattern));
}

ScratchDir::~ScratchDir() {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace bulkhead
