#include "image/layer_reader.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <vector>

#include "core/prefetch_stream.h"
#include "image/verify.h"

namespace bulkhead::image {
namespace {

constexpr size_t kBlock = 256 * 1024;
constexpr size_t kMaxWarnings = 50;

// Feeds libarchive from a ByteStream and keeps the stream's own error, which says more
// than libarchive's "read error".
struct Feed {
  ByteStream* stream = nullptr;
  std::vector<char> buffer = std::vector<char>(kBlock);
  std::optional<Error> error;
};

la_ssize_t feedRead(archive* a, void* context, const void** block) {
  auto* feed = static_cast<Feed*>(context);
  auto got = feed->stream->read(feed->buffer.data(), feed->buffer.size());
  if (!got) {
    feed->error = got.error();
    archive_set_error(a, EIO, "%s", got.error().message.c_str());
    return -1;
  }
  *block = feed->buffer.data();
  return static_cast<la_ssize_t>(*got);
}

struct ArchiveCloser {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveCloser>;

Result<ArchivePtr> openTar(Feed& feed, const std::string& what) {
  ArchivePtr a(archive_read_new());
  archive_read_support_format_tar(a.get());
  archive_read_support_filter_none(a.get());
  if (archive_read_open(a.get(), &feed, nullptr, feedRead, nullptr) != ARCHIVE_OK) {
    if (feed.error) return *feed.error;
    return makeError("{}: not a tar archive: {}", what, archive_error_string(a.get()));
  }
  return a;
}

Error archiveError(archive* a, const Feed& feed, const std::string& what) {
  if (feed.error) return *feed.error;
  const char* message = archive_error_string(a);
  return makeError("{}: corrupt tar stream: {}", what, message ? message : "unknown error");
}

EntryType typeOf(archive_entry* entry) {
  if (archive_entry_hardlink(entry) != nullptr) return EntryType::kHardlink;
  switch (archive_entry_filetype(entry)) {
    case AE_IFDIR: return EntryType::kDirectory;
    case AE_IFLNK: return EntryType::kSymlink;
    case AE_IFCHR: return EntryType::kCharDevice;
    case AE_IFBLK: return EntryType::kBlockDevice;
    case AE_IFIFO: return EntryType::kFifo;
    case AE_IFSOCK: return EntryType::kSocket;
    default: return EntryType::kFile;
  }
}

// True when a relative symlink target climbs above the root from `path`'s directory.
bool symlinkEscapes(std::string_view path, std::string_view target) {
  if (target.empty() || target.front() == '/') return false;
  long depth = static_cast<long>(std::count(path.begin(), path.end(), '/'));
  size_t start = 0;
  while (start <= target.size()) {
    size_t slash = target.find('/', start);
    if (slash == std::string_view::npos) slash = target.size();
    const std::string_view part = target.substr(start, slash - start);
    if (part == "..") {
      if (--depth < 0) return true;
    } else if (!part.empty() && part != ".") {
      ++depth;
    }
    start = slash + 1;
  }
  return false;
}

void warn(LayerContents& out, std::string message) {
  if (out.warnings.size() < kMaxWarnings) out.warnings.push_back(std::move(message));
}

// Reads the rest of the stream so that the digests at its end get checked.
Status drain(ByteStream& stream) {
  std::vector<char> buffer(kBlock);
  for (;;) {
    auto got = stream.read(buffer.data(), buffer.size());
    if (!got) return std::move(got).error();
    if (*got == 0) return {};
  }
}

}  // namespace

const char* entryTypeName(EntryType type) {
  switch (type) {
    case EntryType::kFile: return "file";
    case EntryType::kDirectory: return "dir";
    case EntryType::kSymlink: return "symlink";
    case EntryType::kHardlink: return "hardlink";
    case EntryType::kCharDevice: return "chardev";
    case EntryType::kBlockDevice: return "blockdev";
    case EntryType::kFifo: return "fifo";
    case EntryType::kSocket: return "socket";
    case EntryType::kWhiteout: return "whiteout";
    case EntryType::kOpaque: return "opaque";
  }
  return "unknown";
}

Result<std::string> cleanEntryPath(std::string_view name, size_t maxBytes) {
  if (name.size() > maxBytes) {
    return makeError("entry name of {} bytes exceeds the limit of {}", name.size(), maxBytes);
  }
  if (name.find('\0') != std::string_view::npos) return makeError("entry name contains NUL");
  if (!name.empty() && name.front() == '/') {
    return makeError("entry '{}' has an absolute path", name);
  }
  std::string out;
  out.reserve(name.size());
  size_t start = 0;
  while (start <= name.size()) {
    size_t slash = name.find('/', start);
    if (slash == std::string_view::npos) slash = name.size();
    const std::string_view part = name.substr(start, slash - start);
    if (part == "..") return makeError("entry '{}' escapes the image root", name);
    if (!part.empty() && part != ".") {
      if (!out.empty()) out += '/';
      out.append(part);
    }
    start = slash + 1;
  }
  return out;
}

Result<LayerContents> readLayer(ByteStream& raw, const LayerRef& layer,
                                const LayerReadOptions& options, const std::string& what) {
  VerifyingStream blob(raw, layer.blob.digest, layer.blob.digest.empty() ? -1 : layer.blob.size,
                       what + " blob");
  auto decompressed = openDecompressed(blob, options.limits, what);
  if (!decompressed) return std::move(decompressed).error();
  std::optional<PrefetchStream> prefetch;
  if (options.pipeline) prefetch.emplace(**decompressed);
  ByteStream& uncompressed = prefetch ? static_cast<ByteStream&>(*prefetch) : **decompressed;
  VerifyingStream content(uncompressed, layer.diffId, -1, what + " (uncompressed, diff_id)");
  Feed feed;
  feed.stream = &content;
  auto opened = openTar(feed, what);
  if (!opened) return std::move(opened).error();
  archive* a = opened->get();

  LayerContents out;
  out.diffId = layer.diffId;
  archive_entry* entry = nullptr;
  for (;;) {
    const int rc = archive_read_next_header(a, &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN) return archiveError(a, feed, what);
    if (out.entries.size() >= options.maxEntries) {
      return makeError("{}: more than {} entries", what, options.maxEntries);
    }
    const char* rawName = archive_entry_pathname(entry);
    auto path = cleanEntryPath(rawName ? rawName : "", options.maxPathBytes);
    if (!path) return withContext(what, std::move(path).error());
    if (path->empty()) continue;  // "./" itself

    LayerEntry e;
    e.path = std::move(*path);
    e.type = typeOf(entry);
    e.mode = static_cast<uint32_t>(archive_entry_perm(entry)) & 07777u;
    e.uid = static_cast<uint32_t>(archive_entry_uid(entry));
    e.gid = static_cast<uint32_t>(archive_entry_gid(entry));
    e.size = archive_entry_size_is_set(entry) ? static_cast<uint64_t>(archive_entry_size(entry)) : 0;
    e.mtime = archive_entry_mtime(entry);

    const auto slash = e.path.rfind('/');
    const std::string base = slash == std::string::npos ? e.path : e.path.substr(slash + 1);
    if (base.starts_with(".wh.")) {
      const std::string dir = slash == std::string::npos ? "" : e.path.substr(0, slash);
      if (base == ".wh..wh..opq") {
        e.type = EntryType::kOpaque;
        e.path = dir;
      } else {
        e.type = EntryType::kWhiteout;
        e.path = (dir.empty() ? "" : dir + "/") + std::string(base.substr(4));
        if (base.size() == 4 || base.substr(4) == "." || base.substr(4) == "..") {
          return makeError("{}: malformed whiteout '{}'", what, rawName);
        }
      }
      out.entries.push_back(std::move(e));
      continue;
    }
    if (e.type == EntryType::kHardlink) {
      auto target = cleanEntryPath(archive_entry_hardlink(entry), options.maxPathBytes);
      if (!target || target->empty()) {
        return makeError("{}: hardlink '{}' points outside the image root ('{}')", what, e.path,
                         archive_entry_hardlink(entry));
      }
      e.linkTarget = std::move(*target);
    } else if (e.type == EntryType::kSymlink) {
      const char* target = archive_entry_symlink(entry);
      e.linkTarget = target ? target : "";
      if (symlinkEscapes(e.path, e.linkTarget)) {
        warn(out, fmt::format("symlink '{}' -> '{}' climbs above the image root; resolved "
                              "inside the root",
                              e.path, e.linkTarget));
      }
    } else if (e.type == EntryType::kCharDevice || e.type == EntryType::kBlockDevice) {
      // Recorded, never created: nothing is extracted.
    }
    if (e.type == EntryType::kFile) {
      const CaptureRule* rule =
          options.captureSpec ? options.captureSpec->match(e.path, e.mode, e.size) : nullptr;
      const bool keep = rule != nullptr || (options.capture && e.size <= options.captureMaxBytes &&
                                            options.capture(e.path));
      if (keep) {
        std::string data(e.size, '\0');
        size_t have = 0;
        while (have < data.size()) {
          const la_ssize_t got = archive_read_data(a, data.data() + have, data.size() - have);
          if (got < 0) return archiveError(a, feed, what);
          if (got == 0) break;
          have += static_cast<size_t>(got);
        }
        data.resize(have);
        if (rule != nullptr && rule->transform) {
          if (auto result = rule->transform(e.path, data)) out.derived[e.path] = std::move(*result);
        } else {
          out.captured[e.path] = std::move(data);
        }
      }
    }
    out.entries.push_back(std::move(e));
  }
  auto drained = drain(content);
  if (!drained) return drained.error();
  if (!content.verified()) return makeError("{}: layer stream ended without verification", what);
  out.compression = (*decompressed)->compression();
  out.compressedBytes = blob.bytesRead();
  out.uncompressedBytes = content.bytesRead();
  return out;
}

Result<std::string> readLayerFile(ByteStream& raw, const LayerRef& layer, const std::string& path,
                                  size_t maxBytes, const DecompressLimits& limits,
                                  const std::string& what) {
  VerifyingStream blob(raw, layer.blob.digest, layer.blob.digest.empty() ? -1 : layer.blob.size,
                       what + " blob");
  auto decompressed = openDecompressed(blob, limits, what);
  if (!decompressed) return std::move(decompressed).error();
  VerifyingStream content(**decompressed, layer.diffId, -1, what + " (uncompressed, diff_id)");
  Feed feed;
  feed.stream = &content;
  auto opened = openTar(feed, what);
  if (!opened) return std::move(opened).error();
  archive* a = opened->get();
  archive_entry* entry = nullptr;
  std::optional<std::string> found;
  for (;;) {
    const int rc = archive_read_next_header(a, &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN) return archiveError(a, feed, what);
    const char* rawName = archive_entry_pathname(entry);
    auto clean = cleanEntryPath(rawName ? rawName : "", 4096);
    if (!clean || *clean != path) continue;
    // Keep reading past a match: a later entry of the same name replaces it, as the view
    // (and tar extraction) has it.
    std::string data;
    char buffer[64 * 1024];
    for (;;) {
      const la_ssize_t got = archive_read_data(a, buffer, sizeof buffer);
      if (got < 0) return archiveError(a, feed, what);
      if (got == 0) break;
      if (data.size() + static_cast<size_t>(got) > maxBytes) {
        return makeError("{}: file '{}' is larger than {} bytes", what, path, maxBytes);
      }
      data.append(buffer, static_cast<size_t>(got));
    }
    found = std::move(data);
  }
  auto drained = drain(content);
  if (!drained) return drained.error();
  if (found) return std::move(*found);
  return makeError("{}: no file '{}' in this layer", what, path);
}

}  // namespace bulkhead::image
