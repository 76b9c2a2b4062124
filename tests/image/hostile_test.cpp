// Hostile images end to end: every input is built here (tar_builder, layout_builder), opened
// through openImage() with a private cache directory, and the test asserts what a user
// relies on: a clear error naming the input and what is wrong with it, no crash, and
// nothing written outside the scratch directory.

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>

#include "core/sha256.h"
#include "image/image_reader.h"
#include "image/manifest.h"
#include "support/layout_builder.h"
#include "support/tar_builder.h"

namespace bulkhead::image {
namespace {

namespace stdfs = std::filesystem;
namespace tb = bulkhead::testing;
using nlohmann::json;
using tb::LayoutBuilder;

constexpr std::string_view kGzipLayer = "application/vnd.oci.image.layer.v1.tar+gzip";
constexpr std::string_view kZstdLayer = "application/vnd.oci.image.layer.v1.tar+zstd";
constexpr std::string_view kTarLayer = "application/vnd.oci.image.layer.v1.tar";

// ---- files and directories ----------------------------------------------------------------

void writeFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::string readBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

const char* kindOf(const stdfs::directory_entry& e) {
  const auto s = e.symlink_status();
  if (stdfs::is_symlink(s)) return "symlink";
  if (stdfs::is_directory(s)) return "dir";
  if (stdfs::is_regular_file(s)) return "file";
  return "special";  // device node, FIFO or socket
}

// Every path below `root` with its kind ("etc/passwd file").
std::set<std::string> tree(const std::string& root) {
  std::set<std::string> out;
  if (!stdfs::exists(root)) return out;
  for (const auto& e : stdfs::recursive_directory_iterator(root)) {
    out.insert(stdfs::relative(e.path(), root).string() + " " + kindOf(e));
  }
  return out;
}

// A scratch directory per test: the layout (or archive) and the cache live inside it.
struct Scratch {
  std::string root;
  std::string layout;
  std::string cache;
};

Scratch makeScratch() {
  Scratch s;
  s.root = tb::makeTempDir("scratch");
  s.layout = s.root + "/layout";
  s.cache = s.root + "/cache";
  return s;
}

ReadOptions optionsFor(const Scratch& s) {
  ReadOptions options;
  options.cacheDir = s.cache;
  return options;
}

// The cache directory holds nothing but layer cache files: regular files named
// layers/<hex digits and dashes>.bin. No device node, FIFO, symlink or extracted file.
void expectOnlyCacheFiles(const std::string& cache) {
  for (const std::string& item : tree(cache)) {
    if (item == "layers dir") continue;
    const std::string_view suffix = ".bin file";
    bool ok = item.starts_with("layers/") && item.ends_with(suffix) && item.size() > 7 + suffix.size();
    for (size_t i = 7; ok && i < item.size() - suffix.size(); ++i) {
      const char c = item[i];
      ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-';
    }
    EXPECT_TRUE(ok) << "unexpected entry in the cache directory: " << item;
  }
}

// Snapshot of what exists before a hostile image is opened; afterwards only cache files
// may have appeared under the scratch directory, and none of the hostile names may exist
// relative to the working directory, the scratch directory or the cache.
class NothingWrittenOutside {
 public:
  NothingWrittenOutside(Scratch scratch, std::vector<std::string> hostileNames)
      : scratch_(std::move(scratch)), names_(std::move(hostileNames)),
        before_(tree(scratch_.root)), cwd_(stdfs::current_path().string()) {
    for (const auto& name : names_) {
      for (const auto& base : bases()) {
        const auto p = stdfs::path(base) / name;
        if (stdfs::exists(stdfs::symlink_status(p))) existedBefore_.insert(p.lexically_normal().string());
      }
    }
  }
  void check() const {
    for (const std::string& item : tree(scratch_.root)) {
      if (before_.count(item) != 0) continue;
      EXPECT_TRUE(item == "cache dir" || item.starts_with("cache/"))
          << "written outside the cache: " << item;
    }
    expectOnlyCacheFiles(scratch_.cache);
    for (const auto& name : names_) {
      for (const auto& base : bases()) {
        const auto p = (stdfs::path(base) / name).lexically_normal();
        if (existedBefore_.count(p.string()) != 0) continue;
        EXPECT_FALSE(stdfs::exists(stdfs::symlink_status(p))) << "hostile entry created: " << p;
      }
    }
  }

