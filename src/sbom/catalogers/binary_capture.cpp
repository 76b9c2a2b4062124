// The shared "elf-packages" capture rule (see binary_capture.h), and a pseudo-cataloger
// whose only job is to add that rule after every other cataloger's rules.

#include "sbom/catalogers/binary_capture.h"

#include <charconv>

#include "sbom/catalogers/catalogers.h"
#include "sbom/go_buildinfo.h"

namespace bulkhead::sbom {
namespace {

using Extractor = std::optional<std::string> (*)(const ElfFile&, std::string_view);

struct NamedExtractor {
  std::string_view name;
  Extractor extract;
};

// The one list of binary extractors.
const NamedExtractor kExtractors[] = {
    {kCargoAuditable, &extractCargoAuditable},
    {kGoBuildInfo, &extractGoBuildInfo},
};

constexpr std::string_view kMagic = "BHBIN1\n";

std::string_view cleanPath(std::string_view path) {
  while (path.starts_with('/')) path.remove_prefix(1);
  return path;
}

class BinaryCaptureCataloger final : public Cataloger {
 public:
  std::string_view name() const override { return kBinaryCaptureRule; }
  void addCaptureRules(image::CaptureSpec& spec) const override {
    for (const auto& rule : spec.rules()) {
      if (rule.name == kBinaryCaptureRule) return;
    }
    spec.add(binaryCaptureRule());
  }
  Status catalog(const CatalogContext&, std::vector<Package>&) const override { return {}; }
};

}  // namespace

image::CaptureRule binaryCaptureRule() {
  image::CaptureRule rule;
  rule.name = std::string(kBinaryCaptureRule);
  rule.version = 1;
  rule.executables = true;
  rule.maxBytes = kMaxBinaryBytes;
  rule.transform = &extractBinaryParts;
  return rule;
}

std::optional<std::string> extractBinaryParts(std::string_view path, std::string_view bytes) {
  if (!looksLikeElf(bytes)) return std::nullopt;
  auto elf = ElfFile::parse(bytes, path);
  if (!elf) return std::nullopt;  // a broken binary holds no package data we could trust
  std::map<std::string, std::string> parts;
  for (const auto& extractor : kExtractors) {
    auto part = extractor.extract(*elf, bytes);
    if (part && !part->empty() && part->size() <= kMaxExtractedBytes) {
      parts.emplace(std::string(extractor.name), std::move(*part));
    }
  }
  if (parts.empty()) return std::nullopt;
  return encodeBinaryParts(parts);
}

std::string encodeBinaryParts(const std::map<std::string, std::string>& parts) {
  std::string out(kMagic);
  for (const auto& [name, data] : parts) {
    out += name;
    out += '\n';
    out += std::to_string(data.size());
    out += '\n';
    out += data;
  }
  return out;
}

std::optional<std::map<std::string, std::string>> decodeBinaryParts(std::string_view encoded) {
  if (!encoded.starts_with(kMagic)) return std::nullopt;
  encoded.remove_prefix(kMagic.size());
  std::map<std::string, std::string> parts;
  while (!encoded.empty()) {
    const auto nameEnd = encoded.find('\n');
    if (nameEnd == std::string_view::npos) return std::nullopt;
    const std::string_view name = encoded.substr(0, nameEnd);
    encoded.remove_prefix(nameEnd + 1);
    const auto lengthEnd = encoded.find('\n');
    if (lengthEnd == std::string_view::npos || lengthEnd == 0) return std::nullopt;
    size_t length = 0;
    const auto digits = encoded.substr(0, lengthEnd);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), length);
    if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
    encoded.remove_prefix(lengthEnd + 1);
    if (length > encoded.size()) return std::nullopt;
    parts[std::string(name)] = std::string(encoded.substr(0, length));
    encoded.remove_prefix(length);
  }
  return parts;
}

std::optional<std::string> binaryExtract(const image::Image& image, std::string_view path,
                                         std::string_view extractor) {
  auto derived = image.derived(cleanPath(path));
  if (!derived) return std::nullopt;
  auto parts = decodeBinaryParts(*derived);
  if (!parts) return std::nullopt;
  auto it = parts->find(std::string(extractor));
  if (it == parts->end()) return std::nullopt;
  return std::move(it->second);
}

std::optional<std::string> extractCargoAuditable(const ElfFile& elf, std::string_view) {
  auto data = elf.sectionData(".dep-v0");
  if (!data || data->empty()) return std::nullopt;
  return std::string(*data);
}

std::unique_ptr<Cataloger> makeBinaryCaptureCataloger() {
  return std::make_unique<BinaryCaptureCataloger>();
}

}  // namespace bulkhead::sbom
