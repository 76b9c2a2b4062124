// The list of version schemes. Adding one: a class in its own file defining
// `const VersionScheme& <name>Scheme()`, one line below, its ecosystem aliases in
// kEcosystems, and a test under tests/vuln/versions/.

#include <array>
#include <utility>

#include "sbom/package.h"
#include "vuln/versions/scheme.h"
#include "vuln/versions/text.h"

#define BULKHEAD_VERSION_SCHEMES(X) \
  X(dpkg)                           \
  X(rpm)                            \
  X(apk)                            \
  X(semver)                         \
  X(pep440)                         \
  X(go)                             \
  X(maven)                          \
  X(gem)                            \
  X(cargo)

namespace bulkhead::vuln {
namespace versions {

#define BULKHEAD_DECLARE_SCHEME(id) const VersionScheme& id##Scheme();
BULKHEAD_VERSION_SCHEMES(BULKHEAD_DECLARE_SCHEME)
#undef BULKHEAD_DECLARE_SCHEME

std::string quoteVersion(std::string_view v) {
  constexpr size_t kShown = 80;
  std::string out = "\"";
  for (size_t i = 0; i < v.size() && i < kShown; ++i) {
    const unsigned char c = static_cast<unsigned char>(v[i]);
    if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (v.size() > kShown) out += fmt::format("...\" ({} bytes)", v.size());
  else out += '"';
  return out;
}

Status checkBounds(std::string_view scheme, std::string_view v) {
  if (v.size() > kMaxVersionLength) {
    return versionError(scheme, v, "longer than {} bytes", kMaxVersionLength);
  }
  if (v.find('\0') != std::string_view::npos) return versionError(scheme, v, "holds a NUL byte");
  return {};
}

}  // namespace versions

const VersionScheme* findScheme(std::string_view nameOrEcosystem) {
#define BULKHEAD_SCHEME_ENTRY(id) &versions::id##Scheme(),
  static const std::array kSchemes{BULKHEAD_VERSION_SCHEMES(BULKHEAD_SCHEME_ENTRY)};
#undef BULKHEAD_SCHEME_ENTRY
  // Ecosystems whose name differs from their scheme's. NuGet's order is SemVer 2's for
  // the versions NuGet itself writes (four-part legacy versions are not handled); Composer has none yet.
  static constexpr std::pair<std::string_view, std::string_view> kEcosystems[] = {
      {sbom::eco::kNpm, "semver"},   {sbom::eco::kPypi, "pep440"},   {sbom::eco::kGo, "go"},
      {sbom::eco::kNuget, "semver"}, {"dpkg", "deb"},   {"debian", "deb"},  {"ubuntu", "deb"},
      {"alpine", "apk"},             {"rubygems", "gem"}, {"crates.io", "cargo"},
      // Node.js releases (advisories on the node binary) and OSV's ecosystem names.
      {"node", "semver"},            {"PyPI", "pep440"},  {"Go", "go"},        {"RubyGems", "gem"},
      {"Maven", "maven"},            {"NuGet", "semver"}, {"Debian", "deb"},   {"Alpine", "apk"}};
  for (const auto& [ecosystem, scheme] : kEcosystems) {
    if (nameOrEcosystem == ecosystem) {
      nameOrEcosystem = scheme;
      break;
    }
  }
  for (const VersionScheme* scheme : kSchemes) {
    if (scheme->name() == nameOrEcosystem) return scheme;
  }
  return nullptr;
}

}  // namespace bulkhead::vuln