 private:
  std::vector<std::string> bases() const {
    return {cwd_, scratch_.root, scratch_.layout, scratch_.cache, scratch_.cache + "/layers"};
  }
  Scratch scratch_;
  std::vector<std::string> names_;
  std::set<std::string> before_;
  std::string cwd_;
  std::set<std::string> existedBefore_;
};

// ---- images -------------------------------------------------------------------------------

// A layer given by its exact blob bytes, so that tests can hand in broken ones.
struct RawLayer {
  RawLayer(std::string blobBytes, std::string diffIdText, std::string type = std::string(kGzipLayer))
      : blob(std::move(blobBytes)), diffId(std::move(diffIdText)), mediaType(std::move(type)) {}
  std::string blob;
  std::string diffId;  // "sha256:..."
  std::string mediaType;
  std::optional<int64_t> size;  // the descriptor's size; default: the blob's
};

RawLayer gzipLayer(const std::string& tar) { return {tb::gzipBytes(tar), tb::sha256Digest(tar)}; }

json configFor(const std::vector<std::string>& diffIds, const std::string& architecture = "amd64") {
  return {{"architecture", architecture},
          {"os", "linux"},
          {"config", json::object()},
          {"rootfs", {{"type", "layers"}, {"diff_ids", diffIds}}}};
}

// Stores the layers, a config (default: one listing the layers' diff_ids) and a manifest;
// returns the manifest's descriptor.
json rawImage(LayoutBuilder& b, const std::vector<RawLayer>& layers,
              std::optional<std::string> configBytes = std::nullopt,
              const std::string& architecture = "amd64") {
  json descriptors = json::array();
  std::vector<std::string> diffIds;
  for (const auto& layer : layers) {
    const std::string digest = b.putBlob(layer.blob);
    descriptors.push_back({{"mediaType", layer.mediaType},
                           {"digest", digest},
                           {"size", layer.size.value_or(static_cast<int64_t>(layer.blob.size()))}});
    diffIds.push_back(layer.diffId);
  }
  const std::string config = configBytes ? *configBytes : configFor(diffIds, architecture).dump();
  json manifest = {{"schemaVersion", 2},
                   {"mediaType", std::string(media::kOciManifest)},
                   {"config",
                    {{"mediaType", std::string(media::kOciConfig)},
                     {"digest", b.putBlob(config)},
                     {"size", config.size()}}},
                   {"layers", descriptors}};
  const std::string bytes = manifest.dump();
  return {{"mediaType", std::string(media::kOciManifest)},
          {"digest", b.putBlob(bytes)},
          {"size", bytes.size()},
          {"platform", {{"os", "linux"}, {"architecture", architecture}}}};
}

// A one-image layout from uncompressed layer tars (gzip-compressed by the builder).
std::string layoutOf(const Scratch& s, const std::vector<std::string>& tars,
                     const std::string& compression = "gzip") {
  LayoutBuilder b(s.layout);
  b.writeIndexJson({b.image(tars, compression)});
  return s.layout;
}

std::string layoutOfRaw(const Scratch& s, const std::vector<RawLayer>& layers) {
  LayoutBuilder b(s.layout);
  b.writeIndexJson({rawImage(b, layers)});
  return s.layout;
}

// The error of an open that must fail; the test fails if it succeeds.
std::string openError(const std::string& input, const ReadOptions& options) {
  auto image = openImage(input, options);
  if (image) {
    ADD_FAILURE() << "opening " << input << " succeeded but should have failed";
    return {};
  }
  return image.error().message;
}

Image openOk(const std::string& input, const ReadOptions& options) {
  auto image = openImage(input, options);
  if (!image) throw std::runtime_error("opening " + input + " failed: " + image.error().message);
  return std::move(*image);
}

std::string blobHex(const std::string& bytes) { return Sha256::hex(bytes); }

bool hasWarning(const Image& image, std::string_view needle) {
  for (const auto& w : image.warnings) {
    if (w.find(needle) != std::string::npos) return true;
  }
  return false;
}

std::string describeView(const FileSystemView& view) {
  std::string out;
  for (const auto& [path, n] : view.nodes()) {
    out += fmt::format("{} {} {:o} {}:{} size={} mtime={} link={} layer={}\n", path,
                       entryTypeName(n.type), n.mode, n.uid, n.gid, n.size, n.mtime, n.linkTarget,
                       n.layer);
  }
  return out;
}

tb::TarEntry special(std::string path, tb::TarEntry::Kind kind) {
  tb::TarEntry e;
  e.path = std::move(path);
  e.kind = kind;
  e.mode = 0600;
  return e;
}

// Peak resident set of this process, in bytes.
uint64_t peakRss() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<uint64_t>(usage.ru_maxrss) * 1024;
}

// A gzip-compressed tar holding one file of `bytes` zeros, made in a streaming fashion:
// libarchive writes the tar into zlib, and only the compressed bytes are kept.
struct StreamedLayer {
  std::string gzip;
  std::string diffId;
};

StreamedLayer zeroBombLayer(uint64_t bytes) {
  struct Sink {
    z_stream z{};
    std::string out;
    Sha256 hash;
    void deflateSome(const void* data, size_t size, int flush) {
      z.next_in = static_cast<Bytef*>(const_cast<void*>(data));
      z.avail_in = static_cast<uInt>(size);
      char chunk[64 * 1024];
      do {
        z.next_out = reinterpret_cast<Bytef*>(chunk);
        z.avail_out = sizeof chunk;
        if (deflate(&z, flush) == Z_STREAM_ERROR) throw std::runtime_error("deflate failed");
        out.append(chunk, sizeof chunk - z.avail_out);
      } while (z.avail_in > 0 || z.avail_out == 0);
    }
  } sink;
  deflateInit2(&sink.z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  auto write = [](archive*, void* context, const void* buffer, size_t length) -> la_ssize_t {
    auto* s = static_cast<Sink*>(context);
    s->hash.update(buffer, length);
    s->deflateSome(buffer, length, Z_NO_FLUSH);
    return static_cast<la_ssize_t>(length);
  };
  archive_write_open(a, &sink, nullptr, write, nullptr);
  archive_entry* entry = archive_entry_new();
  archive_entry_set_pathname(entry, "zeros");
  archive_entry_set_filetype(entry, AE_IFREG);
  archive_entry_set_perm(entry, 0644);
  archive_entry_set_size(entry, static_cast<la_int64_t>(bytes));
  archive_write_header(a, entry);
  archive_entry_free(entry);
  const std::vector<char> zeros(1u << 20, '\0');
  for (uint64_t left = bytes; left > 0;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(left, zeros.size()));
    if (archive_write_data(a, zeros.data(), n) != static_cast<la_ssize_t>(n)) {
      throw std::runtime_error("archive_write_data failed");
    }
    left -= n;
  }
  archive_write_close(a);
  archive_write_free(a);
  sink.deflateSome(nullptr, 0, Z_FINISH);
  deflateEnd(&sink.z);
  return {std::move(sink.out), "sha256:" + sink.hash.finishHex()};
}

// =========================================================================================
// Tar entries that try to leave the root
// =========================================================================================

TEST(HostileTar, DotDotEntryEscapesTheRoot) {
  const Scratch s = makeScratch();
  const std::string tar = tb::makeTar({tb::file("etc/hostname", "box\n"), tb::file("../etc/passwd", "root::0:0::/:/bin/sh\n")});
  const std::string layout = layoutOf(s, {tar});
  NothingWrittenOutside guard(s, {"../etc/passwd", "etc/passwd"});
  const std::string error = openError(layout, optionsFor(s));
  EXPECT_NE(error.find("entry '../etc/passwd' escapes the image root"), std::string::npos) << error;
  EXPECT_NE(error.find("layer 1"), std::string::npos) << error;
  EXPECT_NE(error.find(layout), std::string::npos) << error;
  EXPECT_NE(error.find(tb::sha256Digest(tb::gzipBytes(tar))), std::string::npos) << error;
  guard.check();
}

TEST(HostileTar, InnerDotDotEntryEscapesTheRoot) {
  const Scratch s = makeScratch();
  const std::string layout = layoutOf(s, {tb::makeTar({tb::dir("a"), tb::file("a/../../x", "x")})});
  NothingWrittenOutside guard(s, {"../x", "x"});
  const std::string error = openError(layout, optionsFor(s));
  EXPECT_NE(error.find("entry 'a/../../x' escapes the image root"), std::string::npos) << error;
  EXPECT_NE(error.find("layer 1"), std::string::npos) << error;
  guard.check();
}

TEST(HostileTar, AbsoluteEntryIsRejected) {
  const Scratch s = makeScratch();
  const std::string layout = layoutOf(s, {tb::makeTar({tb::file("/etc/passwd", "root::0:0::/:/bin/sh\n")})});
  NothingWrittenOutside guard(s, {"etc/passwd"});
  const std::string error = openError(layout, optionsFor(s));
  EXPECT_NE(error.find("entry '/etc/passwd' has an absolute path"), std::string::npos) << error;
  EXPECT_NE(error.find("layer 1"), std::string::npos) << error;
  EXPECT_NE(error.find(layout), std::string::npos) << error;
  guard.check();
}

TEST(HostileTar, HardlinkOutsideTheRootIsRejected) {
  const Scratch s = makeScratch();
  const std::string layout = layoutOf(
      s, {tb::makeTar({tb::dir("etc"), tb::hardlink("etc/shadow-copy", "../../etc/shadow")})});
  NothingWrittenOutside guard(s, {"etc/shadow-copy", "../../etc/shadow-copy"});
  const std::string error = openError(layout, optionsFor(s));
  EXPECT_NE(error.find("hardlink 'etc/shadow-copy' points outside the image root ('../../etc/shadow')"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("layer 1"), std::string::npos) << error;
  guard.check();
}

TEST(HostileTar, AbsoluteHardlinkIsRejected) {
  const Scratch s = makeScratch();
  const std::string layout =
      layoutOf(s, {tb::makeTar({tb::dir("etc"), tb::hardlink("etc/shadow-copy", "/etc/shadow")})});
  const std::string error = openError(layout, optionsFor(s));
  EXPECT_NE(error.find("hardlink 'etc/shadow-copy' points outside the image root"), std::string::npos)
      << error;
}

TEST(HostileTar, EscapingSymlinkIsResolvedInsideTheRoot) {
  const Scratch s = makeScratch();
  const std::string layout = layoutOf(
      s, {tb::makeTar({tb::dir("etc"), tb::file("etc/shadow", "image-shadow\n", 0640),
                       tb::symlink("etc/evil", "../../../../etc/shadow"),
                       tb::symlink("etc/absolute", "/etc/shadow"),
                       tb::symlink("etc/host-only", "../../../../etc/hostname"),
                       tb::symlink("evil-dir", "../../../../etc")})});
  NothingWrittenOutside guard(s, {"etc/evil", "etc/shadow", "evil-dir"});
  const Image image = openOk(layout, optionsFor(s));

  EXPECT_TRUE(hasWarning(image, "layer 1: symlink 'etc/evil' -> '../../../../etc/shadow' climbs "
                                "above the image root"))
      << ::testing::PrintToString(image.warnings);
  const FileNode* link = image.fs.find("etc/evil");
  ASSERT_NE(link, nullptr);
  EXPECT_EQ(link->type, EntryType::kSymlink);
  EXPECT_EQ(link->linkTarget, "../../../../etc/shadow");

  auto resolved = image.fs.resolve("etc/evil");
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(*resolved, "etc/shadow");
  auto viaDir = image.fs.resolve("evil-dir/shadow");
  ASSERT_TRUE(viaDir) << viaDir.error().message;
  EXPECT_EQ(*viaDir, "etc/shadow");

  // The image's own file, never the host's.
  for (const char* path : {"etc/evil", "etc/absolute", "evil-dir/shadow", "/etc/evil"}) {
    auto text = image.readFile(path);
    ASSERT_TRUE(text) << path << ": " << text.error().message;
    EXPECT_EQ(*text, "image-shadow\n") << path;
  }
  // A link to a file only the host has is a missing file, not the host's contents.
  auto hostOnly = image.readFile("etc/host-only");
  ASSERT_FALSE(hostOnly);
  EXPECT_NE(hostOnly.error().message.find("no file /etc/hostname"), std::string::npos)
      << hostOnly.error().message;
  guard.check();
}

TEST(HostileTar, CharDeviceIsRecordedNeverCreated) {
  const Scratch s = makeScratch();
  const std::string layout = layoutOf(
      s, {tb::makeTar({tb::dir("dev"), special("dev/mem", tb::TarEntry::Kind::kCharDevice),
                       special("mem", tb::TarEntry::Kind::kCharDevice)})});
  NothingWrittenOutside guard(s, {"dev/mem", "mem"});
  const Image image = openOk(layout, optionsFor(s));
  for (const char* path : {"dev/mem", "mem"}) {
    const FileNode* node = image.fs.find(path);
    ASSERT_NE(node, nullptr) << path;
    EXPECT_EQ(node->type, EntryType::kCharDevice) << path;
    EXPECT_EQ(node->mode, 0600u) << path;
    EXPECT_EQ(node->size, 0u) << path;
  }
  auto read = image.readFile("dev/mem");
  ASSERT_FALSE(read);
  EXPECT_NE(read.error().message.find("/dev/mem is a chardev, not a regular file"), std::string::npos)
      << read.error().message;
  guard.check();
}

TEST(HostileTar, FifoIsRecordedNeverCreated) {
  const Scratch s = makeScratch();
  const std::string layout = layoutOf(
      s, {tb::makeTar({tb::dir("run"), special("run/pipe", tb::TarEntry::Kind::kFifo),
                       special("pipe", tb::TarEntry::Kind::kFifo)})});
  NothingWrittenOutside guard(s, {"run/pipe", "pipe"});
  const Image image = openOk(layout, optionsFor(s));
  for (const char* path : {"run/pipe", "pipe"}) {
    const FileNode* node = image.fs.find(path);
    ASSERT_NE(node, nullptr) << path;
    EXPECT_EQ(node->type, EntryType::kFifo) << path;
  }
  auto read = image.readFile("run/pipe");
  ASSERT_FALSE(read);
  EXPECT_NE(read.error().message.find("is a fifo, not a regular file"), std::string::npos)
      << read.error().message;
  guard.check();
}

// The view says the last entry wins, so the contents read must be the last entry's too:
// both for a file captured while streaming (etc/passwd) and one read on demand.
TEST(HostileTar, DuplicateEntriesLastContentWins) {
  const Scratch s = makeScratch();
  const std::string layout = layoutOf(
      s, {tb::makeTar({tb::dir("etc"), tb::dir("app"), tb::file("etc/passwd", "first-passwd\n"),
                       tb::file("app/config", "first-config\n"), tb::file("etc/passwd", "second-passwd\n"),
                       tb::file("app/config", "second-config\n", 0600)})});
  const Image image = openOk(layout, optionsFor(s));
  EXPECT_TRUE(hasWarning(image, "duplicate entry 'app/config' in one layer; the last one wins"))
      << ::testing::PrintToString(image.warnings);
  EXPECT_TRUE(hasWarning(image, "duplicate entry 'etc/passwd' in one layer"));
  const FileNode* node = image.fs.find("app/config");
  ASSERT_NE(node, nullptr);
  EXPECT_EQ(node->size, std::string("second-config\n").size());
  EXPECT_EQ(node->mode, 0600u);

  auto passwd = image.readFile("etc/passwd");
  ASSERT_TRUE(passwd) << passwd.error().message;
  EXPECT_EQ(*passwd, "second-passwd\n");
  auto config = image.readFile("app/config");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(*config, "second-config\n") << "readFile returned another entry than the view shows";
}

// =========================================================================================
// Whiteouts
// =========================================================================================

TEST(Whiteouts, FileWhiteoutRemovesTheLowerFile) {
  const Scratch s = makeScratch();
  const std::string layout = layoutOf(
      s, {tb::makeTar({tb::dir("etc"), tb::file("etc/a", "a"), tb::file("etc/b", "b")}),
          tb::makeTar({tb::file("etc/.wh.a", "")})});
  const Image image = openOk(layout, optionsFor(s));
  EXPECT_EQ(image.fs.find("etc/a"), nullptr);
  EXPECT_EQ(image.fs.find("etc/.wh.a"), nullptr) << "the whiteout marker itself is not a file";
  ASSERT_NE(image.fs.find("etc/b"), nullptr);
  ASSERT_NE(image.fs.find("etc"), nullptr);
  EXPECT_FALSE(image.readFile("etc/a"));
  auto b = image.readFile("etc/b");
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(*b, "b");
}

TEST(Whiteouts, OpaqueDirectoryHidesLowerContentsKeepsTheLayersOwn) {
  const Scratch s = makeScratch();
  // The marker comes after (d/new) and before (d/newer) the layer's own files: order
  // within the layer must not matter.
  const std::string layout = layoutOf(
      s, {tb::makeTar({tb::dir("d"), tb::file("d/old", "old"), tb::dir("d/sub"), tb::file("d/sub/x", "x"),
                       tb::file("keep", "keep")}),
          tb::makeTar({tb::dir("d"), tb::file("d/new", "new"), tb::file("d/.wh..wh..opq", ""),
                       tb::file("d/newer", "newer")})});
  const Image image = openOk(layout, optionsFor(s));
  EXPECT_EQ(image.fs.find("d/old"), nullptr);
  EXPECT_EQ(image.fs.find("d/sub"), nullptr);
  EXPECT_EQ(image.fs.find("d/sub/x"), nullptr);
  EXPECT_EQ(image.fs.find("d/.wh..wh..opq"), nullptr);
  ASSERT_NE(image.fs.find("d"), nullptr);
  EXPECT_EQ(image.fs.find("d")->type, EntryType::kDirectory);
  ASSERT_NE(image.fs.find("keep"), nullptr);
  for (const char* path : {"d/new", "d/newer"}) {
    const FileNode* node = image.fs.find(path);
    ASSERT_NE(node, nullptr) << path;
    EXPECT_EQ(node->layer, 1) << path;
  }
  auto newer = image.readFile("d/newer");
  ASSERT_TRUE(newer) << newer.error().message;
  EXPECT_EQ(*newer, "newer");
}

TEST(Whiteouts, DirectoryWhiteoutRemovesTheSubtree) {
  const Scratch s = makeScratch();
  const std::string layout = layoutOf(
      s, {tb::makeTar({tb::dir("usr"), tb::dir("usr/share"), tb::dir("usr/share/doc"),
                       tb::file("usr/share/doc/a", "a"), tb::dir("usr/share/doc/b"),
                       tb::file("usr/share/doc/b/c", "c"), tb::symlink("usr/share/doc/l", "a"),
                       tb::dir("usr/share/docs"), tb::file("usr/share/docs/kept", "kept"),
                       tb::file("usr/share/doc-kept", "kept")}),
          tb::makeTar({tb::dir("usr"), tb::dir("usr/share"), tb::file("usr/share/.wh.doc", "")})});
  const Image image = openOk(layout, optionsFor(s));
  for (const char* gone : {"usr/share/doc", "usr/share/doc/a", "usr/share/doc/b", "usr/share/doc/b/c",
                           "usr/share/doc/l"}) {
    EXPECT_EQ(image.fs.find(gone), nullptr) << gone;
  }
  // Siblings that merely share the prefix stay.
  for (const char* kept : {"usr/share", "usr/share/docs", "usr/share/docs/kept", "usr/share/doc-kept"}) {
    EXPECT_NE(image.fs.find(kept), nullptr) << kept;
  }
}

TEST(Whiteouts, MalformedWhiteoutNamesAreErrors) {
  // Long directory names put the entry's name on the heap (no small-string buffer).
  const std::string longDir = "a-directory-name-longer-than-the-small-string-buffer";
  for (const std::string& name : {std::string(".wh."), std::string("etc/.wh."), std::string("etc/.wh.."),
                                  std::string("etc/.wh..."), longDir + "/.wh.", longDir + "/.wh..",
                                  longDir + "/.wh..."}) {
    SCOPED_TRACE(name);
    const Scratch s = makeScratch();
    const std::string layout = layoutOf(s, {tb::makeTar({tb::dir("etc"), tb::file("etc/a", "a")}),
                                            tb::makeTar({tb::file(name, "")})});
    const std::string error = openError(layout, optionsFor(s));
    EXPECT_NE(error.find("malformed whiteout '" + name + "'"), std::string::npos) << error;
    EXPECT_NE(error.find("layer 2"), std::string::npos) << error;
  }
}

// =========================================================================================
// Compression
// =========================================================================================

std::string sampleTar() {
  std::string big;
  for (int i = 0; i < 4000; ++i) big += fmt::format("line {} of a compressible file\n", i);
  return tb::makeTar({tb::dir("etc"), tb::file("etc/os-release", "ID=hostile\nVERSION_ID=1\n"),
                      tb::dir("srv"), tb::file("srv/big.txt", big), tb::file("srv/small", "small\n")});
}

// Random (incompressible) contents make deflate emit stored blocks, so a flipped byte in
// the middle changes the output without breaking the deflate syntax: only the CRC sees it.
std::string randomTar() {
  std::string data(200 * 1024, '\0');
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (char& c : data) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x);
  }
  return tb::makeTar({tb::file("random.bin", data)});
}

