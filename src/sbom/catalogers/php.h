#pragma once
// PHP Composer packages: composer.lock and vendor/composer/installed.json.

#include <string_view>

#include "core/result.h"
#include "sbom/catalogers/lang_support.h"

namespace bulkhead::sbom::php {

inline constexpr size_t kMaxComposerBytes = 32u << 20;

// composer.lock: "packages" and "packages-dev" (metadata "dev"). Names "vendor/name" become
// namespace "vendor", name "name" (pkg:composer/vendor/name@version).
Result<lang::Parsed> parseComposerLock(std::string_view text, std::string_view what);

// vendor/composer/installed.json: Composer 1's array of packages, or Composer 2's
// {"packages": [...], "dev-package-names": [...]} (metadata "dev" from the latter).
Result<lang::Parsed> parseInstalledJson(std::string_view text, std::string_view what);

}  // namespace bulkhead::sbom::php
