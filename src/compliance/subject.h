#pragma once
// A subject is one thing checks are evaluated against: the host, an image, a container, or
// one Kubernetes workload. Collectors build a typed snapshot and turn it into `facts`, a
// JSON document with documented field names (docs/compliance.md, "Facts"); evaluators
// read only the facts, so every check can be tested on data.

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "compliance/check.h"

namespace bulkhead::compliance {

// Where the facts under a prefix came from, so that evidence can name the real file and
// field ("spec" of a Deployment is "spec.template.spec" in deploy.yaml).
struct Origin {
  std::string file;
  std::string documentPath;  // replaces the fact prefix in evidence paths; "" keeps it
  std::string note;          // "dockerd command line (pid 812)"
  // The key right after the prefix names the file itself (facts.files["/usr/bin/su"]):
  // evidence shows that file and the rest of the path.
  bool keyIsFile = false;
};

struct Location {
  std::string file;
  std::string path;
  int line = 0;
  std::string note;
};

struct Subject {
  Target target = Target::kHost;
  std::string name;  // "host /", "image debian:12", "Deployment prod/web"
  std::string file;  // the subject's main file, if any
  nlohmann::json facts = nlohmann::json::object();
  // Fact path prefix -> origin; the longest matching prefix wins.
  std::vector<std::pair<std::string, Origin>> origins;
  // Document path -> 1-based line in `file` (Kubernetes manifests).
  std::map<std::string, int> lines;
  // Fact path prefix -> why those facts could not be gathered. A check reading facts under
  // such a prefix ends in `error` with this message, never in a verdict.
  std::map<std::string, std::string> errors;

  void addOrigin(std::string factPrefix, Origin origin) {
    origins.emplace_back(std::move(factPrefix), std::move(origin));
  }
  // Maps a fact path ("spec.containers[0].image") to a file, document path and line.
  Location locate(const std::string& factPath) const;
  // The collection error covering a fact path, or nullptr.
  const std::string* errorFor(const std::string& factPath) const;

};

}  // namespace bulkhead::compliance
