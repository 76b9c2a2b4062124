#include "image/rootfs.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/stream.h"

namespace bulkhead::image {
namespace {

bool isPseudoFileSystem(const std::filesystem::path& path) {
  struct statfs fs {};
  if (::statfs(path.c_str(), &fs) != 0) return false;
  switch (static_cast<unsigned long>(fs.f_type)) {
    case PROC_SUPER_MAGIC:
    case SYSFS_MAGIC:
    case CGROUP_SUPER_MAGIC:
    case CGROUP2_SUPER_MAGIC:
    case DEVPTS_SUPER_MAGIC:
    case DEBUGFS_MAGIC:
    case TRACEFS_MAGIC:
    case SECURITYFS_MAGIC:
    case BPF_FS_MAGIC:
      return true;
    default:
      return false;
  }
}

EntryType typeOf(mode_t mode) {
  if (S_ISDIR(mode)) return EntryType::kDirectory;
  if (S_ISLNK(mode)) return EntryType::kSymlink;
  if (S_ISCHR(mode)) return EntryType::kCharDevice;
  if (S_ISBLK(mode)) return EntryType::kBlockDevice;
  if (S_ISFIFO(mode)) return EntryType::kFifo;
  if (S_ISSOCK(mode)) return EntryType::kSocket;
  return EntryType::kFile;
}

}  // namespace

Status scanRootfs(const std::string& root, FileSystemView& view, std::vector<std::string>& warnings,
                  size_t maxEntries) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path base(root);
  if (!fs::is_directory(base, ec)) return makeError("{}: not a directory", root);
  fs::recursive_directory_iterator it(base, fs::directory_options::skip_permission_denied, ec);
  if (ec) return makeError("{}: cannot read: {}", root, ec.message());
  size_t count = 0;
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) {
      if (warnings.size() < 50) warnings.push_back(fmt::format("{}: {}", root, ec.message()));
      ec.clear();
      continue;
    }
    if (++count > maxEntries) return makeError("{}: more than {} entries", root, maxEntries);
    const fs::path& path = it->path();
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) continue;
    FileNode node;
    node.type = typeOf(st.st_mode);
    node.mode = st.st_mode & 07777u;
    node.uid = st.st_uid;
    node.gid = st.st_gid;
    node.size = S_ISREG(st.st_mode) ? static_cast<uint64_t>(st.st_size) : 0;
    node.mtime = st.st_mtim.tv_sec;
    if (node.type == EntryType::kSymlink) {
      std::error_code linkError;
      node.linkTarget = fs::read_symlink(path, linkError).string();
    }
    if (node.type == EntryType::kDirectory && isPseudoFileSystem(path)) {
      it.disable_recursion_pending();
    }
    view.add(path.lexically_relative(base).string(), std::move(node));
  }
  return {};
}

Result<std::string> readRootfsFile(const std::string& root, std::string_view path, size_t maxBytes) {
  const int rootFd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootFd < 0) return makeError("{}: cannot open: {}", root, std::strerror(errno));
  struct open_how how {};
  how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  const std::string relative(path);
  const long fd = ::syscall(SYS_openat2, rootFd, relative.c_str(), &how, sizeof how);
  const int saved = errno;
  ::close(rootFd);
  const std::string what = fmt::format("{}: /{}", root, relative);
  if (fd < 0) return makeError("{}: cannot open: {}", what, std::strerror(saved));
  struct stat st {};
  if (::fstat(static_cast<int>(fd), &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(static_cast<int>(fd));
    return makeError("{}: not a regular file", what);
  }
  auto stream = FileStream::adopt(static_cast<int>(fd), what);
  return readAll(*stream, maxBytes, what);
}

}  // namespace bulkhead::image
