#pragma once
// Ruby gems: the specifications/*.gemspec files RubyGems writes when it installs a gem
// (and specifications/default/ for default gems).

#include <string_view>

#include "core/result.h"
#include "sbom/catalogers/lang_support.h"

namespace bulkhead::sbom::ruby {

inline constexpr size_t kMaxGemspecBytes = 1u << 20;

// The limited Ruby of an installed spec, read by hand (no Ruby is run):
//   Gem::Specification.new do |s|
//     s.name = "x".freeze
//     s.version = "1.2.3"
//     s.licenses = ["MIT".freeze, "Ruby".freeze]   (or s.license = "MIT")
//     s.platform = "x86_64-linux".freeze
// String literals "...", '...' and %q{...} (any bracket pair), with or without .freeze;
// Gem::Version.new("1.2.3") too. One package; no name or version is an error.
Result<lang::Parsed> parseGemspec(std::string_view text, std::string_view what);

// ".../specifications/<x>.gemspec" or ".../specifications/default/<x>.gemspec".
bool isInstalledGemspec(std::string_view path);

}  // namespace bulkhead::sbom::ruby
