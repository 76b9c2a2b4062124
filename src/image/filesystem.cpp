#include "image/filesystem.h"

#include <unordered_set>

namespace bulkhead::image {
namespace {

constexpr int kMaxLinks = 40;

void splitInto(std::string_view path, std::vector<std::string>& parts) {
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    const std::string_view part = path.substr(start, slash - start);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.emplace_back(part);
    }
    start = slash + 1;
  }
}

std::string join(const std::vector<std::string>& parts, size_t count) {
  std::string out;
  for (size_t i = 0; i < count; ++i) {
    if (i) out += '/';
    out += parts[i];
  }
  return out;
}

}  // namespace

std::string joinClean(std::string_view base, std::string_view relative) {
  std::vector<std::string> parts;
  if (relative.empty() || relative.front() != '/') splitInto(base, parts);
  splitInto(relative, parts);
  return join(parts, parts.size());
}

void FileSystemView::removeTree(const std::string& path, bool keepSelf) {
  if (path.empty()) {  // the root: everything below it
    nodes_.clear();
    return;
  }
  if (!keepSelf) nodes_.erase(path);
  const std::string prefix = path + "/";
  auto it = nodes_.lower_bound(prefix);
  while (it != nodes_.end() && it->first.starts_with(prefix)) it = nodes_.erase(it);
}

void FileSystemView::applyLayer(int layerIndex, const std::vector<LayerEntry>& entries,
                                std::vector<std::string>& warnings) {
  // Whiteouts hide what the layers below hold, never what this layer adds: apply them
  // first, then the layer's own entries.
  for (const auto& e : entries) {
    if (e.type == EntryType::kWhiteout) removeTree(e.path, false);
    if (e.type == EntryType::kOpaque) removeTree(e.path, true);
  }
  std::unordered_set<std::string_view> seen;
  for (const auto& e : entries) {
    if (e.type == EntryType::kWhiteout || e.type == EntryType::kOpaque) continue;
    if (!seen.insert(e.path).second && warnings.size() < 50) {
      warnings.push_back("duplicate entry '" + e.path + "' in one layer; the last one wins");
    }
    auto existing = nodes_.find(e.path);
    if (existing != nodes_.end() && existing->second.type == EntryType::kDirectory &&
        e.type != EntryType::kDirectory) {
      removeTree(e.path, false);
    }
    FileNode node{e.type, e.mode, e.uid, e.gid, e.size, e.mtime, e.linkTarget, layerIndex};
    if (e.type == EntryType::kHardlink) {
      if (const FileNode* target = find(e.linkTarget)) {
        node.size = target->size;
      }
    }
    nodes_[e.path] = std::move(node);
  }
}

const FileNode* FileSystemView::find(std::string_view path) const {
  auto it = nodes_.find(path);
  return it == nodes_.end() ? nullptr : &it->second;
}

Result<std::string> FileSystemView::resolve(std::string_view path) const {
  std::vector<std::string> pending;
  splitInto(path, pending);
  std::reverse(pending.begin(), pending.end());  // a stack of components still to walk
  std::vector<std::string> done;
  int links = 0;
  while (!pending.empty()) {
    std::string part = std::move(pending.back());
    pending.pop_back();
    if (part == "..") {
      if (!done.empty()) done.pop_back();
      continue;
    }
    done.push_back(std::move(part));
    const std::string current = join(done, done.size());
    const FileNode* node = find(current);
    if (node == nullptr) continue;  // absent, or a directory the tar never listed
    if (!pending.empty() && node->type != EntryType::kDirectory && node->type != EntryType::kSymlink) {
      return makeError("'{}': '{}' is not a directory", path, current);
    }
    if (node->type == EntryType::kSymlink) {
      if (++links > kMaxLinks) return makeError("'{}': too many levels of symbolic links", path);
      done.pop_back();
      if (!node->linkTarget.empty() && node->linkTarget.front() == '/') done.clear();
      // Keep ".." in the target: it applies relative to where the link sits.
      std::vector<std::string> raw;
      size_t start = 0;
      const std::string& t = node->linkTarget;
      while (start <= t.size()) {
        size_t slash = t.find('/', start);
        if (slash == std::string::npos) slash = t.size();
        std::string piece = t.substr(start, slash - start);
        if (!piece.empty() && piece != ".") raw.push_back(std::move(piece));
        start = slash + 1;
      }
      for (auto it = raw.rbegin(); it != raw.rend(); ++it) pending.push_back(*it);
    }
  }
  return join(done, done.size());
}

}  // namespace bulkhead::image
