#include "runtime/discovery/annotations.h"

#include "core/json.h"

namespace bulkhead::runtime::discovery {

namespace {

void fill(std::string& field, const std::map<std::string, std::string>& labels, const char* key) {
  if (!field.empty()) return;
  auto it = labels.find(key);
  if (it != labels.end()) field = it->second;
}

}  // namespace

void applyAnnotations(Container& c, const nlohmann::json& annotations) {
  if (!annotations.is_object()) return;
  std::map<std::string, std::string> a;
  for (const auto& [key, value] : annotations.items()) {
    if (value.is_string()) a[key] = value.get<std::string>();
  }
  for (const auto& [key, value] : a) c.labels[key] = value;

  // containerd's CRI plugin
  fill(c.podName, a, "io.kubernetes.cri.sandbox-name");
  fill(c.podNamespace, a, "io.kubernetes.cri.sandbox-namespace");
  fill(c.podUid, a, "io.kubernetes.cri.sandbox-uid");
  fill(c.name, a, "io.kubernetes.cri.container-name");
  fill(c.image, a, "io.kubernetes.cri.image-name");
  // CRI-O
  fill(c.podName, a, "io.kubernetes.pod.name");
  fill(c.podNamespace, a, "io.kubernetes.pod.namespace");
  fill(c.podUid, a, "io.kubernetes.pod.uid");
  fill(c.name, a, "io.kubernetes.container.name");
  fill(c.image, a, "io.kubernetes.cri-o.ImageName");
  // nerdctl (containerd without CRI)
  fill(c.name, a, "nerdctl/name");
  // The image's own reference as OCI tools record it; often only the tag.
  fill(c.image, a, "org.opencontainers.image.ref.name");

  // CRI-O passes the container's Kubernetes labels as one JSON object.
  if (auto it = a.find("io.kubernetes.cri-o.Labels"); it != a.end()) {
    auto labels = parseJson(it->second, "annotation io.kubernetes.cri-o.Labels", JsonLimits{1u << 20, 8});
    if (labels && labels->is_object()) {
      for (const auto& [key, value] : labels->items()) {
        if (value.is_string()) c.labels.emplace(key, value.get<std::string>());
      }
    }
  }
  // podman: io.podman.annotations.* stay as labels (copied above).

  const auto type = [&](const char* key) {
    auto it = a.find(key);
    return it == a.end() ? std::string() : it->second;
  };
  if (type("io.kubernetes.cri.container-type") == "sandbox" || type("io.kubernetes.cri-o.ContainerType") == "sandbox" ||
      type("io.kubernetes.docker.type") == "podsandbox") {
    c.labels[kSandboxLabel] = "true";
  }
  if (c.imageDigest.empty()) {
    const auto at = c.image.find("@sha256:");
    if (at != std::string::npos) c.imageDigest = c.image.substr(at + 1);
  }
}

nlohmann::json annotationsFromRuncLabels(const nlohmann::json& labels, std::string* bundle) {
  nlohmann::json out = nlohmann::json::object();
  if (!labels.is_array()) return out;
  for (const auto& label : labels) {
    if (!label.is_string()) continue;
    const std::string& text = label.get_ref<const std::string&>();
    const auto eq = text.find('=');
    if (eq == std::string::npos) continue;
    std::string key = text.substr(0, eq);
    if (key == "bundle") {
      if (bundle != nullptr) *bundle = text.substr(eq + 1);
      continue;
    }
    out[key] = text.substr(eq + 1);
  }
  return out;
}

}  // namespace bulkhead::runtime::discovery
