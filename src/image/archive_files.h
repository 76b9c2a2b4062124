#pragma once
// Read-only access to the files of an image container: a directory (OCI layout) or a tar
// archive (oci-archive, docker-archive). Paths are relative and checked; nothing is
// extracted to disk.

#include <memory>
#include <string>

#include "core/result.h"
#include "core/stream.h"

namespace bulkhead::image {

class ContainerFiles {
 public:
  virtual ~ContainerFiles() = default;
  virtual std::string describe() const = 0;
  // Opens a member by relative path ("index.json", "blobs/sha256/ab..").
  virtual Result<std::unique_ptr<ByteStream>> open(const std::string& relativePath) = 0;
};

// A directory; opens never resolve outside it (openat2 RESOLVE_BENEATH).
std::unique_ptr<ContainerFiles> directoryFiles(std::string directory);
// A tar archive (plain, gzip, zstd, xz or bzip2); each open scans the headers anew.
std::unique_ptr<ContainerFiles> archiveFiles(std::string archivePath);

// Rejects absolute paths, "..", empty components and NUL; returns the cleaned path.
Result<std::string> checkRelativePath(std::string_view path, std::string_view what);

}  // namespace bulkhead::image
