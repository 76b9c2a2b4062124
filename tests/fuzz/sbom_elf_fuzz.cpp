// The bounded ELF reader and the shared binary capture transform on arbitrary bytes: every
// section and address it reports lies inside the input, and what the transform keeps
// decodes again.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "sbom/catalogers/binary_capture.h"
#include "sbom/elf.h"

using namespace bulkhead::sbom;

namespace {

void inside(std::string_view part, std::string_view whole) {
  if (part.data() < whole.data() || part.data() + part.size() > whole.data() + whole.size())
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Inputs without the magic only test the first check; give most of them one.
  std::string bytes(reinterpret_cast<const char*>(data), size);
  if (size > 0 && (data[0] & 1))
    bytes.replace(0, std::min<size_t>(4, size),
                  "\x7f"
                  "ELF",
                  4);
  const std::string_view view(bytes);
  auto elf = ElfFile::parse(view, "/usr/bin/fuzz");
  if (elf) {
    for (const auto& s : elf->sections()) {
      if (auto d = elf->sectionData(s.name)) inside(*d, view);
    }
    for (const auto& seg : elf->segments()) {
      for (uint64_t addr : {seg.vaddr, seg.vaddr + seg.fileSize - 1, seg.vaddr + seg.fileSize}) {
        if (auto off = elf->fileOffsetForAddress(addr); off && *off >= view.size()) std::abort();
        if (auto d = elf->dataAtAddress(addr, ~uint64_t{0})) inside(*d, view);
      }
    }
  }
  if (auto parts = extractBinaryParts("usr/bin/fuzz", view)) {
    if (!decodeBinaryParts(*parts)) std::abort();
  }
  return 0;
}