TEST(Compression, TruncatedGzipLayer) {
  const Scratch s = makeScratch();
  const std::string tar = sampleTar();
  const std::string gz = tb::gzipBytes(tar);
  RawLayer layer{gz.substr(0, gz.size() / 2), tb::sha256Digest(tar)};
  const std::string layout = layoutOfRaw(s, {layer});
  const std::string error = openError(layout, optionsFor(s));
  EXPECT_NE(error.find("truncated gzip stream"), std::string::npos) << error;
  EXPECT_NE(error.find("layer 1 (" + tb::sha256Digest(layer.blob) + ")"), std::string::npos) << error;
  EXPECT_NE(error.find(layout), std::string::npos) << error;
  expectOnlyCacheFiles(s.cache);
}

TEST(Compression, CorruptGzipLayer) {
  const Scratch s = makeScratch();
  const std::string tar = randomTar();
  std::string gz = tb::gzipBytes(tar);
  gz[gz.size() / 2] = static_cast<char>(gz[gz.size() / 2] ^ 0x55);
  RawLayer layer{gz, tb::sha256Digest(tar)};
  const std::string layout = layoutOfRaw(s, {layer});
  const std::string error = openError(layout, optionsFor(s));
  EXPECT_NE(error.find("gzip checksum mismatch"), std::string::npos) << error;
  EXPECT_NE(error.find("layer 1 (" + tb::sha256Digest(gz) + ")"), std::string::npos) << error;
}

