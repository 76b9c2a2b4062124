#pragma once
// Rust crates: Cargo.lock files, and the cargo-auditable dependency list that
// `cargo auditable build` embeds in binaries (ELF section .dep-v0, zlib-compressed JSON).

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.h"
#include "sbom/catalogers/lang_support.h"

namespace bulkhead::sbom::rust {

inline constexpr size_t kMaxCargoLockBytes = 16u << 20;
inline constexpr size_t kMaxCrates = 100'000;
inline constexpr size_t kMaxAuditableJsonBytes = 8u << 20;

// Cargo.lock through a small TOML subset reader (tables, arrays of tables, key = value with
// strings, integers, booleans, arrays, inline tables; comments): every [[package]] with a
// `source` (registry or git; crates without one are the workspace's own and skipped).
// Metadata "source", and "checksum" when present. A syntax error fails the file.
Result<lang::Parsed> parseCargoLock(std::string_view text, std::string_view what);

// The zlib stream of a .dep-v0 section: {"packages":[{"name","version","source","kind",
// "dependencies","root"}]}. Local crates (the binary's own) are skipped; metadata
// "source" and "kind" (runtime unless said otherwise).
Result<lang::Parsed> parseCargoAuditable(std::string_view compressed, std::string_view what);

// zlib inflate that stops with an error past `maxBytes` of output.
Result<std::string> inflateZlib(std::string_view compressed, size_t maxBytes,
                                std::string_view what);

}  // namespace bulkhead::sbom::rust
