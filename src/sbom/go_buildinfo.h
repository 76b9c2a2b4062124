#pragma once
// Go build info (what `go version -m` prints) out of ELF binaries, read the way Go's own
// debug/buildinfo does it:
//   * find the 32-byte header "\xff Go buildinf:" (16-byte aligned) in the first 64 KiB of
//     the .go.buildinfo section, or of the first writable, non-executable PT_LOAD segment
//     when section headers are stripped;
//   * flags bit 0x2 (Go 1.18+): the go version and the module info follow the header as
//     varint-length-prefixed strings; otherwise the header holds two pointers (pointer size
//     and byte order from the header) to Go string headers {data pointer, length}, followed
//     through the PT_LOAD program headers;
//   * the module info is framed by two 16-byte sentinels, which are stripped.
// Then the module info text ("path", "mod", "dep", "=>", "build" lines) is parsed.
//
// Hostile binaries: every pointer and length is checked against the file, the strings are
// bounded, and a binary that is not Go simply yields nothing.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "sbom/elf.h"

namespace bulkhead::sbom {

inline constexpr size_t kMaxGoVersionBytes = 1024;
inline constexpr size_t kMaxGoModInfoBytes = 4u << 20;

// The two strings the Go runtime embeds: runtime.buildVersion and runtime.modinfo (with
// the sentinels stripped; empty for binaries built without module support).
struct GoBuildInfoStrings {
  std::string goVersion;  // "go1.19.8"
  std::string modInfo;
};

struct GoModule {
  std::string path;
  std::string version;
  std::string sum;  // "h1:..."; empty for replaced modules and the main module
};

struct GoDependency {
  GoModule module;
  std::optional<GoModule> replacement;  // "=>" line
};

struct GoBuildInfo {
  std::string goVersion;
  std::string path;  // the main package ("path" line)
  std::optional<GoDependency> main;  // "mod" line: absent for GOPATH-mode builds
  std::vector<GoDependency> deps;
  std::vector<std::pair<std::string, std::string>> settings;  // "build" lines, in order
};

struct GoModInfoLimits {
  size_t maxDeps = 20'000;
  size_t maxSettings = 256;
};

// The build info strings of a Go binary; an error naming `what` when there are none or they
// cannot be read (not a Go binary, stripped data, pointers outside the file).
Result<GoBuildInfoStrings> readGoBuildInfo(const ElfFile& elf, std::string_view what);

// Extractor of the shared "elf-packages" capture rule (catalogers/binary_capture.h): the
// go version and module info only, in the form decodeGoBuildInfo() reads; nullopt for a
// binary that is not Go.
std::optional<std::string> extractGoBuildInfo(const ElfFile& elf, std::string_view bytes);
std::string encodeGoBuildInfo(const GoBuildInfoStrings& strings);
Result<GoBuildInfoStrings> decodeGoBuildInfo(std::string_view encoded, std::string_view what);

// Parses module info text. Unknown line kinds are skipped (newer toolchains may add some);
// a "=>" line without a module before it, or a line with the wrong number of fields, is an
// error naming `what`.
Result<GoBuildInfo> parseGoModInfo(std::string_view goVersion, std::string_view modInfo,
                                   std::string_view what, const GoModInfoLimits& limits = {});

// The version advisories for the Go standard library use: "go1.19.8" -> "v1.19.8",
// "go1.20" -> "v1.20.0", "go1.21rc2" -> "v1.21.0-rc.2", "go1.22.1 X:boringcrypto" ->
// "v1.22.1"; "" when it is not a release version ("devel go1.23-abcdef").
std::string goStdlibVersion(std::string_view goVersion);

}  // namespace bulkhead::sbom
