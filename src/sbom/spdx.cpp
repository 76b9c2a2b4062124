#include "sbom/spdx.h"

#include <fmt/format.h>

#include <map>
#include <set>

#include "sbom/cyclonedx.h"

namespace bulkhead::sbom {
namespace {

using nlohmann::json;

constexpr std::string_view kNoAssertion = "NOASSERTION";

// Non-SPDX license names become LicenseRef-s, declared once per document.
class ExtractedLicenses {
 public:
  std::string refFor(const std::string& name) {
    if (auto it = refs_.find(name); it != refs_.end()) return it->second;
    std::string base = "LicenseRef-" + spdxIdString(name);
    std::string ref = base;
    for (int n = 2; !used_.insert(ref).second; ++n) ref = fmt::format("{}-{}", base, n);
    refs_.emplace(name, ref);
    order_.emplace_back(ref, name);
    return ref;
  }

  json infos() const {
    json out = json::array();
    for (const auto& [ref, name] : order_) {
      // The text of these licenses is not at hand: the name as found is what is known.
      out.push_back({{"licenseId", ref}, {"name", name}, {"extractedText", name}});
    }
    return out;
  }

 private:
  std::map<std::string, std::string> refs_;  // name -> ref
  std::set<std::string> used_;
  std::vector<std::pair<std::string, std::string>> order_;
};

// A package's licenses as one SPDX expression: terms joined with AND; a compound
// expression is kept whole, in parentheses, so that the reader can tell it from a list.
std::string declaredLicense(const std::vector<std::string>& list, ExtractedLicenses& extracted) {
  std::vector<std::string> terms;
  std::set<std::string> seen;
  for (const auto& l : list) {
    if (l.empty()) continue;
    std::string term;
    if (auto id = spdxLicenseId(l); !id.empty()) {
      term = id;
    } else if (auto expression = spdxExpression(l); !expression.empty()) {
      term = "(" + expression + ")";
    } else {
      term = extracted.refFor(l);
    }
    if (seen.insert(term).second) terms.push_back(std::move(term));
  }
  if (terms.empty()) return std::string(kNoAssertion);
  std::string out;
  for (const auto& t : terms) {
    if (!out.empty()) out += " AND ";
    out += t;
  }
  return out;
}

json purlRef(const std::string& purl) {
  return {{"referenceCategory", "PACKAGE-MANAGER"}, {"referenceType", "purl"}, {"referenceLocator", purl}};
}

json basePackage(std::string id, const std::string& name) {
  json p = json::object();
  p["SPDXID"] = std::move(id);
  p["name"] = name;
  p["downloadLocation"] = kNoAssertion;
  p["filesAnalyzed"] = false;
  p["licenseConcluded"] = kNoAssertion;
  p["licenseDeclared"] = kNoAssertion;
  p["copyrightText"] = kNoAssertion;
  return p;
}

json relationship(std::string_view from, std::string_view type, std::string_view to) {
  return {{"spdxElementId", from}, {"relationshipType", type}, {"relatedSpdxElement", to}};
}

}  // namespace

std::string spdxIdString(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '-';
    out += keep ? c : '-';
  }
  if (out.empty()) out = "unnamed";
  return out;
}

