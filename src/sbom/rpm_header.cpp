#include "sbom/rpm_header.h"

#include <fmt/format.h>

#include <algorithm>

namespace bulkhead::sbom {
namespace {

// Entry types (rpmTagType).
constexpr uint32_t kTypeInt32 = 4;
constexpr uint32_t kTypeString = 6;
constexpr uint32_t kTypeStringArray = 8;
constexpr uint32_t kTypeI18nString = 9;
constexpr uint32_t kTypeMax = 9;

uint32_t be32(std::string_view bytes, size_t offset) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data()) + offset;
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

const char* tagName(uint32_t tag) {
  switch (tag) {
    case rpmtag::kName:
      return "NAME";
    case rpmtag::kVersion:
      return "VERSION";
    case rpmtag::kRelease:
      return "RELEASE";
    case rpmtag::kEpoch:
      return "EPOCH";
    case rpmtag::kVendor:
      return "VENDOR";
    case rpmtag::kLicense:
      return "LICENSE";
    case rpmtag::kArch:
      return "ARCH";
    case rpmtag::kOldFilenames:
      return "OLDFILENAMES";
    case rpmtag::kSourceRpm:
      return "SOURCERPM";
    case rpmtag::kDirIndexes:
      return "DIRINDEXES";
    case rpmtag::kBasenames:
      return "BASENAMES";
    case rpmtag::kDirnames:
      return "DIRNAMES";
    default:
      return "?";
  }
}

struct Entry {
  uint32_t tag = 0;
  uint32_t type = 0;
  uint32_t offset = 0;
  uint32_t count = 0;
};

class Reader {
 public:
  Reader(std::string_view data, std::string_view what) : data_(data), what_(what) {}

  // `count` NUL-terminated strings starting at the entry's offset.
  Result<std::vector<std::string_view>> strings(const Entry& e) const {
    if (e.type != kTypeString && e.type != kTypeStringArray && e.type != kTypeI18nString) {
      return makeError("{}: tag {} ({}) has type {}, not a string", what_, e.tag, tagName(e.tag),
                       e.type);
    }
    if (e.type == kTypeString && e.count != 1) {
      return makeError("{}: tag {} ({}) is a string with count {}", what_, e.tag, tagName(e.tag),
                       e.count);
    }
    // Each string takes at least its NUL: a count above the bytes left is a lie, found
    // before anything is allocated for it.
    if (e.count > data_.size() - e.offset) {
      return makeError("{}: tag {} ({}) claims {} strings in {} bytes", what_, e.tag,
                       tagName(e.tag), e.count, data_.size() - e.offset);
    }
    std::vector<std::string_view> out;
    out.reserve(e.count);
    size_t at = e.offset;
    for (uint32_t i = 0; i < e.count; ++i) {
      const size_t nul = data_.find('\0', at);
      if (nul == std::string_view::npos) {
        return makeError("{}: tag {} ({}): string {} runs past the end of the data", what_, e.tag,
                         tagName(e.tag), i);
      }
      out.push_back(data_.substr(at, nul - at));
      at = nul + 1;
    }
    return out;
  }

  Result<std::string> string(const Entry& e) const {
    auto list = strings(e);
    if (!list) return std::move(list).error();
    if (list->empty()) return std::string();
    return std::string(list->front());  // I18N strings: the first is the C locale
  }

  Result<std::vector<uint32_t>> int32s(const Entry& e) const {
    if (e.type != kTypeInt32) {
      return makeError("{}: tag {} ({}) has type {}, not INT32", what_, e.tag, tagName(e.tag),
                       e.type);
    }
    if (uint64_t{e.count} * 4 > data_.size() - e.offset) {
      return makeError("{}: tag {} ({}): {} integers do not fit in the data", what_, e.tag,
                       tagName(e.tag), e.count);
    }
    std::vector<uint32_t> out;
    out.reserve(e.count);
    for (uint32_t i = 0; i < e.count; ++i) out.push_back(be32(data_, e.offset + size_t{i} * 4));
    return out;
  }

