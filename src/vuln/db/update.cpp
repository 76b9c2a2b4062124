#include "vuln/db/update.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>

#include "core/log.h"
#include "core/paths.h"

namespace bulkhead::vuln {
namespace {

namespace fs = std::filesystem;

std::string urlPath(std::string_view url) {
  const auto end = url.find_first_of("?#");
  std::string path(url.substr(0, end));
  for (char& c : path) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return path;
}

std::string cacheSuffix(std::string_view url) {
  const std::string path = urlPath(url);
  for (const char* suffix : {".tar.gz", ".tgz", ".tar.zst", ".tar.xz", ".tar", ".zip"}) {
    if (endsWith(path, suffix)) return suffix;
  }
  return ".file";
}

bool safeRelative(std::string_view path) {
  if (path.empty() || path.front() == '/') return false;
  size_t start = 0;
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    const std::string_view part = path.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part == "..") return false;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return true;
}

struct ArchiveCloser {
  void operator()(archive* a) const { archive_read_free(a); }
};

// After extraction: a single top-level directory (GitHub's "repo-main/") is the root.
std::string contentRoot(const std::string& dir) {
  std::error_code ec;
  std::string only;
  size_t count = 0;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    ++count;
    if (e.is_directory(ec) && !e.is_symlink(ec)) only = e.path().string();
  }
  return count == 1 && !only.empty() ? only : dir;
}

struct Validators {
  std::string etag;
  std::string lastModified;
  std::string fetched;
};

}  // namespace

bool isArchiveUrl(std::string_view url) { return cacheSuffix(url) != ".file"; }

Status extractArchive(const std::string& archivePath, const std::string& dir, uint64_t maxBytes,
                      size_t maxEntries) {
  std::unique_ptr<archive, ArchiveCloser> a(archive_read_new());
  if (!a) return makeError("out of memory");
  archive_read_support_filter_gzip(a.get());
  archive_read_support_filter_zstd(a.get());
  archive_read_support_filter_xz(a.get());
  archive_read_support_filter_bzip2(a.get());
  archive_read_support_format_tar(a.get());
  archive_read_support_format_zip(a.get());
  if (archive_read_open_filename(a.get(), archivePath.c_str(), 1 << 16) != ARCHIVE_OK) {
    return makeError("not a readable archive: {}", archive_error_string(a.get()));
  }
  uint64_t total = 0;
  size_t entries = 0;
  archive_entry* entry = nullptr;
  for (;;) {
    const int rc = archive_read_next_header(a.get(), &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
      return makeError("corrupt archive: {}", archive_error_string(a.get()));
    }
    if (++entries > maxEntries) return makeError("more than {} archive entries", maxEntries);
    const char* rawName = archive_entry_pathname(entry);
    std::string name = rawName ? rawName : "";
    while (name.rfind("./", 0) == 0) name.erase(0, 2);
    const auto type = archive_entry_filetype(entry);
    if (name.empty() || (type != AE_IFREG && type != AE_IFDIR)) continue;  // links, devices
    if (!safeRelative(name) || name.size() > 4096) {
      return makeError("archive entry with an unsafe path: {:.200}", name);
    }
    const fs::path target = fs::path(dir) / name;
    std::error_code ec;
    if (type == AE_IFDIR) {
      fs::create_directories(target, ec);
      if (ec) return makeError("{}: {}", target.string(), ec.message());
      continue;
    }
    fs::create_directories(target.parent_path(), ec);
    if (ec) return makeError("{}: {}", target.parent_path().string(), ec.message());
    const int fd =
        ::open(target.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) return makeError("{}: {}", target.string(), std::strerror(errno));
    for (;;) {
      const void* block = nullptr;
      size_t size = 0;
      la_int64_t offset = 0;
      const int r = archive_read_data_block(a.get(), &block, &size, &offset);
      if (r == ARCHIVE_EOF) break;
      if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
        ::close(fd);
        return makeError("corrupt archive at {:.200}: {}", name, archive_error_string(a.get()));
      }
      total += size;
      if (total > maxBytes) {
        ::close(fd);
        return makeError("more than {} bytes unpacked", maxBytes);
      }
      const char* p = static_cast<const char*>(block);
      size_t left = size;
      if (::lseek(fd, offset, SEEK_SET) < 0) {
        ::close(fd);
        return makeError("{}: {}", target.string(), std::strerror(errno));
      }
      while (left > 0) {
        const ssize_t n = ::write(fd, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          ::close(fd);
          return makeError("{}: {}", target.string(), std::strerror(errno));
        }
        p += n;
        left -= static_cast<size_t>(n);
      }
    }
    ::close(fd);
  }
  if (entries == 0) return makeError("an empty archive");
  return {};
}

