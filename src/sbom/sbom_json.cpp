#include "sbom/sbom_json.h"

#include <fmt/format.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <ctime>
#include <fstream>
#include <map>

namespace bulkhead::sbom {
namespace {

using nlohmann::json;

char lowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lowerAscii(a[i]) != lowerAscii(b[i])) return false;
  }
  return true;
}

// Common licenses of distribution and language packages; every entry is an id of the
// SPDX license list (deprecated ones included, as Debian and npm still write them).
const std::vector<std::string_view> kLicenseIds = {
    "0BSD", "AFL-2.1", "AFL-3.0", "AGPL-3.0", "AGPL-3.0-only", "AGPL-3.0-or-later", "Apache-1.0",
    "Apache-1.1", "Apache-2.0", "APSL-2.0", "Artistic-1.0", "Artistic-1.0-Perl", "Artistic-2.0",
    "Beerware", "BlueOak-1.0.0", "BSD-1-Clause", "BSD-2-Clause", "BSD-2-Clause-Patent",
    "BSD-3-Clause", "BSD-4-Clause", "BSL-1.0", "bzip2-1.0.6", "CC-BY-3.0", "CC-BY-4.0",
    "CC-BY-SA-3.0", "CC-BY-SA-4.0", "CC0-1.0", "CDDL-1.0", "CDDL-1.1", "CPL-1.0", "curl",
    "EPL-1.0", "EPL-2.0", "EUPL-1.1", "EUPL-1.2", "FSFAP", "FSFUL", "FSFULLR", "FTL", "GFDL-1.2",
    "GFDL-1.2-only", "GFDL-1.2-or-later", "GFDL-1.3", "GFDL-1.3-only", "GFDL-1.3-or-later",
    "GPL-1.0", "GPL-1.0+", "GPL-1.0-only", "GPL-1.0-or-later", "GPL-2.0", "GPL-2.0+",
    "GPL-2.0-only", "GPL-2.0-or-later", "GPL-3.0", "GPL-3.0+", "GPL-3.0-only", "GPL-3.0-or-later",
    "HPND", "ICU", "IJG", "Info-ZIP", "ISC", "LGPL-2.0", "LGPL-2.0+", "LGPL-2.0-only",
    "LGPL-2.0-or-later", "LGPL-2.1", "LGPL-2.1+", "LGPL-2.1-only", "LGPL-2.1-or-later", "LGPL-3.0",
    "LGPL-3.0+", "LGPL-3.0-only", "LGPL-3.0-or-later", "Libpng", "libpng-2.0", "libtiff", "MirOS",
    "MIT", "MIT-0", "MPL-1.0", "MPL-1.1", "MPL-2.0", "MS-PL", "NCSA", "NTP", "OFL-1.1",
    "OLDAP-2.8", "OpenSSL", "PHP-3.0", "PHP-3.01", "PostgreSQL", "PSF-2.0", "Python-2.0", "Ruby",
    "Sleepycat", "SMLNJ", "Unicode-3.0", "Unicode-DFS-2016", "Unlicense", "UPL-1.0", "Vim", "W3C",
    "WTFPL", "X11", "XFree86-1.1", "Zlib", "zlib-acknowledgement", "ZPL-2.0", "ZPL-2.1",
};

const std::vector<std::string_view> kExceptionIds = {
    "Autoconf-exception-2.0", "Autoconf-exception-3.0", "Bison-exception-2.2",
    "Classpath-exception-2.0", "Font-exception-2.0", "GCC-exception-2.0", "GCC-exception-3.1",
    "LLVM-exception", "Linux-syscall-note", "Qt-LGPL-exception-1.1",
    "Universal-FOSS-exception-1.0", "WxWindows-exception-3.1",
};

std::string_view findIn(const std::vector<std::string_view>& table, std::string_view text) {
  for (const auto id : table) {
    if (equalsIgnoreCase(id, text)) return id;
  }
  return {};
}

bool isIdString(std::string_view text) {
  if (text.empty()) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-';
  });
}

