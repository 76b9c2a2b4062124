#include "sbom/sbom_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "core/json.h"
#include "core/stream.h"
#include "sbom/sbom_json.h"
#include "sbom/spdx.h"

namespace bulkhead::sbom {
namespace {

using nlohmann::json;

constexpr size_t kMaxWarnings = 50;

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> percentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) {
      return makeError("truncated percent-escape at offset {}", i);
    }
    const int high = hexValue(text[i + 1]);
    const int low = hexValue(text[i + 2]);
    if (high < 0 || low < 0) return makeError("invalid percent-escape at offset {}", i);
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

bool isOsEcosystem(std::string_view ecosystem) {
  return ecosystem == eco::kDeb || ecosystem == eco::kRpm || ecosystem == eco::kApk;
}

// Collects per-entry problems, bounded so a hostile document cannot grow them unboundedly.
class Warnings {
 public:
  explicit Warnings(std::vector<std::string>& out) : out_(out) {}
  ~Warnings() {
    if (dropped_ > 0) out_.push_back(fmt::format("... and {} more problems", dropped_));
  }
  Warnings(const Warnings&) = delete;
  Warnings& operator=(const Warnings&) = delete;

  template <typename... Args>
  void add(fmt::format_string<Args...> format, Args&&... args) {
    if (out_.size() >= kMaxWarnings) {
      ++dropped_;
      return;
    }
    out_.push_back(fmt::format(format, std::forward<Args>(args)...));
  }

