#pragma once
// Bounded YAML parsing into JSON values, for check files and for hostile Kubernetes
// manifests. yaml-cpp throws; every exception is caught here and returned as an error
// naming the file and line. Bounds: input size, nesting depth, and the number of nodes
// produced (aliases are expanded, so "billion laughs" documents stop at the node limit).
//
// Plain scalars resolve the way Kubernetes' YAML reader (go-yaml v2, YAML 1.1) resolves
// them, so a check sees what the cluster would: `yes`/`on` are true, `no`/`off` false
// (`privileged: yes` is privileged), `0644` is octal, `~`/`null`/empty are null. Quoted
// scalars are strings. Kubernetes decides by the field's type, which this reader does not
// know: a string field written `yes` unquoted reads as a boolean here.
// Duplicate mapping keys are an error (readers disagree on which one wins), and merge keys
// (`<<`) are applied.

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace bulkhead {

struct YamlLimits {
  size_t maxBytes = 8u << 20;
  int maxDepth = 64;
  size_t maxNodes = 1u << 20;  // nodes produced over all documents, aliases expanded
  size_t maxDocuments = 10000;
};

struct YamlDocument {
  nlohmann::json value;
  int line = 0;  // 1-based line where the document's content starts
  // Document path ("spec.containers[0].image") -> 1-based line, when asked for.
  std::map<std::string, int> lines;
};

Result<std::vector<YamlDocument>> parseYamlDocuments(std::string_view text, std::string_view what,
                                                     const YamlLimits& limits = {},
                                                     bool recordLines = false);

// Paths into a document, as YamlDocument::lines records them: `spec.containers[0].image`,
// `metadata.annotations["odd/key"]`.
std::string appendKey(const std::string& base, std::string_view key);
std::string appendIndex(const std::string& base, size_t index);

}  // namespace bulkhead
