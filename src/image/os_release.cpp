#include "image/os_release.h"

namespace bulkhead::image {
namespace {

constexpr size_t kMaxLines = 512;

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return std::string(s);
}

std::string unquote(std::string_view value) {
  std::string v = trim(value);
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
    const char quote = v.front();
    std::string out;
    for (size_t i = 1; i + 1 < v.size(); ++i) {
      if (quote == '"' && v[i] == '\\' && i + 2 < v.size()) ++i;
      out += v[i];
    }
    return out;
  }
  return v;
}

}  // namespace

std::map<std::string, std::string> parseOsRelease(std::string_view text) {
  std::map<std::string, std::string> out;
  size_t start = 0;
  for (size_t lines = 0; start < text.size() && lines < kMaxLines; ++lines) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string line = trim(text.substr(start, end - start));
    start = end + 1;
    if (line.empty() || line.front() == '#') continue;
    const auto eq = line.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    out[trim(std::string_view(line).substr(0, eq))] = unquote(std::string_view(line).substr(eq + 1));
  }
  return out;
}

OsInfo detectOs(const std::function<std::optional<std::string>(std::string_view)>& read) {
  OsInfo os;
  for (const char* path : {"etc/os-release", "usr/lib/os-release"}) {
    auto text = read(path);
    if (!text) continue;
    auto fields = parseOsRelease(*text);
    if (fields["ID"].empty()) continue;
    os.id = fields["ID"];
    os.versionId = fields["VERSION_ID"];
    os.codename = fields["VERSION_CODENAME"];
    os.prettyName = fields["PRETTY_NAME"];
    os.source = path;
    break;
  }
  if (os.id == "debian" && os.versionId.empty()) {  // testing/sid carry no VERSION_ID
    if (auto v = read("etc/debian_version")) os.versionId = trim(*v);
  }
  if (!os.known()) {
    if (auto v = read("etc/alpine-release")) {
      os = OsInfo{"alpine", trim(*v), "", "Alpine Linux " + trim(*v), "etc/alpine-release"};
    } else if (auto d = read("etc/debian_version")) {
      os = OsInfo{"debian", trim(*d), "", "Debian " + trim(*d), "etc/debian_version"};
    } else if (auto r = read("etc/redhat-release")) {
      os = OsInfo{"rhel", "", "", trim(*r), "etc/redhat-release"};
    }
  }
  return os;
}

}  // namespace bulkhead::image
