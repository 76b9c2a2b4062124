#pragma once
// A data file compiled into the binary (checks, rules): see cmake/EmbedFiles.cmake.

#include <string_view>
#include <vector>

namespace bulkhead {

struct EmbeddedFile {
  std::string_view name;  // "checks/host.yaml"
  std::string_view text;
};

}  // namespace bulkhead
