#include "core/mount_info.h"

#include <charconv>

#include "core/strings.h"

namespace bulkhead {
namespace {

// Mount points in mountinfo escape space, tab, newline and backslash as \ooo.
std::string unescapeMountPath(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      const char a = s[i + 1], b = s[i + 2], c = s[i + 3];
      if (a >= '0' && a <= '3' && b >= '0' && b <= '7' && c >= '0' && c <= '7') {
        out += static_cast<char>((a - '0') * 64 + (b - '0') * 8 + (c - '0'));
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

}  // namespace

std::vector<MountEntry> parseMountInfo(std::string_view text) {
  std::vector<MountEntry> mounts;
  for (auto line : split(text, '\n')) {
    // ID PARENT MAJ:MIN ROOT POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER
    const auto dash = line.find(" - ");
    if (dash == std::string_view::npos) continue;
    const auto fields = split(line.substr(0, dash), ' ');
    const auto after = split(line.substr(dash + 3), ' ');
    if (fields.size() < 6 || fields[4].empty() || after.empty() || after[0].empty()) continue;
    MountEntry m;
    const auto id = fields[0];
    if (std::from_chars(id.data(), id.data() + id.size(), m.id).ec != std::errc{}) continue;
    m.device = std::string(fields[2]);
    m.root = unescapeMountPath(fields[3]);
    m.point = unescapeMountPath(fields[4]);
    m.options = std::string(fields[5]);
    m.fsType = std::string(after[0]);
    mounts.push_back(std::move(m));
  }
  return mounts;
}

bool hasMountOption(std::string_view options, std::string_view option) {
  for (auto o : split(options, ',')) {
    if (o == option) return true;
  }
  return false;
}

}  // namespace bulkhead