TEST(Compression, CorruptDeflateDataInGzipLayer) {
  const Scratch s = makeScratch();
  const std::string tar = sampleTar();
  std::string gz = tb::gzipBytes(tar);
  for (size_t i = gz.size() / 2; i < gz.size() / 2 + 16; ++i) gz[i] = '\xff';
  const std::string layout = layoutOfRaw(s, {RawLayer{gz, tb::sha256Digest(tar)}});
  const std::string error = openError(layout, optionsFor(s));
  EXPECT_TRUE(error.find("invalid deflate") != std::string::npos ||
              error.find("invalid back-reference") != std::string::npos ||
              error.find("gzip checksum mismatch") != std::string::npos ||
              error.find("corrupt gzip data") != std::string::npos)
      << error;
  EXPECT_NE(error.find("layer 1"), std::string::npos) << error;
}

TEST(Compression, ConcatenatedGzipMembersWork) {
  const Scratch s = makeScratch();
  const std::string tar = sampleTar();
  const size_t cut = tar.size() / 3;
  const std::string gz = tb::gzipBytes(tar.substr(0, cut)) + tb::gzipBytes(tar.substr(cut, cut)) +
                         tb::gzipBytes("") + tb::gzipBytes(tar.substr(2 * cut));
  const std::string layout = layoutOfRaw(s, {RawLayer{gz, tb::sha256Digest(tar)}});
  const Image image = openOk(layout, optionsFor(s));
  ASSERT_EQ(image.layers.size(), 1u);
  EXPECT_EQ(image.layers[0].compression, Compression::kGzip);
  EXPECT_EQ(image.layers[0].uncompressedBytes, tar.size());
  EXPECT_EQ(image.os.id, "hostile");
  auto small = image.readFile("srv/small");  // not captured: streamed again on demand
  ASSERT_TRUE(small) << small.error().message;
  EXPECT_EQ(*small, "small\n");
}

TEST(Compression, TruncatedZstdLayer) {
  const Scratch s = makeScratch();
  const std::string tar = sampleTar();
  const std::string zst = tb::zstdBytes(tar);
  RawLayer layer{zst.substr(0, zst.size() / 2), tb::sha256Digest(tar), std::string(kZstdLayer)};
  const std::string layout = layoutOfRaw(s, {layer});
  const std::string error = openError(layout, optionsFor(s));
  EXPECT_NE(error.find("truncated zstd stream"), std::string::npos) << error;
  EXPECT_NE(error.find("layer 1 (" + tb::sha256Digest(layer.blob) + ")"), std::string::npos) << error;
}

TEST(Compression, CorruptZstdLayer) {
  const Scratch s = makeScratch();
  const std::string tar = sampleTar();
  std::string zst = tb::zstdBytes(tar);
  // Past the frame header: garbage where the first block header and its data are.
  for (size_t i = 6; i < 30 && i < zst.size(); ++i) zst[i] = '\xff';
  const std::string layout = layoutOfRaw(s, {RawLayer{zst, tb::sha256Digest(tar), std::string(kZstdLayer)}});
  const std::string error = openError(layout, optionsFor(s));
  EXPECT_NE(error.find("corrupt zstd data"), std::string::npos) << error;
  EXPECT_NE(error.find("layer 1"), std::string::npos) << error;
}

TEST(Compression, ZstdLayerWorks) {
  const Scratch s = makeScratch();
  const std::string layout = layoutOf(s, {sampleTar()}, "zstd");
  const Image image = openOk(layout, optionsFor(s));
  ASSERT_EQ(image.layers.size(), 1u);
  EXPECT_EQ(image.layers[0].compression, Compression::kZstd);
  EXPECT_EQ(image.os.id, "hostile");
  auto small = image.readFile("srv/small");
  ASSERT_TRUE(small) << small.error().message;
  EXPECT_EQ(*small, "small\n");
}

TEST(Compression, UncompressedLayerWorks) {
  const Scratch s = makeScratch();
  const std::string tar = sampleTar();
  const std::string layout = layoutOf(s, {tar}, "none");
  const Image image = openOk(layout, optionsFor(s));
  ASSERT_EQ(image.layers.size(), 1u);
  EXPECT_EQ(image.layers[0].compression, Compression::kNone);
  EXPECT_EQ(image.layers[0].compressedBytes, tar.size());
  EXPECT_EQ(image.layers[0].uncompressedBytes, tar.size());
  EXPECT_EQ(image.layers[0].blobDigest, image.layers[0].diffId);
  EXPECT_EQ(image.os.id, "hostile");
  auto small = image.readFile("srv/small");
  ASSERT_TRUE(small) << small.error().message;
  EXPECT_EQ(*small, "small\n");
}

TEST(Compression, XzLayerIsNotSupported) {
  const Scratch s = makeScratch();
  const std::string xz = std::string("\xfd" "7zXZ", 5) + std::string(1, '\0') + std::string(64, 'x');
  const std::string layout = layoutOfRaw(
      s, {RawLayer{xz, tb::sha256Digest("whatever"), "application/vnd.oci.image.layer.v1.tar+xz"}});
  const std::string error = openError(layout, optionsFor(s));
  EXPECT_NE(error.find("xz-compressed layers are not supported"), std::string::npos) << error;
  EXPECT_NE(error.find("layer 1 (" + tb::sha256Digest(xz) + ")"), std::string::npos) << error;
}

TEST(Compression, Bzip2LayerIsNotSupported) {
  const Scratch s = makeScratch();
  const std::string bz = "BZh91AY&SY" + std::string(64, 'x');
  const std::string layout = layoutOfRaw(s, {RawLayer{bz, tb::sha256Digest("whatever"), std::string(kTarLayer)}});
  const std::string error = openError(layout, optionsFor(s));
  EXPECT_NE(error.find("bzip2-compressed layers are not supported"), std::string::npos) << error;
}

// =========================================================================================
// Decompression bombs: 300 MiB of zeros in a ~300 KiB layer
// =========================================================================================

constexpr uint64_t kBombBytes = 300ull << 20;
constexpr uint64_t kMaxRssGrowth = 200ull << 20;

TEST(DecompressionBomb, SizeLimit) {
  const Scratch s = makeScratch();
  const StreamedLayer bomb = zeroBombLayer(kBombBytes);
  ASSERT_LT(bomb.gzip.size(), 1u << 20);
  const std::string layout = layoutOfRaw(s, {RawLayer{bomb.gzip, bomb.diffId}});
  ReadOptions options = optionsFor(s);
  options.limits.maxBytes = 64ull << 20;
  options.limits.maxRatio = 0;
  const uint64_t before = peakRss();
  const std::string error = openError(layout, options);
  const uint64_t growth = peakRss() - before;
  EXPECT_NE(error.find("decompressed size exceeds the limit of 67108864 bytes"), std::string::npos) << error;
  EXPECT_NE(error.find("layer 1 (" + tb::sha256Digest(bomb.gzip) + ")"), std::string::npos) << error;
  EXPECT_LT(growth, kMaxRssGrowth) << "peak RSS grew by " << (growth >> 20) << " MiB";
  expectOnlyCacheFiles(s.cache);
}

