#include "image/capture.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/sha256.h"

namespace bulkhead::image {

bool CaptureRule::matches(std::string_view path, uint32_t mode) const {
  if (executables && (mode & 0111u) != 0) return true;
  for (const auto& e : exact) {
    if (path == e) return true;
  }
  if (prefixes.empty() && suffixes.empty()) return false;
  const bool prefixOk = prefixes.empty() || std::any_of(prefixes.begin(), prefixes.end(),
                                                        [&](const auto& p) { return path.starts_with(p); });
  const bool suffixOk = suffixes.empty() || std::any_of(suffixes.begin(), suffixes.end(),
                                                        [&](const auto& s) { return path.ends_with(s); });
  return prefixOk && suffixOk;
}

CaptureSpec& CaptureSpec::add(CaptureRule rule) {
  rules_.push_back(std::move(rule));
  return *this;
}

const CaptureRule* CaptureSpec::match(std::string_view path, uint32_t mode, uint64_t size) const {
  for (const auto& rule : rules_) {
    if (size <= rule.maxBytes && rule.matches(path, mode)) return &rule;
  }
  return nullptr;
}

std::string CaptureSpec::key() const {
  std::string text;
  for (const auto& r : rules_) {
    text += fmt::format("{}@{}:{}:{}:{}\n", r.name, r.version, r.maxBytes, r.executables,
                        r.transform ? 1 : 0);
    for (const auto* list : {&r.exact, &r.prefixes, &r.suffixes}) {
      for (const auto& item : *list) text += item + '\n';
      text += '\0';
    }
  }
  return Sha256::hex(text).substr(0, 16);
}

CaptureSpec defaultCapture() {
  CaptureRule rule;
  rule.name = "os";
  rule.exact = {
      "etc/os-release",     "usr/lib/os-release", "etc/lsb-release",   "etc/debian_version",
      "etc/alpine-release", "etc/redhat-release", "etc/centos-release", "etc/fedora-release",
      "etc/system-release", "etc/passwd",         "etc/group",          "etc/shadow",
  };
  rule.maxBytes = 1u << 20;
  CaptureSpec spec;
  spec.add(std::move(rule));
  return spec;
}

}  // namespace bulkhead::image