// The SPDX expression grammar (annex D) over the small table:
//   compound := simple ["WITH" exception] | compound ("AND"|"OR") compound | "(" compound ")"
//   simple   := id ["+"] | "LicenseRef-" idstring | "DocumentRef-" idstring ":LicenseRef-" idstring
class ExpressionParser {
 public:
  explicit ExpressionParser(std::string_view text) { tokenize(text); }

  // Canonical text, or "" when the text is not an expression of known ids.
  std::string parse() {
    if (failed_ || tokens_.empty() || tokens_.size() > 256) return {};
    std::string out;
    if (!compound(out, 0) || position_ != tokens_.size()) return {};
    return out;
  }

  bool hasOperator() const {
    return std::any_of(tokens_.begin(), tokens_.end(), [](const std::string& t) {
      return t == "AND" || t == "OR" || t == "WITH" || t == "(";
    });
  }

 private:
  void tokenize(std::string_view text) {
    std::string current;
    auto flush = [&] {
      if (current.empty()) return;
      // Operators are upper case in the spec; lower case is common in the wild.
      if (equalsIgnoreCase(current, "and")) current = "AND";
      if (equalsIgnoreCase(current, "or")) current = "OR";
      if (equalsIgnoreCase(current, "with")) current = "WITH";
      tokens_.push_back(std::move(current));
      current.clear();
    };
    for (const char c : text) {
      if (c == ' ' || c == '\t') {
        flush();
      } else if (c == '(' || c == ')') {
        flush();
        tokens_.emplace_back(1, c);
      } else if (static_cast<unsigned char>(c) < 0x20) {
        failed_ = true;
        return;
      } else {
        current += c;
      }
    }
    flush();
  }

  const std::string* peek() const { return position_ < tokens_.size() ? &tokens_[position_] : nullptr; }

  bool simple(std::string& out) {
    const std::string* token = peek();
    if (token == nullptr) return false;
    std::string_view text = *token;
    if (text.starts_with("LicenseRef-") && isIdString(text.substr(11))) {
      out += text;
    } else if (text.starts_with("DocumentRef-")) {
      const auto colon = text.find(":LicenseRef-");
      if (colon == std::string_view::npos || !isIdString(text.substr(12, colon - 12)) ||
          !isIdString(text.substr(colon + 12))) {
        return false;
      }
      out += text;
    } else {
      const bool plus = text.ends_with('+') && findIn(kLicenseIds, text).empty();
      const auto id = findIn(kLicenseIds, plus ? text.substr(0, text.size() - 1) : text);
      if (id.empty()) return false;
      out += id;
      if (plus) out += '+';
    }
    ++position_;
    if (const auto* with = peek(); with != nullptr && *with == "WITH") {
      ++position_;
      const auto* exception = peek();
      if (exception == nullptr) return false;
      const auto id = findIn(kExceptionIds, *exception);
      if (id.empty()) return false;
      out += " WITH ";
      out += id;
      ++position_;
    }
    return true;
  }

  bool primary(std::string& out, int depth) {
    const auto* token = peek();
    if (token == nullptr) return false;
    if (*token == "(") {
      if (depth > 32) return false;
      ++position_;
      out += '(';
      if (!compound(out, depth + 1)) return false;
      const auto* close = peek();
      if (close == nullptr || *close != ")") return false;
      ++position_;
      out += ')';
      return true;
    }
    return simple(out);
  }

  bool compound(std::string& out, int depth) {
    if (!primary(out, depth)) return false;
    while (const auto* op = peek()) {
      if (*op != "AND" && *op != "OR") break;
      out += ' ';
      out += *op;
      out += ' ';
      ++position_;
      if (!primary(out, depth)) return false;
    }
    return true;
  }

  std::vector<std::string> tokens_;
  size_t position_ = 0;
  bool failed_ = false;
};

