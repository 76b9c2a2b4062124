#include "sbom/go_buildinfo.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/strings.h"

namespace bulkhead::sbom {
namespace {

constexpr std::string_view kMagic = "\xff Go buildinf:";
constexpr size_t kHeaderBytes = 32;
constexpr size_t kAlign = 16;
constexpr uint64_t kSearchBytes = 64 * 1024;
constexpr uint32_t kPfExecute = 1;
constexpr uint32_t kPfWrite = 2;
constexpr std::string_view kEncodedMagic = "BHGO1\n";
// cmd/go frames the module info with 16-byte sentinels (modload.infoStart/infoEnd); Go's
// reader recognizes the framing by the newline right before the end sentinel.
constexpr size_t kSentinelBytes = 16;

// Where Go looks: the .go.buildinfo section, else the first writable, non-executable
// PT_LOAD segment (section headers can be stripped; program headers cannot).
std::optional<uint64_t> dataStart(const ElfFile& elf) {
  if (const ElfSection* s = elf.section(".go.buildinfo")) return s->addr;
  for (const auto& p : elf.segments()) {
    if (p.type == kPtLoad && (p.flags & (kPfExecute | kPfWrite)) == kPfWrite) return p.vaddr;
  }
  return std::nullopt;
}

// Unsigned LEB128, as encoding/binary.Uvarint; nullopt when truncated or over 64 bits.
std::optional<uint64_t> uvarint(std::string_view data, size_t& used) {
  uint64_t value = 0;
  for (size_t i = 0; i < data.size() && i < 10; ++i) {
    const auto byte = static_cast<uint8_t>(data[i]);
    if (i == 9 && byte > 1) return std::nullopt;
    value |= static_cast<uint64_t>(byte & 0x7F) << (7 * i);
    if ((byte & 0x80) == 0) {
      used = i + 1;
      return value;
    }
  }
  return std::nullopt;
}

// A varint-prefixed string at the front of `data`; advances `data` past it.
std::optional<std::string_view> decodeString(std::string_view& data, size_t maxBytes) {
  size_t used = 0;
  const auto length = uvarint(data, used);
  if (!length || *length > data.size() - used || *length > maxBytes) return std::nullopt;
  const std::string_view out = data.substr(used, static_cast<size_t>(*length));
  data.remove_prefix(used + static_cast<size_t>(*length));
  return out;
}

uint64_t readPointer(std::string_view bytes, size_t width, bool bigEndian) {
  uint64_t value = 0;
  for (size_t i = 0; i < width; ++i) {
    const auto byte = static_cast<uint8_t>(bytes[bigEndian ? i : width - 1 - i]);
    value = (value << 8) | byte;
  }
  return value;
}

// A Go string header {data pointer, length} at `addr`, followed to its bytes.
std::optional<std::string_view> readGoString(const ElfFile& elf, uint64_t addr, size_t pointerSize,
                                             bool bigEndian, size_t maxBytes) {
  const auto header = elf.dataAtAddress(addr, 2 * pointerSize);
  if (!header || header->size() < 2 * pointerSize) return std::nullopt;
  const uint64_t dataAddr = readPointer(*header, pointerSize, bigEndian);
  const uint64_t length = readPointer(header->substr(pointerSize), pointerSize, bigEndian);
  if (length > maxBytes) return std::nullopt;
  if (length == 0) return std::string_view();
  const auto data = elf.dataAtAddress(dataAddr, length);
  if (!data || data->size() < length) return std::nullopt;
  return data;
}

// strconv.Quote'd keys and values ("-ldflags=\"-s -w\""): the common escapes; anything
// else is kept as written.
std::string unquote(std::string_view text) {
  if (text.size() < 2 || text.front() != text.back() || (text.front() != '"' && text.front() != '`')) {
    return std::string(text);
  }
  const char quote = text.front();
  text = text.substr(1, text.size() - 2);
  if (quote == '`') return std::string(text);
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\' || i + 1 == text.size()) {
      out += text[i];
      continue;
    }
    const char c = text[++i];
    switch (c) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      default: out += c;
    }
  }
  return out;
}

