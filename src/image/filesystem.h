#pragma once
// The merged file system of an image: every layer applied in order with OCI whiteout
// semantics. Metadata only; contents are read on demand through the Image.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "image/layer.h"

namespace bulkhead::image {

struct FileNode {
  EntryType type = EntryType::kFile;
  uint32_t mode = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t size = 0;
  int64_t mtime = 0;
  std::string linkTarget;
  int layer = -1;  // index of the layer that wrote it; -1 for a root file system
};

class FileSystemView {
 public:
  // Applies one layer on top of what is there. Duplicate names within the layer are
  // reported in `warnings`; the later entry wins, as tar extraction would have it.
  void applyLayer(int layerIndex, const std::vector<LayerEntry>& entries,
                  std::vector<std::string>& warnings);
  void add(std::string path, FileNode node) { nodes_[std::move(path)] = std::move(node); }

  // Exact lookup, no symlink resolution. Paths are clean and relative ("etc/passwd").
  const FileNode* find(std::string_view path) const;
  // Follows symlinks in every component, never leaving the root, like a chroot would; at
  // most 40 links. Returns the final clean path (which may be a hardlink: both names are
  // the same file, and Image::readFile reads through it).
  Result<std::string> resolve(std::string_view path) const;

  const std::map<std::string, FileNode, std::less<>>& nodes() const { return nodes_; }
  size_t size() const { return nodes_.size(); }

 private:
  void removeTree(const std::string& path, bool keepSelf);
  std::map<std::string, FileNode, std::less<>> nodes_;
};

// Splits "a/b/../c" style paths lexically (".." stops at the root). Used for link targets.
std::string joinClean(std::string_view base, std::string_view relative);

}  // namespace bulkhead::image
