#pragma once
// /proc/PID/mountinfo, read as untrusted text (a container's process writes nothing there,
// but its mount points are names it chose): each line checked, escapes undone. The
// runtime's exec guard and discovery and the compliance host collector read it.

#include <string>
#include <string_view>
#include <vector>

namespace bulkhead {

struct MountEntry {
  int id = 0;
  std::string device;   // "major:minor" of its file system
  std::string root;     // the directory of that file system mounted here ("/" for all of it)
  std::string point;    // as the process whose mountinfo it is sees it
  std::string options;  // per-mount options: rw, noexec, nosuid, ...
  std::string fsType;
};

// Lines that do not have the format's fields are skipped.
std::vector<MountEntry> parseMountInfo(std::string_view text);

// True if the comma-separated option list holds `option`.
bool hasMountOption(std::string_view options, std::string_view option);

}  // namespace bulkhead
