// Image sources end to end without a file system: the input is a small in-memory "archive"
// of named files, resolved as a docker-archive (manifest.json) and as an OCI layout
// (index.json), and every layer it names is read and merged.
//
// Input format: sections, each starting with a line "@@ NAME" (at the start of the input or
// after a newline); the section's contents run to the next "\n@@ ". A section named "blob"
// is stored as blobs/sha256/<its sha256>; any other name is stored as is. Before a section
// is stored, "@D<k>" in it becomes the sha256 hex and "@S<k>" the size of section k (k < this
// section's number), so that a corpus can hold consistent digests:
//   @@ blob                        <- section 0: an uncompressed layer tar
//   ...
//   @@ blob                        <- section 1: a config with "diff_ids":["sha256:@D0"]
//   @@ index.json                  <- names a manifest blob by "sha256:@D2" and size @S2

#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "core/sha256.h"
#include "core/stream.h"
#include "image/archive_files.h"
#include "image/docker_archive.h"
#include "image/filesystem.h"
#include "image/layer_reader.h"
#include "image/layout_store.h"
#include "image/source.h"

using namespace bulkhead;
using namespace bulkhead::image;

namespace {

using Files = std::map<std::string, std::string>;

class MemoryFiles final : public ContainerFiles {
 public:
  explicit MemoryFiles(const Files& files) : files_(files) {}
  std::string describe() const override { return "fuzz-archive"; }
  Result<std::unique_ptr<ByteStream>> open(const std::string& relativePath) override {
    auto clean = checkRelativePath(relativePath, "fuzz-archive");
    if (!clean) return std::move(clean).error();
    auto it = files_.find(*clean);
    if (it == files_.end()) return makeError("fuzz-archive: no member named '{}'", *clean);
    return std::unique_ptr<ByteStream>(std::make_unique<MemoryStream>(it->second));
  }

 private:
  const Files& files_;
};

Files parseSections(std::string_view input) {
  Files files;
  std::vector<std::string> hexes;
  std::vector<size_t> sizes;
  size_t pos = 0;
  if (!input.starts_with("@@ ")) return files;
  while (pos < input.size() && hexes.size() < 10) {
    pos += 3;  // "@@ "
    const size_t eol = input.find('\n', pos);
    if (eol == std::string_view::npos) break;
    const std::string name(input.substr(pos, eol - pos));
    size_t end = input.find("\n@@ ", eol + 1);
    if (end == std::string_view::npos) end = input.size();
    const std::string_view raw = input.substr(eol + 1, end - std::min(end, eol + 1));
    std::string body;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '@' && i + 2 < raw.size() && (raw[i + 1] == 'D' || raw[i + 1] == 'S') &&
          raw[i + 2] >= '0' && raw[i + 2] <= '9' && static_cast<size_t>(raw[i + 2] - '0') < hexes.size()) {
        const size_t k = static_cast<size_t>(raw[i + 2] - '0');
        body += raw[i + 1] == 'D' ? hexes[k] : std::to_string(sizes[k]);
        i += 2;
      } else {
        body += raw[i];
      }
    }
    hexes.push_back(Sha256::hex(body));
    sizes.push_back(body.size());
    files[name == "blob" ? "blobs/sha256/" + hexes.back() : name] = std::move(body);
    pos = end + 1;
  }
  return files;
}

void readImage(ImageSource& source) {
  ResolveOptions options;
  auto image = source.resolve(options);
  if (!image) return;
  LayerReadOptions read;
  read.limits.maxBytes = 4u << 20;
  read.limits.maxRatio = 100;
  read.limits.ratioGraceBytes = 512u << 10;
  read.maxEntries = 2048;
  read.capture = [](std::string_view path) { return path == "etc/os-release"; };
  FileSystemView view;
  std::vector<std::string> warnings;
  for (size_t i = 0; i < image->layers.size() && i < 4; ++i) {
    auto raw = source.openLayer(image->layers[i]);
    if (!raw) continue;
    auto contents = readLayer(**raw, image->layers[i], read, "fuzz layer");
    if (!contents) continue;
    // A layer only reads successfully when it matches its digests.
    if (!image->layers[i].diffId.empty() && contents->diffId != image->layers[i].diffId) std::abort();
    view.applyLayer(static_cast<int>(i), contents->entries, warnings);
  }
  for (const auto& [path, node] : view.nodes()) (void)view.resolve(path);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Files files = parseSections(std::string_view(reinterpret_cast<const char*>(data), size));
  if (files.empty()) return 0;
  if (files.count("manifest.json") != 0) {
    for (const char* tag : {"", "latest"}) {
      auto source = makeDockerArchiveSource(std::make_unique<MemoryFiles>(files), tag);
      readImage(*source);
    }
  }
  if (files.count("index.json") != 0) {
    for (const char* tag : {"", "latest"}) {
      OciImageSource source(makeLayoutStore(std::make_unique<MemoryFiles>(files), "fuzz layout", tag));
      readImage(source);
    }
  }
  return 0;
}