TEST(DecompressionBomb, RatioLimit) {
  const Scratch s = makeScratch();
  const StreamedLayer bomb = zeroBombLayer(kBombBytes);
  const std::string layout = layoutOfRaw(s, {RawLayer{bomb.gzip, bomb.diffId}});
  ReadOptions options = optionsFor(s);
  options.limits.maxRatio = 10;
  options.limits.ratioGraceBytes = 1u << 20;
  const uint64_t before = peakRss();
  const std::string error = openError(layout, options);
  const uint64_t growth = peakRss() - before;
  EXPECT_NE(error.find("decompression ratio above 10:1"), std::string::npos) << error;
  EXPECT_NE(error.find("layer 1"), std::string::npos) << error;
  EXPECT_LT(growth, kMaxRssGrowth) << "peak RSS grew by " << (growth >> 20) << " MiB";
}

TEST(DecompressionBomb, DefaultLimitsStopIt) {
  const Scratch s = makeScratch();
  const StreamedLayer bomb = zeroBombLayer(kBombBytes);
  const std::string layout = layoutOfRaw(s, {RawLayer{bomb.gzip, bomb.diffId}});
  const uint64_t before = peakRss();
  const std::string error = openError(layout, optionsFor(s));
  const uint64_t growth = peakRss() - before;
  EXPECT_NE(error.find("decompression ratio above 200:1"), std::string::npos) << error;
  EXPECT_LT(growth, kMaxRssGrowth) << "peak RSS grew by " << (growth >> 20) << " MiB";
}

// =========================================================================================
// JSON documents
// =========================================================================================

TEST(HostileJson, HugeIndexJson) {
  const Scratch s = makeScratch();
  LayoutBuilder b(s.layout);
  json index = {{"schemaVersion", 2},
                {"manifests", json::array({b.image({tb::makeTar({tb::file("a", "a")})})})},
                {"annotations", {{"padding", std::string(5u << 20, 'x')}}}};
  writeFile(s.layout + "/index.json", index.dump());
  const std::string error = openError(s.layout, optionsFor(s));
  EXPECT_NE(error.find(s.layout + " index.json"), std::string::npos) << error;
  EXPECT_NE(error.find("limit of 4194304 bytes"), std::string::npos) << error;
}

TEST(HostileJson, DeeplyNestedIndexJson) {
  const Scratch s = makeScratch();
  LayoutBuilder b(s.layout);
  const std::string nested =
      R"({"schemaVersion":2,"manifests":[],"x":)" + std::string(10000, '[') + std::string(10000, ']') + "}";
  writeFile(s.layout + "/index.json", nested);
  const std::string error = openError(s.layout, optionsFor(s));
  EXPECT_NE(error.find("JSON nesting deeper than"), std::string::npos) << error;
  EXPECT_NE(error.find(s.layout), std::string::npos) << error;
}

TEST(HostileJson, DeeplyNestedManifest) {
  const Scratch s = makeScratch();
  LayoutBuilder b(s.layout);
  const std::string nested = R"({"schemaVersion":2,"x":)" + std::string(10000, '{') + std::string(10000, '}') + "}";
  const std::string digest = b.putBlob(nested);
  b.writeIndexJson({{{"mediaType", std::string(media::kOciManifest)}, {"digest", digest}, {"size", nested.size()}}});
  const std::string error = openError(s.layout, optionsFor(s));
  EXPECT_NE(error.find("JSON nesting deeper than"), std::string::npos) << error;
}

TEST(HostileJson, ManifestSchemaVersion1) {
  const Scratch s = makeScratch();
  LayoutBuilder b(s.layout);
  json manifest = json::parse(readBytes(
      b.blobPath(b.image({tb::makeTar({tb::file("a", "a")})})["digest"].get<std::string>())));
  manifest["schemaVersion"] = 1;
  const std::string bytes = manifest.dump();
  b.writeIndexJson({{{"mediaType", std::string(media::kOciManifest)}, {"digest", b.putBlob(bytes)}, {"size", bytes.size()}}});
  const std::string error = openError(s.layout, optionsFor(s));
  EXPECT_NE(error.find("unsupported manifest schemaVersion 1 (only 2 is supported)"), std::string::npos)
      << error;
  EXPECT_NE(error.find(s.layout), std::string::npos) << error;
}

TEST(HostileJson, DockerSchema1Manifest) {
  const Scratch s = makeScratch();
  LayoutBuilder b(s.layout);
  const std::string v1 = R"({"schemaVersion":1,"name":"x","tag":"latest","fsLayers":[],"history":[]})";
  const std::string type = "application/vnd.docker.distribution.manifest.v1+prettyjws";
  b.writeIndexJson({{{"mediaType", type}, {"digest", b.putBlob(v1)}, {"size", v1.size()}}});
  const std::string error = openError(s.layout, optionsFor(s));
  EXPECT_NE(error.find("unsupported media type '" + type + "'"), std::string::npos) << error;
}

json wrongTypesConfig(const std::vector<std::string>& diffIds) {
  return {{"architecture", 5},
          {"os", json::array()},
          {"variant", 1.5},
          {"created", json::object()},
          {"author", true},
          {"config",
           {{"User", 0},
            {"WorkingDir", false},
            {"StopSignal", 9},
            {"Env", 42},
            {"Entrypoint", {{"a", 1}}},
            {"Cmd", json::array({1, nullptr, json::object()})},
            {"ExposedPorts", json::array({80, 443})},
            {"Volumes", "data"},
            {"Labels", json::array({"a=b"})},
            {"Healthcheck", {{"Test", 7}, {"Interval", "5s"}, {"Timeout", -5}, {"Retries", "x"}}}}},
          {"history", json::array({1, "x", {{"created", 5}, {"created_by", json::array()}, {"empty_layer", "yes"}}})},
          {"rootfs", {{"type", 1}, {"diff_ids", diffIds}}}};
}

TEST(HostileJson, ConfigWithWrongTypesParsesWithDefaults) {
  auto parsed = parseConfig(wrongTypesConfig({}).dump(), "config");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->architecture, "");
  EXPECT_EQ(parsed->os, "");
  EXPECT_EQ(parsed->user, "");
  EXPECT_TRUE(parsed->env.empty());
  EXPECT_TRUE(parsed->entrypoint.empty());
  EXPECT_TRUE(parsed->cmd.empty());
  EXPECT_TRUE(parsed->exposedPorts.empty());
  EXPECT_TRUE(parsed->labels.empty());
  ASSERT_TRUE(parsed->healthcheck.has_value());
  EXPECT_TRUE(parsed->healthcheck->test.empty());
  EXPECT_EQ(parsed->healthcheck->timeoutNs, 0);
  EXPECT_EQ(parsed->history.size(), 3u);

  json allWrong = wrongTypesConfig({});
  allWrong["config"] = "not an object";
  allWrong["history"] = {{"k", "v"}};
  allWrong["rootfs"] = 17;
  auto parsed2 = parseConfig(allWrong.dump(), "config");
  ASSERT_TRUE(parsed2) << parsed2.error().message;
  EXPECT_TRUE(parsed2->diffIds.empty());

  // A diff_id of the wrong type is an error (the layers could not be verified), not a throw.
  json badIds = wrongTypesConfig({});
  badIds["rootfs"]["diff_ids"] = json::array({5});
  auto parsed3 = parseConfig(badIds.dump(), "config sha256:x");
  ASSERT_FALSE(parsed3);
  EXPECT_NE(parsed3.error().message.find("config sha256:x: rootfs.diff_ids"), std::string::npos)
      << parsed3.error().message;
}

TEST(HostileJson, ImageWithWrongTypesInConfigOpens) {
  const Scratch s = makeScratch();
  LayoutBuilder b(s.layout);
  const std::string tar = tb::makeTar({tb::file("a", "a")});
  const std::string config = wrongTypesConfig({tb::sha256Digest(tar)}).dump();
  b.writeIndexJson({rawImage(b, {gzipLayer(tar)}, config)});
  const Image image = openOk(s.layout, optionsFor(s));
  EXPECT_EQ(image.resolved.config.architecture, "");
  EXPECT_EQ(image.resolved.config.user, "");
  ASSERT_NE(image.fs.find("a"), nullptr);
}

// =========================================================================================
// Blobs that are missing or do not match their descriptors
// =========================================================================================

TEST(HostileBlobs, MissingLayerBlob) {
  const Scratch s = makeScratch();
  const std::string tar = tb::makeTar({tb::file("a", "a")});
  const RawLayer layer = gzipLayer(tar);
  const std::string layout = layoutOfRaw(s, {layer});
  const std::string digest = tb::sha256Digest(layer.blob);
  stdfs::remove(LayoutBuilder(s.layout).blobPath(digest));
  const std::string error = openError(layout, optionsFor(s));
  EXPECT_NE(error.find("blob " + digest + " is missing"), std::string::npos) << error;
  EXPECT_NE(error.find(layout), std::string::npos) << error;
}

