// OSV 1.x records (https://ossf.github.io/osv-schema/), as JSON (Go vulndb, OSV exports)
// or YAML (PyPA advisory database). GIT ranges are not kept: matching is by version.

#include <algorithm>

#include "sbom/package.h"
#include "vuln/cvss.h"
#include "vuln/db/names.h"
#include "vuln/importers/importer.h"
#include "vuln/importers/yaml_json.h"

namespace bulkhead::vuln {
namespace {

using nlohmann::json;

// OSV ecosystem -> the store's ecosystem and, for distros, the release.
void mapEcosystem(std::string_view osv, std::string& ecosystem, std::string& release) {
  std::string_view base = osv;
  std::string_view suffix;
  if (const auto colon = osv.find(':'); colon != std::string_view::npos) {
    base = osv.substr(0, colon);
    suffix = osv.substr(colon + 1);
  }
  struct Map {
    std::string_view osv;
    const char* ours;
  };
  static constexpr Map kMap[] = {
      {"Go", sbom::eco::kGo},
      {"PyPI", sbom::eco::kPypi},
      {"npm", sbom::eco::kNpm},
      {"crates.io", sbom::eco::kCargo},
      {"RubyGems", sbom::eco::kGem},
      {"Maven", sbom::eco::kMaven},
      {"Packagist", sbom::eco::kComposer},
      {"NuGet", sbom::eco::kNuget},
      {"Debian", sbom::eco::kDeb},
      {"Alpine", sbom::eco::kApk},
  };
  ecosystem.clear();
  release.clear();
  for (const auto& m : kMap) {
    if (m.osv == base) ecosystem = m.ours;
  }
  if (ecosystem.empty()) {
    ecosystem = std::string(base);
    for (char& c : ecosystem) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (!suffix.empty() && (ecosystem == sbom::eco::kDeb || ecosystem == sbom::eco::kApk)) {
    release = normaliseRelease(ecosystem, suffix);
  }
}

bool plausibleId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(),
                     [](char c) { return c > ' ' && c < 127 && c != '/' && c != '\\'; });
}

class OsvImporter final : public Importer {
 public:
  std::string_view format() const override { return "osv"; }

  bool wants(std::string_view path) const override {
    return endsWith(path, ".json") || endsWith(path, ".yaml") || endsWith(path, ".yml");
  }

  Status parse(const ImportFile& file, ImportSink& sink) const override {
    const ImportLimits& limits = sink.limits();
    const bool yaml = !endsWith(file.path, ".json");
    auto doc =
        yaml ? parseYamlAsJson(file.text, limits) : parseJsonBounded(file.text, file.path, limits);
    if (!doc) return std::move(doc).error();
    if (!doc->is_object()) return makeError("not an OSV record (the document is not an object)");
    std::string error;
    Vulnerability v;
    v.id = stringField(*doc, "id", limits, &error);
    if (!error.empty()) return makeError("{}", error);
    if (!plausibleId(v.id)) return makeError("not an OSV record (no usable \"id\")");
    v.aliases = stringList(*doc, "aliases", limits, &error);
    v.summary = truncateUtf8(stringField(*doc, "summary", limits, &error), kMaxSummary);
    v.details = truncateUtf8(stringField(*doc, "details", limits, &error), kMaxDetails);
    v.published = stringField(*doc, "published", limits, &error);
    v.modified = stringField(*doc, "modified", limits, &error);
    v.withdrawn = stringField(*doc, "withdrawn", limits, &error);
    if (!error.empty()) return makeError("{}: {}", v.id, error);
    if (const json* severities = jsonArrayOf(*doc, "severity")) {
      std::string v2;
      for (const json& s : *severities) {
        const std::string type = stringField(s, "type", limits, nullptr);
        const std::string score = stringField(s, "score", limits, nullptr);
        if (type == "CVSS_V3" && v.cvssVector.empty()) v.cvssVector = score;
        if (type == "CVSS_V2" && v2.empty()) v2 = score;
      }
      if (v.cvssVector.empty()) v.cvssVector = v2;
    }
    if (!v.cvssVector.empty()) {
      if (auto scored = cvssBaseScore(v.cvssVector)) {
        v.cvssScore = scored->base;
      } else {
        sink.warn(fmt::format("{}: {}: {}", file.path, v.id, scored.error().message));
      }
    }
    if (const json* specific = jsonObjectOf(*doc, "database_specific")) {
      std::string rating = stringField(*specific, "severity", limits, nullptr);
      for (char& c : rating) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      v.severity = truncateUtf8(rating, 32);
    }
    if (const json* refs = jsonArrayOf(*doc, "references")) {
      for (const json& r : *refs) {
        if (v.references.size() >= kMaxReferences) break;
        std::string url = stringField(r, "url", limits, nullptr);
        if (!url.empty() && url.size() <= 2048) v.references.push_back(std::move(url));
      }
    }
    if (const auto it = doc->find("affected"); it != doc->end() && !it->is_null()) {
      if (!it->is_array()) return makeError("{}: \"affected\" is not a list", v.id);
      if (it->size() > limits.maxListItems) {
        return makeError("{}: \"affected\" has more than {} entries", v.id, limits.maxListItems);
      }
      size_t index = 0;
      for (const json& entry : *it) {
        std::string problem;
        addAffected(entry, limits, v, problem);
        if (!problem.empty()) {
          sink.warn(
              fmt::format("{}: {}: affected[{}] skipped: {}", file.path, v.id, index, problem));
        }
        ++index;
      }
    }
    sink.add(std::move(v));
    return {};
  }

