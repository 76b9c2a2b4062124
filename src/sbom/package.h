#pragma once
// The package model every cataloger fills and every writer reads.

#include <map>
#include <string>
#include <vector>

namespace bulkhead::sbom {

// Ecosystem names, also the purl types.
namespace eco {
inline constexpr const char* kDeb = "deb";
inline constexpr const char* kApk = "apk";
inline constexpr const char* kRpm = "rpm";
inline constexpr const char* kNpm = "npm";
inline constexpr const char* kPypi = "pypi";
inline constexpr const char* kGo = "golang";
inline constexpr const char* kMaven = "maven";
inline constexpr const char* kGem = "gem";
inline constexpr const char* kCargo = "cargo";
inline constexpr const char* kComposer = "composer";
inline constexpr const char* kNuget = "nuget";
}  // namespace eco

struct Package {
  std::string name;
  std::string version;
  std::string ecosystem;  // one of eco::
  std::string nameSpace;  // purl namespace: distro ("debian"), maven groupId, npm scope
  std::string purl;       // filled by the driver when the cataloger leaves it empty
  std::string architecture;
  std::string sourceName;     // dpkg/rpm source package (advisories are keyed by it)
  std::string sourceVersion;  // empty when it equals `version`
  std::vector<std::string> licenses;
  std::vector<std::string> locations;  // "/var/lib/dpkg/status", "/app/node_modules/x/package.json"
  std::vector<std::string> files;      // OS packages: the files they install (for ownership)
  int layer = -1;                      // index of the layer that added it; -1: unknown/rootfs
  std::string layerDiffId;
  std::string ownedBy;  // language packages: "deb:python3-urllib3" when an OS package owns them
  std::string cataloger;
  std::map<std::string, std::string> metadata;  // cataloger-specific facts

  bool operator<(const Package& other) const;
};

// Package URL (purl spec): pkg:type/namespace/name@version?qualifiers, percent-encoded.
std::string makePurl(const Package& package, const std::string& distroQualifier = {});

}  // namespace bulkhead::sbom
