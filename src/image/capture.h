#pragma once
// The files whose contents are kept while layers stream past, so that OS detection and
// catalogers need no second pass. Part of the layer cache key.

#include <string>
#include <vector>

#include "image/layer.h"

namespace bulkhead::image {

struct CaptureSpec {
  std::vector<std::string> exact;     // "etc/os-release"
  std::vector<std::string> prefixes;  // "var/lib/dpkg/status.d/"
  std::vector<std::string> suffixes;  // "/METADATA"
  bool matches(std::string_view path) const;
  // A stable short string naming the spec, for cache keys.
  std::string key() const;
};

CaptureSpec defaultCapture();

}  // namespace bulkhead::image