 private:
  std::vector<std::string>& out_;
  size_t dropped_ = 0;
};

// A package from the purl of an entry; nullopt (with a warning) when it has none usable.
std::optional<Package> fromPurlText(const std::string& purlText, std::string_view entry,
                                    const SbomReadLimits& limits, Warnings& warnings) {
  if (purlText.empty()) {
    warnings.add("{}: no purl, skipped", entry);
    return std::nullopt;
  }
  if (purlText.size() > limits.maxPurlBytes) {
    warnings.add("{}: purl longer than {} bytes, skipped", entry, limits.maxPurlBytes);
    return std::nullopt;
  }
  auto purl = parsePurl(purlText);
  if (!purl) {
    warnings.add("{}: {}, skipped", entry, purl.error().message);
    return std::nullopt;
  }
  return packageFromPurl(*purl, purlText);
}

// The written name wins over the purl's (pypi purls normalise names; a Go module's purl
// splits its path into namespace and name).
void takeName(Package& p, const std::string& name) {
  if (name.empty() || name == p.name) return;
  if (p.ecosystem == eco::kGo && !p.nameSpace.empty() && name == p.nameSpace + "/" + p.name) {
    p.nameSpace.clear();
  }
  p.name = name;
}

void finish(Package& p) {
  if (isOsEcosystem(p.ecosystem) && p.sourceName.empty()) p.sourceName = p.name;
}

std::string elementName(const json& element, std::string_view fallback) {
  std::string name = jsonString(element, "name");
  return name.empty() ? std::string(fallback) : name;
}

// --- CycloneDX ------------------------------------------------------------------------

void applyProperties(const json& element, Package& p, Warnings& warnings, std::string_view entry) {
  const json* props = jsonArray(element, "properties");
  if (props == nullptr) return;
  for (const auto& property : *props) {
    const std::string name = jsonString(property, "name");
    if (!name.starts_with("bulkhead:")) continue;
    if (!applyPackageProperty(p, name, jsonString(property, "value"))) {
      warnings.add("{}: malformed property {}", entry, name);
    }
  }
}

std::vector<std::string> cycloneDxLicenses(const json& component) {
  std::vector<std::string> out;
  const json* list = jsonArray(component, "licenses");
  if (list == nullptr) return out;
  for (const auto& choice : *list) {
    if (auto expression = jsonString(choice, "expression"); !expression.empty()) {
      out.push_back(std::move(expression));
      continue;
    }
    const json* license = jsonObject(choice, "license");
    if (license == nullptr) continue;
    std::string text = jsonString(*license, "id");
    if (text.empty()) text = jsonString(*license, "name");
    if (!text.empty()) out.push_back(std::move(text));
  }
  return out;
}

Status readCycloneDxComponents(const json& list, Sbom& sbom, const SbomReadLimits& limits,
                               Warnings& warnings, bool& osFromComponent) {
  for (const auto& component : list) {
    if (!component.is_object()) continue;
    const std::string type = jsonString(component, "type");
    const std::string name = jsonString(component, "name");
    if (type == "operating-system") {
      if (!sbom.os.known()) {
        sbom.os.id = name;
        sbom.os.versionId = jsonString(component, "version");
        sbom.os.prettyName = jsonString(component, "description");
        if (const json* props = jsonArray(component, "properties")) {
          for (const auto& property : *props) {
            applySubjectProperty(sbom, jsonString(property, "name"), jsonString(property, "value"));
          }
        }
        osFromComponent = true;
      }
    } else {
      const std::string entry = fmt::format("component {:.200}", elementName(component, "(unnamed)"));
      if (auto p = fromPurlText(jsonString(component, "purl"), entry, limits, warnings)) {
        takeName(*p, name);
        if (auto version = jsonString(component, "version"); !version.empty()) p->version = version;
        p->licenses = cycloneDxLicenses(component);
        applyProperties(component, *p, warnings, entry);
        finish(*p);
        if (sbom.packages.size() >= limits.maxPackages) {
          return makeError("more than {} packages", limits.maxPackages);
        }
        sbom.packages.push_back(std::move(*p));
      }
    }
    // Assemblies nest components; the JSON depth bound limits the recursion.
    if (const json* nested = jsonArray(component, "components")) {
      BH_TRY_STATUS(readCycloneDxComponents(*nested, sbom, limits, warnings, osFromComponent));
    }
  }
  return {};
}

Status readCycloneDx(const json& doc, Sbom& sbom, const SbomReadLimits& limits, Warnings& warnings) {
  if (const json* metadata = jsonObject(doc, "metadata")) {
    if (const json* subject = jsonObject(*metadata, "component")) {
      sbom.subject = jsonString(*subject, "name");
      const std::string type = jsonString(*subject, "type");
      if (type == "container") {
        const std::string version = jsonString(*subject, "version");
        if (version.starts_with("sha256:")) sbom.manifestDigest = version;
      }
      if (const json* props = jsonArray(*subject, "properties")) {
        for (const auto& property : *props) {
          applySubjectProperty(sbom, jsonString(property, "name"), jsonString(property, "value"));
        }
      }
    }
  }
  bool osFromComponent = false;
  if (const json* components = jsonArray(doc, "components")) {
    BH_TRY_STATUS(readCycloneDxComponents(*components, sbom, limits, warnings, osFromComponent));
  }
  return {};
}

// --- SPDX -----------------------------------------------------------------------------

// Splits an expression at the AND operators outside parentheses.
std::vector<std::string> topLevelAndTerms(std::string_view expression) {
  std::vector<std::string> out;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < expression.size(); ++i) {
    const char c = expression[i];
    if (c == '(') {
      ++depth;
    } else if (c == ')') {
      --depth;
    } else if (depth == 0 && expression.substr(i).starts_with(" AND ")) {
      out.emplace_back(expression.substr(start, i - start));
      start = i + 5;
      i += 4;
    }
  }
  out.emplace_back(expression.substr(start));
  return out;
}

std::string trim(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return std::string(text);
}

// True when the parentheses at both ends enclose the whole term.
bool wrapped(std::string_view term) {
  if (term.size() < 2 || term.front() != '(' || term.back() != ')') return false;
  int depth = 0;
  for (size_t i = 0; i < term.size(); ++i) {
    if (term[i] == '(') ++depth;
    if (term[i] == ')' && --depth == 0 && i + 1 != term.size()) return false;
  }
  return true;
}

std::vector<std::string> spdxLicenses(const json& package,
                                      const std::map<std::string, std::string>& extracted) {
  std::string declared = jsonString(package, "licenseDeclared");
  if (declared.empty() || declared == "NOASSERTION" || declared == "NONE") {
    declared = jsonString(package, "licenseConcluded");
  }
  std::vector<std::string> out;
  if (declared.empty() || declared == "NOASSERTION" || declared == "NONE") return out;
  for (const auto& raw : topLevelAndTerms(declared)) {
    std::string term = trim(raw);
    if (term.empty()) continue;
    if (wrapped(term)) {
      out.push_back(term.substr(1, term.size() - 2));
    } else if (auto it = extracted.find(term); it != extracted.end()) {
      out.push_back(it->second);
    } else {
      out.push_back(std::move(term));
    }
  }
  return out;
}

