// The bounded ELF reader: section and program headers of ELF files built in the test (32-
// and 64-bit, little and big endian) and of real binaries, checked against readelf; and
// truncated or lying headers, which must give errors or nothing, never a bad read.

#include "sbom/elf.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "support/layout_builder.h"
#include "support/testbed.h"

namespace bulkhead::sbom {
namespace {

namespace tb = bulkhead::testing;

// Builds ELF files with chosen sections and PT_LOAD segments.
struct ElfSpec {
  bool is64 = true;
  bool little = true;
  struct Section {
    std::string name;
    uint32_t type = 1;  // SHT_PROGBITS
    std::string data;
    uint64_t addr = 0;
  };
  std::vector<Section> sections;
  struct Segment {
    uint64_t vaddr;
    std::string sectionName;  // the segment maps this section's bytes
  };
  std::vector<Segment> segments;
};

class Writer {
 public:
  explicit Writer(bool little) : little_(little) {}
  void put(uint64_t value, unsigned width) {
    for (unsigned i = 0; i < width; ++i) {
      const unsigned shift = little_ ? i * 8 : (width - 1 - i) * 8;
      out.push_back(static_cast<char>((value >> shift) & 0xff));
    }
  }
  void putAt(size_t at, uint64_t value, unsigned width) {
    for (unsigned i = 0; i < width; ++i) {
      const unsigned shift = little_ ? i * 8 : (width - 1 - i) * 8;
      out[at + i] = static_cast<char>((value >> shift) & 0xff);
    }
  }
  std::string out;

