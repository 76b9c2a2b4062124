#include "sbom/cyclonedx.h"

#include <fmt/format.h>

#include <map>
#include <set>

namespace bulkhead::sbom {
namespace {

using nlohmann::json;

constexpr std::string_view kOsRef = "bulkhead:os";

std::string percentEncode(std::string_view text) {
  std::string out;
  for (const unsigned char c : text) {
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                            c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

json properties(const Properties& list) {
  json out = json::array();
  for (const auto& [name, value] : list) out.push_back({{"name", name}, {"value", value}});
  return out;
}

// A license list as CycloneDX's licenseChoice: license objects by SPDX id or by name, or a
// single SPDX expression (the schema allows one expression, not a mix).
json licenses(const std::vector<std::string>& list) {
  json out = json::array();
  std::set<std::string> seen;
  std::vector<std::string> unique;
  for (const auto& l : list) {
    if (!l.empty() && seen.insert(l).second) unique.push_back(l);
  }
  if (unique.size() == 1) {
    if (auto expression = spdxExpression(unique.front()); !expression.empty()) {
      out.push_back({{"expression", expression}});
      return out;
    }
  }
  std::set<std::string> ids;  // "BSD-3-clause" and "BSD-3-Clause" are one license
  for (const auto& l : unique) {
    if (auto id = spdxLicenseId(l); !id.empty()) {
      if (ids.insert(id).second) out.push_back({{"license", {{"id", id}}}});
    } else {
      out.push_back({{"license", {{"name", l}}}});
    }
  }
  return out;
}

bool isOsEcosystem(std::string_view ecosystem) {
  return ecosystem == eco::kDeb || ecosystem == eco::kRpm || ecosystem == eco::kApk;
}

// A digest "sha256:<hex>" as a CycloneDX hash, or null when the algorithm has no name there.
json hashOf(std::string_view digest) {
  const auto colon = digest.find(':');
  if (colon == std::string_view::npos) return nullptr;
  const auto algorithm = digest.substr(0, colon);
  const auto hex = digest.substr(colon + 1);
  if (algorithm == "sha256" && hex.size() == 64) return {{"alg", "SHA-256"}, {"content", hex}};
  if (algorithm == "sha512" && hex.size() == 128) return {{"alg", "SHA-512"}, {"content", hex}};
  return nullptr;
}

}  // namespace

std::string imagePurl(const Sbom& s) {
  if (s.manifestDigest.empty() || s.sourceKind == "rootfs") return {};
  std::string_view ref = s.subject;
  if (const auto scheme = ref.find("://"); scheme != std::string_view::npos) ref.remove_prefix(scheme + 3);
  for (const std::string_view transport : {"oci:", "oci-archive:", "docker-archive:", "rootfs:"}) {
    if (ref.starts_with(transport)) ref.remove_prefix(transport.size());
  }
  if (const auto at = ref.find('@'); at != std::string_view::npos) ref = ref.substr(0, at);
  std::string tag;
  const auto slash = ref.rfind('/');
  const auto colon = ref.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    tag = ref.substr(colon + 1);
    ref = ref.substr(0, colon);
  }
  while (!ref.empty() && ref.back() == '/') ref.remove_suffix(1);
  const auto lastSlash = ref.rfind('/');
  std::string name(lastSlash == std::string_view::npos ? ref : ref.substr(lastSlash + 1));
  for (char& c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (name.empty()) name = "image";
  std::string out = "pkg:oci/" + percentEncode(name) + "@" + percentEncode(s.manifestDigest);
  std::vector<std::string> qualifiers;
  if (!s.architecture.empty()) qualifiers.push_back("arch=" + percentEncode(s.architecture));
  if (s.sourceKind == "registry" && lastSlash != std::string_view::npos) {
    qualifiers.push_back("repository_url=" + percentEncode(ref));
  }
  if (!tag.empty()) qualifiers.push_back("tag=" + percentEncode(tag));
  for (size_t i = 0; i < qualifiers.size(); ++i) out += (i == 0 ? "?" : "&") + qualifiers[i];
  return out;
}

std::vector<std::string> cycloneDxRefs(const Sbom& s) {
  std::vector<std::string> out;
  std::map<std::string, int> seen;
  for (size_t i = 0; i < s.packages.size(); ++i) {
    const auto& p = s.packages[i];
    std::string base = p.purl.empty() ? fmt::format("bulkhead:package:{}", i) : p.purl;
    const int n = ++seen[base];
    out.push_back(n == 1 ? base : fmt::format("{}#{}", base, n));
  }
  // A generated "#2" could equal another package's purl verbatim: keep refs unique anyway.
  std::set<std::string> unique;
  for (auto& ref : out) {
    std::string candidate = ref;
    for (int n = 2; !unique.insert(candidate).second; ++n) candidate = fmt::format("{}#u{}", ref, n);
    ref = candidate;
  }
  return out;
}

json cycloneDxJson(const Sbom& s, const DocumentOptions& options) {
  json bom = json::object();
  bom["$schema"] = "http://cyclonedx.org/schema/bom-1.5.schema.json";
  bom["bomFormat"] = "CycloneDX";
  bom["specVersion"] = "1.5";
  bom["serialNumber"] = "urn:uuid:" + documentUuid(options);
  bom["version"] = 1;

  json subject = json::object();
  subject["bom-ref"] = kCycloneDxImageRef;
  subject["type"] = s.sourceKind == "rootfs" ? "file" : "container";
  subject["name"] = s.subject.empty() ? "unknown" : s.subject;
  if (!s.manifestDigest.empty()) {
    subject["version"] = s.manifestDigest;
    if (auto hash = hashOf(s.manifestDigest); !hash.is_null()) subject["hashes"] = json::array({hash});
  }
  if (auto purl = imagePurl(s); !purl.empty()) subject["purl"] = purl;
  if (auto props = subjectProperties(s); !props.empty()) subject["properties"] = properties(props);

  json metadata = json::object();
  metadata["timestamp"] = documentTimestamp(options);
  metadata["tools"] = {{"components",
                        json::array({{{"type", "application"},
                                      {"name", "bulkhead"},
                                      {"version", options.toolVersion}}})}};
  metadata["component"] = std::move(subject);
  bom["metadata"] = std::move(metadata);

  json components = json::array();
  json imageDependsOn = json::array();
  if (s.os.known()) {
    json os = {{"bom-ref", kOsRef}, {"type", "operating-system"}, {"name", s.os.id}};
    if (!s.os.versionId.empty()) os["version"] = s.os.versionId;
    if (!s.os.prettyName.empty()) os["description"] = s.os.prettyName;
    Properties osProps;
    if (!s.os.codename.empty()) osProps.emplace_back(prop::kOsCodename, s.os.codename);
    if (!s.os.source.empty()) osProps.emplace_back(prop::kOsSource, s.os.source);
    if (!osProps.empty()) os["properties"] = properties(osProps);
    components.push_back(std::move(os));
    imageDependsOn.push_back(kOsRef);
  }

  const auto refs = cycloneDxRefs(s);
  // Owned language packages hang off the OS package that installed them.
  std::map<std::string, size_t> ownerIndex;  // "deb:name" -> first package with that name
  for (size_t i = 0; i < s.packages.size(); ++i) {
    const auto& p = s.packages[i];
    if (isOsEcosystem(p.ecosystem)) ownerIndex.emplace(p.ecosystem + ":" + p.name, i);
  }
  std::map<size_t, std::vector<std::string>> owned;
  for (size_t i = 0; i < s.packages.size(); ++i) {
    const auto& p = s.packages[i];
    json c = json::object();
    c["bom-ref"] = refs[i];
    c["type"] = "library";
    if ((p.ecosystem == eco::kMaven || p.ecosystem == eco::kNpm) && !p.nameSpace.empty()) {
      c["group"] = p.nameSpace;
    }
    c["name"] = p.name;
    if (!p.version.empty()) c["version"] = p.version;
    if (!p.purl.empty()) c["purl"] = p.purl;
    if (auto l = licenses(p.licenses); !l.empty()) c["licenses"] = std::move(l);
    if (auto props = packageProperties(p); !props.empty()) c["properties"] = properties(props);
    components.push_back(std::move(c));

    const auto owner = p.ownedBy.empty() ? ownerIndex.end() : ownerIndex.find(p.ownedBy);
    if (owner != ownerIndex.end() && owner->second != i) {
      owned[owner->second].push_back(refs[i]);
    } else {
      imageDependsOn.push_back(refs[i]);
    }
  }
  bom["components"] = std::move(components);

  json dependencies = json::array();
  dependencies.push_back({{"ref", kCycloneDxImageRef}, {"dependsOn", std::move(imageDependsOn)}});
  for (auto& [index, children] : owned) {
    dependencies.push_back({{"ref", refs[index]}, {"dependsOn", children}});
  }
  bom["dependencies"] = std::move(dependencies);
  return bom;
}

std::string writeCycloneDx(const Sbom& sbom, const DocumentOptions& options) {
  return dumpJson(cycloneDxJson(sbom, options));
}

}  // namespace bulkhead::sbom
