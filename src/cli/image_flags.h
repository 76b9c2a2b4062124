#pragma once
// The flags of every command that reads an image (`image inspect`, `sbom`, ...): the
// reference, platform, registry credentials and TLS, cache and decompression limits.

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

#include "core/result.h"
#include "image/image_reader.h"

namespace bulkhead::cli {

struct ImageFlags {
  std::string reference;
  std::string platform = "linux/amd64";
  bool insecure = false;
  std::string username;
  std::string password;
  bool passwordStdin = false;
  std::string caCert;
  std::string dockerConfig;
  bool noCache = false;
  std::string cacheDir;
  uint64_t maxLayerBytes = 32ull << 30;
  uint64_t maxRatio = 200;
  long timeoutSeconds = 30;
  unsigned parallelism = 0;
};

void addImageFlags(CLI::App& cmd, ImageFlags& flags);

// Reads the password from stdin when asked to.
Result<image::ReadOptions> readOptions(ImageFlags& flags);

// Writes to `path`, or stdout for "" and "-"; returns the exit code (0, or 2 naming the file).
int writeOutput(const std::string& text, const std::string& path);

}  // namespace bulkhead::cli
