#pragma once
// Small string helpers shared by the parsers.

#include <string_view>
#include <vector>

namespace bulkhead {

// Every field between separators, empty ones included: split("a,,b", ',') = {a, "", b}.
inline std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    const auto at = text.find(separator, start);
    if (at == std::string_view::npos) {
      out.push_back(text.substr(start));
      return out;
    }
    out.push_back(text.substr(start, at - start));
    start = at + 1;
  }
}

}  // namespace bulkhead