// Backslash escapes for "name=value" lines: line breaks always, '=' in names too.
std::string escapeValue(std::string_view value, bool escapeEquals = false) {
  std::string out;
  for (const char c : value) {
    if (escapeEquals && c == '=') {
      out += "\\=";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else {
      out += c;
    }
  }
  return out;
}

std::string unescapeValue(std::string_view value) {
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\\' && i + 1 < value.size()) {
      const char next = value[++i];
      out += next == 'n' ? '\n' : next == 'r' ? '\r' : next;
    } else {
      out += value[i];
    }
  }
  return out;
}

// Names come from hostile images: control characters (terminal escapes) become '?'.
std::string cell(std::string_view text, size_t width) {
  std::string out = text.size() <= width ? std::string(text)
                                         : std::string(text.substr(0, width - 3)) + "...";
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return out;
}

void trimRight(std::string& line) {
  while (!line.empty() && line.back() == ' ') line.pop_back();
}

}  // namespace

std::string utcTimestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  std::array<char, 32> buffer{};
  const size_t n = std::strftime(buffer.data(), buffer.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(buffer.data(), n);
}

std::string randomUuid() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    // OpenSSL's generator failed to seed: fall back to the kernel's directly.
    std::ifstream urandom("/dev/urandom", std::ios::binary);
    urandom.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!urandom) std::abort();  // no randomness at all: a broken machine, not bad input
  }
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string out;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += fmt::format("{:02x}", bytes[i]);
  }
  return out;
}

std::string documentTimestamp(const DocumentOptions& options) {
  return options.timestamp.empty() ? utcTimestamp() : options.timestamp;
}

std::string documentUuid(const DocumentOptions& options) {
  return options.uuid.empty() ? randomUuid() : options.uuid;
}

std::string spdxLicenseId(std::string_view license) { return std::string(findIn(kLicenseIds, license)); }

std::string spdxExpression(std::string_view license) {
  ExpressionParser parser(license);
  if (!parser.hasOperator()) return {};
  return parser.parse();
}

const std::vector<std::string_view>& knownSpdxLicenseIds() { return kLicenseIds; }
const std::vector<std::string_view>& knownSpdxExceptionIds() { return kExceptionIds; }

Properties packageProperties(const Package& p) {
  Properties out;
  if (!p.cataloger.empty()) out.emplace_back(prop::kCataloger, p.cataloger);
  if (p.layer >= 0) out.emplace_back(prop::kLayer, std::to_string(p.layer));
  if (!p.layerDiffId.empty()) out.emplace_back(prop::kLayerDiffId, p.layerDiffId);
  for (const auto& location : p.locations) out.emplace_back(prop::kLocation, location);
  if (!p.ownedBy.empty()) out.emplace_back(prop::kOwnedBy, p.ownedBy);
  if (!p.sourceName.empty()) out.emplace_back(prop::kSourceName, p.sourceName);
  if (!p.sourceVersion.empty()) out.emplace_back(prop::kSourceVersion, p.sourceVersion);
  // The purl carries the architecture when the driver made it; a cataloger's own purl may not.
  if (!p.architecture.empty() && p.purl.find("arch=") == std::string::npos) {
    out.emplace_back(prop::kArchitecture, p.architecture);
  }
  for (const auto& [key, value] : p.metadata) {
    out.emplace_back(std::string(prop::kMetadataPrefix) + key, value);
  }
  return out;
}

bool applyPackageProperty(Package& p, std::string_view name, std::string_view value) {
  if (name == prop::kCataloger) {
    p.cataloger = value;
  } else if (name == prop::kLayer) {
    int layer = -1;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), layer);
    if (ec != std::errc() || end != value.data() + value.size() || layer < 0) return false;
    p.layer = layer;
  } else if (name == prop::kLayerDiffId) {
    p.layerDiffId = value;
  } else if (name == prop::kLocation) {
    p.locations.emplace_back(value);
  } else if (name == prop::kOwnedBy) {
    p.ownedBy = value;
  } else if (name == prop::kSourceName) {
    p.sourceName = value;
  } else if (name == prop::kSourceVersion) {
    p.sourceVersion = value;
  } else if (name == prop::kArchitecture) {
    p.architecture = value;
  } else if (name.starts_with(prop::kMetadataPrefix) && name.size() > prop::kMetadataPrefix.size()) {
    p.metadata[std::string(name.substr(prop::kMetadataPrefix.size()))] = value;
  }
  return true;
}