 private:
  std::string_view data_;
  std::string_view what_;
};

}  // namespace

Result<RpmHeader> parseRpmHeader(std::string_view blob, std::string_view what,
                                 const RpmHeaderLimits& limits) {
  if (blob.size() < 8) return makeError("{}: header of {} bytes is too short", what, blob.size());
  const uint32_t il = be32(blob, 0);
  const uint32_t dl = be32(blob, 4);
  if (il == 0 || il > limits.maxEntries) {
    return makeError("{}: header claims {} index entries (1 to {} allowed)", what, il,
                     limits.maxEntries);
  }
  const uint64_t needed = 8 + uint64_t{il} * 16 + dl;
  if (needed > blob.size()) {
    return makeError("{}: header claims {} entries and {} data bytes, {} bytes needed, {} present",
                     what, il, dl, needed, blob.size());
  }
  const std::string_view index = blob.substr(8, size_t{il} * 16);
  const std::string_view data = blob.substr(8 + size_t{il} * 16, dl);
  const Reader reader(data, what);

  // The first entry of each wanted tag (later ones would be duplicates a well-formed
  // header does not have).
  constexpr uint32_t kWanted[] = {rpmtag::kName,       rpmtag::kVersion,      rpmtag::kRelease,
                                  rpmtag::kEpoch,      rpmtag::kVendor,       rpmtag::kLicense,
                                  rpmtag::kArch,       rpmtag::kOldFilenames, rpmtag::kSourceRpm,
                                  rpmtag::kDirIndexes, rpmtag::kBasenames,    rpmtag::kDirnames};
  std::optional<Entry> found[std::size(kWanted)];
  for (uint32_t i = 0; i < il; ++i) {
    Entry e{be32(index, i * 16), be32(index, i * 16 + 4), be32(index, i * 16 + 8),
            be32(index, i * 16 + 12)};
    size_t slot = std::size(kWanted);
    for (size_t k = 0; k < std::size(kWanted); ++k) {
      if (kWanted[k] == e.tag) slot = k;
    }
    if (slot == std::size(kWanted) || found[slot]) continue;
    if (e.type > kTypeMax) {
      return makeError("{}: entry {} (tag {}) has unknown type {}", what, i, e.tag, e.type);
    }
    if (e.offset >= dl) {
      return makeError("{}: entry {} (tag {}) points at offset {}, past the {} data bytes", what, i,
                       e.tag, e.offset, dl);
    }
    if (e.count == 0) {
      return makeError("{}: entry {} (tag {}) has count 0", what, i, e.tag);
    }
    found[slot] = e;
  }
  auto entry = [&](uint32_t tag) -> const std::optional<Entry>& {
    for (size_t k = 0; k < std::size(kWanted); ++k) {
      if (kWanted[k] == tag) return found[k];
    }
    std::abort();  // only wanted tags are asked for
  };

  RpmHeader h;
  struct StringField {
    uint32_t tag;
    std::string* out;
    bool required;
  };
  for (const StringField& f :
       {StringField{rpmtag::kName, &h.name, true}, StringField{rpmtag::kVersion, &h.version, true},
        StringField{rpmtag::kRelease, &h.release, true}, StringField{rpmtag::kArch, &h.arch, false},
        StringField{rpmtag::kSourceRpm, &h.sourceRpm, false},
        StringField{rpmtag::kLicense, &h.license, false},
        StringField{rpmtag::kVendor, &h.vendor, false}}) {
    const auto& e = entry(f.tag);
    if (!e) {
      if (f.required) return makeError("{}: header has no {} tag", what, tagName(f.tag));
      continue;
    }
    auto value = reader.string(*e);
    if (!value) return std::move(value).error();
    *f.out = std::move(*value);
  }
  if (h.name.empty()) return makeError("{}: header has an empty NAME", what);
  if (const auto& e = entry(rpmtag::kEpoch)) {
    auto values = reader.int32s(*e);
    if (!values) return std::move(values).error();
    h.epoch = values->front();
  }

  // Files: the compressed form (BASENAMES, DIRNAMES, DIRINDEXES) since rpm 4.0, the plain
  // OLDFILENAMES before. Problems here cost the file list, not the package.
  size_t bytes = 0;
  auto add = [&](std::string_view dir, std::string_view base) -> bool {
    bytes += dir.size() + base.size();
    if (h.files.size() >= limits.maxFiles || bytes > limits.maxFileBytes) {
      h.fileError = fmt::format("{}: file list over the limit ({} files, {} bytes)", what,
                                limits.maxFiles, limits.maxFileBytes);
      return false;
    }
    std::string path;
    path.reserve(dir.size() + base.size());
    path += dir;
    path += base;
    h.files.push_back(std::move(path));
    return true;
  };
  const auto& basenamesEntry = entry(rpmtag::kBasenames);
  const auto& oldEntry = entry(rpmtag::kOldFilenames);
  if (basenamesEntry) {
    const auto& dirnamesEntry = entry(rpmtag::kDirnames);
    const auto& indexesEntry = entry(rpmtag::kDirIndexes);
    if (!dirnamesEntry || !indexesEntry) {
      h.fileError = fmt::format("{}: BASENAMES without DIRNAMES or DIRINDEXES", what);
    } else if (std::max({basenamesEntry->count, dirnamesEntry->count, indexesEntry->count}) >
               limits.maxFiles) {
      h.fileError = fmt::format("{}: file list over the limit of {} files", what, limits.maxFiles);
    } else {
      auto basenames = reader.strings(*basenamesEntry);
      auto dirnames = reader.strings(*dirnamesEntry);
      auto indexes = reader.int32s(*indexesEntry);
      if (!basenames || !dirnames || !indexes) {
        h.fileError = !basenames  ? basenames.error().message
                      : !dirnames ? dirnames.error().message
                                  : indexes.error().message;
      } else if (basenames->size() != indexes->size()) {
        h.fileError = fmt::format("{}: {} BASENAMES but {} DIRINDEXES", what, basenames->size(),
                                  indexes->size());
      } else {
        for (size_t i = 0; i < basenames->size(); ++i) {
          const uint32_t dir = (*indexes)[i];
          if (dir >= dirnames->size()) {
            h.fileError = fmt::format("{}: DIRINDEXES[{}] = {} but there are {} DIRNAMES", what, i,
                                      dir, dirnames->size());
            break;
          }
          if (!add((*dirnames)[dir], (*basenames)[i])) break;
        }
      }
    }
  } else if (oldEntry) {
    auto names = oldEntry->count > limits.maxFiles
                     ? Result<std::vector<std::string_view>>(makeError(
                           "{}: file list over the limit of {} files", what, limits.maxFiles))
                     : reader.strings(*oldEntry);
    if (!names) {
      h.fileError = names.error().message;
    } else {
      for (const auto& name : *names) {
        if (!add({}, name)) break;
      }
    }
  }
  if (!h.fileError.empty()) h.files.clear();
  return h;
}

std::string rpmEvr(const RpmHeader& header) {
  std::string out;
  if (header.epoch) out = fmt::format("{}:", *header.epoch);
  out += header.version;
  out += '-';
  out += header.release;
  return out;
}

std::optional<SourceRpmName> parseSourceRpmName(std::string_view file) {
  for (std::string_view suffix : {".src.rpm", ".nosrc.rpm"}) {
    if (file.ends_with(suffix)) {
      file.remove_suffix(suffix.size());
      break;
    }
  }
  const auto releaseDash = file.rfind('-');
  if (releaseDash == std::string_view::npos || releaseDash == 0) return std::nullopt;
  const auto versionDash = file.rfind('-', releaseDash - 1);
  if (versionDash == std::string_view::npos || versionDash == 0) return std::nullopt;
  SourceRpmName out;
  out.name = file.substr(0, versionDash);
  out.version = file.substr(versionDash + 1, releaseDash - versionDash - 1);
  out.release = file.substr(releaseDash + 1);
  if (out.version.empty() || out.release.empty()) return std::nullopt;
  return out;
}

}  // namespace bulkhead::sbom
