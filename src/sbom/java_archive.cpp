#include "sbom/java_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <optional>

#include "core/strings.h"

namespace bulkhead::sbom {
namespace {

constexpr std::string_view kHeader = "bulkhead-java-archive 1";
constexpr size_t kMaxWarnings = 64;

char lowerChar(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lowerCopy(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = lowerChar(c);
  return out;
}

bool endsWithNoCase(std::string_view text, std::string_view suffix) {
  if (text.size() < suffix.size()) return false;
  for (size_t i = 0; i < suffix.size(); ++i) {
    if (lowerChar(text[text.size() - suffix.size() + i]) != lowerChar(suffix[i])) return false;
  }
  return true;
}

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\f'; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && (isSpace(text.front()) || text.front() == '\r' || text.front() == '\n')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (isSpace(text.back()) || text.back() == '\r' || text.back() == '\n')) {
    text.remove_suffix(1);
  }
  return text;
}

std::string_view baseName(std::string_view path) {
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

void appendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// ---- serialization -----------------------------------------------------------------------

std::string escapeField(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || c == '%' || c == ',' || u == 0x7F) {
      out += fmt::format("%{:02X}", u);
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<std::string> unescapeField(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int hi = hexValue(text[i + 1]);
    const int lo = hexValue(text[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

// ---- zip pre-checks ----------------------------------------------------------------------

uint64_t readLe(std::string_view bytes, size_t offset, unsigned width) {
  uint64_t value = 0;
  for (unsigned i = 0; i < width; ++i) {
    value |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[offset + i])) << (8 * i);
  }
  return value;
}

// libarchive's seekable reader loads the whole central directory before the first entry, so
// its size and entry count are checked here, from the end-of-central-directory records.
Status checkCentralDirectory(std::string_view bytes, const JavaArchiveLimits& limits) {
  constexpr size_t kEocdSize = 22;
  if (bytes.size() < kEocdSize) return makeError("too short for a zip archive ({} bytes)", bytes.size());
  const size_t lowest = bytes.size() > kEocdSize + 0xFFFF ? bytes.size() - kEocdSize - 0xFFFF : 0;
  std::optional<size_t> eocd;
  for (size_t at = bytes.size() - kEocdSize + 1; at-- > lowest;) {
    if (bytes.compare(at, 4, "PK\x05\x06") == 0) {
      eocd = at;
      break;
    }
  }
  if (!eocd) return makeError("no zip end-of-central-directory record (not a zip archive)");
  uint64_t entries = readLe(bytes, *eocd + 10, 2);
  uint64_t directoryBytes = readLe(bytes, *eocd + 12, 4);
  // Zip64: the locator sits right before the classic record and points at the zip64 one.
  if (*eocd >= 20 && bytes.compare(*eocd - 20, 4, "PK\x06\x07") == 0) {
    const uint64_t at = readLe(bytes, *eocd - 20 + 8, 8);
    if (at <= bytes.size() && bytes.size() - at >= 56 && bytes.compare(at, 4, "PK\x06\x06") == 0) {
      entries = std::max(entries, readLe(bytes, at + 32, 8));
      directoryBytes = std::max(directoryBytes, readLe(bytes, at + 40, 8));
    }
  }
  if (entries > limits.maxEntries) {
    return makeError("{} zip entries exceed the limit of {}", entries, limits.maxEntries);
  }
  if (directoryBytes > limits.maxCentralDirectoryBytes) {
    return makeError("a {}-byte zip central directory exceeds the limit of {} bytes",
                     directoryBytes, limits.maxCentralDirectoryBytes);
  }
  return {};
}

// ---- the walk ----------------------------------------------------------------------------

struct ArchiveDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveDeleter>;

struct WalkState {
  const JavaArchiveLimits& limits;
  JavaArchiveInfo info;
  size_t entries = 0;
  uint64_t inflated = 0;
  size_t droppedWarnings = 0;
  bool stopped = false;  // a limit over the whole tree was reached

  void warn(std::string message) {
    if (info.warnings.size() < kMaxWarnings) {
      info.warnings.push_back(std::move(message));
    } else {
      ++droppedWarnings;
    }
  }
  void add(JavaCoordinates c) {
    if (info.packages.size() >= limits.maxPackages) {
      if (!stopped) warn(fmt::format("more than {} packages; the rest are not listed", limits.maxPackages));
      stopped = true;
      return;
    }
    info.packages.push_back(std::move(c));
  }
};

enum class ReadOutcome { kOk, kTooLarge, kOverBudget, kFailed };

// Reads the current entry's data, at most `limit` bytes, counting them against the tree.
ReadOutcome readEntry(archive* a, archive_entry* entry, uint64_t limit, WalkState& state,
                      std::string& out, std::string& error) {
  out.clear();
  const uint64_t budget = state.limits.maxTotalBytes - std::min(state.inflated, state.limits.maxTotalBytes);
  const uint64_t cap = std::min(limit, budget);
  const auto tooMuch = [&] { return cap < limit ? ReadOutcome::kOverBudget : ReadOutcome::kTooLarge; };
  if (archive_entry_size_is_set(entry) != 0 && archive_entry_size(entry) >= 0 &&
      static_cast<uint64_t>(archive_entry_size(entry)) > cap) {
    return tooMuch();
  }
  char buffer[64 * 1024];
  for (;;) {
    const la_ssize_t got = archive_read_data(a, buffer, sizeof buffer);
    if (got < 0) {
      const char* message = archive_error_string(a);
      error = message ? message : "read error";
      return ReadOutcome::kFailed;
    }
    if (got == 0) return ReadOutcome::kOk;
    state.inflated += static_cast<uint64_t>(got);
    if (out.size() + static_cast<uint64_t>(got) > cap) return tooMuch();
    out.append(buffer, static_cast<size_t>(got));
  }
}

bool isPomProperties(std::string_view name) {
  return name.find("META-INF/maven/") != std::string_view::npos && name.ends_with("/pom.properties");
}

bool isManifest(std::string_view name) {
  return name.size() == 20 && endsWithNoCase(name, "META-INF/MANIFEST.MF");
}

std::string field(const std::map<std::string, std::string>& map, const char* key) {
  auto it = map.find(key);
  return it == map.end() ? std::string() : std::string(trim(it->second));
}

// "org.foo.bar;singleton:=true" -> "org.foo.bar".
std::string beforeParameters(std::string_view value) {
  return std::string(trim(value.substr(0, value.find(';'))));
}

// Bundle-License: a comma-separated list of names or URLs, each with optional ";link=..."
// parameters; commas inside double quotes do not split.
std::vector<std::string> splitLicenses(std::string_view value) {
  std::vector<std::string> out;
  std::string current;
  bool quoted = false;
  auto flush = [&] {
    std::string item = beforeParameters(current);
    current.clear();
    if (!item.empty() && item.size() < 256 &&
        std::find(out.begin(), out.end(), item) == out.end() && out.size() < 32) {
      out.push_back(std::move(item));
    }
  };
  for (const char c : value) {
    if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      flush();
    } else {
      current += c;
    }
  }
  flush();
  return out;
}

bool looksLikeGroupId(std::string_view value) {
  if (value.empty() || value.find('.') == std::string_view::npos || value.size() > 200) return false;
  return std::all_of(value.begin(), value.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_';
  });
}

std::string joinNested(std::string_view prefix, std::string_view name) {
  if (prefix.empty()) return std::string(name);
  return fmt::format("{}!/{}", prefix, name);
}

std::string where(std::string_view prefix, std::string_view name) {
  return prefix.empty() ? std::string(name) : joinNested(prefix, name);
}

Status walk(std::string_view bytes, std::string_view fileName, const std::string& prefix, int depth,
            WalkState& state);

void collect(const std::vector<std::pair<std::string, std::string>>& poms,
             const std::optional<std::string>& manifestText, std::string_view fileName,
             const std::string& prefix, WalkState& state) {
  std::map<std::string, std::string> manifest;
  if (manifestText) manifest = parseJavaManifest(*manifestText);
  const auto [fileBase, fileVersion] = splitJavaArchiveName(fileName);
  const std::vector<std::string> licenses = splitLicenses(field(manifest, "bundle-license"));
  JavaCoordinates base;
  base.nestedPath = prefix;
  base.implementationTitle = field(manifest, "implementation-title");
  base.implementationVendor = field(manifest, "implementation-vendor");
  base.bundleSymbolicName = beforeParameters(field(manifest, "bundle-symbolicname"));

  std::vector<JavaCoordinates> found;
  for (const auto& [path, text] : poms) {
    const auto props = parseJavaProperties(text);
    JavaCoordinates c = base;
    c.source = JavaCoordinates::Source::kPomProperties;
    c.pomPath = path;
    c.groupId = field(props, "groupId");
    c.artifactId = field(props, "artifactId");
    c.version = field(props, "version");
    if (c.artifactId.empty() || c.version.empty()) {
      state.warn(fmt::format("{}: no artifactId or version", where(prefix, path)));
      continue;
    }
    const bool duplicate = std::any_of(found.begin(), found.end(), [&](const JavaCoordinates& f) {
      return f.groupId == c.groupId && f.artifactId == c.artifactId && f.version == c.version;
    });
    if (!duplicate) found.push_back(std::move(c));
  }
  if (!found.empty()) {
    // The manifest describes the archive itself: its licenses go to the package that is
    // the archive (by file name), or to the only one.
    for (auto& c : found) {
      if (found.size() == 1 || c.artifactId == fileBase) c.licenses = licenses;
    }
    for (auto& c : found) state.add(std::move(c));
    return;
  }
  JavaCoordinates c = std::move(base);
  c.source = JavaCoordinates::Source::kFileName;
  c.artifactId = fileBase;
  c.version = fileVersion;
  if (c.artifactId.empty()) {
    for (const char* key : {"bundle-symbolicname", "implementation-title", "bundle-name",
                            "specification-title"}) {
      if (auto value = beforeParameters(field(manifest, key)); !value.empty()) {
        c.artifactId = value;
        c.source = JavaCoordinates::Source::kManifest;
        break;
      }
    }
  }
  if (c.version.empty()) {
    for (const char* key : {"implementation-version", "bundle-version", "specification-version"}) {
      if (auto value = field(manifest, key); !value.empty()) {
        c.version = value;
        c.source = JavaCoordinates::Source::kManifest;
        break;
      }
    }
  }
  for (const char* key : {"group-id", "implementation-vendor-id"}) {
    if (auto value = field(manifest, key); looksLikeGroupId(value)) {
      c.groupId = value;
      break;
    }
  }
  c.licenses = licenses;
  if (c.artifactId.empty()) {
    state.warn(fmt::format("{}: no pom.properties, manifest name or file name to name it by",
                           prefix.empty() ? std::string(fileName) : prefix));
    return;
  }
  state.add(std::move(c));
}

Status walk(std::string_view bytes, std::string_view fileName, const std::string& prefix, int depth,
            WalkState& state) {
  BH_TRY_STATUS(checkCentralDirectory(bytes, state.limits));
  ArchivePtr a(archive_read_new());
  if (!a) return makeError("out of memory");
  archive_read_support_format_zip_seekable(a.get());
  if (archive_read_open_memory(a.get(), bytes.data(), bytes.size()) != ARCHIVE_OK) {
    const char* message = archive_error_string(a.get());
    return makeError("not a zip archive ({})", message ? message : "unrecognized format");
  }
  std::vector<std::pair<std::string, std::string>> poms;
  std::optional<std::string> manifest;
  std::string data;
  std::string error;
  for (;;) {
    archive_entry* entry = nullptr;
    const int rc = archive_read_next_header(a.get(), &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc == ARCHIVE_FATAL || entry == nullptr) {
      const char* message = archive_error_string(a.get());
      state.warn(fmt::format("{}: {}", prefix.empty() ? std::string(fileName) : prefix,
                             message ? message : "unreadable zip entry"));
      break;
    }
    if (rc == ARCHIVE_RETRY) continue;
    if (++state.entries > state.limits.maxEntries) {
      state.warn(fmt::format("more than {} zip entries; the rest are not read", state.limits.maxEntries));
      state.stopped = true;
      break;
    }
    if (archive_entry_filetype(entry) != AE_IFREG) continue;
    const char* rawName = archive_entry_pathname(entry);
    if (rawName == nullptr) continue;
    const std::string_view name(rawName);
    const bool pom = isPomProperties(name);
    const bool man = !manifest && isManifest(name);
    const bool nested = !pom && !man && isJavaArchiveName(name);
    if (!pom && !man && !nested) continue;
    if (nested && depth >= state.limits.maxDepth) {
      state.warn(fmt::format("{}: nested deeper than {} archives; not read", where(prefix, name),
                             state.limits.maxDepth));
      continue;
    }
    const uint64_t limit = nested ? state.limits.maxNestedBytes : state.limits.maxMetadataBytes;
    const ReadOutcome outcome = readEntry(a.get(), entry, limit, state, data, error);
    if (outcome == ReadOutcome::kFailed) {
      state.warn(fmt::format("{}: {}", where(prefix, name), error));
      continue;
    }
    if (outcome == ReadOutcome::kOverBudget) {
      state.warn(fmt::format("{}: more than {} bytes would be inflated from this archive; the rest "
                             "is not read",
                             where(prefix, name), state.limits.maxTotalBytes));
      state.stopped = true;
      break;
    }
    if (outcome == ReadOutcome::kTooLarge) {
      state.warn(fmt::format("{}: larger than {} bytes; not read", where(prefix, name), limit));
      continue;
    }
    if (pom) {
      poms.emplace_back(std::string(name), data);
    } else if (man) {
      manifest = data;
    } else {
      const std::string inner = joinNested(prefix, name);
      std::string nestedBytes = std::move(data);
      data = std::string();
      auto status = walk(nestedBytes, baseName(name), inner, depth + 1, state);
      if (!status) state.warn(fmt::format("{}: {}", inner, status.error().message));
      if (state.stopped) break;
    }
  }
  collect(poms, manifest, fileName, prefix, state);
  return {};
}

}  // namespace

const char* javaSourceName(JavaCoordinates::Source source) {
  switch (source) {
    case JavaCoordinates::Source::kPomProperties: return "pom.properties";
    case JavaCoordinates::Source::kManifest: return "manifest";
    case JavaCoordinates::Source::kFileName: return "file-name";
  }
  return "?";
}

bool isJavaArchiveName(std::string_view path) {
  for (const char* suffix : {".jar", ".war", ".ear", ".jpi", ".hpi"}) {
    if (endsWithNoCase(path, suffix) && path.size() > 4 && path[path.size() - 5] != '/') return true;
  }
  return false;
}

std::pair<std::string, std::string> splitJavaArchiveName(std::string_view fileName) {
  std::string_view stem = baseName(fileName);
  if (isJavaArchiveName(stem)) stem.remove_suffix(4);
  for (size_t i = 0; i + 1 < stem.size(); ++i) {
    if (stem[i] == '-' && stem[i + 1] >= '0' && stem[i + 1] <= '9' && i > 0) {
      return {std::string(stem.substr(0, i)), std::string(stem.substr(i + 1))};
    }
  }
  return {std::string(stem), std::string()};
}

std::map<std::string, std::string> parseJavaProperties(std::string_view text) {
  std::map<std::string, std::string> out;
  size_t pos = 0;
  auto nextNaturalLine = [&](std::string_view& line) {
    if (pos >= text.size()) return false;
    size_t end = pos;
    while (end < text.size() && text[end] != '\n' && text[end] != '\r') ++end;
    line = text.substr(pos, end - pos);
    if (end < text.size() && text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n') {
      pos = end + 2;
    } else {
      pos = end + 1;
    }
    return true;
  };
  auto endsWithContinuation = [](std::string_view line) {
    size_t backslashes = 0;
    while (backslashes < line.size() && line[line.size() - 1 - backslashes] == '\\') ++backslashes;
    return backslashes % 2 == 1;
  };
  std::string_view natural;
  while (nextNaturalLine(natural)) {
    while (!natural.empty() && isSpace(natural.front())) natural.remove_prefix(1);
    if (natural.empty() || natural.front() == '#' || natural.front() == '!') continue;
    std::string logical;
    for (;;) {
      if (!endsWithContinuation(natural)) {
        logical.append(natural);
        break;
      }
      logical.append(natural.substr(0, natural.size() - 1));
      if (!nextNaturalLine(natural)) break;
      while (!natural.empty() && isSpace(natural.front())) natural.remove_prefix(1);
    }
    // Key: up to the first unescaped separator; escapes resolved in key and value alike.
    std::string key;
    std::string value;
    std::string* target = &key;
    bool separatorSeen = false;
    for (size_t i = 0; i < logical.size(); ++i) {
      char c = logical[i];
      if (target == &key && !separatorSeen && (c == '=' || c == ':' || isSpace(c))) {
        // Whitespace, then at most one '=' or ':', then whitespace.
        size_t j = i;
        while (j < logical.size() && isSpace(logical[j])) ++j;
        if (j < logical.size() && (logical[j] == '=' || logical[j] == ':')) ++j;
        while (j < logical.size() && isSpace(logical[j])) ++j;
        separatorSeen = true;
        target = &value;
        i = j - 1;
        continue;
      }
      if (c == '\\' && i + 1 < logical.size()) {
        c = logical[++i];
        switch (c) {
          case 't': *target += '\t'; break;
          case 'n': *target += '\n'; break;
          case 'r': *target += '\r'; break;
          case 'f': *target += '\f'; break;
          case 'u': {
            uint32_t cp = 0;
            bool ok = i + 4 < logical.size();
            for (size_t k = 1; ok && k <= 4; ++k) {
              const int h = hexValue(logical[i + k]);
              if (h < 0) ok = false;
              cp = cp * 16 + static_cast<uint32_t>(h < 0 ? 0 : h);
            }
            if (ok) {
              appendUtf8(*target, cp);
              i += 4;
            } else {
              *target += 'u';
            }
            break;
          }
          default: *target += c;
        }
        continue;
      }
      *target += c;
    }
    out[std::move(key)] = std::move(value);
  }
  return out;
}

std::map<std::string, std::string> parseJavaManifest(std::string_view text) {
  std::map<std::string, std::string> out;
  std::string key;
  std::string value;
  auto flush = [&] {
    if (!key.empty()) out[lowerCopy(key)] = std::move(value);
    key.clear();
    value.clear();
  };
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = pos;
    while (end < text.size() && text[end] != '\n' && text[end] != '\r') ++end;
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (end < text.size() && text[end] == '\r' && pos < text.size() && text[pos] == '\n') ++pos;
    if (line.empty()) break;  // end of the main section
    if (line.front() == ' ') {
      if (!key.empty()) value.append(line.substr(1));
      continue;
    }
    flush();
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;
    key = std::string(line.substr(0, colon));
    std::string_view rest = line.substr(colon + 1);
    if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    value = std::string(rest);
  }
  flush();
  return out;
}

