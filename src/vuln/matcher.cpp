#include "vuln/matcher.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <set>
#include <unordered_map>

#include "vuln/affected.h"
#include "vuln/db/names.h"
#include "vuln/versions/scheme.h"

namespace bulkhead::vuln {
namespace {

constexpr size_t kMaxWarnings = 100;

bool isOsEcosystem(std::string_view ecosystem) {
  return ecosystem == sbom::eco::kDeb || ecosystem == sbom::eco::kApk || ecosystem == sbom::eco::kRpm;
}

std::string fullName(const sbom::Package& p) {
  if (p.nameSpace.empty() || isOsEcosystem(p.ecosystem)) return p.name;
  if (p.ecosystem == sbom::eco::kMaven) return p.nameSpace + ":" + p.name;
  return p.nameSpace + "/" + p.name;
}

std::string_view withoutV(std::string_view version) {
  if (!version.empty() && version.front() == 'v') version.remove_prefix(1);
  return version;
}

bool isCve(std::string_view id) { return id.starts_with("CVE-"); }

// One matched feed record for one package.
struct Hit {
  const Vulnerability* record = nullptr;
  std::vector<std::string> fixed;
  std::string status;
};

// Union-find over the hits of one package: records that share an id are one flaw.
class Groups {
 public:
  explicit Groups(size_t n) : parent_(n) { std::iota(parent_.begin(), parent_.end(), 0); }
  size_t find(size_t i) {
    while (parent_[i] != i) i = parent_[i] = parent_[parent_[i]];
    return i;
  }
  void join(size_t a, size_t b) { parent_[find(a)] = find(b); }

 private:
  std::vector<size_t> parent_;
};

Finding mergeHits(size_t packageIndex, const std::vector<const Hit*>& hits) {
  Finding f;
  f.package = packageIndex;
  std::set<std::string> ids;
  std::set<std::string> fixed;
  std::set<std::string> references;
  std::string feedSeverityText;
  Severity feedSeverity = Severity::kUnknown;
  bool unfixed = false;
  bool endOfLife = false;
  for (const Hit* h : hits) {
    const Vulnerability& v = *h->record;
    ids.insert(v.id);
    ids.insert(v.aliases.begin(), v.aliases.end());
    f.sources.push_back(v.id);
    if (f.summary.empty()) f.summary = v.summary;
    if (v.cvssScore > f.score) {
      f.score = v.cvssScore;
      f.cvssVector = v.cvssVector;
    }
    if (auto s = parseSeverity(v.severity); s && *s > feedSeverity) feedSeverity = *s;
    fixed.insert(h->fixed.begin(), h->fixed.end());
    if (h->status == affected_status::kUnfixed) unfixed = true;
    if (h->status == affected_status::kEndOfLife) endOfLife = true;
    for (const auto& r : v.references) {
      if (references.size() < 16) references.insert(r);
    }
  }
  // The computed score decides where there is one; the feed's rating otherwise.
  f.severity = f.score >= 0 ? severityFromScore(f.score) : feedSeverity;
  f.ids.assign(ids.begin(), ids.end());
  std::vector<std::string> cves;
  std::copy_if(f.ids.begin(), f.ids.end(), std::back_inserter(cves), [](const auto& id) { return isCve(id); });
  f.id = cves.size() == 1 ? cves.front() : f.sources.front();
  std::sort(f.sources.begin(), f.sources.end());
  f.fixedVersions.assign(fixed.begin(), fixed.end());
  f.status = endOfLife ? affected_status::kEndOfLife
             : (unfixed || f.fixedVersions.empty()) ? affected_status::kUnfixed
                                                    : affected_status::kFixed;
  f.references.assign(references.begin(), references.end());
  return f;
}

class Warnings {
 public:
  explicit Warnings(std::vector<std::string>& out) : out_(out) {}
  void add(std::string message) {
    if (out_.size() < kMaxWarnings) {
      out_.push_back(std::move(message));
    } else {
      ++dropped_;
    }
  }
  void finish() {
    if (dropped_ > 0) out_.push_back(fmt::format("... and {} more matching problems", dropped_));
  }

