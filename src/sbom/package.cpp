#include "sbom/package.h"

#include <fmt/format.h>

#include <tuple>

namespace bulkhead::sbom {
namespace {

// purl: everything but unreserved characters is percent-encoded in name and version.
std::string encode(std::string_view text, bool keepSlash = false) {
  std::string out;
  for (const unsigned char c : text) {
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~' ||
                            (keepSlash && c == '/');
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string lower(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

}  // namespace

bool Package::operator<(const Package& other) const {
  return std::tie(ecosystem, nameSpace, name, version, architecture) <
         std::tie(other.ecosystem, other.nameSpace, other.name, other.version, other.architecture);
}

std::string makePurl(const Package& p, const std::string& distroQualifier) {
  std::string name = p.name;
  std::string nameSpace = p.nameSpace;
  if (p.ecosystem == eco::kPypi) {
    // PEP 503 normalisation, as the purl spec asks for pypi.
    name = lower(name);
    for (char& c : name) {
      if (c == '_' || c == '.') c = '-';
    }
  }
  if (p.ecosystem == eco::kGo && nameSpace.empty()) {
    const auto slash = name.rfind('/');
    if (slash != std::string::npos) {
      nameSpace = name.substr(0, slash);
      name = name.substr(slash + 1);
    }
  }
  // rpm: the version is version-release and the epoch a qualifier (purl's rpm type).
  std::string_view version = p.version;
  std::string_view epoch;
  if (p.ecosystem == eco::kRpm) {
    const auto colon = version.find(':');
    if (colon != std::string_view::npos) {
      epoch = version.substr(0, colon);
      version.remove_prefix(colon + 1);
    }
  }
  std::string out = "pkg:" + p.ecosystem + "/";
  if (!nameSpace.empty()) out += encode(nameSpace, true) + "/";
  out += encode(name);
  if (!version.empty()) out += "@" + encode(version);
  std::vector<std::string> qualifiers;  // sorted by key, as the canonical form wants
  if (!p.architecture.empty()) qualifiers.push_back("arch=" + encode(p.architecture));
  if (!distroQualifier.empty()) qualifiers.push_back("distro=" + encode(distroQualifier));
  if (!epoch.empty()) qualifiers.push_back("epoch=" + encode(epoch));
  // The source package, when it differs in name or version (bash 5.2.15-2+b13 is built
  // from bash 5.2.15-2): upstream=name[@version].
  if (!p.sourceName.empty() && (p.sourceName != p.name || !p.sourceVersion.empty()) &&
      (p.ecosystem == eco::kDeb || p.ecosystem == eco::kRpm || p.ecosystem == eco::kApk)) {
    std::string upstream = p.sourceName;
    if (!p.sourceVersion.empty()) upstream += "@" + p.sourceVersion;
    qualifiers.push_back("upstream=" + encode(upstream));
  }
  for (size_t i = 0; i < qualifiers.size(); ++i) out += (i == 0 ? "?" : "&") + qualifiers[i];
  return out;
}

}  // namespace bulkhead::sbom
