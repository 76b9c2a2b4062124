#include <dirent.h>

#include "runtime/discovery/source.h"

namespace bulkhead::runtime::discovery {

// The one list of sources. Runtimes' own state first (pid, cgroup), then the managers that
// drive them (runtime name, image, Kubernetes metadata).
std::vector<std::unique_ptr<Source>> makeSources(const Options& options) {
  std::vector<std::unique_ptr<Source>> sources;
  sources.push_back(makeRuncSource(options));
  sources.push_back(makeCrunSource(options));
  sources.push_back(makeContainerdSource(options));
  sources.push_back(makeContainersStorageSource(options));
  return sources;
}

Options Options::defaults() {
  Options options;
  for (const auto& uid : listDirectories("/run/user")) {
    options.containersRunRoots.push_back("/run/user/" + uid + "/containers/overlay-containers");
  }
  return options;
}

std::vector<std::string> listDirectories(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (e->d_type == DT_DIR || e->d_type == DT_UNKNOWN) out.push_back(name);
  }
  ::closedir(d);
  return out;
}

}  // namespace bulkhead::runtime::discovery
