#include "runtime/sensitive_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <string_view>

namespace bulkhead::runtime {
namespace {

// `path` (absolute) opened inside the root: links resolved as the root's processes see
// them, never out of it. -1 if there is none.
int openInRoot(int rootFd, std::string_view path, uint64_t flags) {
  const size_t first = path.find_first_not_of('/');
  std::string relative(first == std::string_view::npos ? "." : path.substr(first));
  open_how how{};
  how.flags = flags | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, rootFd, relative.c_str(), &how, sizeof how));
}

// The identity of the file a read of `path` reaches (through links, in the root).
bool regularFileAt(int rootFd, const std::string& path, struct stat& st) {
  const int fd = openInRoot(rootFd, path, O_PATH);
  if (fd < 0) return false;
  const bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  ::close(fd);
  return ok;
}

void listInto(int rootFd, std::string_view prefix, size_t limit, std::vector<SensitiveFile>& out) {
  const size_t slash = prefix.rfind('/');
  if (slash == std::string_view::npos) return;
  const std::string_view dir = prefix.substr(0, slash + 1), leaf = prefix.substr(slash + 1);
  const int fd = openInRoot(rootFd, dir, O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  DIR* listing = ::fdopendir(fd);
  if (listing == nullptr) {
    ::close(fd);
    return;
  }
  size_t read = 0;
  while (const dirent* entry = ::readdir(listing)) {
    if (++read > limit || out.size() >= limit) break;
    const std::string_view name = entry->d_name;
    if (name == "." || name == ".." || !name.starts_with(leaf)) continue;
    const std::string path = std::string(dir) + std::string(name);
    struct stat st {};
    if (regularFileAt(rootFd, path, st)) out.push_back({path, st.st_dev, st.st_ino});
  }
  ::closedir(listing);
}

}  // namespace

std::vector<SensitiveFile> findSensitiveFiles(int rootFd, const std::vector<std::string>& prefixes, size_t limit) {
  std::vector<SensitiveFile> out;
  for (const std::string& prefix : prefixes) {
    if (prefix.empty() || prefix[0] != '/') continue;
    listInto(rootFd, prefix, limit, out);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace bulkhead::runtime
