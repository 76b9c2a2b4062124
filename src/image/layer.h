#pragma once
// What one layer holds: its tar entries (whiteouts kept as entries) and the contents of the
// few files that were asked for while the layer streamed past.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "image/decompress.h"
#include "image/digest.h"

namespace bulkhead::image {

enum class EntryType : uint8_t {
  kFile,
  kDirectory,
  kSymlink,
  kHardlink,
  kCharDevice,
  kBlockDevice,
  kFifo,
  kSocket,
  kWhiteout,  // ".wh.NAME": NAME is deleted from the layers below
  kOpaque,    // ".wh..wh..opq": the directory's lower contents are hidden
};
const char* entryTypeName(EntryType type);

struct LayerEntry {
  std::string path;  // clean, relative to the root, no leading "/" ("etc/passwd")
  EntryType type = EntryType::kFile;
  uint32_t mode = 0;  // permission bits incl. setuid/setgid/sticky
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t size = 0;
  int64_t mtime = 0;
  std::string linkTarget;  // symlink target as written; hardlink target as a clean path
};

struct LayerContents {
  Digest diffId;
  Compression compression = Compression::kNone;
  uint64_t compressedBytes = 0;
  uint64_t uncompressedBytes = 0;
  std::vector<LayerEntry> entries;
  std::map<std::string, std::string> captured;  // path -> contents, for wanted files
  std::map<std::string, std::string> derived;   // path -> a capture rule's transform result
  std::vector<std::string> warnings;
};

// Which files' contents to keep while streaming: a predicate on clean paths.
using CapturePredicate = std::function<bool(std::string_view path)>;

}  // namespace bulkhead::image