 private:
  static const json* jsonArrayOf(const json& object, const char* key) {
    const auto it = object.find(key);
    return it != object.end() && it->is_array() ? &*it : nullptr;
  }
  static const json* jsonObjectOf(const json& object, const char* key) {
    const auto it = object.find(key);
    return it != object.end() && it->is_object() ? &*it : nullptr;
  }

  static void addAffected(const json& entry, const ImportLimits& limits, Vulnerability& v,
                          std::string& problem) {
    if (!entry.is_object()) {
      problem = "not an object";
      return;
    }
    const json* package = jsonObjectOf(entry, "package");
    if (package == nullptr) {
      problem = "no \"package\"";
      return;
    }
    const std::string osvEcosystem = stringField(*package, "ecosystem", limits, &problem);
    const std::string rawName = stringField(*package, "name", limits, &problem);
    if (!problem.empty()) return;
    if (osvEcosystem.empty() || rawName.empty() || rawName.size() > 512) {
      problem = "package without a usable ecosystem and name";
      return;
    }
    Affected base;
    mapEcosystem(osvEcosystem, base.ecosystem, base.release);
    base.name = normalisePackageName(base.ecosystem, rawName);
    base.versions = stringList(entry, "versions", limits, &problem);
    if (!problem.empty()) return;
    std::vector<Affected> rows;
    if (const auto it = entry.find("ranges"); it != entry.end() && !it->is_null()) {
      if (!it->is_array() || it->size() > limits.maxListItems) {
        problem = "\"ranges\" is not a list of bounded size";
        return;
      }
      for (const json& range : *it) {
        const std::string type = stringField(range, "type", limits, nullptr);
        if (type == "GIT") continue;  // commit ranges: not usable for version matching
        if (type != "SEMVER" && type != "ECOSYSTEM") {
          problem = fmt::format("unknown range type \"{:.40}\"", type);
          return;
        }
        Affected row = base;
        row.rangeType = type == "SEMVER" ? range_type::kSemver : range_type::kEcosystem;
        const auto events = range.find("events");
        if (events == range.end() || !events->is_array() || events->empty() ||
            events->size() > limits.maxListItems) {
          problem = "a range without a list of events";
          return;
        }
        bool fixed = false;
        for (const json& event : *events) {
          if (!event.is_object() || event.size() != 1 || !event.begin()->is_string()) {
            problem = "an event is not one {kind: version} pair";
            return;
          }
          const std::string& version = event.begin()->get_ref<const std::string&>();
          if (version.empty() || version.size() > 256) {
            problem = "an event version is empty or longer than 256 bytes";
            return;
          }
          RangeEvent e;
          const std::string& kind = event.begin().key();
          if (kind == "introduced") {
            e.introduced = version;
          } else if (kind == "fixed") {
            e.fixed = version;
            fixed = true;
          } else if (kind == "last_affected") {
            e.lastAffected = version;
          } else if (kind == "limit") {
            e.limit = version;
          } else {
            problem = fmt::format("unknown event \"{:.40}\"", kind);
            return;
          }
          row.events.push_back(std::move(e));
        }
        row.status = fixed ? affected_status::kFixed : affected_status::kUnfixed;
        rows.push_back(std::move(row));
      }
    }
    if (rows.empty()) {
      if (base.versions.empty()) return;  // only GIT ranges: nothing to match on
      base.rangeType = range_type::kVersions;
      base.status = affected_status::kUnfixed;
      rows.push_back(std::move(base));
    }
    for (auto& row : rows) v.affected.push_back(std::move(row));
  }
};

}  // namespace

std::unique_ptr<Importer> makeOsvImporter() { return std::make_unique<OsvImporter>(); }

}  // namespace bulkhead::vuln
