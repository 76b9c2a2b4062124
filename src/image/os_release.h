#pragma once
// Which operating system an image holds, from /etc/os-release and its older relatives.

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "core/result.h"

namespace bulkhead::image {

struct OsInfo {
  std::string id;          // "debian", "alpine", "rhel"
  std::string versionId;   // "12", "3.19.1"
  std::string codename;    // "bookworm"
  std::string prettyName;  // "Debian GNU/Linux 12 (bookworm)"
  std::string source;      // the file it came from
  bool known() const { return !id.empty(); }
};

// Parses os-release syntax: KEY=value lines, shell quoting, comments.
std::map<std::string, std::string> parseOsRelease(std::string_view text);

// `read` returns a file's contents by path, or nullopt when absent.
OsInfo detectOs(const std::function<std::optional<std::string>(std::string_view)>& read);

}  // namespace bulkhead::image
