#pragma once
// The check files of src/compliance/checks/, embedded into the binary at build time by
// embed_checks.cmake (a generated builtin_checks.cpp holds each file as a raw string).

#include <string_view>
#include <vector>

namespace bulkhead::compliance {

struct BuiltinCheckFile {
  std::string_view name;  // "checks/host.yaml"
  std::string_view text;
};

const std::vector<BuiltinCheckFile>& builtinCheckFiles();

}  // namespace bulkhead::compliance
