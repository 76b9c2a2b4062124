#include "sbom/deb822.h"

namespace bulkhead::sbom {

Result<std::vector<Paragraph>> parseDeb822(std::string_view text, std::string_view what,
                                           const Deb822Limits& limits) {
  std::vector<Paragraph> out;
  Paragraph current;
  std::string* last = nullptr;
  size_t lineNumber = 0;
  size_t fields = 0;
  auto finish = [&]() -> Status {
    if (current.empty()) return {};
    if (out.size() >= limits.maxParagraphs) {
      return makeError("{}: more than {} paragraphs", what, limits.maxParagraphs);
    }
    out.push_back(std::move(current));
    current.clear();
    last = nullptr;
    return {};
  };
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++lineNumber;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) {
      auto done = finish();
      if (!done) return done.error();
      continue;
    }
    if (line.front() == ' ' || line.front() == '\t') {
      if (last == nullptr) {
        return makeError("{}: line {}: continuation line outside a field", what, lineNumber);
      }
      last->push_back('\n');
      last->append(line.substr(1));
      continue;
    }
    if (line.front() == '#') continue;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return makeError("{}: line {}: expected 'Field: value'", what, lineNumber);
    }
    if (++fields > limits.maxFields) {
      return makeError("{}: line {}: more than {} fields", what, lineNumber, limits.maxFields);
    }
    if (current.size() >= limits.maxFieldsPerParagraph) {
      return makeError("{}: line {}: more than {} fields in a paragraph", what, lineNumber,
                       limits.maxFieldsPerParagraph);
    }
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    auto [it, inserted] = current.insert_or_assign(std::string(line.substr(0, colon)), std::string(value));
    (void)inserted;
    last = &it->second;
  }
  auto done = finish();
  if (!done) return done.error();
  return out;
}

}  // namespace bulkhead::sbom