Result<JavaArchiveInfo> scanJavaArchive(std::string_view bytes, std::string_view fileName,
                                        const JavaArchiveLimits& limits) {
  WalkState state{limits, {}};
  auto status = walk(bytes, baseName(fileName), std::string(), 1, state);
  if (!status) return std::move(status).error();
  if (state.droppedWarnings > 0) {
    state.info.warnings.push_back(fmt::format("{} more warnings not shown", state.droppedWarnings));
  }
  return std::move(state.info);
}

std::string encodeJavaArchiveInfo(const JavaArchiveInfo& info) {
  std::string out(kHeader);
  out += '\n';
  for (const auto& p : info.packages) {
    std::string licenses;
    for (size_t i = 0; i < p.licenses.size(); ++i) {
      if (i > 0) licenses += ',';
      licenses += escapeField(p.licenses[i]);
    }
    out += fmt::format("P\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n", javaSourceName(p.source),
                       escapeField(p.groupId), escapeField(p.artifactId), escapeField(p.version),
                       escapeField(p.nestedPath), escapeField(p.pomPath), licenses,
                       escapeField(p.implementationTitle), escapeField(p.implementationVendor),
                       escapeField(p.bundleSymbolicName));
  }
  for (const auto& w : info.warnings) out += fmt::format("W\t{}\n", escapeField(w));
  return out;
}