TEST(HostileBlobs, ChangedUncompressedLayerBlob) {
  const Scratch s = makeScratch();
  const std::string tar = tb::makeTar({tb::file("etc/motd", "hello, world\n")});
  const std::string layout = layoutOf(s, {tar}, "none");
  const std::string digest = tb::sha256Digest(tar);
  std::string changed = tar;
  const size_t at = changed.find("hello, world");
  ASSERT_NE(at, std::string::npos);
  changed[at] = 'j';  // same size, different bytes
  writeFile(LayoutBuilder(s.layout).blobPath(digest), changed);
  const std::string error = openError(layout, optionsFor(s));
  EXPECT_NE(error.find("layer 1 (" + digest + ") blob: digest mismatch: expected " + digest),
            std::string::npos)
      << error;
  EXPECT_NE(error.find(tb::sha256Digest(changed)), std::string::npos) << error;
}

TEST(HostileBlobs, ChangedGzipLayerBlob) {
  const Scratch s = makeScratch();
  const std::string tar = tb::makeTar({tb::file("etc/motd", "hello, world\n")});
  const RawLayer layer = gzipLayer(tar);
  const std::string layout = layoutOfRaw(s, {layer});
  const std::string digest = tb::sha256Digest(layer.blob);
  std::string changed = layer.blob;
  changed[4] = static_cast<char>(changed[4] ^ 0x01);  // the gzip header's MTIME: still valid gzip
  writeFile(LayoutBuilder(s.layout).blobPath(digest), changed);
  const std::string error = openError(layout, optionsFor(s));
  EXPECT_NE(error.find("layer 1 (" + digest + ") blob: digest mismatch"), std::string::npos) << error;
}

TEST(HostileBlobs, TamperedConfig) {
  const Scratch s = makeScratch();
  LayoutBuilder b(s.layout);
  const std::string tar = tb::makeTar({tb::file("a", "a")});
  const std::string config = configFor({tb::sha256Digest(tar)}).dump();
  b.writeIndexJson({rawImage(b, {gzipLayer(tar)}, config)});
  const std::string digest = tb::sha256Digest(config);
  std::string tampered = config;
  tampered.replace(tampered.find("amd64"), 5, "arm64");
  writeFile(b.blobPath(digest), tampered);
  const std::string error = openError(s.layout, optionsFor(s));
  EXPECT_NE(error.find("config " + digest + ": digest mismatch: expected " + digest), std::string::npos)
      << error;
}

TEST(HostileBlobs, DescriptorSizeSmallerThanTheBlob) {
  const Scratch s = makeScratch();
  const std::string tar = tb::makeTar({tb::file("a", "a")});
  RawLayer layer = gzipLayer(tar);
  layer.size = static_cast<int64_t>(layer.blob.size()) - 10;
  const std::string layout = layoutOfRaw(s, {layer});
  const std::string error = openError(layout, optionsFor(s));
  EXPECT_NE(error.find(fmt::format("blob: larger than the {} bytes its descriptor says", *layer.size)),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("layer 1 (" + tb::sha256Digest(layer.blob) + ")"), std::string::npos) << error;
}

TEST(HostileBlobs, DescriptorSizeLargerThanTheBlob) {
  const Scratch s = makeScratch();
  const std::string tar = tb::makeTar({tb::file("a", "a")});
  RawLayer layer = gzipLayer(tar);
  layer.size = static_cast<int64_t>(layer.blob.size()) + 10;
  const std::string layout = layoutOfRaw(s, {layer});
  const std::string error = openError(layout, optionsFor(s));
  EXPECT_NE(error.find(fmt::format("blob: truncated: {} bytes, but its descriptor says {}",
                                   layer.blob.size(), *layer.size)),
            std::string::npos)
      << error;
}

TEST(HostileBlobs, WrongDiffId) {
  const Scratch s = makeScratch();
  const std::string tar = tb::makeTar({tb::file("a", "a")});
  RawLayer layer = gzipLayer(tar);
  layer.diffId = tb::sha256Digest("some other layer");
  const std::string layout = layoutOfRaw(s, {layer});
  const std::string error = openError(layout, optionsFor(s));
  EXPECT_NE(error.find("(uncompressed, diff_id): digest mismatch: expected " + layer.diffId),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("layer 1"), std::string::npos) << error;
  expectOnlyCacheFiles(s.cache);
  EXPECT_TRUE(tree(s.cache + "/layers").empty()) << "a layer that failed verification was cached";
}

TEST(HostileBlobs, LayerCountDiffersFromDiffIds) {
  const Scratch s = makeScratch();
  LayoutBuilder b(s.layout);
  const std::string tar1 = tb::makeTar({tb::file("a", "a")});
  const std::string tar2 = tb::makeTar({tb::file("b", "b")});
  b.writeIndexJson({rawImage(b, {gzipLayer(tar1), gzipLayer(tar2)}, configFor({tb::sha256Digest(tar1)}).dump())});
  const std::string error = openError(s.layout, optionsFor(s));
  EXPECT_NE(error.find("manifest lists 2 layers but the config has 1 diff_ids"), std::string::npos)
      << error;
}

// =========================================================================================
// docker-archive and oci-archive
// =========================================================================================

struct DockerArchive {
  std::string layerTar;
  std::string config;
  json manifest;
};

DockerArchive dockerArchive() {
  DockerArchive d;
  d.layerTar = tb::makeTar({tb::dir("etc"), tb::file("etc/os-release", "ID=dockerarchive\n"),
                            tb::file("etc/motd", "motd\n")});
  d.config = configFor({tb::sha256Digest(d.layerTar)}).dump();
  d.manifest = json::array({{{"Config", blobHex(d.config) + ".json"},
                             {"RepoTags", {"hostile:latest"}},
                             {"Layers", {"0123abcd/layer.tar"}}}});
  return d;
}

std::string writeDockerArchive(const Scratch& s, const DockerArchive& d) {
  const std::string path = s.root + "/image.tar";
  writeFile(path, tb::makeTar({tb::file("manifest.json", d.manifest.dump()),
                               tb::file(blobHex(d.config) + ".json", d.config), tb::dir("0123abcd"),
                               tb::file("0123abcd/layer.tar", d.layerTar)}));
  return path;
}

TEST(HostileArchive, DockerArchiveWorks) {
  const Scratch s = makeScratch();
  const std::string path = writeDockerArchive(s, dockerArchive());
  for (const std::string& input : {path, "docker-archive:" + path, "docker-archive:" + path + ":latest"}) {
    SCOPED_TRACE(input);
    const Image image = openOk(input, optionsFor(s));
    EXPECT_EQ(image.locator.kind, SourceKind::kDockerArchive);
    EXPECT_EQ(image.os.id, "dockerarchive");
    auto motd = image.readFile("etc/motd");
    ASSERT_TRUE(motd) << motd.error().message;
    EXPECT_EQ(*motd, "motd\n");
  }
  expectOnlyCacheFiles(s.cache);
}

TEST(HostileArchive, DockerArchiveLayerPathEscapes) {
  const Scratch s = makeScratch();
  DockerArchive d = dockerArchive();
  d.manifest[0]["Layers"] = {"../../etc/passwd"};
  const std::string path = writeDockerArchive(s, d);
  NothingWrittenOutside guard(s, {"../../etc/passwd", "etc/passwd"});
  const std::string error = openError("docker-archive:" + path, optionsFor(s));
  EXPECT_NE(error.find("path '../../etc/passwd' escapes its directory"), std::string::npos) << error;
  EXPECT_NE(error.find(path + " manifest.json"), std::string::npos) << error;
  guard.check();

  d.manifest[0]["Layers"] = {"/etc/passwd"};
  const std::string error2 = openError("docker-archive:" + writeDockerArchive(s, d), optionsFor(s));
  EXPECT_NE(error2.find("absolute path '/etc/passwd' not allowed"), std::string::npos) << error2;
}

TEST(HostileArchive, DockerArchiveConfigPathEscapes) {
  const Scratch s = makeScratch();
  DockerArchive d = dockerArchive();
  d.manifest[0]["Config"] = "../" + blobHex(d.config) + ".json";
  const std::string error = openError("docker-archive:" + writeDockerArchive(s, d), optionsFor(s));
  EXPECT_NE(error.find("escapes its directory"), std::string::npos) << error;
}

