// Go build info: both header formats (inline strings since Go 1.18, pointers before), 32/64
// bit and both byte orders, stripped section headers, the module info parser, stdlib
// versions, hostile binaries, and the cataloger through a real OCI layout. The ELF files
// are built here; real Go binaries are checked against `go version -m` in
// apps_accuracy_test.cpp on the test bed.

#include "sbom/go_buildinfo.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "image/image_reader.h"
#include "sbom/catalogers/binary_capture.h"
#include "sbom/sbom.h"
#include "support/layout_builder.h"
#include "support/loopback_http_server.h"  // EXPECT_CONTAINS
#include "support/tar_builder.h"

namespace bulkhead::sbom {
namespace {

namespace tb = bulkhead::testing;

constexpr std::string_view kMagic = "\xff Go buildinf:";
// Any 16 bytes frame the module info; cmd/go's own sentinels look like these.
const std::string kStart("0w\xaf\x0c\x92t\x08\x02" "A\xe1\xc1\x07\xe6\xd6\x18\xe6", 16);
const std::string kEnd("\xf9" "2C1\x86\x18 r\x00\x82" "B\x10" "A\x16\xd8\xf2", 16);

std::string framed(const std::string& modInfo) { return kStart + modInfo + kEnd; }

void put(std::string& out, uint64_t value, unsigned width, bool little) {
  for (unsigned i = 0; i < width; ++i) {
    const unsigned shift = little ? i * 8 : (width - 1 - i) * 8;
    out.push_back(static_cast<char>((value >> shift) & 0xFF));
  }
}

void putAt(std::string& out, size_t at, uint64_t value, unsigned width, bool little) {
  std::string bytes;
  put(bytes, value, width, little);
  out.replace(at, width, bytes);
}

std::string varint(uint64_t value) {
  std::string out;
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
  return out;
}

struct GoElf {
  bool is64 = true;
  bool little = true;
  bool sections = true;      // false: section headers stripped (e_shoff = 0)
  uint64_t dataAddr = 0x5a0000;
  std::string data;          // the writable segment; holds .go.buildinfo at its start
};

// An executable with a text segment, a writable data segment (`data`) and, unless stripped,
// the sections .go.buildinfo (covering `data`) and .shstrtab.
std::string makeElf(const GoElf& spec) {
  const bool le = spec.little;
  const unsigned word = spec.is64 ? 8 : 4;
  const size_t ehsize = spec.is64 ? 64 : 52;
  const size_t phentsize = spec.is64 ? 56 : 32;
  const size_t shentsize = spec.is64 ? 64 : 40;
  const size_t dataOffset = 0x1000;
  std::string out("\x7f" "ELF", 4);
  out.push_back(static_cast<char>(spec.is64 ? 2 : 1));
  out.push_back(static_cast<char>(le ? 1 : 2));
  out.push_back(1);
  out.resize(16, '\0');
  put(out, 2, 2, le);                     // ET_EXEC
  put(out, spec.is64 ? 62 : 3, 2, le);    // machine
  put(out, 1, 4, le);                     // version
  put(out, 0x401000, word, le);           // entry
  put(out, ehsize, word, le);             // phoff
  const size_t shoffAt = out.size();
  put(out, 0, word, le);                  // shoff, patched below
  put(out, 0, 4, le);                     // flags
  put(out, ehsize, 2, le);
  put(out, phentsize, 2, le);
  put(out, 2, 2, le);                     // phnum
  put(out, shentsize, 2, le);
  put(out, spec.sections ? 3 : 0, 2, le); // shnum
  put(out, spec.sections ? 2 : 0, 2, le); // shstrndx
  auto segment = [&](uint32_t flags, uint64_t offset, uint64_t vaddr, uint64_t size) {
    put(out, 1, 4, le);  // PT_LOAD
    if (spec.is64) {
      put(out, flags, 4, le);
      put(out, offset, 8, le), put(out, vaddr, 8, le), put(out, vaddr, 8, le);
      put(out, size, 8, le), put(out, size, 8, le), put(out, 0x1000, 8, le);
    } else {
      put(out, offset, 4, le), put(out, vaddr, 4, le), put(out, vaddr, 4, le);
      put(out, size, 4, le), put(out, size, 4, le), put(out, flags, 4, le), put(out, 0x1000, 4, le);
    }
  };
  segment(5, 0, 0x400000, dataOffset);                         // R+X: headers and "code"
  segment(6, dataOffset, spec.dataAddr, spec.data.size());     // R+W: the data
  out.resize(dataOffset, '\xcc');
  out += spec.data;
  if (!spec.sections) return out;
  const std::string names = std::string("\0.go.buildinfo\0.shstrtab\0", 25);
  const size_t namesOffset = out.size();
  out += names;
  while (out.size() % 8 != 0) out.push_back('\0');
  putAt(out, shoffAt, out.size(), word, le);
  auto section = [&](uint32_t name, uint32_t type, uint64_t addr, uint64_t offset, uint64_t size) {
    put(out, name, 4, le), put(out, type, 4, le);
    if (spec.is64) {
      put(out, type == 1 ? 3 : 0, 8, le), put(out, addr, 8, le), put(out, offset, 8, le);
      put(out, size, 8, le), put(out, 0, 4, le), put(out, 0, 4, le), put(out, 16, 8, le), put(out, 0, 8, le);
    } else {
      put(out, type == 1 ? 3 : 0, 4, le), put(out, addr, 4, le), put(out, offset, 4, le);
      put(out, size, 4, le), put(out, 0, 4, le), put(out, 0, 4, le), put(out, 16, 4, le), put(out, 0, 4, le);
    }
  };
  section(0, 0, 0, 0, 0);
  section(1, 1, spec.dataAddr, dataOffset, spec.data.size());   // .go.buildinfo
  section(15, 3, 0, namesOffset, names.size());                 // .shstrtab
  return out;
}

GoElf withData(std::string data, bool sections = true) {
  GoElf spec;
  spec.data = std::move(data);
  spec.sections = sections;
  return spec;
}

// The Go 1.18+ header: flags 0x2, strings inline after the 32-byte header.
std::string inlineBuildInfo(const std::string& version, const std::string& modInfo,
                            unsigned pointerSize = 8, uint8_t flags = 0x2) {
  std::string out(kMagic);
  out.push_back(static_cast<char>(pointerSize));
  out.push_back(static_cast<char>(flags));
  out.resize(32, '\0');
  out += varint(version.size()) + version + varint(modInfo.size()) + modInfo;
  return out;
}

// The older header: two pointers to Go string headers, in the header's byte order.
std::string pointerBuildInfo(const std::string& version, const std::string& modInfo, uint64_t base,
                             unsigned pointerSize, bool bigEndian) {
  const bool le = !bigEndian;
  std::string out(kMagic);
  out.push_back(static_cast<char>(pointerSize));
  out.push_back(static_cast<char>(bigEndian ? 1 : 0));
  const uint64_t headers = 32;
  const uint64_t strings = headers + 4 * pointerSize;
  put(out, base + headers, pointerSize, le);
  put(out, base + headers + 2 * pointerSize, pointerSize, le);
  out.resize(32, '\0');
  put(out, base + strings, pointerSize, le), put(out, version.size(), pointerSize, le);
  put(out, base + strings + version.size(), pointerSize, le), put(out, modInfo.size(), pointerSize, le);
  out += version + modInfo;
  return out;
}

const std::string kModInfo =
    "path\texample.com/app/cmd/app\n"
    "mod\texample.com/app\t(devel)\t\n"
    "dep\tgithub.com/pkg/errors\tv0.9.1\th1:FEBLx1zS214owpjy7qsBeixbURkuhQAwrK5UwLGTwt4=\n"
    "dep\tgolang.org/x/text\tv0.3.7\n"
    "=>\tgolang.org/x/text\tv0.3.8\th1:abc=\n"
    "\n"
    "dep\texample.com/helper\tv0.0.0\n"
    "=>\t./helper\t(devel)\t\n"
    "\n"
    "build\t-compiler=gc\n"
    "build\t-ldflags=\"-s -w\"\n"
    "build\tCGO_ENABLED=0\n"
    "build\tGOARCH=amd64\n"
    "build\tGOOS=linux\n";

TEST(GoBuildInfo, InlineStrings64BitLittleEndian) {
  const std::string elf = makeElf(withData(inlineBuildInfo("go1.21.5", framed(kModInfo))));
  auto parsed = ElfFile::parse(elf, "app");
  ASSERT_TRUE(parsed) << parsed.error().message;
  auto strings = readGoBuildInfo(*parsed, "app");
  ASSERT_TRUE(strings) << strings.error().message;
  EXPECT_EQ(strings->goVersion, "go1.21.5");
  EXPECT_EQ(strings->modInfo, kModInfo);
}

TEST(GoBuildInfo, PointerFormatAllWidthsAndByteOrders) {
  for (const bool is64 : {true, false}) {
    for (const bool little : {true, false}) {
      SCOPED_TRACE(::testing::Message() << (is64 ? "64" : "32") << (little ? " LE" : " BE"));
      GoElf spec;
      spec.is64 = is64;
      spec.little = little;
      spec.data = pointerBuildInfo("go1.16.15", framed(kModInfo), spec.dataAddr, is64 ? 8 : 4, !little);
      const std::string elf = makeElf(spec);
      auto parsed = ElfFile::parse(elf, "old");
      ASSERT_TRUE(parsed) << parsed.error().message;
      auto strings = readGoBuildInfo(*parsed, "old");
      ASSERT_TRUE(strings) << strings.error().message;
      EXPECT_EQ(strings->goVersion, "go1.16.15");
      EXPECT_EQ(strings->modInfo, kModInfo);
    }
  }
}

TEST(GoBuildInfo, StrippedSectionHeadersUseTheWritableSegment) {
  // The header is also not at the start: Go scans the first 64 KiB at 16-byte alignment,
  // and a magic at an unaligned offset is not a header.
  std::string data(40, 'z');
  data += std::string(kMagic) + "garbage";  // unaligned decoy at offset 40
  data.resize(64, '\0');
  data += inlineBuildInfo("go1.19.8", framed(kModInfo));
  const std::string elf = makeElf(withData(data, false));
  auto parsed = ElfFile::parse(elf, "stripped");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_TRUE(parsed->sections().empty());
  auto strings = readGoBuildInfo(*parsed, "stripped");
  ASSERT_TRUE(strings) << strings.error().message;
  EXPECT_EQ(strings->goVersion, "go1.19.8");
  EXPECT_EQ(strings->modInfo, kModInfo);
}

TEST(GoBuildInfo, ModuleInfoWithoutFramingOrModulesKeepsTheVersion) {
  // GOPATH-mode builds (as Debian packages them): no "mod"/"dep" lines; and module info
  // that is not framed is dropped, as Go does.
  for (const std::string& mod : {framed("path\tgithub.com/opencontainers/umoci/cmd/umoci\nbuild\t-compiler=gc\n"),
                                 std::string("path\tx\n"), std::string()}) {
    const std::string elf = makeElf(withData(inlineBuildInfo("go1.19.8", mod)));
    auto parsed = ElfFile::parse(elf, "gopath");
    ASSERT_TRUE(parsed);
    auto strings = readGoBuildInfo(*parsed, "gopath");
    ASSERT_TRUE(strings) << strings.error().message;
    EXPECT_EQ(strings->goVersion, "go1.19.8");
    if (mod.size() > 32) {
      EXPECT_EQ(strings->modInfo, mod.substr(16, mod.size() - 32));
    } else {
      EXPECT_EQ(strings->modInfo, "");
    }
  }
}

TEST(GoBuildInfo, NotGoAndHostileBinaries) {
  auto errorOf = [](const std::string& elf) {
    auto parsed = ElfFile::parse(elf, "/bin/x");
    if (!parsed) return std::string("elf: ") + parsed.error().message;
    auto strings = readGoBuildInfo(*parsed, "/bin/x");
    return strings ? std::string("no error") : strings.error().message;
  };
  EXPECT_CONTAINS(errorOf(makeElf(withData(std::string(4096, 'a')))), "no \"\\xff Go buildinf:\" header");
  // Magic too close to the end for a 32-byte header.
  EXPECT_CONTAINS(errorOf(makeElf(withData(std::string(kMagic) + "\x08\x02"))), "no \"\\xff Go buildinf:\"");
  // Inline lengths beyond the data, over the bounds, and an overlong varint.
  std::string header = inlineBuildInfo("", "");
  header.resize(32);
  EXPECT_CONTAINS(errorOf(makeElf(withData(header + varint(1000) + "go1"))), "truncated or too long");
  EXPECT_CONTAINS(errorOf(makeElf(withData(header + varint(uint64_t{1} << 62) + "go1"))), "truncated");
  EXPECT_CONTAINS(errorOf(makeElf(withData(header + std::string(11, '\xff') + "go1"))), "truncated");
  EXPECT_CONTAINS(errorOf(makeElf(withData(header + varint(0) + varint(0)))), "without a go version");
  EXPECT_CONTAINS(errorOf(makeElf(withData(header + varint(9) + "go1.2\nbad" + varint(0)))), "newline");
  // Pointers outside every segment, and a bad pointer size.
  GoElf spec;
  spec.data = pointerBuildInfo("go1.16", framed(kModInfo), 0x10, 8, false);
  EXPECT_CONTAINS(errorOf(makeElf(spec)), "version pointer leads outside the file");
  spec.data = pointerBuildInfo("go1.16", "", spec.dataAddr, 8, false);
  spec.data[14] = 3;
  EXPECT_CONTAINS(errorOf(makeElf(spec)), "pointer size 3");
  // A huge length in a string header.
  spec.data = pointerBuildInfo("go1.16", "", spec.dataAddr, 8, false);
  putAt(spec.data, 40, ~uint64_t{0}, 8, true);
  EXPECT_CONTAINS(errorOf(makeElf(spec)), "outside the file");

  // Every truncation and byte flips over the headers and strings: no crash, no hang.
  const std::string good = makeElf(withData(inlineBuildInfo("go1.21.5", framed(kModInfo))));
  for (size_t cut = 0; cut < good.size(); cut += 13) (void)errorOf(good.substr(0, cut));
  for (size_t at = 0x1000; at < 0x1000 + 200; ++at) {
    std::string bad = good;
    bad[at] = static_cast<char>(bad[at] ^ 0xA5);
    (void)errorOf(bad);
  }
  for (size_t at = 0; at < 0x100; ++at) {
    std::string bad = good;
    bad[at] = static_cast<char>(bad[at] ^ 0xFF);
    (void)errorOf(bad);
  }
}

TEST(GoBuildInfo, EncodedFormRoundTrips) {
  const GoBuildInfoStrings strings{"go1.22.1 X:boringcrypto", kModInfo};
  auto decoded = decodeGoBuildInfo(encodeGoBuildInfo(strings), "/x");
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(decoded->goVersion, strings.goVersion);
  EXPECT_EQ(decoded->modInfo, strings.modInfo);
  for (const std::string bad : {"", "BHGO1\n", "BHGO1\n\nmod", "BHGO2\ngo1\n", "BHGO1\ngo1"}) {
    auto result = decodeGoBuildInfo(bad, "/usr/bin/x");
    ASSERT_FALSE(result) << bad;
    EXPECT_CONTAINS(result.error().message, "/usr/bin/x");
  }
  // The extractor of the shared capture rule gives the same form; nothing for non-Go ELFs.
  const std::string elf = makeElf(withData(inlineBuildInfo("go1.21.5", framed(kModInfo))));
  auto parsed = ElfFile::parse(elf, "x");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(extractGoBuildInfo(*parsed, elf), encodeGoBuildInfo({"go1.21.5", kModInfo}));
  const std::string notGo = makeElf(withData(std::string(100, 'q')));
  auto parsedNotGo = ElfFile::parse(notGo, "y");
  ASSERT_TRUE(parsedNotGo);
  EXPECT_FALSE(extractGoBuildInfo(*parsedNotGo, notGo));
}

TEST(GoModInfo, ModulesReplacementsAndSettings) {
  auto info = parseGoModInfo("go1.21.5", kModInfo, "/app");
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->path, "example.com/app/cmd/app");
  ASSERT_TRUE(info->main);
  EXPECT_EQ(info->main->module.path, "example.com/app");
  EXPECT_EQ(info->main->module.version, "(devel)");
  ASSERT_EQ(info->deps.size(), 3u);
  EXPECT_EQ(info->deps[0].module.path, "github.com/pkg/errors");
  EXPECT_EQ(info->deps[0].module.sum, "h1:FEBLx1zS214owpjy7qsBeixbURkuhQAwrK5UwLGTwt4=");
  EXPECT_FALSE(info->deps[0].replacement);
  ASSERT_TRUE(info->deps[1].replacement);
  EXPECT_EQ(info->deps[1].replacement->version, "v0.3.8");
  EXPECT_EQ(info->deps[1].replacement->sum, "h1:abc=");
  ASSERT_TRUE(info->deps[2].replacement);
  EXPECT_EQ(info->deps[2].replacement->path, "./helper");
  EXPECT_EQ(info->deps[2].replacement->version, "(devel)");
  ASSERT_EQ(info->settings.size(), 5u);
  EXPECT_EQ(info->settings[1], (std::pair<std::string, std::string>("-ldflags", "-s -w")));
  EXPECT_EQ(info->settings[4], (std::pair<std::string, std::string>("GOOS", "linux")));

