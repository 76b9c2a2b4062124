#include "sbom/elf.h"

namespace bulkhead::sbom {
namespace {

constexpr uint16_t kShnXindex = 0xffff;
constexpr uint16_t kPnXnum = 0xffff;

// offset + size <= total, without overflow.
bool within(uint64_t offset, uint64_t size, uint64_t total) {
  return offset <= total && size <= total - offset;
}

class Reader {
 public:
  Reader(std::string_view bytes, bool little) : bytes_(bytes), little_(little) {}
  std::optional<uint64_t> read(uint64_t offset, unsigned width) const {
    if (!within(offset, width, bytes_.size())) return std::nullopt;
    uint64_t value = 0;
    for (unsigned i = 0; i < width; ++i) {
      const auto byte = static_cast<uint8_t>(bytes_[offset + (little_ ? width - 1 - i : i)]);
      value = (value << 8) | byte;
    }
    return value;
  }
  // For fields whose bounds were checked as a whole (headers): never reads past the end.
  uint64_t get(uint64_t offset, unsigned width) const { return read(offset, width).value_or(0); }

 private:
  std::string_view bytes_;
  bool little_;
};

}  // namespace

bool looksLikeElf(std::string_view bytes) {
  return bytes.starts_with(
      "\x7f"
      "ELF");
}

Result<ElfFile> ElfFile::parse(std::string_view bytes, std::string_view what,
                               const ElfLimits& limits) {
  if (!looksLikeElf(bytes) || bytes.size() < 52) return makeError("{}: not an ELF file", what);
  ElfFile elf;
  elf.bytes_ = bytes;
  const auto cls = static_cast<uint8_t>(bytes[4]);
  const auto data = static_cast<uint8_t>(bytes[5]);
  if (cls != 1 && cls != 2)
    return makeError("{}: ELF class {} is neither 32 nor 64 bit", what, cls);
  if (data != 1 && data != 2) return makeError("{}: ELF data encoding {} is unknown", what, data);
  elf.is64_ = cls == 2;
  elf.little_ = data == 1;
  if (elf.is64_ && bytes.size() < 64) return makeError("{}: truncated ELF header", what);
  const Reader r(bytes, elf.little_);
  const unsigned word = elf.is64_ ? 8 : 4;
  // Header fields (offsets per the System V gABI).
  elf.type_ = static_cast<uint16_t>(r.get(16, 2));
  elf.machine_ = static_cast<uint16_t>(r.get(18, 2));
  const uint64_t phoff = r.get(elf.is64_ ? 0x20 : 0x1C, word);
  const uint64_t shoff = r.get(elf.is64_ ? 0x28 : 0x20, word);
  const uint64_t phentsize = r.get(elf.is64_ ? 0x36 : 0x2A, 2);
  uint64_t phnum = r.get(elf.is64_ ? 0x38 : 0x2C, 2);
  const uint64_t shentsize = r.get(elf.is64_ ? 0x3A : 0x2E, 2);
  uint64_t shnum = r.get(elf.is64_ ? 0x3C : 0x30, 2);
  uint64_t shstrndx = r.get(elf.is64_ ? 0x3E : 0x32, 2);
  const uint64_t shentMin = elf.is64_ ? 64 : 40;
  const uint64_t phentMin = elf.is64_ ? 56 : 32;

  // Section header 0 carries the real counts when they overflow 16 bits.
  if (shoff != 0) {
    if (shentsize < shentMin)
      return makeError("{}: section header size {} too small", what, shentsize);
    if (!within(shoff, shentsize, bytes.size())) {
      return makeError("{}: section headers at {} lie outside the file", what, shoff);
    }
    if (shnum == 0) shnum = r.get(shoff + (elf.is64_ ? 0x20 : 0x14), word);
    if (shstrndx == kShnXindex) shstrndx = r.get(shoff + (elf.is64_ ? 0x28 : 0x18), 4);
    if (phnum == kPnXnum) phnum = r.get(shoff + (elf.is64_ ? 0x2C : 0x1C), 4);
  } else {
    shnum = 0;
  }
  if (shnum > limits.maxSections) return makeError("{}: {} sections exceed the limit", what, shnum);
  if (shnum > 0 && !within(shoff, shnum * shentsize, bytes.size())) {
    return makeError("{}: {} section headers at {} lie outside the file", what, shnum, shoff);
  }
  if (phoff != 0 && phnum > 0) {
    if (phnum > limits.maxSegments)
      return makeError("{}: {} segments exceed the limit", what, phnum);
    if (phentsize < phentMin)
      return makeError("{}: program header size {} too small", what, phentsize);
    if (!within(phoff, phnum * phentsize, bytes.size())) {
      return makeError("{}: {} program headers at {} lie outside the file", what, phnum, phoff);
    }
    elf.segments_.reserve(phnum);
    for (uint64_t i = 0; i < phnum; ++i) {
      const uint64_t at = phoff + i * phentsize;
      ElfSegment s;
      s.type = static_cast<uint32_t>(r.get(at, 4));
      if (elf.is64_) {
        s.flags = static_cast<uint32_t>(r.get(at + 4, 4));
        s.offset = r.get(at + 8, 8);
        s.vaddr = r.get(at + 16, 8);
        s.fileSize = r.get(at + 32, 8);
        s.memSize = r.get(at + 40, 8);
      } else {
        s.offset = r.get(at + 4, 4);
        s.vaddr = r.get(at + 8, 4);
        s.fileSize = r.get(at + 16, 4);
        s.memSize = r.get(at + 20, 4);
        s.flags = static_cast<uint32_t>(r.get(at + 24, 4));
      }
      elf.segments_.push_back(s);
    }
  }

  // Section names live in the string table section shstrndx; a bad index leaves names empty.
  std::string_view names;
  if (shstrndx < shnum) {
    const uint64_t at = shoff + shstrndx * shentsize;
    const uint64_t off = r.get(at + (elf.is64_ ? 0x18 : 0x10), word);
    const uint64_t size = r.get(at + (elf.is64_ ? 0x20 : 0x14), word);
    if (within(off, size, bytes.size())) names = bytes.substr(off, size);
  }
  elf.sections_.reserve(shnum);
  for (uint64_t i = 0; i < shnum; ++i) {
    const uint64_t at = shoff + i * shentsize;
    ElfSection s;
    const uint64_t nameOffset = r.get(at, 4);
    s.type = static_cast<uint32_t>(r.get(at + 4, 4));
    s.addr = r.get(at + (elf.is64_ ? 0x10 : 0x0C), word);
    s.offset = r.get(at + (elf.is64_ ? 0x18 : 0x10), word);
    s.size = r.get(at + (elf.is64_ ? 0x20 : 0x14), word);
    if (nameOffset < names.size()) {
      std::string_view name = names.substr(nameOffset, limits.maxNameBytes);
      name = name.substr(0, name.find('\0'));
      s.name = std::string(name);
    }
    elf.sections_.push_back(std::move(s));
  }
  return elf;
}

const ElfSection* ElfFile::section(std::string_view name) const {
  for (const auto& s : sections_) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::optional<std::string_view> ElfFile::sectionData(std::string_view name) const {
  const ElfSection* s = section(name);
  if (s == nullptr || s->type == kShtNobits || !within(s->offset, s->size, bytes_.size())) {
    return std::nullopt;
  }
  return bytes_.substr(s->offset, s->size);
}

std::optional<uint64_t> ElfFile::fileOffsetForAddress(uint64_t addr) const {
  for (const auto& s : segments_) {
    if (s.type != kPtLoad || addr < s.vaddr || addr - s.vaddr >= s.fileSize) continue;
    const uint64_t offset = s.offset + (addr - s.vaddr);
    if (offset < s.offset || offset >= bytes_.size()) continue;  // overflow or past the file
    return offset;
  }
  return std::nullopt;
}

std::optional<std::string_view> ElfFile::dataAtAddress(uint64_t addr, uint64_t size) const {
  for (const auto& s : segments_) {
    if (s.type != kPtLoad || addr < s.vaddr || addr - s.vaddr >= s.fileSize) continue;
    const uint64_t delta = addr - s.vaddr;
    const uint64_t offset = s.offset + delta;
    if (offset < s.offset || offset >= bytes_.size()) continue;
    uint64_t available = s.fileSize - delta;
    if (available > bytes_.size() - offset) available = bytes_.size() - offset;
    return bytes_.substr(offset, size < available ? size : available);
  }
  return std::nullopt;
}

std::optional<uint64_t> ElfFile::readWord(std::string_view data, uint64_t offset,
                                          unsigned width) const {
  if (width == 0 || width > 8) return std::nullopt;
  return Reader(data, little_).read(offset, width);
}

}  // namespace bulkhead::sbom
