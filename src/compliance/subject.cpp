#include "compliance/subject.h"

namespace bulkhead::compliance {
namespace {

// True when `path` is `prefix` or continues it at a segment boundary.
bool hasPrefix(const std::string& path, const std::string& prefix) {
  if (prefix.empty()) return true;
  if (!path.starts_with(prefix)) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '.' || path[prefix.size()] == '[';
}

}  // namespace

Location Subject::locate(const std::string& factPath) const {
  Location loc;
  loc.file = file;
  loc.path = factPath;
  const std::pair<std::string, Origin>* best = nullptr;
  for (const auto& entry : origins) {
    if (hasPrefix(factPath, entry.first) && (best == nullptr || entry.first.size() > best->first.size())) {
      best = &entry;
    }
  }
  if (best != nullptr) {
    std::string rest = factPath.substr(best->first.size());
    loc.file = best->second.file;
    if (best->second.keyIsFile) {
      // ["/usr/bin/su"].mode -> file /usr/bin/su, path mode
      if (rest.starts_with("[\"")) {
        std::string key;
        size_t i = 2;
        for (; i < rest.size() && rest[i] != '"'; ++i) {
          if (rest[i] == '\\' && i + 1 < rest.size()) ++i;
          key += rest[i];
        }
        loc.file = key;
        rest = i + 2 <= rest.size() ? rest.substr(i + 2) : "";
      } else if (rest.starts_with(".")) {
        const size_t end = rest.find_first_of(".[", 1);
        loc.file = rest.substr(1, end == std::string::npos ? std::string::npos : end - 1);
        rest = end == std::string::npos ? "" : rest.substr(end);
      }
    }
    if (best->second.documentPath.empty() && !rest.empty() && rest[0] == '.') rest = rest.substr(1);
    loc.path = best->second.documentPath + rest;
    loc.note = best->second.note;
  }
  if (!lines.empty() && loc.file == file) {
    // The line of the field, or of its nearest ancestor that exists.
    std::string probe = loc.path;
    while (true) {
      auto it = lines.find(probe);
      if (it != lines.end()) {
        loc.line = it->second;
        break;
      }
      const size_t cut = probe.find_last_of(".[");
      if (cut == std::string::npos || cut == 0) {
        if (auto root = lines.find(""); root != lines.end()) loc.line = root->second;
        break;
      }
      probe = probe.substr(0, cut);
    }
  }
  return loc;
}

const std::string* Subject::errorFor(const std::string& factPath) const {
  for (const auto& [prefix, message] : errors) {
    if (hasPrefix(factPath, prefix)) return &message;
  }
  return nullptr;
}

}  // namespace bulkhead::compliance