  // Unknown kinds are skipped; a last line without a newline still counts.
  info = parseGoModInfo("go1.30", "go\t1.30\nfuture\tx\ndep\ta\tv1", "/app");
  ASSERT_TRUE(info) << info.error().message;
  ASSERT_EQ(info->deps.size(), 1u);
  EXPECT_FALSE(info->main);

  for (const auto& [text, message] : std::vector<std::pair<std::string, std::string>>{
           {"=>\tx\tv1\t\n", "line 1: replacement with no module before it"},
           {"dep\ta\tv1\n=>\tb\tv2\t\n=>\tc\tv3\t\n", "line 3: replacement with no module"},
           {"dep\ta\n", "line 1: dep line with 2 fields"},
           {"mod\ta\tv1\tsum\textra\n", "line 1: mod line with 5 fields"},
           {"dep\ta\tv1\n=>\tb\n", "line 2: replacement with 2 fields"}}) {
    auto bad = parseGoModInfo("go1.21", text, "/usr/bin/tool");
    ASSERT_FALSE(bad) << text;
    EXPECT_CONTAINS(bad.error().message, "/usr/bin/tool: Go module info " + message);
  }
  GoModInfoLimits limits;
  limits.maxDeps = 2;
  auto many = parseGoModInfo("go1.21", "dep\ta\tv1\ndep\tb\tv1\ndep\tc\tv1\n", "/x", limits);
  ASSERT_FALSE(many);
  EXPECT_CONTAINS(many.error().message, "more than 2 Go module dependencies");
}

TEST(GoStdlibVersion, ReleaseVersionsAsTheVulnerabilityDatabaseWritesThem) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"go1.19.8", "v1.19.8"},       {"go1.20", "v1.20.0"},        {"go1.21rc2", "v1.21.0-rc.2"},
      {"go1.9.2rc2", "v1.9.2-rc.2"}, {"go1.18beta1", "v1.18.0-beta.1"},
      {"go1.22.1 X:boringcrypto", "v1.22.1"}, {"go1", "v1.0.0"},
      {"devel go1.23-abcdef Tue", ""}, {"go1.2.3.4", ""}, {"go2", ""}, {"go1.x", ""},
      {"go1.21rc", ""},              {"", ""},                     {"go1.21-pre", ""}};
  for (const auto& [in, out] : cases) EXPECT_EQ(goStdlibVersion(in), out) << in;
}

