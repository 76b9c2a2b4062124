#include "compliance/k8s_collector.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <iterator>

#include "compliance/fact_path.h"
#include "core/stream.h"

namespace bulkhead::compliance {
namespace {

using nlohmann::json;

constexpr size_t kMaxManifestBytes = 8u << 20;
constexpr int kMaxListNesting = 4;

struct PodLocation {
  std::vector<std::string> spec;      // path to the pod spec within the object
  std::vector<std::string> metadata;  // path to the pod template's metadata
  bool longRunning = true;
};

bool podLocation(const std::string& kind, PodLocation& out) {
  if (kind == "Pod") {
    out = {{"spec"}, {"metadata"}, true};
  } else if (kind == "Deployment" || kind == "StatefulSet" || kind == "DaemonSet" || kind == "ReplicaSet" ||
             kind == "ReplicationController") {
    out = {{"spec", "template", "spec"}, {"spec", "template", "metadata"}, true};
  } else if (kind == "Job") {
    out = {{"spec", "template", "spec"}, {"spec", "template", "metadata"}, false};
  } else if (kind == "CronJob") {
    out = {{"spec", "jobTemplate", "spec", "template", "spec"}, {"spec", "jobTemplate", "spec", "template", "metadata"}, false};
  } else if (kind == "PodTemplate") {
    out = {{"template", "spec"}, {"template", "metadata"}, true};
  } else {
    return false;
  }
  return true;
}

const json* walk(const json& object, const std::vector<std::string>& path) {
  const json* at = &object;
  for (const auto& key : path) {
    if (!at->is_object()) return nullptr;
    auto it = at->find(key);
    if (it == at->end()) return nullptr;
    at = &*it;
  }
  return at;
}

std::string joinPath(const std::string& prefix, const std::vector<std::string>& keys) {
  std::string out = prefix;
  for (const auto& k : keys) out = appendKey(out, k);
  return out;
}

// Capability names as container runtimes read them: upper case, without "CAP_".
void normalizeCapabilities(json& spec) {
  for (const char* list : {"containers", "initContainers", "ephemeralContainers"}) {
    if (!spec.contains(list) || !spec[list].is_array()) continue;
    for (auto& container : spec[list]) {
      if (!container.is_object() || !container.contains("securityContext")) continue;
      json& sc = container["securityContext"];
      if (!sc.is_object() || !sc.contains("capabilities") || !sc["capabilities"].is_object()) continue;
      for (const char* set : {"add", "drop"}) {
        json& caps = sc["capabilities"][set];
        if (!caps.is_array()) {
          if (caps.is_null()) sc["capabilities"].erase(set);
          continue;
        }
        for (auto& c : caps) {
          if (!c.is_string()) continue;
          std::string name = c.get<std::string>();
          std::transform(name.begin(), name.end(), name.begin(), [](unsigned char ch) { return std::toupper(ch); });
          if (name.starts_with("CAP_")) name = name.substr(4);
          c = name;
        }
      }
    }
  }
}

void addObject(const json& object, const std::string& prefix, const YamlDocument& doc, std::string_view file,
               K8sManifests& out, int nesting) {
  const int line = [&] {
    auto it = doc.lines.find(prefix);
    return it == doc.lines.end() ? doc.line : it->second;
  }();
  if (!object.is_object()) {
    if (!object.is_null()) out.warnings.push_back(fmt::format("{}:{}: not a Kubernetes object", file, line));
    return;
  }
  const std::string kind = object.value("kind", json()).is_string() ? object["kind"].get<std::string>() : "";
  if (kind.empty()) {
    out.warnings.push_back(fmt::format("{}:{}: object without a kind", file, line));
    return;
  }
  if ((kind == "List" || kind.ends_with("List")) && object.contains("items") && object["items"].is_array()) {
    if (nesting >= kMaxListNesting) {
      out.warnings.push_back(fmt::format("{}:{}: Lists nested deeper than {}", file, line, kMaxListNesting));
      return;
    }
    const json& items = object["items"];
    for (size_t i = 0; i < items.size(); ++i) {
      addObject(items[i], appendIndex(appendKey(prefix, "items"), i), doc, file, out, nesting + 1);
    }
    return;
  }
  PodLocation loc;
  if (!podLocation(kind, loc)) {
    ++out.skippedKinds[kind];
    return;
  }
  const json* spec = walk(object, loc.spec);
  if (spec == nullptr || !spec->is_object()) {
    out.warnings.push_back(fmt::format("{}:{}: {} without a pod spec at {}", file, line, kind,
                                       fmt::join(loc.spec, ".")));
    return;
  }
  const json* metaPtr = object.contains("metadata") && object["metadata"].is_object() ? &object["metadata"] : nullptr;
  const json metadata = metaPtr ? *metaPtr : json::object();
  const json* podMeta = walk(object, loc.metadata);
  Subject s;
  s.target = Target::kK8s;
  s.file = std::string(file);
  const std::string name = metadata.value("name", json()).is_string() ? metadata["name"].get<std::string>() : "";
  const json ns = metadata.value("namespace", json());
  s.name = fmt::format("{} {}{}", kind, ns.is_string() ? ns.get<std::string>() + "/" : "",
                       name.empty() ? "(unnamed)" : name);
  json& f = s.facts;
  f["kind"] = kind;
  f["apiVersion"] = object.value("apiVersion", json());
  f["name"] = name;
  f["namespace"] = ns.is_string() ? ns : json();
  f["metadata"] = metadata;
  f["podMetadata"] = podMeta != nullptr && podMeta->is_object() ? *podMeta : json::object();
  json podSpec = *spec;
  normalizeCapabilities(podSpec);
  f["spec"] = std::move(podSpec);
  bool longRunning = loc.longRunning;
  if (kind == "Pod") {
    const json policy = f["spec"].value("restartPolicy", json());
    longRunning = !policy.is_string() || policy.get<std::string>() == "Always";
  }
  f["longRunning"] = longRunning;
  json hostPathVolumes = json::array();
  if (const json* volumes = f["spec"].contains("volumes") ? &f["spec"]["volumes"] : nullptr; volumes && volumes->is_array()) {
    for (const auto& v : *volumes) {
      if (v.is_object() && v.contains("hostPath") && v.contains("name") && v["name"].is_string()) {
        hostPathVolumes.push_back(v["name"]);
      }
    }
  }
  f["hostPathVolumes"] = std::move(hostPathVolumes);
  const json owners = metadata.value("ownerReferences", json());
  f["ownedByController"] = owners.is_array() && !owners.empty();
  f["line"] = line;
  s.addOrigin("spec", Origin{s.file, joinPath(prefix, loc.spec), ""});
  s.addOrigin("podMetadata", Origin{s.file, joinPath(prefix, loc.metadata), ""});
  s.addOrigin("metadata", Origin{s.file, appendKey(prefix, "metadata"), ""});
  s.addOrigin("kind", Origin{s.file, appendKey(prefix, "kind"), ""});
  s.addOrigin("namespace", Origin{s.file, appendKey(appendKey(prefix, "metadata"), "namespace"), ""});
  s.addOrigin("name", Origin{s.file, appendKey(appendKey(prefix, "metadata"), "name"), ""});
  s.addOrigin("ownedByController", Origin{s.file, appendKey(appendKey(prefix, "metadata"), "ownerReferences"), ""});
  s.addOrigin("hostPathVolumes", Origin{s.file, joinPath(prefix, loc.spec) + ".volumes", "volumes with a hostPath"});
  s.addOrigin("longRunning", Origin{s.file, appendKey(prefix, "kind"), "whether the workload runs until stopped"});
  s.lines = doc.lines;
  if (!s.lines.count("")) s.lines[""] = doc.line;
  out.workloads.push_back(std::move(s));
}

}  // namespace

Result<void> parseK8sManifests(std::string_view text, std::string_view file, K8sManifests& out,
                         const YamlLimits& limits) {
  auto docs = parseYamlDocuments(text, file, limits, true);
  if (!docs) return std::move(docs).error();
  for (const auto& doc : *docs) addObject(doc.value, "", doc, file, out, 0);
  return {};
}

Result<K8sManifests> collectK8s(const std::vector<std::string>& paths) {
  namespace fs = std::filesystem;
  K8sManifests out;
  std::vector<std::string> files;
  for (const auto& path : paths) {
    std::error_code ec;
    if (path != "-" && fs::is_directory(path, ec)) {
      std::vector<std::string> found;
      for (const auto& entry : fs::recursive_directory_iterator(path, fs::directory_options::skip_permission_denied, ec)) {
        const std::string ext = entry.path().extension().string();
        if (entry.is_regular_file(ec) && (ext == ".yaml" || ext == ".yml" || ext == ".json")) {
          found.push_back(entry.path().string());
        }
        if (found.size() > 100000) return makeError("{}: more than 100000 manifest files", path);
      }
      if (ec) return makeError("{}: cannot list: {}", path, ec.message());
      std::sort(found.begin(), found.end());
      if (found.empty()) return makeError("{}: no *.yaml, *.yml or *.json files", path);
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(path);
    }
  }
  for (const auto& file : files) {
    std::string text;
    if (file == "-") {
      std::string chunk(65536, '\0');
      while (std::cin.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || std::cin.gcount() > 0) {
        text.append(chunk.data(), static_cast<size_t>(std::cin.gcount()));
        if (text.size() > kMaxManifestBytes) return makeError("stdin: more than {} bytes", kMaxManifestBytes);
      }
    } else {
      auto read = readFileBounded(file, kMaxManifestBytes);
      if (!read) return std::move(read).error();
      text = std::move(*read);
    }
    const std::string name = file == "-" ? "stdin" : file;
    BH_TRY_STATUS(parseK8sManifests(text, name, out));
    out.files.push_back(name);
  }
  return out;
}

}  // namespace bulkhead::compliance
