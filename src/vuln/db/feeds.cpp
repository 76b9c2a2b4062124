#include "vuln/db/feeds.h"

#include <fstream>
#include <sstream>

#include "vuln/importers/importer.h"
#include "vuln/importers/yaml_json.h"

namespace bulkhead::vuln {

const std::vector<FeedSpec>& defaultFeeds() {
  static const std::vector<FeedSpec> feeds = {
      // The Go team asks clients not to read x/vulndb's git tree; OSV.dev exports the same
      // OSV records per ecosystem as one flat zip.
      {"golang-vulndb", "osv", "golang-vulndb/osv",
       "https://osv-vulnerabilities.storage.googleapis.com/Go/all.zip", ""},
      {"pypa-advisory-database", "osv", "pypa-advisory-database/vulns",
       "https://github.com/pypa/advisory-database/archive/refs/heads/main.tar.gz", "vulns"},
      {"nodejs-security-wg", "nodejs-wg", "nodejs-security-wg/vuln",
       "https://github.com/nodejs/security-wg/archive/refs/heads/main.tar.gz", "vuln"},
      {"debian-dsa", "debian-list", "debian-security-tracker/DSA",
       "https://salsa.debian.org/security-tracker-team/security-tracker/-/raw/master/data/DSA/list",
       "DSA/list"},
      {"debian-dla", "debian-list", "debian-security-tracker/DLA",
       "https://salsa.debian.org/security-tracker-team/security-tracker/-/raw/master/data/DLA/list",
       "DLA/list"},
      {"alpine-secdb", "alpine-secdb", "alpine-secdb",
       "https://github.com/alpinelinux/alpine-secdb/archive/refs/heads/master.tar.gz", ""},
  };
  return feeds;
}

Result<std::vector<FeedSpec>> loadFeedConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return makeError("feed config {}: cannot read it", path);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  ImportLimits limits;
  limits.maxFileBytes = 1u << 20;
  auto doc = endsWith(path, ".json") ? parseJsonBounded(text, path, limits)
                                     : parseYamlAsJson(text, limits);
  if (!doc) return withContext("feed config " + path, std::move(doc).error());
  if (!doc->is_object()) return makeError("feed config {}: not a map", path);
  bool replace = false;
  if (const auto it = doc->find("replace"); it != doc->end()) {
    replace = (it->is_boolean() && it->get<bool>()) || (it->is_string() && *it == "true");
  }
  std::vector<FeedSpec> feeds = replace ? std::vector<FeedSpec>() : defaultFeeds();
  const auto list = doc->find("feeds");
  if (list == doc->end() || !list->is_array()) {
    return makeError("feed config {}: \"feeds\" is not a list", path);
  }
  for (const auto& entry : *list) {
    std::string error;
    FeedSpec spec;
    spec.name = stringField(entry, "name", limits, &error);
    spec.format = stringField(entry, "format", limits, &error);
    spec.path = stringField(entry, "path", limits, &error);
    spec.url = stringField(entry, "url", limits, &error);
    spec.archivePath = stringField(entry, "archive_path", limits, &error);
    if (!error.empty()) return makeError("feed config {}: {}", path, error);
    if (spec.name.empty()) return makeError("feed config {}: a feed without a \"name\"", path);
    FeedSpec* known = nullptr;
    for (auto& f : feeds) {
      if (f.name == spec.name) known = &f;
    }
    if (known == nullptr) {
      for (const auto& f : defaultFeeds()) {
        if (f.name == spec.name) {
          feeds.push_back(f);
          known = &feeds.back();
        }
      }
    }
    if (known != nullptr) {
      if (!spec.format.empty()) known->format = spec.format;
      if (!spec.path.empty()) known->path = spec.path;
      if (!spec.url.empty()) known->url = spec.url;
      if (entry.contains("archive_path")) known->archivePath = spec.archivePath;
      continue;
    }
    if (findImporter(spec.format) == nullptr) {
      return makeError("feed config {}: feed {}: unknown format \"{}\"", path, spec.name,
                       spec.format);
    }
    feeds.push_back(std::move(spec));
  }
  for (const auto& f : feeds) {
    if (findImporter(f.format) == nullptr) {
      return makeError("feed config {}: feed {}: unknown format \"{}\"", path, f.name, f.format);
    }
  }
  return feeds;
}

}  // namespace bulkhead::vuln