 private:
  bool little_;
};

std::string buildElf(const ElfSpec& spec) {
  Writer w(spec.little);
  const unsigned word = spec.is64 ? 8 : 4;
  const size_t ehsize = spec.is64 ? 64 : 52;
  const size_t phentsize = spec.is64 ? 56 : 32;
  const size_t shentsize = spec.is64 ? 64 : 40;
  w.out = std::string(
      "\x7f"
      "ELF",
      4);
  w.out.push_back(static_cast<char>(spec.is64 ? 2 : 1));
  w.out.push_back(static_cast<char>(spec.little ? 1 : 2));
  w.out.push_back(1);
  w.out.resize(16, '\0');
  w.put(2, 2);                   // ET_EXEC
  w.put(spec.is64 ? 62 : 3, 2);  // x86-64 / i386
  w.put(1, 4);
  w.put(0, word);  // entry
  const size_t phoffAt = w.out.size();
  w.put(0, word);
  const size_t shoffAt = w.out.size();
  w.put(0, word);
  w.put(0, 4);
  w.put(ehsize, 2);
  w.put(phentsize, 2);
  w.put(spec.segments.size(), 2);
  w.put(shentsize, 2);
  w.put(spec.sections.size() + 2, 2);  // null section + ours + .shstrtab
  w.put(spec.sections.size() + 1, 2);
  // Section data, then the names, then program and section headers.
  std::vector<uint64_t> offsets;
  for (const auto& s : spec.sections) {
    offsets.push_back(w.out.size());
    if (s.type != 8) w.out += s.data;
  }
  std::string names(1, '\0');
  std::vector<uint64_t> nameOffsets;
  for (const auto& s : spec.sections) {
    nameOffsets.push_back(names.size());
    names += s.name + '\0';
  }
  const uint64_t shstrName = names.size();
  names += std::string(".shstrtab") + '\0';
  const uint64_t namesAt = w.out.size();
  w.out += names;
  w.putAt(phoffAt, spec.segments.empty() ? 0 : w.out.size(), word);
  for (const auto& seg : spec.segments) {
    size_t index = 0;
    while (spec.sections[index].name != seg.sectionName) ++index;
    const uint64_t size = spec.sections[index].data.size();
    w.put(1, 4);  // PT_LOAD
    if (spec.is64) {
      w.put(5, 4);
      w.put(offsets[index], 8);
      w.put(seg.vaddr, 8);
      w.put(seg.vaddr, 8);
      w.put(size, 8);
      w.put(size, 8);
      w.put(0x1000, 8);
    } else {
      w.put(offsets[index], 4);
      w.put(seg.vaddr, 4);
      w.put(seg.vaddr, 4);
      w.put(size, 4);
      w.put(size, 4);
      w.put(5, 4);
      w.put(0x1000, 4);
    }
  }
  w.putAt(shoffAt, w.out.size(), word);
  auto header = [&](uint64_t name, uint32_t type, uint64_t addr, uint64_t offset, uint64_t size) {
    w.put(name, 4);
    w.put(type, 4);
    w.put(0, word);  // flags
    w.put(addr, word);
    w.put(offset, word);
    w.put(size, word);
    w.put(0, 4);
    w.put(0, 4);
    w.put(1, word);
    w.put(0, word);
  };
  header(0, 0, 0, 0, 0);
  for (size_t i = 0; i < spec.sections.size(); ++i) {
    const auto& s = spec.sections[i];
    header(nameOffsets[i], s.type, s.addr, offsets[i], s.data.size());
  }
  header(shstrName, 3, 0, namesAt, names.size());
  return w.out;
}

ElfSpec sampleSpec(bool is64, bool little) {
  ElfSpec spec;
  spec.is64 = is64;
  spec.little = little;
  spec.sections = {{".text", 1, std::string("\x90\x90\xc3", 3), 0x401000},
                   {".dep-v0", 1, "compressed-json-here", 0},
                   {".go.buildinfo", 1, std::string("\xff Go buildinf:", 14) + "payload", 0x402000},
                   {".bss", 8, std::string(64, '\0'), 0x403000}};
  spec.segments = {{0x401000, ".text"}, {0x402000, ".go.buildinfo"}};
  return spec;
}

struct ReadelfSection {
  std::string name;
  uint64_t offset, size, addr;
  bool operator==(const ReadelfSection&) const = default;
};

// readelf -S -W: "  [ 1] .interp  PROGBITS  0000000000000318 000318 00001c 00 A 0 0 1".
std::vector<ReadelfSection> readelfSections(const std::string& path) {
  auto r = tb::runCommand({"readelf", "-S", "-W", path});
  std::vector<ReadelfSection> out;
  if (r.exitCode != 0) return out;
  const std::regex line(
      R"(^\s*\[\s*(\d+)\]\s+(\S*)\s+(\S+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s)");
  std::istringstream in(r.out);
  std::string text;
  while (std::getline(in, text)) {
    std::smatch m;
    if (!std::regex_search(text, m, line)) continue;
    if (m[1] == "0") {
      out.push_back({"", 0, 0, 0});
      continue;
    }
    out.push_back({m[2], std::stoull(m[5], nullptr, 16), std::stoull(m[6], nullptr, 16),
                   std::stoull(m[4], nullptr, 16)});
  }
  return out;
}

bool haveReadelf() { return tb::runCommand({"readelf", "--version"}).exitCode == 0; }

std::string writeTemp(const std::string& name, const std::string& bytes) {
  const std::string path = tb::makeTempDir("elf") + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<ReadelfSection> ours(const ElfFile& elf) {
  std::vector<ReadelfSection> out;
  for (const auto& s : elf.sections()) out.push_back({s.name, s.offset, s.size, s.addr});
  return out;
}

class ElfVariants : public ::testing::TestWithParam<std::tuple<bool, bool>> {};

TEST_P(ElfVariants, SectionsSegmentsAndAddressesOfABuiltFile) {
  const auto [is64, little] = GetParam();
  const std::string bytes = buildElf(sampleSpec(is64, little));
  auto elf = ElfFile::parse(bytes, "built.elf");
  ASSERT_TRUE(elf) << elf.error().message;
  EXPECT_EQ(elf->is64(), is64);
  EXPECT_EQ(elf->littleEndian(), little);
  EXPECT_EQ(elf->machine(), is64 ? 62 : 3);
  ASSERT_EQ(elf->sections().size(), 6u);
  EXPECT_EQ(elf->sectionData(".dep-v0"), std::optional<std::string_view>("compressed-json-here"));
  EXPECT_EQ(elf->sectionData(".text")->size(), 3u);
  EXPECT_FALSE(elf->sectionData(".bss"));  // SHT_NOBITS: nothing in the file
  EXPECT_FALSE(elf->sectionData(".nope"));
  ASSERT_EQ(elf->segments().size(), 2u);
  const auto buildinfo = elf->section(".go.buildinfo");
  ASSERT_NE(buildinfo, nullptr);
  EXPECT_EQ(elf->fileOffsetForAddress(0x402000), buildinfo->offset);
  EXPECT_EQ(elf->fileOffsetForAddress(0x402003), buildinfo->offset + 3);
  EXPECT_FALSE(elf->fileOffsetForAddress(0x402000 + buildinfo->size));  // one past the end
  EXPECT_FALSE(elf->fileOffsetForAddress(0x1000));
  EXPECT_EQ(elf->dataAtAddress(0x402001, 3), std::optional<std::string_view>(" Go"));
  // Asking for more than the segment holds gives what there is.
  EXPECT_EQ(elf->dataAtAddress(0x402000, 1 << 20)->size(), buildinfo->size);
  EXPECT_EQ(elf->readWord("\x01\x02", 0, 2), little ? 0x0201u : 0x0102u);
  EXPECT_FALSE(elf->readWord("\x01", 0, 2));

  if (!haveReadelf()) GTEST_SKIP() << "no readelf to compare with";
  EXPECT_EQ(ours(*elf), readelfSections(writeTemp("built.elf", bytes)));
}

INSTANTIATE_TEST_SUITE_P(ClassAndByteOrder, ElfVariants,
                         ::testing::Combine(::testing::Bool(), ::testing::Bool()));

// Real binaries and objects of this host, against readelf.
TEST(Elf, RealFilesMatchReadelf) {
  if (!haveReadelf()) GTEST_SKIP() << "no readelf";
  std::vector<std::string> files;
  for (const char* p : {"/bin/ls", "/usr/bin/cmake", "/lib/x86_64-linux-gnu/libc.so.6",
                        "/usr/lib/x86_64-linux-gnu/libz.so.1"}) {
    if (std::filesystem::exists(p)) files.push_back(std::filesystem::canonical(p).string());
  }
  // A 32-bit object, when the compiler can make one.
  const std::string dir = tb::makeTempDir("objects");
  std::ofstream(dir + "/x.c") << "int x = 1; int f(void) { return x; }\n";
  if (tb::runCommand({"cc", "-m32", "-c", dir + "/x.c", "-o", dir + "/x32.o"}).exitCode == 0) {
    files.push_back(dir + "/x32.o");
  }
  ASSERT_FALSE(files.empty());
  for (const auto& path : files) {
    const std::string bytes = slurp(path);
    auto elf = ElfFile::parse(bytes, path);
    ASSERT_TRUE(elf) << elf.error().message;
    const auto expected = readelfSections(path);
    ASSERT_FALSE(expected.empty()) << path;
    EXPECT_EQ(ours(*elf), expected) << path;
    // Every loaded address of a text section maps back to its file offset.
    if (const auto* text = elf->section(".text"); text != nullptr && text->addr != 0) {
      EXPECT_EQ(elf->fileOffsetForAddress(text->addr), text->offset) << path;
    }
  }
}

TEST(Elf, RejectsWhatIsNotElf) {
  EXPECT_FALSE(ElfFile::parse("", "empty"));
  EXPECT_FALSE(ElfFile::parse("#!/bin/sh\necho hi\n", "script"));
  auto e = ElfFile::parse(std::string("\x7f"
                                      "ELF\x03\x01",
                                      6) +
                              std::string(64, '\0'),
                          "/bin/odd");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("/bin/odd"), std::string::npos);
  EXPECT_NE(e.error().message.find("class"), std::string::npos);
}

// Every truncation of a valid file parses or fails cleanly, and what parses never points
// outside the bytes it was given.
TEST(Elf, TruncationsAndCorruptionsStayInBounds) {
  for (const bool is64 : {false, true}) {
    for (const bool little : {false, true}) {
      const std::string full = buildElf(sampleSpec(is64, little));
      for (size_t n = 0; n <= full.size(); ++n) {
        const std::string cut = full.substr(0, n);
        auto elf = ElfFile::parse(cut, "cut");
        if (!elf) continue;
        for (const auto& s : elf->sections()) {
          if (auto data = elf->sectionData(s.name)) {
            EXPECT_GE(data->data(), cut.data());
            EXPECT_LE(data->data() + data->size(), cut.data() + cut.size());
          }
        }
      }
      // Flip each byte of the headers to 0xff: huge offsets, sizes and counts.
      for (size_t i = 0; i < full.size(); ++i) {
        std::string bad = full;
        bad[i] = static_cast<char>(0xff);
        auto elf = ElfFile::parse(bad, "bad");
        if (!elf) continue;
        for (const auto& s : elf->sections()) {
          if (auto data = elf->sectionData(s.name)) {
            EXPECT_LE(data->data() + data->size(), bad.data() + bad.size());
          }
        }
        for (uint64_t addr : {uint64_t{0x401000}, uint64_t{0x402000}, ~uint64_t{0}}) {
          if (auto off = elf->fileOffsetForAddress(addr)) {
            EXPECT_LT(*off, bad.size());
          }
          if (auto data = elf->dataAtAddress(addr, ~uint64_t{0})) {
            EXPECT_LE(data->data() + data->size(), bad.data() + bad.size());
          }
        }
      }
    }
  }
}

TEST(Elf, SectionCountBeyondTheLimitIsAnError) {
  std::string bytes = buildElf(sampleSpec(true, true));
  ElfLimits limits;
  limits.maxSections = 3;
  auto elf = ElfFile::parse(bytes, "/usr/bin/many", limits);
  ASSERT_FALSE(elf);
  EXPECT_NE(elf.error().message.find("/usr/bin/many"), std::string::npos);
}

}  // namespace
}  // namespace bulkhead::sbom
