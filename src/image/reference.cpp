#include "image/reference.h"

namespace bulkhead::image {
namespace {

constexpr size_t kMaxReference = 1024;
constexpr size_t kMaxRepository = 255;
constexpr size_t kMaxTag = 128;

bool isLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// A path component: lower-case alphanumerics joined by '.', '_', '__', or runs of '-'.
bool validComponent(std::string_view c) {
  if (c.empty() || !isLowerAlnum(c.front()) || !isLowerAlnum(c.back())) return false;
  for (size_t i = 0; i < c.size(); ++i) {
    const char ch = c[i];
    if (isLowerAlnum(ch) || ch == '-') continue;
    if (ch == '.' || ch == '_') {
      if (!isLowerAlnum(c[i - 1]) && !(ch == '_' && c[i - 1] == '_' && i >= 2 && c[i - 2] != '_')) {
        return false;
      }
      continue;
    }
    return false;
  }
  return true;
}

bool validTag(std::string_view tag) {
  if (tag.empty() || tag.size() > kMaxTag) return false;
  for (size_t i = 0; i < tag.size(); ++i) {
    const char c = tag[i];
    const bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_';
    if (!word && (i == 0 || (c != '.' && c != '-'))) return false;
  }
  return true;
}

bool validHost(std::string_view host) {
  if (host.empty()) return false;
  for (const char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string RegistryReference::apiHost() const {
  return registry == "docker.io" ? "registry-1.docker.io" : registry;
}

std::string RegistryReference::str() const {
  std::string out = registry + "/" + repository;
  if (!tag.empty()) out += ":" + tag;
  if (!digest.empty()) out += "@" + digest.str();
  return out;
}

Result<RegistryReference> RegistryReference::parse(std::string_view text) {
  const std::string_view original = text;
  if (text.empty()) return makeError("image reference is empty");
  if (text.size() > kMaxReference) {
    return makeError("image reference of {} characters exceeds the limit of {}", text.size(),
                     kMaxReference);
  }
  RegistryReference ref;
  if (const auto at = text.find('@'); at != std::string_view::npos) {
    auto digest = Digest::parse(text.substr(at + 1));
    if (!digest) return withContext(fmt::format("image reference '{}'", original), std::move(digest).error());
    ref.digest = std::move(*digest);
    text = text.substr(0, at);
  }
  const auto lastSlash = text.rfind('/');
  const auto lastColon = text.rfind(':');
  if (lastColon != std::string_view::npos &&
      (lastSlash == std::string_view::npos || lastColon > lastSlash)) {
    ref.tag = std::string(text.substr(lastColon + 1));
    text = text.substr(0, lastColon);
    if (!validTag(ref.tag)) return makeError("image reference '{}': invalid tag '{}'", original, ref.tag);
  }
  std::string_view path = text;
  const auto firstSlash = text.find('/');
  if (firstSlash != std::string_view::npos) {
    const std::string_view first = text.substr(0, firstSlash);
    if (first.find('.') != std::string_view::npos || first.find(':') != std::string_view::npos ||
        first == "localhost") {
      if (!validHost(first)) return makeError("image reference '{}': invalid registry host '{}'", original, first);
      ref.registry = std::string(first);
      path = text.substr(firstSlash + 1);
    }
  }
  if (ref.registry.empty()) ref.registry = "docker.io";
  if (path.empty()) return makeError("image reference '{}': missing repository", original);
  size_t start = 0;
  for (;;) {
    const size_t slash = path.find('/', start);
    const std::string_view component =
        path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (!validComponent(component)) {
      return makeError("image reference '{}': invalid repository component '{}'", original, component);
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  ref.repository = std::string(path);
  if (ref.registry == "docker.io" && ref.repository.find('/') == std::string::npos) {
    ref.repository = "library/" + ref.repository;
  }
  if (ref.repository.size() > kMaxRepository) {
    return makeError("image reference '{}': repository longer than {} characters", original,
                     kMaxRepository);
  }
  if (ref.tag.empty() && ref.digest.empty()) ref.tag = "latest";
  return ref;
}

}  // namespace bulkhead::image