Status readSpdx(const json& doc, Sbom& sbom, const SbomReadLimits& limits, Warnings& warnings) {
  // LicenseRef-x -> the license name it stands for.
  std::map<std::string, std::string> extracted;
  if (const json* infos = jsonArray(doc, "hasExtractedLicensingInfos")) {
    for (const auto& info : *infos) {
      const std::string id = jsonString(info, "licenseId");
      std::string name = jsonString(info, "name");
      if (name.empty()) name = jsonString(info, "extractedText");
      if (!id.empty() && !name.empty()) extracted.emplace(id, std::move(name));
    }
  }
  // What the document describes is the subject, not a package in it.
  std::set<std::string> described;
  if (const json* relationships = jsonArray(doc, "relationships")) {
    for (const auto& r : *relationships) {
      if (jsonString(r, "spdxElementId") == "SPDXRef-DOCUMENT" &&
          jsonString(r, "relationshipType") == "DESCRIBES") {
        described.insert(jsonString(r, "relatedSpdxElement"));
      }
    }
  }
  if (const json* describes = jsonArray(doc, "documentDescribes")) {
    for (const auto& id : *describes) {
      if (id.is_string()) described.insert(id.get<std::string>());
    }
  }
  sbom.subject = jsonString(doc, "name");
  const json* packages = jsonArray(doc, "packages");
  if (packages == nullptr) return {};
  for (const auto& package : *packages) {
    if (!package.is_object()) continue;
    const std::string id = jsonString(package, "SPDXID");
    const std::string purpose = jsonString(package, "primaryPackagePurpose");
    const std::string name = jsonString(package, "name");
    const std::string comment = jsonString(package, "comment");
    if (described.count(id) != 0 || id == kSpdxImageId) {
      if (!name.empty()) sbom.subject = name;
      const std::string version = jsonString(package, "versionInfo");
      if (version.starts_with("sha256:")) sbom.manifestDigest = version;
      for (const auto& [key, value] : propertiesFromLines(comment)) applySubjectProperty(sbom, key, value);
      continue;
    }
    if (purpose == "OPERATING-SYSTEM" || purpose == "OPERATING_SYSTEM") {
      if (!sbom.os.known()) {
        sbom.os.id = name;
        sbom.os.versionId = jsonString(package, "versionInfo");
        sbom.os.prettyName = jsonString(package, "description");
      }
      continue;
    }
    std::string purlText;
    if (const json* refs = jsonArray(package, "externalRefs")) {
      for (const auto& ref : *refs) {
        if (jsonString(ref, "referenceType") == "purl") {
          purlText = jsonString(ref, "referenceLocator");
          break;
        }
      }
    }
    const std::string entry = fmt::format("package {:.200}", id.empty() ? name : id);
    auto p = fromPurlText(purlText, entry, limits, warnings);
    if (!p) continue;
    takeName(*p, name);
    if (auto version = jsonString(package, "versionInfo"); !version.empty()) p->version = version;
    p->licenses = spdxLicenses(package, extracted);
    for (const auto& [key, value] : propertiesFromLines(comment)) {
      if (!applyPackageProperty(*p, key, value)) warnings.add("{}: malformed {}", entry, key);
    }
    finish(*p);
    if (sbom.packages.size() >= limits.maxPackages) {
      return makeError("more than {} packages", limits.maxPackages);
    }
    sbom.packages.push_back(std::move(*p));
  }
  return {};
}

// --- Bulkhead JSON --------------------------------------------------------------------

std::vector<std::string> stringList(const json& object, std::string_view key) {
  std::vector<std::string> out;
  if (const json* list = jsonArray(object, key)) {
    for (const auto& item : *list) {
      if (item.is_string()) out.push_back(item.get<std::string>());
    }
  }
  return out;
}

