#pragma once
// Package names and distro releases as the store keys them, so that importers and
// lookups agree: PyPI names by PEP 503, npm names lower-case, Go module paths as they
// are, distro releases as "debian:12" / "alpine:3.11".

#include <string>
#include <string_view>

namespace bulkhead::vuln {

std::string normalisePackageName(std::string_view ecosystem, std::string_view name);

// "bookworm", "debian:bookworm", "debian:12", "Debian:12" -> "debian:12";
// "alpine:v3.11", "v3.11" with ecosystem apk, "alpine:3.11.5" -> "alpine:3.11".
// Unknown forms come back lower-cased. `ecosystem` decides bare numbers ("12", "3.11").
std::string normaliseRelease(std::string_view ecosystem, std::string_view release);

// "bookworm" -> "12"; "" when the codename is unknown.
std::string debianVersionOfCodename(std::string_view codename);

}  // namespace bulkhead::vuln
