#pragma once
// The RPM header as the package databases store it (no lead, no magic): two big-endian
// 32-bit counts, il index entries and dl bytes of data, then il entries of 16 bytes (tag,
// type, offset into the data, count) and the data store. Only the tags a package
// inventory needs are read. Every count and offset is checked against the blob before it
// is used; the blob comes from an image and may be anything.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace bulkhead::sbom {

namespace rpmtag {
inline constexpr uint32_t kName = 1000;
inline constexpr uint32_t kVersion = 1001;
inline constexpr uint32_t kRelease = 1002;
inline constexpr uint32_t kEpoch = 1003;
inline constexpr uint32_t kVendor = 1011;
inline constexpr uint32_t kLicense = 1014;
inline constexpr uint32_t kArch = 1022;
inline constexpr uint32_t kOldFilenames = 1027;
inline constexpr uint32_t kSourceRpm = 1044;
inline constexpr uint32_t kDirIndexes = 1116;
inline constexpr uint32_t kBasenames = 1117;
inline constexpr uint32_t kDirnames = 1118;
}  // namespace rpmtag

struct RpmHeader {
  std::string name;
  std::string version;
  std::string release;
  std::optional<uint32_t> epoch;
  std::string arch;       // empty for gpg-pubkey pseudo packages
  std::string sourceRpm;  // "bash-5.1.8-6.el9.src.rpm"; empty for source-less ones
  std::string license;    // an expression as written: "GPL-2.0-or-later AND MIT"
  std::string vendor;
  std::vector<std::string> files;  // DIRNAMES[DIRINDEXES[i]] + BASENAMES[i], or OLDFILENAMES
  std::string fileError;           // why `files` is empty although the header has a list
};

struct RpmHeaderLimits {
  size_t maxEntries = 0xffff;       // rpm's own HEADER_TAGS_MAX
  size_t maxFiles = 1'000'000;      // per package
  size_t maxFileBytes = 64u << 20;  // sum of the file paths of one package
};

// A header with no NAME, VERSION or RELEASE, or with an entry that points outside the
// blob, is an error naming `what`. A file list that is inconsistent or over the limits
// leaves `files` empty and says why in `fileError`: the package itself is still good.
Result<RpmHeader> parseRpmHeader(std::string_view blob, std::string_view what,
                                 const RpmHeaderLimits& limits = {});

// "[epoch:]version-release", as advisories compare it.
std::string rpmEvr(const RpmHeader& header);

// "name-version-release.src.rpm" (or .nosrc.rpm) split at its last two dashes.
struct SourceRpmName {
  std::string name;
  std::string version;
  std::string release;
};
std::optional<SourceRpmName> parseSourceRpmName(std::string_view file);

}  // namespace bulkhead::sbom
