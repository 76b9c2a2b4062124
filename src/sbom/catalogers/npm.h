#pragma once
// npm: installed packages (node_modules/**/package.json) and lockfiles
// (package-lock.json, npm-shrinkwrap.json, node_modules/.package-lock.json, yarn.lock).
// Pure parsers for tests and fuzz targets; the cataloger is in npm.cpp.

#include <string_view>

#include "core/result.h"
#include "sbom/catalogers/lang_support.h"

namespace bulkhead::sbom::npm {

inline constexpr size_t kMaxPackageJsonBytes = 4u << 20;
inline constexpr size_t kMaxLockfileBytes = 64u << 20;
inline constexpr size_t kMaxLockfilePackages = 200'000;

// One package.json: at most one package. Name and version are as written (either may be
// empty; the cataloger falls back to the directory name). Licenses from "license" (string
// or {type}) and the legacy "licenses" array. Metadata "private" when it says so.
Result<lang::Parsed> parsePackageJson(std::string_view text, std::string_view what);

// A lockfile: v2/v3 "packages" keyed by install path (the "" root, `link: true` entries
// and workspace folders skipped), else v1's nested "dependencies" tree. Every package
// carries metadata "path" (its install path, "node_modules/a/node_modules/b") and "dev",
// "optional", "bundled" when set.
Result<lang::Parsed> parsePackageLock(std::string_view text, std::string_view what);

// yarn.lock, classic (v1: `name@range:` headers, `version "1.2.3"`) or Berry (v2+: YAML,
// `version: 1.2.3`, `resolution: "name@npm:1.2.3"`): one package per name and version
// (the file has no install paths); workspace, link, portal and file entries are the app's
// own code and skipped; npm aliases ("alias@npm:real@1.0.0") are the real package.
Result<lang::Parsed> parseYarnLock(std::string_view text, std::string_view what);

// "x/node_modules/name/package.json" or "x/node_modules/@scope/name/package.json": the
// manifest of an installed package (not one nested deeper in a package's own files).
bool isInstalledPackageJson(std::string_view path);

// The folder holding the outermost node_modules of an installed package ("app" for
// "app/node_modules/a/node_modules/b/package.json"; "" for the image root).
std::string_view appRootOf(std::string_view path);

}  // namespace bulkhead::sbom::npm