Status readBulkhead(const json& doc, Sbom& sbom, const SbomReadLimits& limits, Warnings& warnings) {
  sbom.subject = jsonString(doc, "subject");
  if (const json* source = jsonObject(doc, "source")) {
    sbom.sourceKind = jsonString(*source, "kind");
    sbom.manifestDigest = jsonString(*source, "manifestDigest");
    sbom.configDigest = jsonString(*source, "configDigest");
    sbom.repoTags = stringList(*source, "repoTags");
    sbom.architecture = jsonString(*source, "architecture");
  }
  if (const json* os = jsonObject(doc, "os")) {
    sbom.os.id = jsonString(*os, "id");
    sbom.os.versionId = jsonString(*os, "versionId");
    sbom.os.codename = jsonString(*os, "codename");
    sbom.os.prettyName = jsonString(*os, "prettyName");
    sbom.os.source = jsonString(*os, "source");
  }
  const json* packages = jsonArray(doc, "packages");
  if (packages == nullptr) return {};
  for (const auto& entry : *packages) {
    if (!entry.is_object()) continue;
    Package p;
    p.name = jsonString(entry, "name");
    p.version = jsonString(entry, "version");
    p.ecosystem = jsonString(entry, "type");
    p.purl = jsonString(entry, "purl");
    if (p.name.empty() || p.ecosystem.empty()) {
      warnings.add("package {:.200}: no name or type, skipped", p.name.empty() ? p.purl : p.name);
      continue;
    }
    p.nameSpace = jsonString(entry, "namespace");
    p.architecture = jsonString(entry, "architecture");
    p.sourceName = jsonString(entry, "sourceName");
    p.sourceVersion = jsonString(entry, "sourceVersion");
    p.licenses = stringList(entry, "licenses");
    p.locations = stringList(entry, "locations");
    const int64_t layer = jsonInt(entry, "layer", -1);
    p.layer = layer >= 0 && layer < (1 << 20) ? static_cast<int>(layer) : -1;
    p.layerDiffId = jsonString(entry, "layerDiffId");
    p.ownedBy = jsonString(entry, "ownedBy");
    p.cataloger = jsonString(entry, "cataloger");
    if (const json* metadata = jsonObject(entry, "metadata")) {
      for (const auto& [key, value] : metadata->items()) {
        if (value.is_string()) p.metadata[key] = value.get<std::string>();
      }
    }
    if (sbom.packages.size() >= limits.maxPackages) {
      return makeError("more than {} packages", limits.maxPackages);
    }
    sbom.packages.push_back(std::move(p));
  }
  return {};
}

}  // namespace

const char* sbomFormatName(SbomFormat format) {
  switch (format) {
    case SbomFormat::kCycloneDx: return "cyclonedx";
    case SbomFormat::kSpdx: return "spdx";
    case SbomFormat::kBulkhead: return "bulkhead";
  }
  return "unknown";
}