TEST(HostileArchive, DockerArchiveConfigNameDigestMismatch) {
  const Scratch s = makeScratch();
  DockerArchive d = dockerArchive();
  const std::string path = s.root + "/image.tar";
  const std::string promised = blobHex("something else");
  d.manifest[0]["Config"] = promised + ".json";
  writeFile(path, tb::makeTar({tb::file("manifest.json", d.manifest.dump()),
                               tb::file(promised + ".json", d.config),
                               tb::file("0123abcd/layer.tar", d.layerTar)}));
  const std::string error = openError("docker-archive:" + path, optionsFor(s));
  EXPECT_NE(error.find("config " + promised + ".json: digest mismatch: its name promises sha256:" + promised),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("content hashes to sha256:" + blobHex(d.config)), std::string::npos) << error;
}

TEST(HostileArchive, DockerArchiveWrongDiffId) {
  const Scratch s = makeScratch();
  DockerArchive d = dockerArchive();
  d.layerTar = tb::makeTar({tb::file("etc/os-release", "ID=tampered\n")});  // not what the config says
  const std::string path = writeDockerArchive(s, d);
  const std::string error = openError("docker-archive:" + path, optionsFor(s));
  EXPECT_NE(error.find("layer 1 (0123abcd/layer.tar)"), std::string::npos) << error;
  EXPECT_NE(error.find("diff_id): digest mismatch"), std::string::npos) << error;
}

std::string tarOfDirectory(const std::string& directory, const std::set<std::string>& skip = {}) {
  std::vector<tb::TarEntry> entries;
  for (const auto& e : stdfs::recursive_directory_iterator(directory)) {
    const std::string rel = stdfs::relative(e.path(), directory).string();
    if (skip.count(rel) != 0) continue;
    if (e.is_directory()) {
      entries.push_back(tb::dir(rel));
    } else {
      entries.push_back(tb::file(rel, readBytes(e.path().string())));
    }
  }
  return tb::makeTar(entries);
}

TEST(HostileArchive, OciArchiveWithIndexJsonOnly) {
  const Scratch s = makeScratch();
  layoutOf(s, {tb::makeTar({tb::dir("etc"), tb::file("etc/os-release", "ID=ociarchive\n"),
                            tb::file("etc/motd", "motd\n")})});
  // An archive with index.json and blobs but no oci-layout file and no manifest.json is
  // sniffed as an oci-archive and opens.
  const std::string archive = s.root + "/oci.tar";
  writeFile(archive, tarOfDirectory(s.layout, {"oci-layout"}));
  const Image image = openOk(archive, optionsFor(s));
  EXPECT_EQ(image.locator.kind, SourceKind::kOciArchive);
  EXPECT_EQ(image.os.id, "ociarchive");
  auto motd = image.readFile("etc/motd");
  ASSERT_TRUE(motd) << motd.error().message;
  EXPECT_EQ(*motd, "motd\n");

  // Nothing but index.json: the manifest blob it names is reported missing.
  const std::string bare = s.root + "/bare.tar";
  writeFile(bare, tb::makeTar({tb::file("index.json", readBytes(s.layout + "/index.json"))}));
  const std::string manifest = json::parse(readBytes(s.layout + "/index.json"))["manifests"][0]["digest"];
  const std::string error = openError(bare, optionsFor(s));
  EXPECT_NE(error.find("oci-archive " + bare), std::string::npos) << error;
  EXPECT_NE(error.find("blob " + manifest + " is missing"), std::string::npos) << error;
}

// =========================================================================================
// The layer cache
// =========================================================================================

std::string cacheFile(const Scratch& s) {
  std::vector<std::string> files;
  for (const auto& e : stdfs::directory_iterator(s.cache + "/layers")) files.push_back(e.path().string());
  if (files.size() != 1) throw std::runtime_error(fmt::format("{} cache files", files.size()));
  return files[0];
}

std::string cacheTestLayout(const Scratch& s) {
  return layoutOf(s, {tb::makeTar({tb::dir("etc"), tb::file("etc/os-release", "ID=cached\nVERSION_ID=7\n"),
                                   tb::file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"),
                                   tb::file("srv/data", "data"), tb::symlink("srv/link", "data")})});
}

void expectSameImage(const Image& expected, const Image& actual) {
  EXPECT_EQ(describeView(expected.fs), describeView(actual.fs));
  EXPECT_EQ(expected.os.id, actual.os.id);
  EXPECT_EQ(expected.os.versionId, actual.os.versionId);
  for (const char* path : {"etc/passwd", "etc/os-release", "srv/link"}) {
    auto want = expected.readFile(path);
    auto got = actual.readFile(path);
    ASSERT_TRUE(want) << want.error().message;
    ASSERT_TRUE(got) << path << ": " << got.error().message;
    EXPECT_EQ(*want, *got) << path;
  }
}

TEST(LayerCacheHostile, SecondOpenComesFromTheCache) {
  const Scratch s = makeScratch();
  const std::string layout = layoutOf(
      s, {tb::makeTar({tb::dir("etc"), tb::file("etc/os-release", "ID=cached\n"), tb::file("etc/a", "a")}),
          tb::makeTar({tb::file("etc/.wh.a", ""), tb::file("etc/b", "b"), tb::symlink("evil", "../../../x")})});
  const Image first = openOk(layout, optionsFor(s));
  for (const auto& layer : first.layers) EXPECT_FALSE(layer.fromCache);
  const Image second = openOk(layout, optionsFor(s));
  ASSERT_EQ(second.layers.size(), 2u);
  for (const auto& layer : second.layers) EXPECT_TRUE(layer.fromCache) << layer.diffId.str();
  EXPECT_EQ(describeView(first.fs), describeView(second.fs));
  EXPECT_EQ(first.warnings, second.warnings);
  EXPECT_EQ(second.os.id, "cached");
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(first.layers[i].entries, second.layers[i].entries);
    EXPECT_EQ(first.layers[i].uncompressedBytes, second.layers[i].uncompressedBytes);
    EXPECT_EQ(first.layers[i].compression, second.layers[i].compression);
  }
  expectOnlyCacheFiles(s.cache);
}

TEST(LayerCacheHostile, TruncatedCacheFileIsIgnored) {
  const Scratch s = makeScratch();
  const std::string layout = cacheTestLayout(s);
  const Image first = openOk(layout, optionsFor(s));
  const std::string path = cacheFile(s);
  const std::string good = readBytes(path);
  for (size_t keep : {size_t{0}, size_t{4}, size_t{8}, good.size() / 2, good.size() - 1}) {
    SCOPED_TRACE(keep);
    writeFile(path, good.substr(0, keep));
    const Image second = openOk(layout, optionsFor(s));
    EXPECT_FALSE(second.layers[0].fromCache);
    expectSameImage(first, second);
  }
}

// Any damaged byte must make the cache file be ignored: a cache that decodes into a
// different view (a renamed path, other file contents) would silently change scan results.
TEST(LayerCacheHostile, FlippedCacheBytesAreIgnored) {
  const Scratch s = makeScratch();
  const std::string layout = cacheTestLayout(s);
  const Image first = openOk(layout, optionsFor(s));
  const std::string path = cacheFile(s);
  const std::string good = readBytes(path);
  std::vector<size_t> positions = {0, 7, 8, 20, good.size() / 3, good.size() / 2, good.size() - 1};
  for (const char* needle : {"etc/passwd", "root:x:0:0", "ID=cached"}) {
    const size_t at = good.find(needle);
    ASSERT_NE(at, std::string::npos) << needle;
    positions.push_back(at + 2);
  }
  for (size_t position : positions) {
    SCOPED_TRACE(fmt::format("flipped byte {} of {}", position, good.size()));
    std::string bad = good;
    bad[position] = static_cast<char>(bad[position] ^ 0x20);
    writeFile(path, bad);
    const Image second = openOk(layout, optionsFor(s));
    expectSameImage(first, second);
  }
}

