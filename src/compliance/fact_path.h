#pragma once
// Paths into a facts document: `process.capabilities.bounding`, `spec.containers[0].image`,
// `metadata.annotations["seccomp.security.alpha.kubernetes.io/pod"]`, `mounts[*].source`,
// `$.spec.hostPID` (from the subject's root inside an `each`), and two functions:
// `files.@keys` (an object's keys) and `config.env.@length` (size of a list, object or
// string; 0 when absent).

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/yaml.h"  // appendKey, appendIndex: the same path syntax

namespace bulkhead::compliance {

struct PathSegment {
  enum class Kind { kKey, kIndex, kWildcard, kKeys, kLength };
  Kind kind = Kind::kKey;
  std::string key;
  size_t index = 0;
};

struct FactPath {
  bool fromRoot = false;  // "$..."
  std::vector<PathSegment> segments;
  std::string text;  // as written
};

Result<FactPath> parseFactPath(std::string_view text);

// One value a path led to. `value` is null when the path leads nowhere (absent).
struct FactMatch {
  std::string path;  // concrete path, wildcards expanded: "mounts[3].source"
  const nlohmann::json* value = nullptr;
  std::shared_ptr<const nlohmann::json> owned;  // for @keys and @length results
};

// Resolves `path` against `current` (or `root` for "$" paths). `currentPath` is the
// concrete path of `current` within the root ("" for the root). A wildcard over a list
// yields one match per element; over nothing it yields no match.
std::vector<FactMatch> resolveFactPath(const FactPath& path, const nlohmann::json& root,
                                       const nlohmann::json& current,
                                       const std::string& currentPath, size_t limit = 100000);

}  // namespace bulkhead::compliance
