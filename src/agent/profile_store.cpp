#include "agent/profile_store.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/paths.h"

namespace bulkhead::agent {
namespace {

int64_t mtimeNs(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

}  // namespace

Status ProfileStore::init() { return makeDirectories(dir_); }

std::vector<runtime::Profile> ProfileStore::changed(std::vector<Error>& errors) {
  std::vector<runtime::Profile> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    const std::string path = entry.path().string();
    if (entry.path().extension() != ".yaml" || !entry.is_regular_file(ec)) continue;
    const int64_t mtime = mtimeNs(path);
    if (auto it = seen_.find(path); it != seen_.end() && it->second == mtime) continue;
    seen_[path] = mtime;
    if (entry.file_size(ec) > (4u << 20)) {
      errors.push_back(makeError("{}: profile larger than 4 MiB", path));
      continue;
    }
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    auto profile = runtime::profileFromYaml(text.str(), path);
    if (!profile) {
      errors.push_back(profile.error());
      continue;
    }
    out.push_back(std::move(*profile));
  }
  return out;
}

Status ProfileStore::save(const runtime::Profile& profile) {
  const std::string path = pathOf(profile.group);
  auto s = writeFileAtomic(path, runtime::profileToYaml(profile));
  if (s) seen_[path] = mtimeNs(path);
  return s;
}

}  // namespace bulkhead::agent
