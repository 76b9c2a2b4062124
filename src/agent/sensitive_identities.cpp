#include "agent/sensitive_identities.h"

#include <fcntl.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/log.h"

namespace bulkhead::agent {
namespace {

constexpr const char* kHostOwner = "";  // no container ID is empty

}  // namespace

SensitiveIdentities::~SensitiveIdentities() {
  if (hostWatch_ >= 0) ::close(hostWatch_);
}

Status SensitiveIdentities::watchHost(const std::string& root) {
  hostRoot_ = root;
  if (hostWatch_ < 0) hostWatch_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (hostWatch_ < 0) return makeError("inotify: {}", std::strerror(errno));
  for (const std::string& prefix : prefixes_) {
    const std::string dir = root + (root.ends_with('/') ? "" : "/") + prefix.substr(1, prefix.rfind('/'));
    // A directory that does not exist is not watched: its files are not there to be read either.
    ::inotify_add_watch(hostWatch_, dir.c_str(), IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR);
  }
  const int rootFd = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootFd < 0) return makeError("{}: {}", root, std::strerror(errno));
  scan(kHostOwner, rootFd);
  ::close(rootFd);
  return {};
}

bool SensitiveIdentities::pollHost() {
  if (hostWatch_ < 0) return false;
  bool changed = false;
  alignas(inotify_event) char buffer[4096];
  while (::read(hostWatch_, buffer, sizeof buffer) > 0) changed = true;  // which file does not matter
  if (!changed) return false;
  const int rootFd = ::open(hostRoot_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootFd < 0) return false;
  // Found anew, not added to: a replaced file's old inode is freed, and its number may come
  // back as any other file's. (A container's own scans only add: there a file renamed away
  // is the likelier case.)
  drop(kHostOwner);
  scan(kHostOwner, rootFd);
  ::close(rootFd);
  return true;
}

void SensitiveIdentities::scan(const std::string& owner, int rootFd) {
  if (rootFd < 0) return;
  std::vector<runtime::SensitiveFile>& held = byOwner_[owner];
  for (runtime::SensitiveFile& f : runtime::findSensitiveFiles(rootFd, prefixes_, kPerOwner)) {
    // A root that keeps making files under its prefixes cannot fill the sensor's map.
    if (held.size() >= kPerOwner) break;
    if (std::find(held.begin(), held.end(), f) != held.end()) continue;
    if (auto s = sensor_.watchFileIdentity(f.dev, f.ino, f.path); !s) {
      log::warn("sensor: {}", s.error().message);
      continue;
    }
    ++uses_[{f.dev, f.ino}];
    held.push_back(std::move(f));
  }
}

void SensitiveIdentities::drop(const std::string& owner) {
  const auto it = byOwner_.find(owner);
  if (it == byOwner_.end()) return;
  for (const runtime::SensitiveFile& f : it->second) {
    const auto use = uses_.find({f.dev, f.ino});
    if (use == uses_.end() || --use->second > 0) continue;
    uses_.erase(use);
    (void)sensor_.unwatchFileIdentity(f.dev, f.ino);
  }
  byOwner_.erase(it);
}

bool SensitiveIdentities::changed(std::string_view path) const {
  return std::any_of(prefixes_.begin(), prefixes_.end(), [&](const std::string& p) { return path.starts_with(p); });
}

}  // namespace bulkhead::agent
