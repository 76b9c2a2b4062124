// Node.js security working group advisories (github.com/nodejs/security-wg, vuln/):
// npm/<n>.json for npm packages (module_name, vulnerable_versions / patched_versions as npm
// range strings) and core/<n>.json for the node runtime (vulnerable / patched). Ids follow
// the working group's own: NSWG-ECO-<n> and NSWG-CORE-<n>.

#include <cmath>

#include "sbom/package.h"
#include "vuln/cvss.h"
#include "vuln/db/names.h"
#include "vuln/importers/importer.h"
#include "vuln/importers/yaml_json.h"

namespace bulkhead::vuln {
namespace {

using nlohmann::json;

std::string parentDir(std::string_view path) {
  const auto slash = path.rfind('/');
  if (slash == std::string_view::npos) return {};
  const std::string_view dir = path.substr(0, slash);
  const auto prev = dir.rfind('/');
  return std::string(prev == std::string_view::npos ? dir : dir.substr(prev + 1));
}

std::string baseName(std::string_view path) {
  const auto slash = path.rfind('/');
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  if (endsWith(name, ".json")) name.remove_suffix(5);
  return std::string(name);
}

bool isNumber(std::string_view text) {
  if (text.empty() || text.size() > 12) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// A range that matches no version: the feed's way of saying "no fix".
bool noFix(std::string_view patched) {
  return patched.empty() || patched == "<0.0.0" || patched == "<0.0.0-0";
}

class NodejsWgImporter final : public Importer {
 public:
  std::string_view format() const override { return "nodejs-wg"; }

  bool wants(std::string_view path) const override {
    const std::string dir = parentDir(path);
    return (dir == "npm" || dir == "core") && endsWith(path, ".json") && isNumber(baseName(path));
  }

  Status parse(const ImportFile& file, ImportSink& sink) const override {
    const ImportLimits& limits = sink.limits();
    auto doc = parseJsonBounded(file.text, file.path, limits);
    if (!doc) return std::move(doc).error();
    if (!doc->is_object()) return makeError("not an advisory (the document is not an object)");
    const bool core = parentDir(file.path) == "core";
    std::string error;
    Vulnerability v;
    Affected row;
    row.rangeType = range_type::kNpmRange;
    if (core) {
      const std::string number = baseName(file.path);
      if (!isNumber(number)) return makeError("core advisory file name is not a number");
      v.id = "NSWG-CORE-" + number;
      v.aliases = stringList(*doc, "cve", limits, &error);
      v.summary = stringField(*doc, "description", limits, &error);
      v.details = stringField(*doc, "overview", limits, &error);
      v.severity = stringField(*doc, "severity", limits, &error);
      if (v.severity == "unknown") v.severity.clear();
      row.ecosystem = advisory_eco::kNodeRuntime;
      row.name = "node";
      row.vulnerableRange = stringField(*doc, "vulnerable", limits, &error);
      row.patchedRange = stringField(*doc, "patched", limits, &error);
      std::string cvss = stringField(*doc, "cvss", limits, &error);
      if (!cvss.empty() && cvss.rfind("CVSS:", 0) != 0) cvss = "CVSS:" + cvss;
      v.cvssVector = cvss;
      if (std::string ref = stringField(*doc, "ref", limits, &error); !ref.empty()) {
        v.references.push_back(std::move(ref));
      }
    } else {
      const auto id = doc->find("id");
      if (id == doc->end() || !id->is_number_integer() || id->get<int64_t>() < 0) {
        return makeError("\"id\" is not a non-negative integer");
      }
      v.id = fmt::format("NSWG-ECO-{}", id->get<int64_t>());
      const std::string module = stringField(*doc, "module_name", limits, &error);
      if (!error.empty()) return makeError("{}: {}", v.id, error);
      if (module.empty() || module.size() > 214) {
        return makeError("{}: \"module_name\" is missing or longer than npm allows", v.id);
      }
      row.ecosystem = sbom::eco::kNpm;
      row.name = normalisePackageName(sbom::eco::kNpm, module);
      row.vulnerableRange = stringField(*doc, "vulnerable_versions", limits, &error);
      row.patchedRange = stringField(*doc, "patched_versions", limits, &error);
      v.aliases = stringList(*doc, "cves", limits, &error);
      v.summary = stringField(*doc, "title", limits, &error);
      v.details = stringField(*doc, "overview", limits, &error);
      v.cvssVector = stringField(*doc, "cvss_vector", limits, &error);
      v.published = stringField(*doc, "publish_date", limits, &error);
      v.modified = stringField(*doc, "updated_at", limits, &error);
      if (const auto score = doc->find("cvss_score"); score != doc->end() && score->is_number()) {
        const double s = score->get<double>();
        if (std::isfinite(s) && s >= 0 && s <= 10) v.feedScore = s;
      }
      for (const auto& ref : stringList(*doc, "references", limits, nullptr)) {
        if (v.references.size() < kMaxReferences && ref.size() <= 2048) v.references.push_back(ref);
      }
    }
    if (!error.empty()) return makeError("{}: {}", v.id, error);
    if (row.vulnerableRange.empty()) return makeError("{}: no vulnerable version range", v.id);
    if (row.vulnerableRange.size() > 1024 || row.patchedRange.size() > 1024) {
      return makeError("{}: a version range is longer than 1024 bytes", v.id);
    }
    v.summary = truncateUtf8(v.summary, kMaxSummary);
    v.details = truncateUtf8(v.details, kMaxDetails);
    if (v.severity.size() > 32) v.severity.clear();
    if (!v.cvssVector.empty()) {
      if (auto scored = cvssBaseScore(v.cvssVector)) {
        v.cvssScore = scored->base;
      } else {
        sink.warn(fmt::format("{}: {}: {}", file.path, v.id, scored.error().message));
      }
    }
    row.status = noFix(row.patchedRange) ? affected_status::kUnfixed : affected_status::kFixed;
    v.affected.push_back(std::move(row));
    sink.add(std::move(v));
    return {};
  }
};

}  // namespace

std::unique_ptr<Importer> makeNodejsWgImporter() { return std::make_unique<NodejsWgImporter>(); }

}  // namespace bulkhead::vuln
