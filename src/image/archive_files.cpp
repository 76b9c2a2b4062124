#include "image/archive_files.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace bulkhead::image {
namespace {

// Drops "./" components so that "./index.json" and "index.json" compare equal.
std::string cleanMemberName(std::string_view name) {
  std::string out;
  size_t start = 0;
  while (start <= name.size()) {
    size_t slash = name.find('/', start);
    if (slash == std::string_view::npos) slash = name.size();
    const std::string_view part = name.substr(start, slash - start);
    if (!part.empty() && part != ".") {
      if (!out.empty()) out += '/';
      out.append(part);
    }
    start = slash + 1;
  }
  return out;
}

class DirectoryFiles final : public ContainerFiles {
 public:
  explicit DirectoryFiles(std::string directory) : directory_(std::move(directory)) {}
  std::string describe() const override { return directory_; }

  Result<std::unique_ptr<ByteStream>> open(const std::string& relativePath) override {
    auto clean = checkRelativePath(relativePath, directory_);
    if (!clean) return std::move(clean).error();
    const int dirFd = ::open(directory_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirFd < 0) return makeError("{}: cannot open directory: {}", directory_, std::strerror(errno));
    struct open_how how {};
    how.flags = O_RDONLY | O_CLOEXEC;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    const long fd = ::syscall(SYS_openat2, dirFd, clean->c_str(), &how, sizeof how);
    const int saved = errno;
    ::close(dirFd);
    const std::string full = directory_ + "/" + *clean;
    if (fd < 0) return makeError("{}: cannot open: {}", full, std::strerror(saved));
    struct stat st {};
    if (::fstat(static_cast<int>(fd), &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(static_cast<int>(fd));
      return makeError("{}: not a regular file", full);
    }
    return std::unique_ptr<ByteStream>(FileStream::adopt(static_cast<int>(fd), full));
  }

 private:
  std::string directory_;
};

class ArchiveMemberStream final : public ByteStream {
 public:
  ArchiveMemberStream(archive* a, std::string what) : archive_(a), what_(std::move(what)) {}
  ~ArchiveMemberStream() override { archive_read_free(archive_); }
  Result<size_t> read(void* buffer, size_t size) override {
    const la_ssize_t got = archive_read_data(archive_, buffer, size);
    if (got < 0) return makeError("{}: {}", what_, archive_error_string(archive_));
    return static_cast<size_t>(got);
  }

 private:
  archive* archive_;
  std::string what_;
};

class ArchiveFiles final : public ContainerFiles {
 public:
  explicit ArchiveFiles(std::string path) : path_(std::move(path)) {}
  std::string describe() const override { return path_; }

  Result<std::unique_ptr<ByteStream>> open(const std::string& relativePath) override {
    auto clean = checkRelativePath(relativePath, path_);
    if (!clean) return std::move(clean).error();
    archive* a = archive_read_new();
    archive_read_support_format_tar(a);
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_zstd(a);
    archive_read_support_filter_xz(a);
    archive_read_support_filter_bzip2(a);
    if (archive_read_open_filename(a, path_.c_str(), 64 * 1024) != ARCHIVE_OK) {
      Error e = makeError("{}: cannot read archive: {}", path_, archive_error_string(a));
      archive_read_free(a);
      return e;
    }
    archive_entry* entry = nullptr;
    for (;;) {
      const int rc = archive_read_next_header(a, &entry);
      if (rc == ARCHIVE_EOF) break;
      if (rc < ARCHIVE_WARN) {
        Error e = makeError("{}: corrupt archive: {}", path_, archive_error_string(a));
        archive_read_free(a);
        return e;
      }
      const char* name = archive_entry_pathname(entry);
      if (name != nullptr && archive_entry_filetype(entry) == AE_IFREG &&
          cleanMemberName(name) == *clean) {
        return std::unique_ptr<ByteStream>(
            new ArchiveMemberStream(a, fmt::format("{} member {}", path_, *clean)));
      }
    }
    archive_read_free(a);
    return makeError("{}: no member named '{}'", path_, *clean);
  }

 private:
  std::string path_;
};

}  // namespace

Result<std::string> checkRelativePath(std::string_view path, std::string_view what) {
  if (path.empty()) return makeError("{}: empty path", what);
  if (path.front() == '/') return makeError("{}: absolute path '{}' not allowed", what, path);
  if (path.find('\0') != std::string_view::npos) return makeError("{}: path contains NUL", what);
  const std::string clean = cleanMemberName(path);
  size_t start = 0;
  while (start <= clean.size()) {
    size_t slash = clean.find('/', start);
    if (slash == std::string::npos) slash = clean.size();
    if (std::string_view(clean).substr(start, slash - start) == "..") {
      return makeError("{}: path '{}' escapes its directory", what, path);
    }
    start = slash + 1;
  }
  if (clean.empty()) return makeError("{}: path '{}' names no file", what, path);
  return clean;
}

std::unique_ptr<ContainerFiles> directoryFiles(std::string directory) {
  return std::make_unique<DirectoryFiles>(std::move(directory));
}

std::unique_ptr<ContainerFiles> archiveFiles(std::string archivePath) {
  return std::make_unique<ArchiveFiles>(std::move(archivePath));
}

}  // namespace bulkhead::image