// "mod"/"dep" fields: path, version and an optional sum (Go: 2 or 3 columns).
std::optional<GoModule> moduleOf(const std::vector<std::string_view>& fields) {
  if (fields.size() != 3 && fields.size() != 4) return std::nullopt;
  GoModule m;
  m.path = std::string(fields[1]);
  m.version = std::string(fields[2]);
  if (fields.size() == 4) m.sum = std::string(fields[3]);
  return m;
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

Result<GoBuildInfoStrings> readGoBuildInfo(const ElfFile& elf, std::string_view what) {
  const auto start = dataStart(elf);
  if (!start) return makeError("{}: no Go build info (no data segment)", what);
  const auto window = elf.dataAtAddress(*start, kSearchBytes);
  if (!window) return makeError("{}: no Go build info (data segment not in the file)", what);
  std::string_view data = *window;
  size_t at = 0;
  for (;;) {
    const auto found = data.find(kMagic, at);
    if (found == std::string_view::npos || data.size() - found < kHeaderBytes) {
      return makeError("{}: no Go build info (no \"\\xff Go buildinf:\" header)", what);
    }
    if (found % kAlign == 0) {
      at = found;
      break;
    }
    at = (found + kAlign - 1) / kAlign * kAlign;
  }
  const std::string_view header = data.substr(at, kHeaderBytes);
  const size_t pointerSize = static_cast<uint8_t>(header[14]);
  const auto flags = static_cast<uint8_t>(header[15]);
  GoBuildInfoStrings out;
  std::string_view modInfo;
  if ((flags & 0x2) != 0) {
    // Go 1.18+: the strings follow the header. Read past the 64 KiB search window through the
    // segment, as newer Go readers do: large module lists can be longer than that.
    const auto segment = elf.dataAtAddress(*start, at + kHeaderBytes + kMaxGoVersionBytes +
                                                       kMaxGoModInfoBytes + 20);
    if (!segment || segment->size() < at + kHeaderBytes) {
      return makeError("{}: Go build info header without its strings", what);
    }
    std::string_view rest = segment->substr(at + kHeaderBytes);
    const auto version = decodeString(rest, kMaxGoVersionBytes);
    const auto mod = version ? decodeString(rest, kMaxGoModInfoBytes) : std::nullopt;
    if (!version || !mod) return makeError("{}: Go build info strings are truncated or too long", what);
    out.goVersion = std::string(*version);
    modInfo = *mod;
  } else {
    if (pointerSize != 4 && pointerSize != 8) {
      return makeError("{}: Go build info with pointer size {}", what, pointerSize);
    }
    const bool bigEndian = (flags & 0x1) != 0;
    const uint64_t versionAddr = readPointer(header.substr(16), pointerSize, bigEndian);
    const uint64_t modAddr = readPointer(header.substr(16 + pointerSize), pointerSize, bigEndian);
    const auto version = readGoString(elf, versionAddr, pointerSize, bigEndian, kMaxGoVersionBytes);
    if (!version) return makeError("{}: Go build info version pointer leads outside the file", what);
    out.goVersion = std::string(*version);
    // Binaries built without modules point at an empty string; a pointer outside the file
    // loses the module list but keeps the toolchain version.
    modInfo = readGoString(elf, modAddr, pointerSize, bigEndian, kMaxGoModInfoBytes).value_or("");
  }
  if (out.goVersion.empty()) return makeError("{}: Go build info without a go version", what);
  if (out.goVersion.find('\n') != std::string::npos) {
    return makeError("{}: Go build info version contains a newline", what);
  }
  if (modInfo.size() >= 2 * kSentinelBytes + 1 && modInfo[modInfo.size() - kSentinelBytes - 1] == '\n') {
    out.modInfo = std::string(modInfo.substr(kSentinelBytes, modInfo.size() - 2 * kSentinelBytes));
  }
  return out;
}

std::optional<std::string> extractGoBuildInfo(const ElfFile& elf, std::string_view) {
  auto strings = readGoBuildInfo(elf, "binary");
  if (!strings) return std::nullopt;
  return encodeGoBuildInfo(*strings);
}

std::string encodeGoBuildInfo(const GoBuildInfoStrings& strings) {
  std::string out(kEncodedMagic);
  out += strings.goVersion;
  out += '\n';
  out += strings.modInfo;
  return out;
}

Result<GoBuildInfoStrings> decodeGoBuildInfo(std::string_view encoded, std::string_view what) {
  if (!encoded.starts_with(kEncodedMagic)) return makeError("{}: not an encoded Go build info", what);
  encoded.remove_prefix(kEncodedMagic.size());
  const auto newline = encoded.find('\n');
  if (newline == std::string_view::npos || newline == 0 || newline > kMaxGoVersionBytes) {
    return makeError("{}: encoded Go build info without a version line", what);
  }
  if (encoded.size() - newline - 1 > kMaxGoModInfoBytes) {
    return makeError("{}: Go module info larger than {} bytes", what, kMaxGoModInfoBytes);
  }
  GoBuildInfoStrings out;
  out.goVersion = std::string(encoded.substr(0, newline));
  out.modInfo = std::string(encoded.substr(newline + 1));
  return out;
}

Result<GoBuildInfo> parseGoModInfo(std::string_view goVersion, std::string_view modInfo,
                                   std::string_view what, const GoModInfoLimits& limits) {
  GoBuildInfo info;
  info.goVersion = std::string(goVersion);
  // The module the next "=>" line replaces: the main module or the last dep.
  std::optional<GoDependency>* lastMain = nullptr;
  GoDependency* lastDep = nullptr;
  size_t lineNumber = 0;
  for (const std::string_view line : split(modInfo, '\n')) {
    ++lineNumber;
    if (line.empty()) continue;
    const auto fields = split(line, '\t');
    const std::string_view kind = fields[0];
    if (kind == "path" && fields.size() >= 2) {
      info.path = std::string(line.substr(5));
    } else if (kind == "mod" || kind == "dep") {
      auto module = moduleOf(fields);
      if (!module) {
        return makeError("{}: Go module info line {}: {} line with {} fields", what, lineNumber, kind,
                         fields.size());
      }
      lastMain = nullptr;
      lastDep = nullptr;
      if (kind == "mod") {
        info.main = GoDependency{std::move(*module), std::nullopt};
        lastMain = &info.main;
      } else {
        if (info.deps.size() >= limits.maxDeps) {
          return makeError("{}: more than {} Go module dependencies", what, limits.maxDeps);
        }
        info.deps.push_back(GoDependency{std::move(*module), std::nullopt});
        lastDep = &info.deps.back();
      }
    } else if (kind == "=>") {
      if (fields.size() != 4) {
        return makeError("{}: Go module info line {}: replacement with {} fields", what, lineNumber,
                         fields.size());
      }
      GoModule replacement{std::string(fields[1]), std::string(fields[2]), std::string(fields[3])};
      if (lastDep != nullptr) {
        lastDep->replacement = std::move(replacement);
      } else if (lastMain != nullptr && *lastMain) {
        (*lastMain)->replacement = std::move(replacement);
      } else {
        return makeError("{}: Go module info line {}: replacement with no module before it", what,
                         lineNumber);
      }
      lastMain = nullptr;
      lastDep = nullptr;
    } else if (kind == "build" && fields.size() >= 2) {
      if (info.settings.size() >= limits.maxSettings) continue;
      const std::string_view setting = line.substr(6);
      // A quoted key may hold '=': look for the separator after it.
      size_t from = 0;
      if (!setting.empty() && (setting.front() == '"' || setting.front() == '`')) {
        const auto close = setting.find(setting.front(), 1);
        from = close == std::string_view::npos ? 0 : close;
      }
      const auto eq = setting.find('=', from);
      if (eq == std::string_view::npos || eq == 0) continue;
      info.settings.emplace_back(unquote(setting.substr(0, eq)), unquote(setting.substr(eq + 1)));
    }
    // Other kinds ("go" from newer toolchains, anything unknown): skipped, as Go does.
  }
  return info;
}

std::string goStdlibVersion(std::string_view goVersion) {
  // "go1.22.1 X:boringcrypto": the experiment suffix is not part of the release.
  goVersion = goVersion.substr(0, goVersion.find(' '));
  if (!goVersion.starts_with("go1")) return {};
  std::string_view rest = goVersion.substr(2);
  // Numeric components, then an optional "rc"/"beta" pre-release.
  std::vector<std::string_view> numbers;
  size_t i = 0;
  while (numbers.size() < 3) {
    const size_t begin = i;
    while (i < rest.size() && isDigit(rest[i])) ++i;
    if (i == begin) return {};
    numbers.push_back(rest.substr(begin, i - begin));
    if (i < rest.size() && rest[i] == '.') {
      ++i;
      continue;
    }
    break;
  }
  std::string_view pre = rest.substr(i);
  std::string preRelease;
  for (const std::string_view tag : {"rc", "beta", "alpha"}) {
    if (pre.starts_with(tag)) {
      const std::string_view n = pre.substr(tag.size());
      if (n.empty() || !std::all_of(n.begin(), n.end(), isDigit)) return {};
      preRelease = fmt::format("-{}.{}", tag, n);
      pre = {};
      break;
    }
  }
  if (!pre.empty()) return {};
  while (numbers.size() < 3) numbers.push_back("0");
  return fmt::format("v{}.{}.{}{}", numbers[0], numbers[1], numbers[2], preRelease);
}

}  // namespace bulkhead::sbom
