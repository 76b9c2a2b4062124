#include "vuln/importers/importer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace bulkhead::vuln {

bool ImportSink::add(Vulnerability record) {
  if (records_.size() >= limits_.maxRecords) {
    ++skipped_;
    if (skipped_ == 1)
      warn(fmt::format("more than {} records: the rest are dropped", limits_.maxRecords));
    return false;
  }
  records_.push_back(std::move(record));
  return true;
}

void ImportSink::warn(std::string message) {
  ++warningCount_;
  if (warnings_.size() < limits_.maxWarnings) warnings_.push_back(std::move(message));
}

bool endsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::string truncateUtf8(std::string_view text, size_t limit) {
  if (text.size() <= limit) return std::string(text);
  size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut));
}

int flowNestingDepth(std::string_view text) {
  int depth = 0;
  int deepest = 0;
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote != 0) {
      if (c == '\\' && quote == '"') {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
      continue;
    }
    if (c == '"') {
      quote = c;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

namespace {

// Reads a regular file without following a final symlink, bounded by `limit`.
Result<std::string> readBounded(const std::string& path, size_t limit) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return makeError("cannot open: {}", std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return makeError("not a regular file");
  }
  if (static_cast<uint64_t>(st.st_size) > limit) {
    ::close(fd);
    return makeError("{} bytes, more than the limit of {}", st.st_size, limit);
  }
  std::string data;
  data.resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::read(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  data.resize(done);
  return data;
}

}  // namespace

Status importFeed(const std::string& root, const Importer& importer, ImportSink& sink) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto rootStatus = fs::status(root, ec);
  if (ec || !fs::is_directory(rootStatus)) {
    if (!ec && fs::is_regular_file(rootStatus)) {
      // A feed that is one file (a Debian list given directly).
    } else {
      return makeError("feed {}: cannot read the directory{}", root,
                       ec ? ": " + ec.message() : std::string());
    }
  }
  std::vector<std::string> files;
  if (fs::is_regular_file(rootStatus)) {
    files.push_back(root);
  } else {
    fs::recursive_directory_iterator it(root, fs::directory_options::none, ec);
    if (ec) return makeError("feed {}: cannot read the directory: {}", root, ec.message());
    size_t seen = 0;
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) return makeError("feed {}: cannot walk the directory: {}", root, ec.message());
      if (++seen > sink.limits().maxFiles) {
        return makeError("feed {}: more than {} files", root, sink.limits().maxFiles);
      }
      if (it.depth() > 16) {
        it.disable_recursion_pending();
        continue;
      }
      const auto st = it->symlink_status(ec);
      if (ec || !fs::is_regular_file(st)) continue;
      const std::string relative = fs::relative(it->path(), root, ec).generic_string();
      if (ec) continue;
      if (importer.wants(relative)) files.push_back(it->path().string());
    }
  }
  if (files.empty()) {
    return makeError("feed {}: no {} files found", root, importer.format());
  }
  std::sort(files.begin(), files.end());  // deterministic order, warnings and ids
  for (const std::string& path : files) {
    std::string relative = fs::is_regular_file(rootStatus)
                               ? fs::path(path).filename().string()
                               : fs::relative(path, root, ec).generic_string();
    auto text = readBounded(path, sink.limits().maxFileBytes);
    if (!text) {
      if (files.size() == 1) return makeError("feed {}: {}", path, text.error().message);
      sink.warn(fmt::format("{}: skipped: {}", relative, text.error().message));
      sink.countSkipped();
      continue;
    }
    const Status parsed = importer.parse(ImportFile{relative, *text}, sink);
    if (!parsed) {
      sink.warn(fmt::format("{}: skipped: {}", relative, parsed.error().message));
      sink.countSkipped();
    }
  }
  return {};
}

}  // namespace bulkhead::vuln