Properties subjectProperties(const Sbom& s) {
  Properties out;
  if (!s.subject.empty()) out.emplace_back(prop::kSubject, s.subject);
  if (!s.sourceKind.empty()) out.emplace_back(prop::kSourceKind, s.sourceKind);
  if (!s.manifestDigest.empty()) out.emplace_back(prop::kManifestDigest, s.manifestDigest);
  if (!s.configDigest.empty()) out.emplace_back(prop::kConfigDigest, s.configDigest);
  for (const auto& tag : s.repoTags) out.emplace_back(prop::kRepoTag, tag);
  if (!s.architecture.empty()) out.emplace_back(prop::kImageArchitecture, s.architecture);
  if (!s.os.id.empty()) out.emplace_back(prop::kOsId, s.os.id);
  if (!s.os.versionId.empty()) out.emplace_back(prop::kOsVersionId, s.os.versionId);
  if (!s.os.codename.empty()) out.emplace_back(prop::kOsCodename, s.os.codename);
  if (!s.os.prettyName.empty()) out.emplace_back(prop::kOsPrettyName, s.os.prettyName);
  if (!s.os.source.empty()) out.emplace_back(prop::kOsSource, s.os.source);
  return out;
}

bool applySubjectProperty(Sbom& s, std::string_view name, std::string_view value) {
  if (name == prop::kSubject) {
    s.subject = value;
  } else if (name == prop::kSourceKind) {
    s.sourceKind = value;
  } else if (name == prop::kManifestDigest) {
    s.manifestDigest = value;
  } else if (name == prop::kConfigDigest) {
    s.configDigest = value;
  } else if (name == prop::kRepoTag) {
    s.repoTags.emplace_back(value);
  } else if (name == prop::kImageArchitecture) {
    s.architecture = value;
  } else if (name == prop::kOsId) {
    s.os.id = value;
  } else if (name == prop::kOsVersionId) {
    s.os.versionId = value;
  } else if (name == prop::kOsCodename) {
    s.os.codename = value;
  } else if (name == prop::kOsPrettyName) {
    s.os.prettyName = value;
  } else if (name == prop::kOsSource) {
    s.os.source = value;
  }
  return true;
}

std::string propertiesToLines(const Properties& properties) {
  std::string out;
  for (const auto& [name, value] : properties) {
    if (!out.empty()) out += '\n';
    out += escapeValue(name, true);
    out += '=';
    out += escapeValue(value);
  }
  return out;
}

Properties propertiesFromLines(std::string_view text) {
  Properties out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (!line.starts_with("bulkhead:")) continue;
    // The first '=' that no backslash escapes ends the name.
    size_t eq = std::string_view::npos;
    for (size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '\\') {
        ++i;
      } else if (line[i] == '=') {
        eq = i;
        break;
      }
    }
    if (eq == std::string_view::npos) continue;
    out.emplace_back(unescapeValue(line.substr(0, eq)), unescapeValue(line.substr(eq + 1)));
  }
  return out;
}

