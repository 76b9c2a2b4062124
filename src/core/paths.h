#pragma once
// Where Bulkhead keeps caches and scratch files, and a scratch directory that cleans up.

#include <string>

#include "core/result.h"

namespace bulkhead {

// $BULKHEAD_CACHE_DIR, else $XDG_CACHE_HOME/bulkhead, else $HOME/.cache/bulkhead.
std::string cacheDir();

// Creates parent directories as needed (mode 0700 for new ones).
Status makeDirectories(const std::string& path);

// Writes `data` to `path` atomically (temporary file in the same directory, then rename).
Status writeFileAtomic(const std::string& path, std::string_view data);

class ScratchDir {
 public:
  static Result<ScratchDir> create(std::string_view purpose);
  ScratchDir(ScratchDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  ScratchDir& operator=(ScratchDir&&) = delete;
  ScratchDir(const ScratchDir&) = delete;
  ~ScratchDir();
  const std::string& path() const { return path_; }

 private:
  explicit ScratchDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace bulkhead