const Package* findGo(const std::vector<Package>& packages, const std::string& location,
                      const std::string& name) {
  for (const auto& p : packages) {
    if (p.ecosystem == eco::kGo && p.name == name && p.locations.front() == location) return &p;
  }
  return nullptr;
}

TEST(GoCataloger, PackagesOfGoBinariesInImageLayers) {
  const std::string app = makeElf(withData(inlineBuildInfo("go1.21.5", framed(kModInfo))));
  const std::string gopath = makeElf(withData(inlineBuildInfo(
                                          "go1.19.8", framed("path\tgithub.com/x/tool\nbuild\tGOARCH=arm64\n"))));
  const std::string devel = makeElf(withData(inlineBuildInfo("devel go1.23-0123456", "")));
  const std::string broken = makeElf(withData(inlineBuildInfo("go1.20.1", framed("=>\tx\tv1\t\n"))));
  const std::string dir = tb::makeTempDir("layout");
  tb::LayoutBuilder layout(dir + "/oci");
  const std::string layer = tb::makeTar({
      tb::dir("usr/"), tb::dir("usr/bin/"), tb::dir("usr/local/"), tb::dir("usr/local/bin/"),
      tb::file("usr/local/bin/app", app, 0755),
      tb::file("usr/bin/tool", gopath, 0755),
      tb::file("usr/bin/devel", devel, 0755),
      tb::file("usr/bin/broken", broken, 0755),
      tb::file("usr/bin/not-executable", app, 0644),  // the rule keeps executables only
      tb::file("usr/bin/not-elf", "#!/bin/sh\n", 0755),
  });
  layout.writeIndexJson({layout.image({layer})}, {"t"});
  image::ReadOptions options;
  options.cacheDir = dir + "/cache";
  options.capture = sbomCapture();
  for (int pass = 0; pass < 2; ++pass) {  // the second pass is served from the layer cache
    auto img = image::openImage("oci:" + dir + "/oci:t", options);
    ASSERT_TRUE(img) << img.error().message;
    auto sbom = buildSbom(*img);
    ASSERT_TRUE(sbom) << sbom.error().message;
    const auto& packages = sbom->packages;
    std::vector<std::string> appPackages;
    for (const auto& p : packages) {
      if (p.ecosystem == eco::kGo && p.locations.front() == "/usr/local/bin/app") {
        appPackages.push_back(p.purl);
      }
    }
    std::sort(appPackages.begin(), appPackages.end());
    EXPECT_EQ(appPackages, (std::vector<std::string>{
                               "pkg:golang/./helper@%28devel%29",
                               "pkg:golang/example.com/app@%28devel%29",
                               "pkg:golang/github.com/pkg/errors@v0.9.1",
                               "pkg:golang/golang.org/x/text@v0.3.8",
                               "pkg:golang/stdlib@v1.21.5",
                           }));
    const Package* main = findGo(packages, "/usr/local/bin/app", "example.com/app");
    ASSERT_NE(main, nullptr);
    EXPECT_EQ(main->version, "(devel)");
    EXPECT_EQ(main->metadata.at("main"), "true");
    EXPECT_EQ(main->metadata.at("build:-ldflags"), "-s -w");
    EXPECT_EQ(main->metadata.at("GOARCH"), "amd64");
    EXPECT_EQ(main->cataloger, "go-binary");
    EXPECT_EQ(main->layer, 0);
    const Package* text = findGo(packages, "/usr/local/bin/app", "golang.org/x/text");
    ASSERT_NE(text, nullptr);
    EXPECT_EQ(text->metadata.at("replaces"), "golang.org/x/text");
    EXPECT_EQ(text->metadata.at("replacesVersion"), "v0.3.7");
    EXPECT_EQ(text->metadata.at("h1Digest"), "h1:abc=");
    const Package* helper = findGo(packages, "/usr/local/bin/app", "./helper");
    ASSERT_NE(helper, nullptr);
    EXPECT_EQ(helper->metadata.at("replaces"), "example.com/helper");
    const Package* stdlib = findGo(packages, "/usr/local/bin/app", "stdlib");
    ASSERT_NE(stdlib, nullptr);
    EXPECT_EQ(stdlib->metadata.at("goVersion"), "go1.21.5");

    // GOPATH build: only the toolchain.
    int toolPackages = 0;
    for (const auto& p : packages) toolPackages += p.locations.front() == "/usr/bin/tool" ? 1 : 0;
    EXPECT_EQ(toolPackages, 1);
    const Package* toolStdlib = findGo(packages, "/usr/bin/tool", "stdlib");
    ASSERT_NE(toolStdlib, nullptr);
    EXPECT_EQ(toolStdlib->purl, "pkg:golang/stdlib@v1.19.8");
    EXPECT_EQ(toolStdlib->metadata.at("mainPackage"), "github.com/x/tool");

    // A broken module list keeps the toolchain and says what is wrong; a devel toolchain
    // has no stdlib version.
    EXPECT_NE(findGo(packages, "/usr/bin/broken", "stdlib"), nullptr);
    std::string warnings;
    for (const auto& w : sbom->warnings) warnings += w + "\n";
    EXPECT_CONTAINS(warnings, "/usr/bin/broken: Go module info line 1: replacement with no module");
    EXPECT_CONTAINS(warnings, "/usr/bin/devel: Go toolchain version 'devel go1.23-0123456' is not a release");
    for (const auto& p : packages) {
      EXPECT_NE(p.locations.front(), "/usr/bin/not-executable");
      EXPECT_NE(p.locations.front(), "/usr/bin/devel");
    }
  }
}

}  // namespace
}  // namespace bulkhead::sbom