Result<UpdateReport> updateDatabase(const UpdateOptions& options) {
  if (options.feeds.empty()) return makeError("no feeds configured");
  const std::string cache = options.cacheDir.empty()
                                ? fs::path(options.dbPath).parent_path().string() + "/feeds"
                                : options.cacheDir;
  BH_TRY_STATUS(makeDirectories(cache));
  // The validators of what the current database was built from.
  std::map<std::string, Validators> known;
  bool haveDb = false;
  if (fs::exists(options.dbPath)) {
    if (auto db = AdvisoryDb::open(options.dbPath)) {
      haveDb = true;
      if (auto info = db->info()) {
        for (const auto& s : info->sources) known[s.name] = {s.etag, s.lastModified, s.fetched};
      }
    } else {
      log::warn("{}: rebuilding from scratch", db.error().message);
    }
  }
  UpdateReport report;
  std::vector<std::pair<std::string, std::string>> staged;  // .new file -> cached file
  auto unstage = [&staged] {
    for (const auto& [from, to] : staged) std::remove(from.c_str());
  };
  std::vector<std::string> archives;  // per feed: file to import from
  std::vector<FeedInput> inputs;
  for (const FeedSpec& feed : options.feeds) {
    if (feed.url.empty()) {
      unstage();
      return makeError("feed {}: no URL configured", feed.name);
    }
    const std::string cached = fmt::format("{}/{}{}", cache, feed.name, cacheSuffix(feed.url));
    const std::string fresh = cached + ".new";
    HttpRequest request;
    request.url = feed.url;
    request.options = options.http;
    request.maxBodyBytes = options.maxDownloadBytes;
    const auto it = known.find(feed.name);
    const bool haveCached = haveDb && it != known.end() && fs::exists(cached);
    if (haveCached) {
      if (!it->second.etag.empty()) request.headers.push_back("If-None-Match: " + it->second.etag);
      if (!it->second.lastModified.empty()) {
        request.headers.push_back("If-Modified-Since: " + it->second.lastModified);
      }
    }
    const int fd = ::open(fresh.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
      unstage();
      return makeError("feed {}: {}: {}", feed.name, fresh, std::strerror(errno));
    }
    uint64_t written = 0;
    auto response = httpDownload(request, [&](const char* data, size_t size) -> Status {
      written += size;
      if (written > options.maxDownloadBytes) {
        return makeError("more than {} bytes", options.maxDownloadBytes);
      }
      while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return makeError("{}: {}", fresh, std::strerror(errno));
        data += n;
        size -= static_cast<size_t>(n);
      }
      return {};
    });
    ::close(fd);
    FeedUpdate fu;
    fu.name = feed.name;
    fu.url = feed.url;
    if (!response) {
      std::remove(fresh.c_str());
      unstage();
      return makeError("feed {}: {}", feed.name, response.error().message);
    }
    fu.status = response->status;
    FeedInput input;
    input.spec = feed;
    input.origin = feed.url;
    if (response->status == 304 && haveCached) {
      std::remove(fresh.c_str());
      fu.notModified = true;
      input.etag = it->second.etag;
      input.lastModified = it->second.lastModified;
      input.fetched = it->second.fetched;
      archives.push_back(cached);
    } else if (response->status >= 200 && response->status < 300) {
      fu.bytes = written;
      input.etag = response->header("etag");
      input.lastModified = response->header("last-modified");
      input.fetched = utcNow();
      staged.emplace_back(fresh, cached);
      archives.push_back(fresh);
    } else {
      std::remove(fresh.c_str());
      unstage();
      return makeError("feed {}: {}: {} {}", feed.name, feed.url, response->status,
                       httpStatusText(response->status));
    }
    report.feeds.push_back(fu);
    inputs.push_back(std::move(input));
  }
  bool anyNew = !staged.empty();
  if (!anyNew && haveDb) return report;  // all 304: the database stays
  auto scratch = ScratchDir::create("db-update");
  if (!scratch) {
    unstage();
    return std::move(scratch).error();
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    FeedInput& input = inputs[i];
    const std::string dir = fmt::format("{}/{}", scratch->path(), i);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (isArchiveUrl(input.spec.url)) {
      const Status extracted =
          extractArchive(archives[i], dir, options.maxExtractedBytes, options.maxArchiveEntries);
      if (!extracted) {
        unstage();
        return makeError("feed {}: {}: {}", input.spec.name, input.spec.url,
                         extracted.error().message);
      }
      const std::string root = contentRoot(dir);
      input.root = input.spec.archivePath.empty() ? root : root + "/" + input.spec.archivePath;
    } else {
      // One file, saved under its archive_path ("DSA/list") so the importer sees its name.
      const std::string name = input.spec.archivePath.empty() ? "list" : input.spec.archivePath;
      if (!safeRelative(name)) {
        unstage();
        return makeError("feed {}: unsafe archive_path {}", input.spec.name, name);
      }
      const fs::path target = fs::path(dir) / name;
      fs::create_directories(target.parent_path(), ec);
      fs::copy_file(archives[i], target, fs::copy_options::overwrite_existing, ec);
      if (ec) {
        unstage();
        return makeError("feed {}: {}", input.spec.name, ec.message());
      }
      input.root = target.parent_path().string();
    }
  }
  auto built = buildDatabase(inputs, options.dbPath, options.limits);
  if (!built) {
    unstage();
    return std::move(built).error();
  }
  for (const auto& [from, to] : staged) {
    if (std::rename(from.c_str(), to.c_str()) != 0) {
      log::warn("feed cache {}: {}", to, std::strerror(errno));
    }
  }
  report.rebuilt = true;
  report.build = std::move(*built);
  return report;
}

}  // namespace bulkhead::vuln
