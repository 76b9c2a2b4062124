// Go build info (sbom/go_buildinfo.h) from arbitrary bytes: as a whole binary; as the
// contents of the writable segment and .go.buildinfo section of a well-formed ELF written
// here (first byte: 64/32 bit, byte order, section headers or not), so that the header,
// varint and pointer decoding are reached without a corpus; and as module info text and
// the layer-cache form. Results stay within their bounds and round-trip.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sbom/elf.h"
#include "sbom/go_buildinfo.h"

using namespace bulkhead::sbom;

namespace {

void put(std::string& out, uint64_t value, unsigned width, bool little) {
  for (unsigned i = 0; i < width; ++i) {
    const unsigned shift = little ? i * 8 : (width - 1 - i) * 8;
    out.push_back(static_cast<char>((value >> shift) & 0xFF));
  }
}

// An ELF executable whose writable PT_LOAD segment (and, optionally, .go.buildinfo
// section) at 0x5a0000 holds `data`.
std::string elfAround(std::string_view data, bool is64, bool little, bool sections) {
  const unsigned word = is64 ? 8 : 4;
  const uint64_t ehsize = is64 ? 64 : 52;
  const uint64_t phentsize = is64 ? 56 : 32;
  const uint64_t shentsize = is64 ? 64 : 40;
  const uint64_t dataOffset = 0x200;
  const uint64_t addr = 0x5a0000;
  std::string out("\x7f" "ELF", 4);
  out.push_back(static_cast<char>(is64 ? 2 : 1));
  out.push_back(static_cast<char>(little ? 1 : 2));
  out.push_back(1);
  out.resize(16, '\0');
  const std::string names("\0.go.buildinfo\0.shstrtab\0", 25);
  const uint64_t namesOffset = dataOffset + data.size();
  const uint64_t shoff = (namesOffset + names.size() + 7) / 8 * 8;
  put(out, 2, 2, little), put(out, is64 ? 62 : 3, 2, little), put(out, 1, 4, little);
  put(out, 0, word, little), put(out, ehsize, word, little), put(out, sections ? shoff : 0, word, little);
  put(out, 0, 4, little), put(out, ehsize, 2, little), put(out, phentsize, 2, little);
  put(out, 1, 2, little), put(out, shentsize, 2, little);
  put(out, sections ? 3 : 0, 2, little), put(out, sections ? 2 : 0, 2, little);
  put(out, 1, 4, little);  // PT_LOAD, R+W
  if (is64) {
    put(out, 6, 4, little), put(out, dataOffset, 8, little), put(out, addr, 8, little);
    put(out, addr, 8, little), put(out, data.size(), 8, little), put(out, data.size(), 8, little);
    put(out, 0x1000, 8, little);
  } else {
    put(out, dataOffset, 4, little), put(out, addr, 4, little), put(out, addr, 4, little);
    put(out, data.size(), 4, little), put(out, data.size(), 4, little), put(out, 6, 4, little);
    put(out, 0x1000, 4, little);
  }
  out.resize(dataOffset, '\0');
  out += data;
  if (!sections) return out;
  out += names;
  out.resize(shoff, '\0');
  auto section = [&](uint32_t name, uint32_t type, uint64_t a, uint64_t offset, uint64_t size) {
    put(out, name, 4, little), put(out, type, 4, little);
    put(out, 0, word, little), put(out, a, word, little), put(out, offset, word, little);
    put(out, size, word, little), put(out, 0, 4, little), put(out, 0, 4, little);
    put(out, 1, word, little), put(out, 0, word, little);
  };
  section(0, 0, 0, 0, 0);
  section(1, 1, addr, dataOffset, data.size());
  section(15, 3, 0, namesOffset, names.size());
  return out;
}

void readAndCheck(std::string_view binary) {
  auto elf = ElfFile::parse(binary, "fuzz");
  if (!elf) return;
  auto strings = readGoBuildInfo(*elf, "fuzz");
  auto extracted = extractGoBuildInfo(*elf, binary);
  if (!strings) {
    if (extracted) std::abort();
    return;
  }
  if (strings->goVersion.empty() || strings->goVersion.size() > kMaxGoVersionBytes) std::abort();
  if (strings->modInfo.size() > kMaxGoModInfoBytes) std::abort();
  if (!extracted) std::abort();
  auto decoded = decodeGoBuildInfo(*extracted, "fuzz");
  if (!decoded || decoded->goVersion != strings->goVersion || decoded->modInfo != strings->modInfo) {
    std::abort();
  }
  (void)parseGoModInfo(strings->goVersion, strings->modInfo, "fuzz");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  readAndCheck(bytes);
  if (size > 0) {
    const auto mode = static_cast<uint8_t>(bytes[0]);
    std::string prefix(bytes.substr(1));
    // Most inputs get a header in front, so mutations land on its fields and strings.
    if ((mode & 0x8) == 0) prefix = std::string("\xff Go buildinf:", 14) + prefix;
    readAndCheck(elfAround(prefix, (mode & 1) == 0, (mode & 2) == 0, (mode & 4) == 0));
  }

  GoModInfoLimits limits;
  limits.maxDeps = 64;
  limits.maxSettings = 16;
  auto info = parseGoModInfo("go1.21.0", bytes, "/usr/bin/fuzz", limits);
  if (info) {
    if (info->deps.size() > limits.maxDeps || info->settings.size() > limits.maxSettings) std::abort();
  } else if (info.error().message.rfind("/usr/bin/fuzz: ", 0) != 0) {
    std::abort();
  }
  const std::string stdlib = goStdlibVersion(bytes);
  if (!stdlib.empty() && stdlib[0] != 'v') std::abort();
  auto decoded = decodeGoBuildInfo(bytes, "x");
  if (decoded && encodeGoBuildInfo(*decoded) != bytes) std::abort();
  return 0;
}