Result<Purl> parsePurl(std::string_view text) {
  auto fail = [&](std::string_view why) {
    return makeError("purl \"{:.200}\": {}", text, why);
  };
  if (text.size() < 4 || lower(text.substr(0, 4)) != "pkg:") return fail("does not start with pkg:");
  std::string_view rest = text.substr(4);
  while (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
  Purl purl;
  if (const auto hash = rest.find('#'); hash != std::string_view::npos) {
    std::string_view sub = rest.substr(hash + 1);
    rest = rest.substr(0, hash);
    while (!sub.empty() && sub.front() == '/') sub.remove_prefix(1);
    while (!sub.empty() && sub.back() == '/') sub.remove_suffix(1);
    auto decoded = percentDecode(sub);
    if (!decoded) return fail(decoded.error().message);
    purl.subpath = std::move(*decoded);
  }
  if (const auto question = rest.find('?'); question != std::string_view::npos) {
    std::string_view query = rest.substr(question + 1);
    rest = rest.substr(0, question);
    size_t start = 0;
    while (start <= query.size()) {
      size_t end = query.find('&', start);
      if (end == std::string_view::npos) end = query.size();
      const std::string_view pair = query.substr(start, end - start);
      start = end + 1;
      if (pair.empty()) continue;
      const auto eq = pair.find('=');
      if (eq == std::string_view::npos || eq == 0) return fail("qualifier without a key=value");
      auto value = percentDecode(pair.substr(eq + 1));
      if (!value) return fail(value.error().message);
      if (!value->empty()) purl.qualifiers[lower(pair.substr(0, eq))] = std::move(*value);
    }
  }
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  const auto typeEnd = rest.find('/');
  if (typeEnd == std::string_view::npos || typeEnd == 0) return fail("no type/name");
  purl.type = lower(rest.substr(0, typeEnd));
  for (const char c : purl.type) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '+' || c == '-';
    if (!ok) return fail("invalid character in the type");
  }
  rest = rest.substr(typeEnd + 1);
  const auto lastSlash = rest.rfind('/');
  const auto at = rest.rfind('@');
  if (at != std::string_view::npos && (lastSlash == std::string_view::npos || at > lastSlash)) {
    auto version = percentDecode(rest.substr(at + 1));
    if (!version) return fail(version.error().message);
    purl.version = std::move(*version);
    rest = rest.substr(0, at);
  }
  const auto nameStart = rest.rfind('/');
  auto name = percentDecode(nameStart == std::string_view::npos ? rest : rest.substr(nameStart + 1));
  if (!name) return fail(name.error().message);
  if (name->empty()) return fail("empty name");
  purl.name = std::move(*name);
  if (nameStart != std::string_view::npos) {
    std::string_view ns = rest.substr(0, nameStart);
    size_t start = 0;
    while (start <= ns.size()) {
      size_t end = ns.find('/', start);
      if (end == std::string_view::npos) end = ns.size();
      const std::string_view segment = ns.substr(start, end - start);
      start = end + 1;
      if (segment.empty()) continue;
      auto decoded = percentDecode(segment);
      if (!decoded) return fail(decoded.error().message);
      if (!purl.nameSpace.empty()) purl.nameSpace += '/';
      purl.nameSpace += *decoded;
    }
  }
  return purl;
}

Package packageFromPurl(const Purl& purl, std::string purlText) {
  Package p;
  p.ecosystem = purl.type;
  p.nameSpace = purl.nameSpace;
  p.name = purl.name;
  p.version = purl.version;
  p.purl = std::move(purlText);
  if (auto it = purl.qualifiers.find("arch"); it != purl.qualifiers.end()) p.architecture = it->second;
  if (auto it = purl.qualifiers.find("upstream"); it != purl.qualifiers.end()) {
    const std::string& upstream = it->second;
    const auto at = upstream.find('@');
    p.sourceName = upstream.substr(0, at);
    if (at != std::string::npos) p.sourceVersion = upstream.substr(at + 1);
  }
  return p;
}

Result<ReadSbom> readSbom(std::string_view text, std::string_view what, const SbomReadLimits& limits) {
  auto doc = parseJson(text, what, JsonLimits{limits.maxBytes, limits.maxDepth});
  if (!doc) return std::move(doc).error();
  if (!doc->is_object()) return makeError("{}: not a JSON object", what);
  ReadSbom out;
  Status status;
  {
    Warnings warnings(out.sbom.warnings);
    if (jsonString(*doc, "bomFormat") == "CycloneDX") {
      out.format = SbomFormat::kCycloneDx;
      status = readCycloneDx(*doc, out.sbom, limits, warnings);
    } else if (jsonString(*doc, "spdxVersion").starts_with("SPDX-2.")) {
      out.format = SbomFormat::kSpdx;
      status = readSpdx(*doc, out.sbom, limits, warnings);
    } else if (jsonString(*doc, "schema").starts_with("bulkhead.sbom/")) {
      out.format = SbomFormat::kBulkhead;
      status = readBulkhead(*doc, out.sbom, limits, warnings);
    } else {
      return makeError(
          "{}: not an SBOM this reader knows (CycloneDX JSON with bomFormat, SPDX 2.x JSON with "
          "spdxVersion, or Bulkhead JSON)",
          what);
    }
  }
  if (!status) return withContext(what, status.error());
  std::sort(out.sbom.packages.begin(), out.sbom.packages.end());
  return out;
}

Result<ReadSbom> readSbomFile(const std::string& path, const SbomReadLimits& limits) {
  auto text = readFileBounded(path, limits.maxBytes);
  if (!text) return std::move(text).error();
  return readSbom(*text, path, limits);
}

}  // namespace bulkhead::sbom
