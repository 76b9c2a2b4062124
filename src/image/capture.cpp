#include "image/capture.h"

#include "core/sha256.h"

namespace bulkhead::image {

bool CaptureSpec::matches(std::string_view path) const {
  for (const auto& e : exact) {
    if (path == e) return true;
  }
  for (const auto& p : prefixes) {
    if (path.starts_with(p)) return true;
  }
  for (const auto& s : suffixes) {
    if (path.ends_with(s)) return true;
  }
  return false;
}

std::string CaptureSpec::key() const {
  std::string text;
  for (const auto* list : {&exact, &prefixes, &suffixes}) {
    for (const auto& item : *list) text += item + '\n';
    text += '\0';
  }
  return Sha256::hex(text).substr(0, 16);
}

CaptureSpec defaultCapture() {
  CaptureSpec spec;
  spec.exact = {
      "etc/os-release",     "usr/lib/os-release", "etc/lsb-release",   "etc/debian_version",
      "etc/alpine-release", "etc/redhat-release", "etc/centos-release", "etc/fedora-release",
      "etc/system-release", "etc/passwd",         "etc/group",
  };
  return spec;
}

}  // namespace bulkhead::image