 private:
  std::vector<std::string>& out_;
  size_t dropped_ = 0;
};

}  // namespace

Result<std::vector<Vulnerability>> MemoryAdvisories::lookup(std::string_view ecosystem, std::string_view name,
                                                            std::string_view /*release*/) const {
  std::vector<Vulnerability> out;
  for (const auto& v : all_) {
    for (const auto& a : v.affected) {
      if (a.ecosystem == ecosystem && a.name == name) {
        out.push_back(v);
        break;
      }
    }
  }
  return out;
}

MatchKey matchKey(const sbom::Package& p, const image::OsInfo& os) {
  MatchKey key;
  if (p.ecosystem.empty() || p.version.empty()) return key;
  key.ecosystem = p.ecosystem;
  if (isOsEcosystem(p.ecosystem)) {
    key.name = normalisePackageName(p.ecosystem, p.sourceName.empty() ? p.name : p.sourceName);
    // Debian's data names source versions (a binNMU "+b1" binary is built from the source
    // version); Alpine's and rpm's name the package's own version.
    key.version = p.ecosystem == sbom::eco::kDeb && !p.sourceVersion.empty() ? p.sourceVersion : p.version;
    if (os.known()) {
      const std::string& versionOrCodename = os.versionId.empty() ? os.codename : os.versionId;
      key.release = normaliseRelease(p.ecosystem, os.id + ":" + versionOrCodename);
    }
  } else {
    key.name = normalisePackageName(p.ecosystem, fullName(p));
    key.version = p.version;
  }
  return key;
}

Result<MatchResult> matchSbom(const sbom::Sbom& sbom, const AdvisoryLookup& advisories,
                              const MatchOptions& options) {
  MatchResult result;
  Warnings warnings(result.warnings);
  std::map<std::pair<std::string, std::string>, std::vector<Vulnerability>> cache;
  for (size_t index = 0; index < sbom.packages.size(); ++index) {
    const sbom::Package& p = sbom.packages[index];
    const bool osOwned = !p.ownedBy.empty() && !isOsEcosystem(p.ecosystem);
    if (osOwned && !options.matchOsOwned) continue;
    const MatchKey key = matchKey(p, sbom.os);
    if (key.ecosystem.empty()) {
      ++result.packagesSkipped;
      continue;
    }
    auto cached = cache.find({key.ecosystem, key.name});
    if (cached == cache.end()) {
      auto found = advisories.lookup(key.ecosystem, key.name, key.release);
      if (!found) return withContext(fmt::format("advisories for {} {}", key.ecosystem, key.name), found.error());
      cached = cache.emplace(std::pair{key.ecosystem, key.name}, std::move(*found)).first;
    }
    ++result.packagesMatched;
    std::vector<Hit> hits;
    for (const Vulnerability& v : cached->second) {
      if (!v.withdrawn.empty()) continue;
      Hit hit;
      hit.record = &v;
      bool matched = false;
      for (const Affected& a : v.affected) {
        if (a.ecosystem != key.ecosystem || a.name != key.name) continue;
        // Distro data is per release: a bookworm package is judged by bookworm's only.
        if (!a.release.empty() && a.release != key.release) continue;
        const bool semverRow = a.rangeType == range_type::kSemver;
        const VersionScheme* scheme = findScheme(semverRow ? "semver" : key.ecosystem);
        if (scheme == nullptr) {
          warnings.add(fmt::format("{} {}: no version scheme for ecosystem {}", p.name, p.version, key.ecosystem));
          break;
        }
        const std::string_view version = semverRow ? withoutV(key.version) : std::string_view(key.version);
        ++result.pairsCompared;
        auto affected = isAffected(a, version, *scheme);
        if (!affected) {
          warnings.add(fmt::format("{} {} against {}: {}", p.name, key.version, v.id, affected.error().message));
          continue;
        }
        if (!*affected) continue;
        matched = true;
        if (a.rangeType == range_type::kNpmRange) {
          if (!a.patchedRange.empty()) hit.fixed.push_back(a.patchedRange);
        } else {
          for (const auto& e : a.events) {
            if (e.fixed.empty()) continue;
            auto above = scheme->compare(e.fixed, version);
            if (above && *above > 0) hit.fixed.push_back(e.fixed);
          }
        }
        if (a.status != affected_status::kFixed) hit.status = a.status;
      }
      if (matched) hits.push_back(std::move(hit));
    }
    if (hits.empty()) continue;
    // Records that share an id describe one flaw: one finding each.
    Groups groups(hits.size());
    std::unordered_map<std::string, size_t> owner;
    for (size_t i = 0; i < hits.size(); ++i) {
      auto note = [&](const std::string& id) {
        auto [it, inserted] = owner.emplace(id, i);
        if (!inserted) groups.join(i, it->second);
      };
      note(hits[i].record->id);
      for (const auto& alias : hits[i].record->aliases) note(alias);
    }
    std::map<size_t, std::vector<const Hit*>> byGroup;
    for (size_t i = 0; i < hits.size(); ++i) byGroup[groups.find(i)].push_back(&hits[i]);
    for (const auto& [root, members] : byGroup) {
      Finding f = mergeHits(index, members);
      f.upstreamOfOsPackage = osOwned;
      f.ownedBy = p.ownedBy;
      result.findings.push_back(std::move(f));
    }
  }
  std::sort(result.findings.begin(), result.findings.end(), [](const Finding& a, const Finding& b) {
    if (a.package != b.package) return a.package < b.package;
    if (a.severity != b.severity) return a.severity > b.severity;
    return a.id < b.id;
  });
  warnings.finish();
  return result;
}

}  // namespace bulkhead::vuln
