#pragma once
// Alpine's installed-package database (lib/apk/db/installed): one block of "X:value" lines
// per package, blocks split by blank lines. P name, V version, A arch, o origin (the
// source package), L license, m maintainer, U url, c commit; F names a directory and the
// R lines after it the files in it. Other letters (checksums, sizes, dependencies, ACLs)
// are skipped. The database comes from the image, so everything it can make us allocate
// is bounded: an "F:" line of 4 KiB followed by a million two-byte "R:" lines would
// otherwise turn 4 MiB of input into 4 GiB of paths.

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace bulkhead::sbom {

struct ApkPackage {
  std::string name;
  std::string version;
  std::string architecture;
  std::string origin;  // source package; empty when the database has none
  std::string license;
  std::string maintainer;
  std::string url;
  std::string commit;
  std::vector<std::string> files;  // absolute: "/usr/bin/curl"
  size_t line = 0;                 // first line of its block, for messages
};

struct ApkLimits {
  size_t maxPackages = 100'000;
  size_t maxFiles = 2'000'000;      // over all packages
  size_t maxPathBytes = 64u << 20;  // sum of file path lengths over all packages
  size_t maxPathLength = 4096;      // one F: or R: value (PATH_MAX)
  size_t maxWarnings = 20;          // then one line saying how many more
};

struct ApkDatabase {
  std::vector<ApkPackage> packages;
  std::vector<std::string> warnings;  // each names `what` and the line
};

// Malformed lines and incomplete blocks are warnings; exceeding a limit is an error (the
// file is hostile, not just damaged). `what` names the file in messages.
Result<ApkDatabase> parseApkInstalled(std::string_view text, std::string_view what,
                                      const ApkLimits& limits = {});

}  // namespace bulkhead::sbom
