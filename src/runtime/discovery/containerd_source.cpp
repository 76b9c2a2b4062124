// containerd: the shim v2 bundle of each task, <root>/<namespace>/<id>/ with the OCI
// config.json (CRI annotations) and init.pid; the runc state under containerd's runc root
// has the same ID and is merged with this record.

#include "core/json.h"
#include "runtime/discovery/annotations.h"
#include "runtime/discovery/files.h"
#include "runtime/discovery/source.h"

namespace bulkhead::runtime::discovery {

namespace {

class ContainerdSource final : public Source {
 public:
  explicit ContainerdSource(std::vector<std::string> roots) : roots_(std::move(roots)) {}
  const char* name() const override { return "containerd"; }
  std::vector<std::string> roots() const override { return roots_; }

  void scan(ScanOutput& out) const override {
    for (const auto& root : roots_) {
      for (const auto& ns : listDirectories(root)) {
        for (const auto& id : listDirectories(root + "/" + ns)) read(root + "/" + ns + "/" + id, ns, id, out);
      }
    }
  }

 private:
  static void read(const std::string& dir, const std::string& ns, const std::string& id, ScanOutput& out) {
    auto pid = readPidFile(dir + "/init.pid");
    if (!pid) return;  // the shim writes init.pid once the task exists: not started yet
    Found f;
    f.manager = true;
    Container& c = f.container;
    c.runtime = "containerd";
    c.id = id;
    c.pid = *pid;
    c.bundle = dir;
    c.rootfs = dir + "/rootfs";
    c.labels["io.containerd.namespace"] = ns;
    auto config = readJsonObject(dir + "/config.json");
    if (!config) {
      out.errors.push_back(std::move(config).error());
    } else if (const auto* annotations = jsonObject(*config, "annotations")) {
      applyAnnotations(c, *annotations);
    }
    out.found.push_back(std::move(f));
  }

  std::vector<std::string> roots_;
};

}  // namespace

std::unique_ptr<Source> makeContainerdSource(const Options& options) {
  return std::make_unique<ContainerdSource>(options.containerdTaskRoots);
}

}  // namespace bulkhead::runtime::discovery