// The cache is keyed by diff_id, a claim made by the image's config. An image that claims
// the diff_id of a layer cached from another image, while its own blob holds something else,
// must still fail verification, as it does with an empty cache; otherwise a scan reports the
// cached (clean) layer instead of what the image really contains.
TEST(LayerCacheHostile, ClaimedDiffIdDoesNotBorrowAnotherImagesLayer) {
  const Scratch s = makeScratch();
  const std::string clean = tb::makeTar({tb::dir("etc"), tb::file("etc/os-release", "ID=clean\n")});
  const std::string evil = tb::makeTar({tb::dir("etc"), tb::file("etc/os-release", "ID=evil\n"),
                                        tb::file("usr/bin/backdoor", "#!/bin/sh\n")});
  const std::string cleanLayout = layoutOf(s, {clean});
  ASSERT_EQ(openOk(cleanLayout, optionsFor(s)).os.id, "clean");

  Scratch other = s;
  other.layout = s.root + "/evil-layout";
  RawLayer lie = gzipLayer(evil);
  lie.diffId = tb::sha256Digest(clean);  // the config claims the clean layer
  const std::string evilLayout = layoutOfRaw(other, {lie});

  ReadOptions noCache = optionsFor(s);
  noCache.useCache = false;
  const std::string expected = openError(evilLayout, noCache);
  EXPECT_NE(expected.find("diff_id): digest mismatch"), std::string::npos) << expected;

  auto withCache = openImage(evilLayout, optionsFor(s));
  ASSERT_FALSE(withCache) << "opened from the cache as '" << withCache->os.id
                          << "'; the image's own layer (with usr/bin/backdoor) was never read";
  EXPECT_NE(withCache.error().message.find("diff_id): digest mismatch"), std::string::npos)
      << withCache.error().message;
}

// Tars need not hold an entry for every parent directory; extraction creates them. Files
// below such implicit directories must be found and readable.
TEST(HostileTar, ImplicitParentDirectories) {
  const Scratch s = makeScratch();
  const std::string layout = layoutOf(
      s, {tb::makeTar({tb::file("usr/lib/os-release", "ID=implicit\n"), tb::file("srv/app/config", "cfg"),
                       tb::symlink("etc/os-release", "../usr/lib/os-release")})});
  const Image image = openOk(layout, optionsFor(s));
  EXPECT_EQ(image.fs.find("usr"), nullptr);  // no entry was written for it
  auto config = image.readFile("srv/app/config");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(*config, "cfg");
  auto viaLink = image.readFile("etc/os-release");
  ASSERT_TRUE(viaLink) << viaLink.error().message;
  EXPECT_EQ(image.os.id, "implicit");
  auto missing = image.readFile("srv/nothing/here");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find(layout), std::string::npos) << missing.error().message;
}

// Layers above 4 MiB are read by two threads (inflate on one, hash and parse on the other).
// The hostile cases must behave the same there: same errors, no hang, no crash.
std::string bigRandomFile(size_t bytes, uint64_t seed) {
  std::string data(bytes, '\0');
  uint64_t x = seed | 1;
  for (char& c : data) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x);
  }
  return data;
}

TEST(BigLayers, PipelinedLayerReadsLikeAnyOther) {
  const Scratch s = makeScratch();
  const std::string tar = tb::makeTar({tb::dir("etc"), tb::file("etc/os-release", "ID=big\n"),
                                       tb::file("blob.bin", bigRandomFile(6u << 20, 1)),
                                       tb::file("srv/after", "after")});
  const std::string layout = layoutOf(s, {tar});
  const Image image = openOk(layout, optionsFor(s));
  ASSERT_EQ(image.layers.size(), 1u);
  EXPECT_GT(image.layers[0].compressedBytes, 4u << 20);
  EXPECT_EQ(image.layers[0].uncompressedBytes, tar.size());
  EXPECT_EQ(image.os.id, "big");
  auto after = image.readFile("srv/after");
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_EQ(*after, "after");
}

TEST(BigLayers, HostileEntryBeforeMuchData) {
  const Scratch s = makeScratch();
  const std::string layout = layoutOf(
      s, {tb::makeTar({tb::file("../escape", "x"), tb::file("blob.bin", bigRandomFile(12u << 20, 2))})});
  const auto start = std::chrono::steady_clock::now();
  const std::string error = openError(layout, optionsFor(s));
  EXPECT_NE(error.find("entry '../escape' escapes the image root"), std::string::npos) << error;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

TEST(BigLayers, TruncatedAndCorruptPipelinedLayers) {
  const std::string tar = tb::makeTar({tb::file("blob.bin", bigRandomFile(6u << 20, 3)), tb::file("z", "z")});
  const std::string gz = tb::gzipBytes(tar);
  {
    const Scratch s = makeScratch();
    const std::string error = openError(layoutOfRaw(s, {RawLayer{gz.substr(0, gz.size() - 1000), tb::sha256Digest(tar)}}),
                                        optionsFor(s));
    EXPECT_NE(error.find("truncated gzip stream"), std::string::npos) << error;
  }
  {
    std::string bad = gz;
    bad[gz.size() / 2] = static_cast<char>(bad[gz.size() / 2] ^ 0x10);
    const Scratch s = makeScratch();
    const std::string error = openError(layoutOfRaw(s, {RawLayer{bad, tb::sha256Digest(tar)}}), optionsFor(s));
    EXPECT_NE(error.find("gzip checksum mismatch"), std::string::npos) << error;
  }
  {
    RawLayer wrong = gzipLayer(tar);
    wrong.diffId = tb::sha256Digest("not it");
    const Scratch s = makeScratch();
    const std::string error = openError(layoutOfRaw(s, {wrong}), optionsFor(s));
    EXPECT_NE(error.find("diff_id): digest mismatch"), std::string::npos) << error;
  }
  {
    RawLayer small = gzipLayer(tar);
    small.size = 5 << 20;  // the descriptor says 5 MiB (still pipelined), the blob is larger
    const Scratch s = makeScratch();
    const std::string error = openError(layoutOfRaw(s, {small}), optionsFor(s));
    EXPECT_NE(error.find("blob: larger than the 5242880 bytes its descriptor says"), std::string::npos) << error;
  }
}

// =========================================================================================
// Indexes
// =========================================================================================

// index.json -> `depth` nested indexes -> the manifest.
std::string nestedLayout(const Scratch& s, int depth) {
  LayoutBuilder b(s.layout);
  json descriptor = b.image({tb::makeTar({tb::file("etc/os-release", "ID=nested\n")})});
  for (int i = 0; i < depth; ++i) descriptor = b.index({descriptor});
  b.writeIndexJson({descriptor});
  return s.layout;
}

TEST(HostileIndex, NestedIndexResolves) {
  for (int depth : {1, 3}) {
    SCOPED_TRACE(depth);
    const Scratch s = makeScratch();
    const Image image = openOk(nestedLayout(s, depth), optionsFor(s));
    EXPECT_EQ(image.os.id, "nested");
  }
}

TEST(HostileIndex, SixDeepNestingIsRejected) {
  const Scratch s = makeScratch();
  const std::string error = openError(nestedLayout(s, 6), optionsFor(s));
  EXPECT_NE(error.find("indexes nested deeper than 4 levels"), std::string::npos) << error;
  EXPECT_NE(error.find(s.layout), std::string::npos) << error;
}

TEST(HostileIndex, LongIndexChainStopsAtTheBound) {
  // An index cannot name its own digest (no cycles), but a long chain must still stop at
  // the depth bound rather than after reading every document.
  const Scratch s = makeScratch();
  const std::string error = openError(nestedLayout(s, 40), optionsFor(s));
  EXPECT_NE(error.find("nested deeper"), std::string::npos) << error;
}

std::string multiPlatformLayout(const Scratch& s) {
  LayoutBuilder b(s.layout);
  const json amd = b.image({tb::makeTar({tb::file("etc/os-release", "ID=amd\n")})}, "gzip", json::object(), "amd64");
  const json arm = b.image({tb::makeTar({tb::file("etc/os-release", "ID=arm\n")})}, "gzip", json::object(), "arm64");
  b.writeIndexJson({b.index({amd, arm})});
  return s.layout;
}

TEST(HostileIndex, MultiPlatformIndexPicksThePlatform) {
  const Scratch s = makeScratch();
  const std::string layout = multiPlatformLayout(s);
  ReadOptions options = optionsFor(s);
  const Image amd = openOk(layout, options);
  EXPECT_EQ(amd.os.id, "amd");
  EXPECT_EQ(amd.resolved.config.architecture, "amd64");
  options.resolve.platform = *Platform::parse("linux/arm64");
  const Image arm = openOk(layout, options);
  EXPECT_EQ(arm.os.id, "arm");
  EXPECT_EQ(arm.resolved.config.architecture, "arm64");
  ASSERT_EQ(arm.resolved.indexPlatforms.size(), 2u);
}

TEST(HostileIndex, MissingPlatformListsTheAvailableOnes) {
  const Scratch s = makeScratch();
  ReadOptions options = optionsFor(s);
  options.resolve.platform = *Platform::parse("linux/s390x");
  const std::string error = openError(multiPlatformLayout(s), options);
  EXPECT_NE(error.find("no manifest for platform linux/s390x (available: linux/amd64, linux/arm64)"),
            std::string::npos)
      << error;
}

}  // namespace
}  // namespace bulkhead::image
