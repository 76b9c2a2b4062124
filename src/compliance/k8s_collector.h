#pragma once
// The Kubernetes collector: manifests (YAML or JSON, many documents per file, `List`
// objects) into one subject per workload: Pod, Deployment, StatefulSet, DaemonSet,
// ReplicaSet, ReplicationController, Job, CronJob and PodTemplate. Each subject's facts
// put the pod spec at `spec` and the pod template's metadata at `podMetadata` whatever
// the kind, and map evidence back to the real path and line in the file.

#include <map>
#include <string>
#include <vector>

#include "compliance/subject.h"
#include "core/yaml.h"
#include "core/result.h"

namespace bulkhead::compliance {

struct K8sManifests {
  std::vector<Subject> workloads;
  std::vector<std::string> files;
  std::map<std::string, size_t> skippedKinds;  // objects that hold no pod spec, by kind
  std::vector<std::string> warnings;
};

// Parses one manifest file's text; workloads are appended to `out`. Malformed YAML is an
// error naming the file and line.
Result<void> parseK8sManifests(std::string_view text, std::string_view file, K8sManifests& out,
                         const YamlLimits& limits = {});

// Reads files, directories (their *.yaml, *.yml and *.json, sorted) or "-" (stdin).
Result<K8sManifests> collectK8s(const std::vector<std::string>& paths);

}  // namespace bulkhead::compliance