Result<JavaArchiveInfo> decodeJavaArchiveInfo(std::string_view text, std::string_view what) {
  constexpr size_t kMaxLines = 100'000;
  JavaArchiveInfo info;
  auto lines = split(text, '\n');
  if (lines.empty() || lines.front() != kHeader) {
    return makeError("{}: not a Java archive summary (bad header)", what);
  }
  if (lines.size() > kMaxLines) return makeError("{}: Java archive summary too long", what);
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    if (line.empty()) continue;
    const auto fields = split(line, '\t');
    std::vector<std::string> values;
    for (size_t f = 1; f < fields.size(); ++f) {
      if (fields[0] == "P" && f == 7) {
        values.emplace_back(fields[f]);  // licenses: unescaped item by item below
        continue;
      }
      auto v = unescapeField(fields[f]);
      if (!v) return makeError("{}: Java archive summary line {}: bad escape", what, i + 1);
      values.push_back(std::move(*v));
    }
    if (fields[0] == "W" && values.size() == 1) {
      info.warnings.push_back(std::move(values[0]));
      continue;
    }
    if (fields[0] != "P" || values.size() != 10) {
      return makeError("{}: Java archive summary line {} is malformed", what, i + 1);
    }
    JavaCoordinates c;
    if (values[0] == "pom.properties") {
      c.source = JavaCoordinates::Source::kPomProperties;
    } else if (values[0] == "manifest") {
      c.source = JavaCoordinates::Source::kManifest;
    } else if (values[0] == "file-name") {
      c.source = JavaCoordinates::Source::kFileName;
    } else {
      return makeError("{}: Java archive summary line {}: unknown source", what, i + 1);
    }
    c.groupId = std::move(values[1]);
    c.artifactId = std::move(values[2]);
    c.version = std::move(values[3]);
    c.nestedPath = std::move(values[4]);
    c.pomPath = std::move(values[5]);
    if (!values[6].empty()) {
      for (const auto item : split(values[6], ',')) {
        auto v = unescapeField(item);
        if (!v) return makeError("{}: Java archive summary line {}: bad escape", what, i + 1);
        c.licenses.push_back(std::move(*v));
      }
    }
    c.implementationTitle = std::move(values[7]);
    c.implementationVendor = std::move(values[8]);
    c.bundleSymbolicName = std::move(values[9]);
    info.packages.push_back(std::move(c));
  }
  return info;
}

}  // namespace bulkhead::sbom