json spdxJson(const Sbom& s, const DocumentOptions& options) {
  json doc = json::object();
  doc["spdxVersion"] = "SPDX-2.3";
  doc["dataLicense"] = "CC0-1.0";
  doc["SPDXID"] = "SPDXRef-DOCUMENT";
  const std::string name = s.subject.empty() ? "unknown" : s.subject;
  doc["name"] = name;
  std::string slug = spdxIdString(name);
  while (!slug.empty() && (slug.front() == '-' || slug.front() == '.')) slug.erase(slug.begin());
  if (slug.size() > 100) slug.resize(100);
  // Unique per document; the host is reserved (RFC 2606) since nothing is served there.
  doc["documentNamespace"] =
      fmt::format("https://bulkhead.invalid/spdx/{}-{}", slug.empty() ? "sbom" : slug, documentUuid(options));
  doc["creationInfo"] = {{"created", documentTimestamp(options)},
                         {"creators", json::array({"Tool: bulkhead-" + options.toolVersion})}};

  json packages = json::array();
  json relationships = json::array();
  relationships.push_back(relationship("SPDXRef-DOCUMENT", "DESCRIBES", kSpdxImageId));

  json image = basePackage(std::string(kSpdxImageId), name);
  if (!s.manifestDigest.empty()) {
    image["versionInfo"] = s.manifestDigest;
    const auto colon = s.manifestDigest.find(':');
    if (colon != std::string::npos) {
      const std::string algorithm = s.manifestDigest.substr(0, colon);
      const std::string hex = s.manifestDigest.substr(colon + 1);
      const bool isHex = !hex.empty() && hex.find_first_not_of("0123456789abcdef") == std::string::npos;
      if (isHex && (algorithm == "sha256" || algorithm == "sha512")) {
        image["checksums"] = json::array(
            {{{"algorithm", algorithm == "sha256" ? "SHA256" : "SHA512"}, {"checksumValue", hex}}});
      }
    }
  }
  if (auto purl = imagePurl(s); !purl.empty()) image["externalRefs"] = json::array({purlRef(purl)});
  image["primaryPackagePurpose"] = s.sourceKind == "rootfs" ? "FILE" : "CONTAINER";
  if (auto props = subjectProperties(s); !props.empty()) image["comment"] = propertiesToLines(props);
  packages.push_back(std::move(image));

  if (s.os.known()) {
    json os = basePackage(std::string(kSpdxOsId), s.os.id);
    if (!s.os.versionId.empty()) os["versionInfo"] = s.os.versionId;
    if (!s.os.prettyName.empty()) os["description"] = s.os.prettyName;
    os["primaryPackagePurpose"] = "OPERATING-SYSTEM";
    packages.push_back(std::move(os));
    relationships.push_back(relationship(kSpdxImageId, "CONTAINS", kSpdxOsId));
  }

  ExtractedLicenses extracted;
  std::set<std::string> ids = {"SPDXRef-DOCUMENT", std::string(kSpdxImageId), std::string(kSpdxOsId)};
  for (const auto& p : s.packages) {
    std::string base = "SPDXRef-Package-" + spdxIdString(p.ecosystem.empty() ? "unknown" : p.ecosystem) +
                       "-" + spdxIdString(p.name);
    if (!p.version.empty()) base += "-" + spdxIdString(p.version);
    std::string id = base;
    for (int n = 2; !ids.insert(id).second; ++n) id = fmt::format("{}-{}", base, n);

    json entry = basePackage(id, p.name);
    if (!p.version.empty()) entry["versionInfo"] = p.version;
    entry["licenseDeclared"] = declaredLicense(p.licenses, extracted);
    if (!p.purl.empty()) entry["externalRefs"] = json::array({purlRef(p.purl)});
    if (!p.locations.empty() || !p.cataloger.empty()) {
      std::string where;
      for (const auto& l : p.locations) where += (where.empty() ? "" : ", ") + l;
      entry["sourceInfo"] = fmt::format("acquired package info from the {} cataloger{}{}",
                                        p.cataloger.empty() ? "bulkhead" : p.cataloger,
                                        where.empty() ? "" : ": ", where);
    }
    if (auto props = packageProperties(p); !props.empty()) entry["comment"] = propertiesToLines(props);
    entry["primaryPackagePurpose"] = "LIBRARY";
    packages.push_back(std::move(entry));
    relationships.push_back(relationship(kSpdxImageId, "CONTAINS", id));
  }
  doc["packages"] = std::move(packages);
  if (auto infos = extracted.infos(); !infos.empty()) doc["hasExtractedLicensingInfos"] = std::move(infos);
  doc["relationships"] = std::move(relationships);
  return doc;
}

std::string writeSpdx(const Sbom& sbom, const DocumentOptions& options) {
  return dumpJson(spdxJson(sbom, options));
}

}  // namespace bulkhead::sbom
