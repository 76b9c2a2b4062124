// runc: <root>/<id>/state.json (libcontainer's State), written at `runc create` and removed
// at `runc delete`. containerd's runc root adds a namespace level.

#include <sys/stat.h>

#include "core/json.h"
#include "runtime/discovery/annotations.h"
#include "runtime/discovery/files.h"
#include "runtime/discovery/source.h"

namespace bulkhead::runtime::discovery {

namespace {

bool isFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

class RuncSource final : public Source {
 public:
  explicit RuncSource(std::vector<std::string> roots) : roots_(std::move(roots)) {}
  const char* name() const override { return "runc"; }
  std::vector<std::string> roots() const override { return roots_; }

  void scan(ScanOutput& out) const override {
    for (const auto& root : roots_) {
      for (const auto& entry : listDirectories(root)) {
        const std::string dir = root + "/" + entry;
        if (isFile(dir + "/state.json")) {
          read(dir + "/state.json", out);
          continue;
        }
        for (const auto& id : listDirectories(dir)) {  // containerd: <namespace>/<id>
          if (isFile(dir + "/" + id + "/state.json")) read(dir + "/" + id + "/state.json", out);
        }
      }
    }
  }

 private:
  static void read(const std::string& file, ScanOutput& out) {
    auto state = readJsonObject(file);
    if (!state) {
      out.errors.push_back(std::move(state).error());
      return;
    }
    Found f;
    Container& c = f.container;
    c.runtime = "runc";
    c.id = jsonString(*state, "id");
    c.pid = static_cast<int>(jsonInt(*state, "init_process_pid"));
    f.startTime = static_cast<uint64_t>(jsonInt(*state, "init_process_start"));
    c.createdNs = parseRfc3339Ns(jsonString(*state, "created"));
    if (c.id.empty() || c.pid <= 0) {
      out.errors.push_back(makeError("{}: no id or init_process_pid", file));
      return;
    }
    if (const auto* config = jsonObject(*state, "config")) {
      c.rootfs = jsonString(*config, "rootfs");
      if (const auto* labels = jsonArray(*config, "labels")) {
        applyAnnotations(c, annotationsFromRuncLabels(*labels, &c.bundle));
      }
    }
    // The cgroup2 directory as runc created it (hybrid hosts: under the unified mount);
    // discovery prefers what /proc/<pid>/cgroup says and keeps this as a fallback.
    if (const auto* paths = jsonObject(*state, "cgroup_paths")) c.cgroupPath = jsonString(*paths, "");
    out.found.push_back(std::move(f));
  }

  std::vector<std::string> roots_;
};

}  // namespace

std::unique_ptr<Source> makeRuncSource(const Options& options) {
  return std::make_unique<RuncSource>(options.runcRoots);
}

}  // namespace bulkhead::runtime::discovery
