#pragma once
// RFC 822-style control paragraphs as dpkg writes them (status, status.d/*): "Field: value"
// lines, continuation lines starting with a space or tab, paragraphs split by blank lines.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace bulkhead::sbom {

using Paragraph = std::map<std::string, std::string>;  // field names as written

struct Deb822Limits {
  size_t maxParagraphs = 200'000;
  size_t maxFieldsPerParagraph = 512;
  size_t maxFields = 2'000'000;  // in all: tiny "a:" lines must not grow a huge map
};

Result<std::vector<Paragraph>> parseDeb822(std::string_view text, std::string_view what,
                                           const Deb822Limits& limits = {});

}  // namespace bulkhead::sbom
