// crun: <root>/<id>/status (pid, process-start-time, cgroup-path, bundle, rootfs, created)
// and a copy of the bundle's config.json beside it (annotations).

#include <sys/stat.h>

#include "core/json.h"
#include "runtime/discovery/annotations.h"
#include "runtime/discovery/files.h"
#include "runtime/discovery/source.h"

namespace bulkhead::runtime::discovery {

namespace {

class CrunSource final : public Source {
 public:
  explicit CrunSource(std::vector<std::string> roots) : roots_(std::move(roots)) {}
  const char* name() const override { return "crun"; }
  std::vector<std::string> roots() const override { return roots_; }

  void scan(ScanOutput& out) const override {
    for (const auto& root : roots_) {
      for (const auto& id : listDirectories(root)) read(root + "/" + id, id, out);
    }
  }

 private:
  static void read(const std::string& dir, const std::string& id, ScanOutput& out) {
    struct stat st {};
    if (::stat((dir + "/status").c_str(), &st) != 0) return;  // being created, or not crun's
    auto status = readJsonObject(dir + "/status");
    if (!status) {
      out.errors.push_back(std::move(status).error());
      return;
    }
    Found f;
    Container& c = f.container;
    c.runtime = "crun";
    c.id = id;  // the status file does not repeat the ID: the directory is named after it
    c.pid = static_cast<int>(jsonInt(*status, "pid"));
    f.startTime = static_cast<uint64_t>(jsonInt(*status, "process-start-time"));
    c.cgroupPath = jsonString(*status, "cgroup-path");
    c.bundle = jsonString(*status, "bundle");
    c.rootfs = jsonString(*status, "rootfs");
    c.createdNs = parseRfc3339Ns(jsonString(*status, "created"));
    if (c.pid <= 0) {
      out.errors.push_back(makeError("{}/status: no pid", dir));
      return;
    }
    // crun keeps its own copy of config.json; older versions only the bundle's.
    auto config = readJsonObject(dir + "/config.json");
    if (!config && !c.bundle.empty()) config = readJsonObject(c.bundle + "/config.json");
    if (config) {
      if (const auto* annotations = jsonObject(*config, "annotations")) applyAnnotations(c, *annotations);
    } else {
      out.errors.push_back(std::move(config).error());  // the container still counts
    }
    out.found.push_back(std::move(f));
  }

  std::vector<std::string> roots_;
};

}  // namespace

std::unique_ptr<Source> makeCrunSource(const Options& options) {
  return std::make_unique<CrunSource>(options.crunRoots);
}

}  // namespace bulkhead::runtime::discovery