std::string dumpJson(const json& document) {
  return document.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

json bulkheadJson(const Sbom& s, const DocumentOptions& options) {
  json out = json::object();
  out["schema"] = kBulkheadSbomSchema;
  out["tool"] = {{"name", "bulkhead"}, {"version", options.toolVersion}};
  out["created"] = documentTimestamp(options);
  out["subject"] = s.subject;
  json source = {{"kind", s.sourceKind}};
  if (!s.manifestDigest.empty()) source["manifestDigest"] = s.manifestDigest;
  if (!s.configDigest.empty()) source["configDigest"] = s.configDigest;
  if (!s.repoTags.empty()) source["repoTags"] = s.repoTags;
  if (!s.architecture.empty()) source["architecture"] = s.architecture;
  out["source"] = std::move(source);
  if (s.os.known()) {
    json os = {{"id", s.os.id}};
    if (!s.os.versionId.empty()) os["versionId"] = s.os.versionId;
    if (!s.os.codename.empty()) os["codename"] = s.os.codename;
    if (!s.os.prettyName.empty()) os["prettyName"] = s.os.prettyName;
    if (!s.os.source.empty()) os["source"] = s.os.source;
    out["os"] = std::move(os);
  }
  json packages = json::array();
  for (const auto& p : s.packages) {
    json entry = {{"name", p.name}, {"version", p.version}, {"type", p.ecosystem}, {"purl", p.purl}};
    if (!p.nameSpace.empty()) entry["namespace"] = p.nameSpace;
    if (!p.architecture.empty()) entry["architecture"] = p.architecture;
    if (!p.sourceName.empty()) entry["sourceName"] = p.sourceName;
    if (!p.sourceVersion.empty()) entry["sourceVersion"] = p.sourceVersion;
    if (!p.licenses.empty()) entry["licenses"] = p.licenses;
    if (!p.locations.empty()) entry["locations"] = p.locations;
    if (p.layer >= 0) entry["layer"] = p.layer;
    if (!p.layerDiffId.empty()) entry["layerDiffId"] = p.layerDiffId;
    if (!p.ownedBy.empty()) entry["ownedBy"] = p.ownedBy;
    if (!p.cataloger.empty()) entry["cataloger"] = p.cataloger;
    if (!p.metadata.empty()) entry["metadata"] = p.metadata;
    packages.push_back(std::move(entry));
  }
  out["packages"] = std::move(packages);
  out["warnings"] = s.warnings;
  return out;
}

std::string writeBulkheadJson(const Sbom& sbom, const DocumentOptions& options) {
  return dumpJson(bulkheadJson(sbom, options));
}

std::string writeTable(const Sbom& s) {
  constexpr size_t kMaxName = 48;
  constexpr size_t kMaxVersion = 32;
  size_t nameWidth = 4;
  size_t versionWidth = 7;
  size_t typeWidth = 4;
  std::map<std::string, size_t> perType;
  for (const auto& p : s.packages) {
    const std::string name = p.nameSpace.empty() || p.ecosystem == eco::kDeb || p.ecosystem == eco::kRpm ||
                                     p.ecosystem == eco::kApk
                                 ? p.name
                                 : p.nameSpace + "/" + p.name;
    nameWidth = std::max(nameWidth, std::min(name.size(), kMaxName));
    versionWidth = std::max(versionWidth, std::min(p.version.size(), kMaxVersion));
    typeWidth = std::max(typeWidth, std::min<size_t>(p.ecosystem.size(), 16));
    ++perType[p.ecosystem];
  }
  std::string out = fmt::format("{:<{}}  {:<{}}  {:<{}}  {:>5}  {}\n", "NAME", nameWidth, "VERSION",
                                versionWidth, "TYPE", typeWidth, "LAYER", "OWNED BY");
  for (const auto& p : s.packages) {
    const bool os = p.ecosystem == eco::kDeb || p.ecosystem == eco::kRpm || p.ecosystem == eco::kApk;
    const std::string name = p.nameSpace.empty() || os ? p.name : p.nameSpace + "/" + p.name;
    // Layers are numbered from 1, as `image inspect` shows them.
    const std::string layer = p.layer >= 0 ? std::to_string(p.layer + 1) : "-";
    std::string line = fmt::format("{:<{}}  {:<{}}  {:<{}}  {:>5}  {}", cell(name, kMaxName), nameWidth,
                                   cell(p.version, kMaxVersion), versionWidth,
                                   cell(p.ecosystem, 16), typeWidth, layer, cell(p.ownedBy, 64));
    trimRight(line);
    out += line + "\n";
  }
  std::string counts;
  for (const auto& [type, count] : perType) {
    counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", count, type);
  }
  out += fmt::format("\n{} packages{}{}{}\n", s.packages.size(), counts.empty() ? "" : " (", counts,
                     counts.empty() ? "" : ")");
  return out;
}

}  // namespace bulkhead::sbom
