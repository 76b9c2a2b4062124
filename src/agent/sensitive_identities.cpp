#include "agent/sensitive_identities.h"

#include <algorithm>

#include "core/log.h"

namespace bulkhead::agent {

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
