#include "image/layer_cache.h"

#include <cstring>

#include "core/log.h"
#include "core/paths.h"
#include "core/sha256.h"
#include "core/stream.h"

namespace bulkhead::image {
namespace {

constexpr std::string_view kMagic = "BHLC0003";
constexpr size_t kChecksum = 64;  // hex SHA-256 of everything before it
constexpr size_t kMaxCacheFile = 1u << 30;

class Writer {
 public:
  void u64(uint64_t v) { out_.append(reinterpret_cast<const char*>(&v), sizeof v); }
  void str(std::string_view s) {
    u64(s.size());
    out_.append(s);
  }
  std::string take() { return std::move(out_); }
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool u64(uint64_t& v) {
    if (in_.size() < sizeof v) return false;
    std::memcpy(&v, in_.data(), sizeof v);
    in_.remove_prefix(sizeof v);
    return true;
  }
  bool str(std::string& s) {
    uint64_t n = 0;
    if (!u64(n) || n > in_.size()) return false;
    s.assign(in_.data(), n);
    in_.remove_prefix(n);
    return true;
  }
  bool done() const { return in_.empty(); }

 private:
  std::string_view in_;
};

}  // namespace

std::string LayerCache::encode(const LayerContents& c) {
  Writer w;
  w.out_.append(kMagic);
  w.str(c.diffId.str());
  w.u64(static_cast<uint64_t>(c.compression));
  w.u64(c.compressedBytes);
  w.u64(c.uncompressedBytes);
  w.u64(c.entries.size());
  for (const auto& e : c.entries) {
    w.str(e.path);
    w.u64(static_cast<uint64_t>(e.type));
    w.u64(e.mode);
    w.u64(e.uid);
    w.u64(e.gid);
    w.u64(e.size);
    w.u64(static_cast<uint64_t>(e.mtime));
    w.str(e.linkTarget);
  }
  for (const auto* files : {&c.captured, &c.derived}) {
    w.u64(files->size());
    for (const auto& [path, data] : *files) {
      w.str(path);
      w.str(data);
    }
  }
  w.u64(c.warnings.size());
  for (const auto& warning : c.warnings) w.str(warning);
  std::string out = w.take();
  // A flipped bit in a path or a size would otherwise decode into a plausible wrong view.
  out += Sha256::hex(out);
  return out;
}

Result<LayerContents> LayerCache::decode(std::string_view bytes) {
  if (!bytes.starts_with(kMagic)) return makeError("layer cache: bad magic");
  if (bytes.size() < kMagic.size() + kChecksum) return makeError("layer cache: truncated");
  const std::string_view body = bytes.substr(0, bytes.size() - kChecksum);
  if (Sha256::hex(body) != bytes.substr(body.size())) return makeError("layer cache: checksum mismatch");
  bytes = body;
  Reader r(bytes.substr(kMagic.size()));
  LayerContents c;
  std::string diffId;
  uint64_t compression = 0;
  uint64_t count = 0;
  const auto bad = [] { return makeError("layer cache: truncated or corrupt record"); };
  if (!r.str(diffId) || !r.u64(compression) || !r.u64(c.compressedBytes) ||
      !r.u64(c.uncompressedBytes) || !r.u64(count)) {
    return bad();
  }
  if (compression > static_cast<uint64_t>(Compression::kZstd)) return bad();
  c.compression = static_cast<Compression>(compression);
  auto digest = Digest::parse(diffId);
  if (!digest) return std::move(digest).error();
  c.diffId = std::move(*digest);
  if (count > bytes.size() / 64) return bad();  // each entry takes at least 64 bytes
  c.entries.resize(count);
  for (auto& e : c.entries) {
    uint64_t type = 0, mode = 0, uid = 0, gid = 0, mtime = 0;
    if (!r.str(e.path) || !r.u64(type) || !r.u64(mode) || !r.u64(uid) || !r.u64(gid) ||
        !r.u64(e.size) || !r.u64(mtime) || !r.str(e.linkTarget)) {
      return bad();
    }
    if (type > static_cast<uint64_t>(EntryType::kOpaque)) return bad();
    e.type = static_cast<EntryType>(type);
    e.mode = static_cast<uint32_t>(mode);
    e.uid = static_cast<uint32_t>(uid);
    e.gid = static_cast<uint32_t>(gid);
    e.mtime = static_cast<int64_t>(mtime);
  }
  for (auto* files : {&c.captured, &c.derived}) {
    if (!r.u64(count) || count > bytes.size() / 16) return bad();
    for (uint64_t i = 0; i < count; ++i) {
      std::string path, data;
      if (!r.str(path) || !r.str(data)) return bad();
      files->emplace(std::move(path), std::move(data));
    }
  }
  if (!r.u64(count) || count > bytes.size() / 8) return bad();
  c.warnings.resize(count);
  for (auto& warning : c.warnings) {
    if (!r.str(warning)) return bad();
  }
  if (!r.done()) return bad();
  return c;
}

std::string LayerCache::pathFor(const Digest& blob, const Digest& diffId) const {
  return fmt::format("{}/{}-{}-{}.bin", directory_, blob.hex, diffId.hex.substr(0, 16), captureKey_);
}

std::optional<LayerContents> LayerCache::load(const Digest& blob, const Digest& diffId) const {
  if (blob.empty() || diffId.empty()) return std::nullopt;
  const std::string path = pathFor(blob, diffId);
  auto bytes = readFileBounded(path, kMaxCacheFile);
  if (!bytes) return std::nullopt;
  auto contents = decode(*bytes);
  if (!contents || contents->diffId != diffId) {
    log::warn("ignoring damaged layer cache file {}", path);
    return std::nullopt;
  }
  return std::move(*contents);
}

void LayerCache::store(const Digest& blob, const LayerContents& contents) const {
  if (blob.empty() || contents.diffId.empty()) return;
  if (auto made = makeDirectories(directory_); !made) {
    log::warn("layer cache: {}", made.error().message);
    return;
  }
  if (auto written = writeFileAtomic(pathFor(blob, contents.diffId), encode(contents)); !written) {
    log::warn("layer cache: {}", written.error().message);
  }
}

}  // namespace bulkhead::image
