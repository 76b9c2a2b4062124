// podman and CRI-O: both keep each container's OCI bundle in the containers/storage run
// root, <root>/<id>/userdata/{config.json,pidfile} (conmon writes the pidfile). Which of the
// two made it is in the annotations. Names and image names come from the storage's
// containers.json index, where podman records them.

#include "core/json.h"
#include "runtime/discovery/annotations.h"
#include "runtime/discovery/files.h"
#include "runtime/discovery/source.h"

namespace bulkhead::runtime::discovery {

namespace {

struct IndexEntry {
  std::string name;
  std::string image;
};

class ContainersStorageSource final : public Source {
 public:
  ContainersStorageSource(std::vector<std::string> roots, std::vector<std::string> indexes)
      : roots_(std::move(roots)), indexes_(std::move(indexes)) {}
  const char* name() const override { return "containers-storage"; }
  std::vector<std::string> roots() const override { return roots_; }

  void scan(ScanOutput& out) const override {
    std::map<std::string, IndexEntry> index;
    bool indexRead = false;
    for (const auto& root : roots_) {
      for (const auto& id : listDirectories(root)) {
        const std::string dir = root + "/" + id + "/userdata";
        auto pid = readPidFile(dir + "/pidfile");
        if (!pid) continue;  // created but not started, or not a container directory
        if (!indexRead) {
          readIndexes(index, out);
          indexRead = true;
        }
        read(dir, id, *pid, index, out);
      }
    }
  }

 private:
  static void read(const std::string& dir, const std::string& id, int pid,
                   const std::map<std::string, IndexEntry>& index, ScanOutput& out) {
    Found f;
    f.manager = true;
    Container& c = f.container;
    c.id = id;
    c.pid = pid;
    c.bundle = dir;
    auto config = readJsonObject(dir + "/config.json");
    if (!config) {
      out.errors.push_back(std::move(config).error());
      return;
    }
    const auto* annotations = jsonObject(*config, "annotations");
    if (annotations != nullptr) applyAnnotations(c, *annotations);
    if (const auto* root = jsonObject(*config, "root")) c.rootfs = jsonString(*root, "path");
    const bool crio = annotations != nullptr && annotations->contains("io.kubernetes.cri-o.ContainerType");
    const bool libpod = annotations != nullptr && jsonString(*annotations, "io.container.manager") == "libpod";
    c.runtime = crio && !libpod ? "cri-o" : "podman";
    if (auto it = index.find(id); it != index.end()) {
      if (c.name.empty()) c.name = it->second.name;
      if (c.image.empty()) c.image = it->second.image;
    }
    out.found.push_back(std::move(f));
  }

  // containers.json: [{"id": .., "names": [..], "metadata": "{\"image-name\": .., \"name\": ..}"}]
  void readIndexes(std::map<std::string, IndexEntry>& index, ScanOutput& out) const {
    for (const auto& file : indexes_) {
      auto text = readBoundedFile(file, 64u << 20);
      if (!text) continue;  // no podman on this host
      auto parsed = parseJson(*text, file, JsonLimits{64u << 20, 16});
      if (!parsed || !parsed->is_array()) {
        out.errors.push_back(parsed ? makeError("{}: not a JSON array", file) : std::move(parsed).error());
        continue;
      }
      for (const auto& entry : *parsed) {
        if (!entry.is_object()) continue;
        IndexEntry e;
        if (const auto* names = jsonArray(entry, "names"); names && !names->empty() && (*names)[0].is_string()) {
          e.name = (*names)[0].get<std::string>();
        }
        const std::string metadata = jsonString(entry, "metadata");
        if (!metadata.empty()) {
          auto meta = parseJson(metadata, file + " metadata", JsonLimits{1u << 20, 8});
          if (meta && meta->is_object()) {
            e.image = jsonString(*meta, "image-name");
            if (e.name.empty()) e.name = jsonString(*meta, "name");
          }
        }
        index[jsonString(entry, "id")] = std::move(e);
      }
    }
  }

  std::vector<std::string> roots_;
  std::vector<std::string> indexes_;
};

}  // namespace

std::unique_ptr<Source> makeContainersStorageSource(const Options& options) {
  return std::make_unique<ContainersStorageSource>(options.containersRunRoots, options.containersIndexes);
}

}  // namespace bulkhead::runtime::discovery
