// readLayer / readLayerFile / cleanEntryPath on layers built in the test, hostile ones
// included: what each entry becomes, what is refused, and what the errors say.

#include "image/layer_reader.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "core/stream.h"
#include "image/filesystem.h"
#include "support/tar_builder.h"

namespace bulkhead::image {
namespace {

namespace tb = bulkhead::testing;

const std::string kWhat = "test layer 3 (sha256:abc)";

Digest digestOf(const std::string& bytes) {
  auto d = Digest::parse(tb::sha256Digest(bytes));
  if (!d) throw std::runtime_error(d.error().message);
  return *d;
}

// A LayerRef whose digests and size match `blob` (as stored) and `tar` (uncompressed).
LayerRef refFor(const std::string& blob, const std::string& tar) {
  LayerRef ref;
  ref.blob.digest = digestOf(blob);
  ref.blob.size = static_cast<int64_t>(blob.size());
  ref.diffId = digestOf(tar);
  return ref;
}

Result<LayerContents> read(const std::string& blob, const LayerRef& ref,
                           const LayerReadOptions& options = {}) {
  MemoryStream stream(blob);
  return readLayer(stream, ref, options, kWhat);
}

// Reads a tar gzip-compressed with matching digests.
Result<LayerContents> readTar(const std::string& tar, const LayerReadOptions& options = {}) {
  const std::string gz = tb::gzipBytes(tar);
  return read(gz, refFor(gz, tar), options);
}

std::string errorOf(const Result<LayerContents>& result) {
  if (result) {
    ADD_FAILURE() << "reading the layer succeeded but should have failed";
    return {};
  }
  return result.error().message;
}

const LayerEntry* entry(const LayerContents& contents, std::string_view path) {
  const LayerEntry* found = nullptr;
  for (const auto& e : contents.entries) {
    if (e.path == path) found = &e;
  }
  return found;
}

tb::TarEntry special(std::string path, tb::TarEntry::Kind kind, uint32_t mode = 0600) {
  tb::TarEntry e;
  e.path = std::move(path);
  e.kind = kind;
  e.mode = mode;
  return e;
}

// ---- cleanEntryPath -----------------------------------------------------------------------

TEST(CleanEntryPath, NormalNames) {
  const std::pair<const char*, const char*> cases[] = {
      {"etc/passwd", "etc/passwd"}, {"./etc/passwd", "etc/passwd"}, {"etc//passwd", "etc/passwd"},
      {"etc/./passwd", "etc/passwd"}, {"etc/", "etc"}, {"./", ""}, {".", ""}, {"", ""},
      {"a/...", "a/..."}, {"..a/b..", "..a/b.."},
  };
  for (const auto& [in, out] : cases) {
    auto clean = cleanEntryPath(in, 4096);
    ASSERT_TRUE(clean) << in << ": " << clean.error().message;
    EXPECT_EQ(*clean, out) << in;
  }
}

TEST(CleanEntryPath, HostileNames) {
  for (const char* name : {"..", "../etc/passwd", "a/../../x", "./../x", "a/b/../../../x", "a/.."}) {
    auto clean = cleanEntryPath(name, 4096);
    ASSERT_FALSE(clean) << name;
    EXPECT_EQ(clean.error().message, fmt::format("entry '{}' escapes the image root", name));
  }
  for (const char* name : {"/etc/passwd", "//etc/passwd", "/"}) {
    auto clean = cleanEntryPath(name, 4096);
    ASSERT_FALSE(clean) << name;
    EXPECT_EQ(clean.error().message, fmt::format("entry '{}' has an absolute path", name));
  }
  auto nul = cleanEntryPath(std::string_view("etc/pass\0wd", 11), 4096);
  ASSERT_FALSE(nul);
  EXPECT_NE(nul.error().message.find("NUL"), std::string::npos);
  auto longName = cleanEntryPath(std::string(5000, 'a'), 4096);
  ASSERT_FALSE(longName);
  EXPECT_NE(longName.error().message.find("5000 bytes exceeds the limit of 4096"), std::string::npos);
}

// ---- entry types --------------------------------------------------------------------------

TEST(LayerReader, RecordsEveryEntryType) {
  tb::TarEntry owned = tb::file("usr/bin/su", "binary", 04755);
  owned.uid = 1000;
  owned.gid = 50;
  const std::string tar = tb::makeTar(
      {tb::dir("usr", 0755), tb::dir("usr/bin"), owned, tb::symlink("usr/bin/sudo", "su"),
       tb::hardlink("usr/bin/su2", "usr/bin/su"), special("dev/null", tb::TarEntry::Kind::kCharDevice, 0666),
       special("run/fifo", tb::TarEntry::Kind::kFifo), tb::dir("tmp", 01777)});
  auto contents = readTar(tar);
  ASSERT_TRUE(contents) << contents.error().message;
  EXPECT_TRUE(contents->warnings.empty());
  EXPECT_EQ(contents->compression, Compression::kGzip);
  EXPECT_EQ(contents->uncompressedBytes, tar.size());
  EXPECT_EQ(contents->compressedBytes, tb::gzipBytes(tar).size());

  const LayerEntry* su = entry(*contents, "usr/bin/su");
  ASSERT_NE(su, nullptr);
  EXPECT_EQ(su->type, EntryType::kFile);
  EXPECT_EQ(su->mode, 04755u);
  EXPECT_EQ(su->uid, 1000u);
  EXPECT_EQ(su->gid, 50u);
  EXPECT_EQ(su->size, 6u);
  EXPECT_EQ(su->mtime, 1700000000);

  const LayerEntry* sudo = entry(*contents, "usr/bin/sudo");
  ASSERT_NE(sudo, nullptr);
  EXPECT_EQ(sudo->type, EntryType::kSymlink);
  EXPECT_EQ(sudo->linkTarget, "su");

  const LayerEntry* su2 = entry(*contents, "usr/bin/su2");
  ASSERT_NE(su2, nullptr);
  EXPECT_EQ(su2->type, EntryType::kHardlink);
  EXPECT_EQ(su2->linkTarget, "usr/bin/su");

  const LayerEntry* null = entry(*contents, "dev/null");
  ASSERT_NE(null, nullptr);
  EXPECT_EQ(null->type, EntryType::kCharDevice);
  EXPECT_EQ(null->mode, 0666u);

  const LayerEntry* fifo = entry(*contents, "run/fifo");
  ASSERT_NE(fifo, nullptr);
  EXPECT_EQ(fifo->type, EntryType::kFifo);

  const LayerEntry* tmp = entry(*contents, "tmp");
  ASSERT_NE(tmp, nullptr);
  EXPECT_EQ(tmp->type, EntryType::kDirectory);
  EXPECT_EQ(tmp->mode, 01777u);
}

TEST(LayerReader, DotSlashRootEntryIsSkipped) {
  auto contents = readTar(tb::makeTar({tb::dir("./"), tb::dir("./etc"), tb::file("./etc/x", "x")}));
  ASSERT_TRUE(contents) << contents.error().message;
  ASSERT_EQ(contents->entries.size(), 2u);
  EXPECT_EQ(contents->entries[0].path, "etc");
  EXPECT_EQ(contents->entries[1].path, "etc/x");
}

// ---- hostile names and links --------------------------------------------------------------

TEST(LayerReader, EntryNamesThatLeaveTheRoot) {
  const std::pair<std::string, std::string> cases[] = {
      {"../etc/passwd", "entry '../etc/passwd' escapes the image root"},
      {"a/../../x", "entry 'a/../../x' escapes the image root"},
      {"/etc/passwd", "entry '/etc/passwd' has an absolute path"},
      // Long enough for a pax extended header to carry the name.
      {std::string(150, 'd') + "/../../etc/cron.d/x", "escapes the image root"},
  };
  for (const auto& [name, message] : cases) {
    SCOPED_TRACE(name);
    const std::string error = errorOf(readTar(tb::makeTar({tb::file("ok", "ok"), tb::file(name, "x")})));
    EXPECT_EQ(error.rfind(kWhat + ": ", 0), 0u) << error;
    EXPECT_NE(error.find(message), std::string::npos) << error;
  }
}

TEST(LayerReader, HardlinksThatLeaveTheRoot) {
  for (const char* target : {"../../etc/shadow", "/etc/shadow", ".", "a/../.."}) {
    SCOPED_TRACE(target);
    const std::string error = errorOf(readTar(tb::makeTar({tb::hardlink("etc/copy", target)})));
    EXPECT_EQ(error, fmt::format("{}: hardlink 'etc/copy' points outside the image root ('{}')", kWhat,
                                 target));
  }
}

TEST(LayerReader, EscapingSymlinksAreKeptWithAWarning) {
  auto contents = readTar(tb::makeTar({tb::dir("etc"), tb::symlink("etc/evil", "../../../../etc/shadow"),
                                       tb::symlink("etc/fine", "../usr/lib/os-release"),
                                       tb::symlink("etc/abs", "/etc/shadow"),
                                       tb::symlink("top", "..")}));
  ASSERT_TRUE(contents) << contents.error().message;
  ASSERT_EQ(contents->warnings.size(), 2u) << ::testing::PrintToString(contents->warnings);
  EXPECT_EQ(contents->warnings[0],
            "symlink 'etc/evil' -> '../../../../etc/shadow' climbs above the image root; resolved "
            "inside the root");
  EXPECT_NE(contents->warnings[1].find("symlink 'top' -> '..'"), std::string::npos);
  ASSERT_NE(entry(*contents, "etc/evil"), nullptr);
  EXPECT_EQ(entry(*contents, "etc/evil")->linkTarget, "../../../../etc/shadow");

  FileSystemView view;
  std::vector<std::string> warnings;
  view.applyLayer(0, contents->entries, warnings);
  EXPECT_EQ(*view.resolve("etc/evil"), "etc/shadow");
  EXPECT_EQ(*view.resolve("etc/abs"), "etc/shadow");
  EXPECT_EQ(*view.resolve("top/top/etc/evil"), "etc/shadow");
}

TEST(LayerReader, WarningsAreBounded) {
  std::vector<tb::TarEntry> entries;
  for (int i = 0; i < 500; ++i) entries.push_back(tb::symlink(fmt::format("l{}", i), "../x"));
  auto contents = readTar(tb::makeTar(entries));
  ASSERT_TRUE(contents) << contents.error().message;
  EXPECT_EQ(contents->entries.size(), 500u);
  EXPECT_LE(contents->warnings.size(), 50u);
}

// ---- whiteouts ----------------------------------------------------------------------------

TEST(LayerReader, WhiteoutsBecomeWhiteoutEntries) {
  auto contents = readTar(tb::makeTar({tb::file("etc/.wh.passwd", ""), tb::file(".wh.top", ""),
                                       tb::file("var/.wh..wh..opq", ""), tb::file(".wh..wh..opq", ""),
                                       tb::file("etc/.wh..wh.plnk", "")}));
  ASSERT_TRUE(contents) << contents.error().message;
  ASSERT_EQ(contents->entries.size(), 5u);
  EXPECT_EQ(contents->entries[0].type, EntryType::kWhiteout);
  EXPECT_EQ(contents->entries[0].path, "etc/passwd");
  EXPECT_EQ(contents->entries[1].type, EntryType::kWhiteout);
  EXPECT_EQ(contents->entries[1].path, "top");
  EXPECT_EQ(contents->entries[2].type, EntryType::kOpaque);
  EXPECT_EQ(contents->entries[2].path, "var");
  EXPECT_EQ(contents->entries[3].type, EntryType::kOpaque);
  EXPECT_EQ(contents->entries[3].path, "");
  EXPECT_EQ(contents->entries[4].type, EntryType::kWhiteout);
  EXPECT_EQ(contents->entries[4].path, "etc/.wh.plnk");
}

TEST(LayerReader, MalformedWhiteouts) {
  const std::string longDir = std::string(40, 'd');
  const std::vector<std::string> names = {".wh.", "etc/.wh.", "etc/.wh..", "etc/.wh...",
                                          longDir + "/.wh.", longDir + "/.wh..", longDir + "/.wh...",
                                          longDir + "/" + longDir + "/.wh.."};
  for (const std::string& name : names) {
    SCOPED_TRACE(name);
    const std::string error = errorOf(readTar(tb::makeTar({tb::file(name, "")})));
    EXPECT_EQ(error, fmt::format("{}: malformed whiteout '{}'", kWhat, name));
  }
}

// ---- limits -------------------------------------------------------------------------------

TEST(LayerReader, EntryCountLimit) {
  std::vector<tb::TarEntry> entries;
  for (int i = 0; i < 20; ++i) entries.push_back(tb::file(fmt::format("f{}", i), ""));
  LayerReadOptions options;
  options.maxEntries = 10;
  EXPECT_EQ(errorOf(readTar(tb::makeTar(entries), options)), kWhat + ": more than 10 entries");
  options.maxEntries = 20;
  EXPECT_TRUE(readTar(tb::makeTar(entries), options));
}

TEST(LayerReader, PathLengthLimit) {
  LayerReadOptions options;
  options.maxPathBytes = 100;
  const std::string name = std::string(60, 'a') + "/" + std::string(60, 'b');
  const std::string error = errorOf(readTar(tb::makeTar({tb::file(name, "")}), options));
  EXPECT_NE(error.find("entry name of 121 bytes exceeds the limit of 100"), std::string::npos) << error;
  EXPECT_EQ(error.rfind(kWhat, 0), 0u) << error;
}

TEST(LayerReader, CapturesWantedFilesWithinTheLimit) {
  LayerReadOptions options;
  options.capture = [](std::string_view path) { return path.starts_with("etc/"); };
  options.captureMaxBytes = 10;
  auto contents = readTar(tb::makeTar({tb::file("etc/small", "0123456789"), tb::file("etc/big", "0123456789A"),
                                       tb::file("other", "x"), tb::file("etc/small", "second")}),
                          options);
  ASSERT_TRUE(contents) << contents.error().message;
  ASSERT_EQ(contents->captured.count("etc/small"), 1u);
  EXPECT_EQ(contents->captured.at("etc/small"), "second");  // the last entry wins
  EXPECT_EQ(contents->captured.count("etc/big"), 0u);
  EXPECT_EQ(contents->captured.count("other"), 0u);
}

TEST(LayerReader, DecompressionLimitsApply) {
  const std::string tar = tb::makeTar({tb::file("zeros", std::string(4u << 20, '\0'))});
  LayerReadOptions options;
  options.limits.maxBytes = 1u << 20;
  const std::string error = errorOf(readTar(tar, options));
  EXPECT_EQ(error, kWhat + ": decompressed size exceeds the limit of 1048576 bytes");
}

// ---- verification -------------------------------------------------------------------------

TEST(LayerReader, BlobDigestMismatch) {
  const std::string tar = tb::makeTar({tb::file("a", "a")});
  const std::string gz = tb::gzipBytes(tar);
  LayerRef ref = refFor(gz, tar);
  ref.blob.digest = digestOf("other");
  const std::string error = errorOf(read(gz, ref));
  EXPECT_EQ(error, fmt::format("{} blob: digest mismatch: expected {}, content hashes to {}", kWhat,
                               tb::sha256Digest("other"), tb::sha256Digest(gz)));
}

TEST(LayerReader, BlobSizeMismatch) {
  const std::string tar = tb::makeTar({tb::file("a", "a")});
  const std::string gz = tb::gzipBytes(tar);
  LayerRef ref = refFor(gz, tar);
  ref.blob.size = static_cast<int64_t>(gz.size()) - 1;
  EXPECT_NE(errorOf(read(gz, ref)).find(fmt::format("{} blob: larger than the {} bytes its descriptor says",
                                                    kWhat, gz.size() - 1)),
            std::string::npos);
  ref.blob.size = static_cast<int64_t>(gz.size()) + 1;
  EXPECT_NE(errorOf(read(gz, ref)).find(fmt::format("{} blob: truncated: {} bytes, but its descriptor says {}",
                                                    kWhat, gz.size(), gz.size() + 1)),
            std::string::npos);
}

TEST(LayerReader, DiffIdMismatch) {
  const std::string tar = tb::makeTar({tb::file("a", "a")});
  const std::string gz = tb::gzipBytes(tar);
  LayerRef ref = refFor(gz, tar);
  ref.diffId = digestOf("other");
  EXPECT_EQ(errorOf(read(gz, ref)),
            fmt::format("{} (uncompressed, diff_id): digest mismatch: expected {}, content hashes to {}",
                        kWhat, tb::sha256Digest("other"), tb::sha256Digest(tar)));
}

TEST(LayerReader, TrailingBytesAfterTheTarAreVerifiedToo) {
  // Data after the tar's end-of-archive blocks is part of the diff_id: a reader that stops
  // at the end marker would accept a layer whose digest does not match.
  const std::string tar = tb::makeTar({tb::file("a", "a")});
  const std::string padded = tar + std::string(4096, 'X');
  const std::string gz = tb::gzipBytes(padded);
  LayerRef ref = refFor(gz, tar);  // diff_id of the tar without the padding
  EXPECT_NE(errorOf(read(gz, ref)).find("diff_id): digest mismatch"), std::string::npos);
  EXPECT_TRUE(read(gz, refFor(gz, padded)));
}

TEST(LayerReader, EmptyDigestsSkipVerification) {
  const std::string tar = tb::makeTar({tb::file("a", "a")});
  LayerRef ref;  // docker-archive layers without a content-addressed path
  auto contents = read(tar, ref);
  ASSERT_TRUE(contents) << contents.error().message;
  EXPECT_EQ(contents->entries.size(), 1u);
}

// ---- broken tar streams -------------------------------------------------------------------

TEST(LayerReader, NotATar) {
  const std::string junk(2048, 'j');
  const std::string error = errorOf(read(junk, refFor(junk, junk)));
  EXPECT_EQ(error.rfind(kWhat + ": ", 0), 0u) << error;
}

TEST(LayerReader, TruncatedTar) {
  const std::string tar = tb::makeTar({tb::file("a", std::string(100000, 'a')), tb::file("b", "b")});
  const std::string cut = tar.substr(0, 50000);
  const std::string error = errorOf(read(cut, refFor(cut, cut)));
  EXPECT_EQ(error.rfind(kWhat + ": ", 0), 0u) << error;
}

TEST(LayerReader, EmptyLayer) {
  // Zero bytes is not a tar; whatever the answer, it names the layer and does not crash.
  auto contents = read("", refFor("", ""));
  if (!contents) {
    EXPECT_EQ(contents.error().message.rfind(kWhat, 0), 0u) << contents.error().message;
  }
}

// ---- the pipelined (two-thread) path ------------------------------------------------------

LayerReadOptions pipelined() {
  LayerReadOptions options;
  options.pipeline = true;
  options.capture = [](std::string_view path) { return path.starts_with("etc/"); };
  return options;
}

std::string bigTar() {
  std::string big;
  for (int i = 0; i < 200000; ++i) big += fmt::format("{:08x} some text for a big file\n", i * 2654435761u);
  return tb::makeTar({tb::dir("etc"), tb::file("etc/passwd", "root:x:0:0\n"), tb::file("big.txt", big),
                      tb::symlink("etc/evil", "../../../x"), tb::file("etc/last", "last")});
}

TEST(LayerReaderPipeline, SameResultAsSingleThreaded) {
  const std::string tar = bigTar();
  for (const std::string& blob : {tb::gzipBytes(tar), tb::zstdBytes(tar), tar}) {
    LayerReadOptions plain = pipelined();
    plain.pipeline = false;
    auto a = read(blob, refFor(blob, tar), plain);
    auto b = read(blob, refFor(blob, tar), pipelined());
    ASSERT_TRUE(a) << a.error().message;
    ASSERT_TRUE(b) << b.error().message;
    ASSERT_EQ(a->entries.size(), b->entries.size());
    for (size_t i = 0; i < a->entries.size(); ++i) {
      EXPECT_EQ(a->entries[i].path, b->entries[i].path);
      EXPECT_EQ(a->entries[i].type, b->entries[i].type);
      EXPECT_EQ(a->entries[i].size, b->entries[i].size);
    }
    EXPECT_EQ(a->captured, b->captured);
    EXPECT_EQ(a->warnings, b->warnings);
    EXPECT_EQ(a->compressedBytes, b->compressedBytes);
    EXPECT_EQ(a->uncompressedBytes, b->uncompressedBytes);
    EXPECT_EQ(b->uncompressedBytes, tar.size());
  }
}

TEST(LayerReaderPipeline, SameErrors) {
  const std::string tar = bigTar();
  const std::string gz = tb::gzipBytes(tar);
  const std::string cut = gz.substr(0, gz.size() * 2 / 3);
  EXPECT_EQ(errorOf(read(cut, refFor(cut, tar), pipelined())), kWhat + ": truncated gzip stream");

  LayerRef wrongDiff = refFor(gz, tar);
  wrongDiff.diffId = digestOf("x");
  EXPECT_NE(errorOf(read(gz, wrongDiff, pipelined())).find("(uncompressed, diff_id): digest mismatch"),
            std::string::npos);

  LayerRef wrongBlob = refFor(gz, tar);
  wrongBlob.blob.digest = digestOf("x");
  EXPECT_NE(errorOf(read(gz, wrongBlob, pipelined())).find(kWhat + " blob: digest mismatch"), std::string::npos);

  LayerReadOptions limited = pipelined();
  limited.limits.maxBytes = 1u << 20;
  EXPECT_EQ(errorOf(read(gz, refFor(gz, tar), limited)),
            kWhat + ": decompressed size exceeds the limit of 1048576 bytes");
}

TEST(LayerReaderPipeline, EarlyErrorStopsTheProducer) {
  // The tar parser fails on the first entry while the prefetch thread still has megabytes
  // to inflate: readLayer must return promptly and the thread must be stopped and joined.
  std::string big;
  for (int i = 0; i < 400000; ++i) big += fmt::format("{:08x} filler\n", i * 2654435761u);
  const std::string tar = tb::makeTar({tb::file("../first", "x"), tb::file("big", big)});
  const std::string gz = tb::gzipBytes(tar);
  for (int round = 0; round < 20; ++round) {
    EXPECT_EQ(errorOf(read(gz, refFor(gz, tar), pipelined())),
              kWhat + ": entry '../first' escapes the image root");
  }
}

// ---- readLayerFile ------------------------------------------------------------------------

TEST(ReadLayerFile, ReadsOneFile) {
  const std::string gz = tb::gzipBytes(tb::makeTar({tb::file("a", "A"), tb::file("./etc/b", "B")}));
  MemoryStream stream(gz);
  auto b = readLayerFile(stream, LayerRef{}, "etc/b", 100, {}, kWhat);
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(*b, "B");
}

TEST(ReadLayerFile, MissingFile) {
  const std::string gz = tb::gzipBytes(tb::makeTar({tb::file("a", "A")}));
  MemoryStream stream(gz);
  auto missing = readLayerFile(stream, LayerRef{}, "etc/b", 100, {}, kWhat);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, kWhat + ": no file 'etc/b' in this layer");
}

TEST(ReadLayerFile, SizeLimit) {
  const std::string gz = tb::gzipBytes(tb::makeTar({tb::file("a", std::string(1000, 'a'))}));
  MemoryStream stream(gz);
  auto big = readLayerFile(stream, LayerRef{}, "a", 999, {}, kWhat);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().message, kWhat + ": file 'a' is larger than 999 bytes");
}

// The merged view keeps the last of duplicate entries (tar extraction order), so reading
// the file must give the last entry's contents as well.
TEST(ReadLayerFile, DuplicateEntriesLastWins) {
  const std::string gz =
      tb::gzipBytes(tb::makeTar({tb::file("app/config", "first"), tb::file("app/config", "second")}));
  MemoryStream stream(gz);
  auto config = readLayerFile(stream, LayerRef{}, "app/config", 100, {}, kWhat);
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(*config, "second");
}

TEST(ReadLayerFile, SkipsHostileNames) {
  const std::string gz = tb::gzipBytes(tb::makeTar({tb::file("../a", "outside"), tb::file("a", "inside")}));
  MemoryStream stream(gz);
  auto a = readLayerFile(stream, LayerRef{}, "a", 100, {}, kWhat);
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(*a, "inside");
}

}  // namespace
}  // namespace bulkhead::image
