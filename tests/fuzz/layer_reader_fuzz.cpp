// readLayer over arbitrary bytes (tar, gzip or zstd of a tar), with small limits and no
// digests, single-threaded or pipelined; then what a scan does with the result: the merged
// view, link resolution, the layer cache round trip and an on-demand file read.

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include "core/stream.h"
#include "image/capture.h"
#include "image/filesystem.h"
#include "image/layer_cache.h"
#include "image/layer_reader.h"

using namespace bulkhead;
using namespace bulkhead::image;

namespace {

[[noreturn]] void fail(const char* what) {
  fprintf(stderr, "invariant broken: %s\n", what);
  std::abort();
}

// Clean: relative, no "." / ".." / empty components. The root itself is "".
bool isClean(const std::string& path) {
  if (path.empty()) return true;
  if (path.front() == '/' || path.back() == '/') return false;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    const std::string_view part = std::string_view(path).substr(start, slash - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = slash + 1;
  }
  return true;
}

bool sameContents(const LayerContents& a, const LayerContents& b) {
  if (a.diffId != b.diffId || a.compression != b.compression ||
      a.compressedBytes != b.compressedBytes || a.uncompressedBytes != b.uncompressedBytes ||
      a.captured != b.captured || a.derived != b.derived || a.warnings != b.warnings ||
      a.entries.size() != b.entries.size()) {
    return false;
  }
  for (size_t i = 0; i < a.entries.size(); ++i) {
    const LayerEntry& x = a.entries[i];
    const LayerEntry& y = b.entries[i];
    if (x.path != y.path || x.type != y.type || x.mode != y.mode || x.uid != y.uid || x.gid != y.gid ||
        x.size != y.size || x.mtime != y.mtime || x.linkTarget != y.linkTarget) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  LayerReadOptions options;
  options.limits.maxBytes = 4u << 20;
  options.limits.maxRatio = 100;
  options.limits.ratioGraceBytes = 512u << 10;
  options.maxEntries = 4096;
  options.maxPathBytes = 1024;
  options.captureMaxBytes = 64u << 10;
  options.capture = [](std::string_view path) { return path.starts_with("etc/") || path.size() <= 2; };
  // Capture rules: one keeps files as they are, one reduces executables to a derived result.
  static const CaptureSpec spec = [] {
    CaptureSpec s;
    CaptureRule keep;
    keep.name = "fuzz-keep";
    keep.exact = {"etc/os-release"};
    keep.prefixes = {"var/lib/"};
    keep.suffixes = {".list"};
    keep.maxBytes = 32u << 10;
    s.add(keep);
    CaptureRule derive;
    derive.name = "fuzz-derive";
    derive.executables = true;
    derive.maxBytes = 256u << 10;
    derive.transform = [](std::string_view, std::string_view data) -> std::optional<std::string> {
      if (data.size() < 4) return std::nullopt;
      return std::string(data.substr(0, 32));
    };
    s.add(derive);
    return s;
  }();
  options.captureSpec = &spec;
  // Odd-sized inputs take the two-thread path (decompression on a prefetch thread).
  options.pipeline = (size & 1) != 0;

  MemoryStream raw(bytes);
  const LayerRef layer;  // no digests: nothing to verify, everything reaches the tar reader
  auto contents = readLayer(raw, layer, options, "fuzz layer");
  if (!contents) return 0;

  for (const LayerEntry& e : contents->entries) {
    if (!isClean(e.path)) fail("entry path is not clean");
    if (e.path.empty() && e.type != EntryType::kOpaque) fail("empty path for a non-opaque entry");
    if (e.type == EntryType::kHardlink && (e.linkTarget.empty() || !isClean(e.linkTarget))) {
      fail("hardlink target is not a clean path inside the root");
    }
  }
  for (const auto& [path, text] : contents->captured) {
    const bool byRule = spec.match(path, 0644, text.size()) != nullptr;
    if (!byRule && !options.capture(path)) fail("captured a file nobody asked for");
    if (!byRule && text.size() > options.captureMaxBytes) fail("captured more than captureMaxBytes");
  }
  for (const auto& [path, text] : contents->derived) {
    if (text.size() > 32) fail("derived result larger than the transform makes");
  }
  if (contents->uncompressedBytes > options.limits.maxBytes) fail("decompression limit not enforced");

  // The layer cache must give back exactly what it was given.
  contents->diffId = Digest::sha256(std::string(64, 'a'));  // the cache is keyed by diff_id
  auto decoded = LayerCache::decode(LayerCache::encode(*contents));
  if (!decoded) fail("layer cache cannot decode its own encoding");
  if (!sameContents(*contents, *decoded)) fail("layer cache round trip changed the contents");

  // The view: apply the layer twice (whiteouts against itself), resolve every path.
  FileSystemView view;
  std::vector<std::string> warnings;
  view.applyLayer(0, contents->entries, warnings);
  view.applyLayer(1, contents->entries, warnings);
  if (warnings.size() > 100) fail("unbounded warnings");
  size_t resolved = 0;
  for (const auto& [path, node] : view.nodes()) {
    if (!isClean(path) || path.empty()) fail("view holds an unclean path");
    if (++resolved > 64) break;
    for (const std::string& probe : {path, "../../" + path + "/x"}) {
      auto r = view.resolve(probe);
      if (r && !isClean(*r)) fail("resolve() left the root or returned an unclean path");
    }
  }

  // An on-demand read of the first regular file, as Image::readFile does.
  for (const LayerEntry& e : contents->entries) {
    if (e.type != EntryType::kFile) continue;
    MemoryStream again(bytes);
    auto text = readLayerFile(again, LayerRef{}, e.path, 1u << 20, options.limits, "fuzz layer");
    if (text && text->size() > (1u << 20)) fail("readLayerFile ignored maxBytes");
    break;
  }
  return 0;
}
