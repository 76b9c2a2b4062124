#pragma once
// What a container's OCI annotations say about it: image, name, labels and Kubernetes pod
// metadata, in the keys containerd's CRI plugin, CRI-O, podman and nerdctl write.

#include <nlohmann/json.hpp>

#include "runtime/container.h"

namespace bulkhead::runtime::discovery {

// Marks pause/sandbox containers (the pod's infrastructure, not a workload) so that
// consumers can skip them without knowing each runtime's annotation.
inline constexpr const char* kSandboxLabel = "bulkhead.sandbox";

// Copies the annotations (an object of strings) into container.labels and fills name,
// image, imageDigest and pod fields that are still empty. Non-string values are ignored.
void applyAnnotations(Container& container, const nlohmann::json& annotations);

// Annotations from runc's config labels ("key=value" strings; "bundle=<dir>" is runc's own).
nlohmann::json annotationsFromRuncLabels(const nlohmann::json& labels, std::string* bundle);

}  // namespace bulkhead::runtime::discovery
