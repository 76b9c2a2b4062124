#include "runtime/group.h"

#include <array>
#include <string_view>

#include "core/sha256.h"

namespace bulkhead::runtime {
namespace {

// Labels and annotations that name a replica or the runtime's bookkeeping, not a workload.
bool replicaSpecific(std::string_view key) {
  constexpr std::array<std::string_view, 9> kExact{
      "pod-template-hash",        "controller-revision-hash",  "statefulset.kubernetes.io/pod-name",
      "io.kubernetes.pod.uid",    "io.kubernetes.cri.sandbox-id", "io.kubernetes.cri.sandbox-uid",
      "io.kubernetes.cri.sandbox-name", "io.kubernetes.pod.name", "org.opencontainers.image.created"};
  for (const auto k : kExact) {
    if (key == k) return true;
  }
  // Runtime and CRI bookkeeping (log paths, sandbox IDs, checkpoint data) differ per container.
  constexpr std::array<std::string_view, 4> kPrefixes{"io.kubernetes.cri-o.", "io.podman.annotations.",
                                                      "io.container.manager", "bulkhead.dev/internal"};
  for (const auto p : kPrefixes) {
    if (key.starts_with(p)) return true;
  }
  return false;
}

std::string imageName(std::string_view image) {
  if (const auto at = image.find('@'); at != std::string_view::npos) image = image.substr(0, at);
  if (const auto slash = image.rfind('/'); slash != std::string_view::npos) image = image.substr(slash + 1);
  if (const auto colon = image.find(':'); colon != std::string_view::npos) image = image.substr(0, colon);
  std::string out;
  for (const char c : image) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    out += ok ? c : '-';
    if (out.size() >= 40) break;
  }
  return out.empty() ? "container" : out;
}

}  // namespace

GroupSelector selectorOf(const Container& container) {
  GroupSelector selector;
  selector.image = container.image;
  for (const auto& [key, value] : container.labels) {
    if (!replicaSpecific(key)) selector.labels.emplace(key, value);
  }
  if (!container.podNamespace.empty()) selector.labels["io.kubernetes.pod.namespace"] = container.podNamespace;
  // Without an image, a container is its own workload: its name tells replicas apart from
  // unrelated containers better than nothing.
  if (selector.image.empty() && selector.labels.empty()) selector.labels["bulkhead.dev/name"] = container.name;
  return selector;
}

std::string groupIdOf(const GroupSelector& selector) {
  std::string key = selector.image;
  for (const auto& [k, v] : selector.labels) {
    key += '\n';
    key += k;
    key += '=';
    key += v;
  }
  std::string_view named = selector.image;
  if (named.empty()) {
    const auto it = selector.labels.find("bulkhead.dev/name");
    if (it != selector.labels.end()) named = it->second;
  }
  return imageName(named) + "-" + Sha256::hex(key).substr(0, 8);
}

}  // namespace bulkhead::runtime
