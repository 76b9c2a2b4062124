#include "vuln/db/names.h"

#include <array>
#include <utility>

#include "sbom/package.h"

namespace bulkhead::vuln {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

constexpr std::array<std::pair<std::string_view, std::string_view>, 15> kDebianCodenames{{
    {"buzz", "1.1"},
    {"hamm", "2.0"},
    {"slink", "2.1"},
    {"potato", "2.2"},
    {"woody", "3.0"},
    {"sarge", "3.1"},
    {"etch", "4"},
    {"lenny", "5"},
    {"squeeze", "6"},
    {"wheezy", "7"},
    {"jessie", "8"},
    {"stretch", "9"},
    {"buster", "10"},
    {"bullseye", "11"},
    {"bookworm", "12"},
}};

bool isDigits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if ((c < '0' || c > '9') && c != '.') return false;
  }
  return true;
}

// "3.11.5" -> "3.11": Alpine data is per branch.
std::string alpineBranch(std::string_view version) {
  if (!version.empty() && (version[0] == 'v' || version[0] == 'V')) version.remove_prefix(1);
  const auto first = version.find('.');
  if (first != std::string_view::npos) {
    const auto second = version.find('.', first + 1);
    if (second != std::string_view::npos) version = version.substr(0, second);
  }
  return std::string(version);
}

}  // namespace

std::string debianVersionOfCodename(std::string_view codename) {
  const std::string name = lower(codename);
  for (const auto& [code, version] : kDebianCodenames) {
    if (code == name) return std::string(version);
  }
  if (name == "trixie") return "13";
  if (name == "forky") return "14";
  return {};
}

std::string normalisePackageName(std::string_view ecosystem, std::string_view name) {
  if (ecosystem == sbom::eco::kPypi) {
    // PEP 503: lower-case, runs of -, _ and . become one -.
    std::string out;
    out.reserve(name.size());
    bool inRun = false;
    for (char c : name) {
      if (c == '-' || c == '_' || c == '.') {
        if (!inRun) out.push_back('-');
        inRun = true;
        continue;
      }
      inRun = false;
      out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
    }
    return out;
  }
  if (ecosystem == sbom::eco::kNpm || ecosystem == sbom::eco::kDeb ||
      ecosystem == sbom::eco::kApk || ecosystem == sbom::eco::kComposer ||
      ecosystem == sbom::eco::kNuget) {
    return lower(name);
  }
  return std::string(name);  // Go module paths, Maven coordinates, gems, crates: as is
}

std::string normaliseRelease(std::string_view ecosystem, std::string_view release) {
  std::string text = lower(release);
  std::string distro;
  std::string rest = text;
  if (const auto colon = text.find(':'); colon != std::string::npos) {
    distro = text.substr(0, colon);
    rest = text.substr(colon + 1);
  } else if (ecosystem == sbom::eco::kDeb) {
    distro = "debian";
  } else if (ecosystem == sbom::eco::kApk) {
    distro = "alpine";
  }
  if (distro == "debian") {
    if (const std::string v = debianVersionOfCodename(rest); !v.empty()) return "debian:" + v;
    if (isDigits(rest)) return "debian:" + rest.substr(0, rest.find('.'));
    return "debian:" + rest;
  }
  if (distro == "alpine") return "alpine:" + alpineBranch(rest);
  if (distro.empty()) {
    if (const std::string v = debianVersionOfCodename(rest); !v.empty()) return "debian:" + v;
    return text;
  }
  return distro + ":" + rest;
}

}  // namespace bulkhead::vuln
