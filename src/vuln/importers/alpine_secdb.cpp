// Alpine secdb (alpinelinux/alpine-secdb, secdb.alpinelinux.org): per branch and repository
// a document with distroversion "v3.11" and packages[].pkg {name, secfixes: {fixed version:
// [ids]}}. YAML in the git repository, JSON on secdb.alpinelinux.org: both parse here. A
// fixed version "0" means the branch was never affected. One record per id (CVE, XSA, ...)
// and file; the store merges the same id across branches.

#include <map>

#include "sbom/package.h"
#include "vuln/db/names.h"
#include "vuln/importers/importer.h"
#include "vuln/importers/yaml_json.h"

namespace bulkhead::vuln {
namespace {

using nlohmann::json;

bool safeToken(std::string_view token, size_t maxLength) {
  if (token.empty() || token.size() > maxLength) return false;
  for (char c : token) {
    if (static_cast<unsigned char>(c) <= ' ' || static_cast<unsigned char>(c) >= 127) return false;
  }
  return true;
}

class AlpineSecdbImporter final : public Importer {
 public:
  std::string_view format() const override { return "alpine-secdb"; }

  bool wants(std::string_view path) const override {
    return endsWith(path, ".yaml") || endsWith(path, ".yml") || endsWith(path, ".json");
  }

  Status parse(const ImportFile& file, ImportSink& sink) const override {
    const ImportLimits& limits = sink.limits();
    auto doc = endsWith(file.path, ".json") ? parseJsonBounded(file.text, file.path, limits)
                                            : parseYamlAsJson(file.text, limits);
    if (!doc) return std::move(doc).error();
    if (!doc->is_object()) return makeError("not a secdb document (not a map)");
    std::string error;
    const std::string branch = stringField(*doc, "distroversion", limits, &error);
    if (!error.empty() || !safeToken(branch, 32)) {
      return makeError("not a secdb document (no usable \"distroversion\")");
    }
    const std::string release = normaliseRelease(sbom::eco::kApk, "alpine:" + branch);
    const auto packages = doc->find("packages");
    if (packages != doc->end() && packages->is_null()) return {};  // a repository without fixes
    if (packages == doc->end() || !packages->is_array()) {
      return makeError("not a secdb document (\"packages\" is not a list)");
    }
    std::map<std::string, Vulnerability> byId;  // one record per id in this file
    size_t index = 0;
    for (const json& entry : *packages) {
      ++index;
      const json* pkg = entry.is_object() && entry.contains("pkg") ? &entry["pkg"] : nullptr;
      if (pkg == nullptr || !pkg->is_object()) {
        sink.warn(fmt::format("{}: packages[{}]: no \"pkg\" map", file.path, index - 1));
        continue;
      }
      const std::string name = stringField(*pkg, "name", limits, nullptr);
      if (!safeToken(name, 128)) {
        sink.warn(fmt::format("{}: packages[{}]: no usable package name", file.path, index - 1));
        continue;
      }
      const auto fixes = pkg->find("secfixes");
      if (fixes == pkg->end() || fixes->is_null()) continue;
      if (!fixes->is_object()) {
        sink.warn(fmt::format("{}: {}: \"secfixes\" is not a map", file.path, name));
        continue;
      }
      for (const auto& [version, ids] : fixes->items()) {
        if (!safeToken(version, 128)) {
          sink.warn(fmt::format("{}: {}: unusable fixed version", file.path, name));
          continue;
        }
        if (!ids.is_array()) {
          sink.warn(fmt::format("{}: {} {}: the ids are not a list", file.path, name, version));
          continue;
        }
        for (const json& item : ids) {
          if (!item.is_string()) continue;
          // Items are "CVE-2019-1 CVE-2019-2" at times, or carry a trailing remark.
          std::string_view text = item.get_ref<const std::string&>();
          while (!text.empty()) {
            const auto space = text.find_first_of(" \t");
            const std::string_view id = text.substr(0, space);
            text = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
            if (!safeToken(id, 64) || id.find('-') == std::string_view::npos) continue;
            if (byId.size() >= limits.maxRecordsPerFile) break;
            Vulnerability& v = byId[std::string(id)];
            v.id = std::string(id);
            if (v.affected.size() >= limits.maxListItems) continue;
            Affected row;
            row.ecosystem = sbom::eco::kApk;
            row.name = normalisePackageName(sbom::eco::kApk, name);
            row.release = release;
            row.rangeType = range_type::kDistro;
            if (version == "0") {
              row.status = affected_status::kNotAffected;
            } else {
              row.status = affected_status::kFixed;
              row.events.push_back(RangeEvent{"0", "", "", ""});
              row.events.push_back(RangeEvent{"", version, "", ""});
            }
            v.affected.push_back(std::move(row));
          }
        }
      }
    }
    for (auto& [id, v] : byId) sink.add(std::move(v));
    return {};
  }
};

}  // namespace

std::unique_ptr<Importer> makeAlpineSecdbImporter() {
  return std::make_unique<AlpineSecdbImporter>();
}

}  // namespace bulkhead::vuln
