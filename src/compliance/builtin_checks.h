#pragma once
// The check files of src/compliance/checks/, embedded into the binary at build time by
// cmake/EmbedFiles.cmake (a generated builtin_checks.cpp holds each file as a raw string).

#include "core/embedded_file.h"

namespace bulkhead::compliance {

using BuiltinCheckFile = EmbeddedFile;

const std::vector<EmbeddedFile>& builtinCheckFiles();

}  // namespace bulkhead::compliance
