#pragma once
// One capture rule for every executable, shared by the catalogers that read package data
// out of binaries (cargo-auditable's .dep-v0, Go's build info). Only the first matching
// rule applies to a file, so there is exactly one rule, "elf-packages": its transform
// parses the ELF once and runs each extractor over it, keeping only the small parts they
// return (the whole binary is never kept).
//
// The rule matches any executable file, so it must come after every other cataloger's
// rules (an executable package.json or .deps.json, as Windows build contexts produce,
// belongs to its own cataloger): makeBinaryCaptureCataloger() adds it and is last in
// catalogers.cpp.
//
// Adding an extractor: one line in kExtractors (binary_capture.cpp), then read the part
// back in catalog() with binaryExtract(image, path, "<name>").

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "image/capture.h"
#include "image/image_reader.h"
#include "sbom/elf.h"

namespace bulkhead::sbom {

inline constexpr std::string_view kBinaryCaptureRule = "elf-packages";
inline constexpr uint64_t kMaxBinaryBytes = 256u << 20;
inline constexpr size_t kMaxExtractedBytes = 16u << 20;  // per extractor and binary

// Extractor names.
inline constexpr std::string_view kCargoAuditable = "cargo-auditable";
inline constexpr std::string_view kGoBuildInfo = "go-buildinfo";

image::CaptureRule binaryCaptureRule();

// The transform of the rule: every extractor's non-empty output, serialized; nullopt when
// the file is no ELF or no extractor found anything.
std::optional<std::string> extractBinaryParts(std::string_view path, std::string_view bytes);

// The serialization: "BHBIN1\n" then, per part, "<name>\n<decimal length>\n<bytes>".
std::string encodeBinaryParts(const std::map<std::string, std::string>& parts);
std::optional<std::map<std::string, std::string>> decodeBinaryParts(std::string_view encoded);

// What extractor `extractor` kept for the binary at `path` (clean or absolute path), or
// nullopt.
std::optional<std::string> binaryExtract(const image::Image& image, std::string_view path,
                                         std::string_view extractor);

// Extractors. cargo-auditable: the raw (zlib-compressed) .dep-v0 section.
std::optional<std::string> extractCargoAuditable(const ElfFile& elf, std::string_view bytes);

}  // namespace bulkhead::sbom
