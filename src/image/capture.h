#pragma once
// The files whose contents are kept while layers stream past, so that OS detection and
// catalogers need no second pass over a layer. A rule either keeps a file as it is
// (os-release, a package database) or reduces it to a small derived result while it
// streams (a Go binary's build info out of a 40 MiB ELF). Rules are part of the layer
// cache key, so changing one re-reads layers instead of serving stale results.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bulkhead::image {

struct CaptureRule {
  std::string name;  // stable; with `version`, part of the cache key
  int version = 1;
  // A file matches an exact path, or a prefix and a suffix (an empty list matches any):
  // prefixes {"var/lib/dpkg/info/"} with suffixes {".list"} means both.
  std::vector<std::string> exact;     // "etc/os-release"
  std::vector<std::string> prefixes;  // "var/lib/dpkg/status.d/"
  std::vector<std::string> suffixes;  // "/package.json", ".jar"
  bool executables = false;           // any regular file with an execute bit
  uint64_t maxBytes = 4u << 20;       // larger files are left alone
  // Null keeps the contents; otherwise the result (if any) is kept as derived data.
  std::function<std::optional<std::string>(std::string_view path, std::string_view data)> transform;

  bool matches(std::string_view path, uint32_t mode) const;
};

class CaptureSpec {
 public:
  CaptureSpec& add(CaptureRule rule);
  // The first rule that wants this regular file, or null.
  const CaptureRule* match(std::string_view path, uint32_t mode, uint64_t size) const;
  const std::vector<CaptureRule>& rules() const { return rules_; }
  // A stable short string naming the rules, for cache keys.
  std::string key() const;

 private:
  std::vector<CaptureRule> rules_;
};

// What the image library itself needs: OS detection and user/group files.
CaptureSpec defaultCapture();

}  // namespace bulkhead::image
