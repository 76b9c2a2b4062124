#pragma once
// Builds tar archives in memory for tests, hostile ones included (names with "..",
// absolute names, device nodes, escaping links), and compresses them.

#include <cstdint>
#include <string>
#include <vector>

namespace bulkhead::testing {

struct TarEntry {
  enum class Kind { kFile, kDir, kSymlink, kHardlink, kCharDevice, kFifo };
  std::string path;
  Kind kind = Kind::kFile;
  std::string content;  // files
  std::string link;     // symlink or hardlink target
  uint32_t mode = 0644;
  uint32_t uid = 0;
  uint32_t gid = 0;
};

TarEntry file(std::string path, std::string content, uint32_t mode = 0644);
TarEntry dir(std::string path, uint32_t mode = 0755);
TarEntry symlink(std::string path, std::string target);
TarEntry hardlink(std::string path, std::string target);

std::string makeTar(const std::vector<TarEntry>& entries);
std::string gzipBytes(const std::string& data);
std::string zstdBytes(const std::string& data);
std::string sha256Digest(const std::string& data);  // "sha256:<hex>"

}  // namespace bulkhead::testing
