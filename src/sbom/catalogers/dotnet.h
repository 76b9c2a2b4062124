#pragma once
// .NET: the *.deps.json file `dotnet publish` writes beside an app (and the runtime's own
// Microsoft.NETCore.App.deps.json).

#include <string_view>

#include "core/result.h"
#include "sbom/catalogers/lang_support.h"

namespace bulkhead::sbom::dotnet {

inline constexpr size_t kMaxDepsJsonBytes = 16u << 20;

// "libraries": {"Name/Version": {"type": "package" | "runtimepack" | "project" | ...}}.
// Packages and runtime packs (the self-contained runtime, named without "runtimepack.")
// are packages; projects and references are the app's own code. The runtime target's entry
// ("targets"[runtimeTarget.name]["Name/Version"]) says whether the package ships runtime
// or native assets (metadata "assets"); a library no target names is still listed.
Result<lang::Parsed> parseDepsJson(std::string_view text, std::string_view what);

}  // namespace bulkhead::sbom::dotnet
