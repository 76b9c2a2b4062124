#pragma once
// A small bounded ELF reader for binaries from hostile images: section headers by name and
// program headers for address -> file offset mapping, 32- and 64-bit, either byte order.
// Every offset and size read from the file is checked against the bytes before use; a
// malformed file is an error naming `what`, never a crash or an out-of-bounds read.
//
// Shared by the catalogers that read build metadata out of binaries (cargo-auditable's
// .dep-v0, Go's build info). ElfFile keeps views into `bytes`: the caller keeps them alive.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace bulkhead::sbom {

struct ElfSection {
  std::string name;
  uint64_t offset = 0;
  uint64_t size = 0;
  uint64_t addr = 0;
  uint32_t type = 0;  // SHT_*: 8 (SHT_NOBITS) has no bytes in the file
};

struct ElfSegment {
  uint32_t type = 0;  // PT_*: 1 is PT_LOAD
  uint32_t flags = 0;
  uint64_t offset = 0;
  uint64_t vaddr = 0;
  uint64_t fileSize = 0;
  uint64_t memSize = 0;
};

struct ElfLimits {
  size_t maxSections = 1u << 16;
  size_t maxSegments = 1u << 12;
  size_t maxNameBytes = 4096;
};

inline constexpr uint32_t kShtNobits = 8;
inline constexpr uint32_t kPtLoad = 1;

// True when `bytes` start with the ELF magic (cheap pre-check for capture transforms).
bool looksLikeElf(std::string_view bytes);

class ElfFile {
 public:
  static Result<ElfFile> parse(std::string_view bytes, std::string_view what,
                               const ElfLimits& limits = {});

  const std::vector<ElfSection>& sections() const { return sections_; }
  const std::vector<ElfSegment>& segments() const { return segments_; }
  // The first section with this name.
  const ElfSection* section(std::string_view name) const;
  // File-backed bytes of a section, bounds-checked; nullopt when absent, SHT_NOBITS, or
  // pointing outside the file.
  std::optional<std::string_view> sectionData(std::string_view name) const;
  bool is64() const { return is64_; }
  bool littleEndian() const { return little_; }
  uint16_t machine() const { return machine_; }
  uint16_t fileType() const { return type_; }
  // Through the PT_LOAD program headers: the file offset that holds virtual address `addr`,
  // nullopt when no loaded segment backs it with file bytes.
  std::optional<uint64_t> fileOffsetForAddress(uint64_t addr) const;
  // Up to `size` file-backed bytes at virtual address `addr` (fewer when the segment ends);
  // nullopt when the address is not file-backed.
  std::optional<std::string_view> dataAtAddress(uint64_t addr, uint64_t size) const;
  // Integers in the file's byte order, from `data` at `offset`; nullopt when out of bounds.
  std::optional<uint64_t> readWord(std::string_view data, uint64_t offset, unsigned width) const;
  std::string_view bytes() const { return bytes_; }

 private:
  std::string_view bytes_;
  bool is64_ = false;
  bool little_ = true;
  uint16_t type_ = 0;
  uint16_t machine_ = 0;
  std::vector<ElfSection> sections_;
  std::vector<ElfSegment> segments_;
};

}  // namespace bulkhead::sbom
