#pragma once
// Python distributions: *.dist-info/METADATA, *.egg-info/PKG-INFO, *.egg-info files (the
// distutils form Debian still ships) and unzipped eggs' EGG-INFO/PKG-INFO.

#include <string_view>

#include "core/result.h"
#include "sbom/catalogers/lang_support.h"

namespace bulkhead::sbom::python {

inline constexpr size_t kMaxMetadataBytes = 8u << 20;

// Core metadata (RFC 822 headers up to the first blank line; the body is the long
// description): Name, Version, and licenses from License-Expression, else a one-line
// License, else the "License :: ..." classifiers. One package; missing Name or Version is
// an error naming the file.
Result<lang::Parsed> parseMetadata(std::string_view text, std::string_view what);

// The paths of metadata files (of the forms above).
bool isMetadataPath(std::string_view path);

}  // namespace bulkhead::sbom::python
