#include "cli/image_flags.h"

#include <fmt/format.h>

#include <fstream>
#include <iostream>

namespace bulkhead::cli {

void addImageFlags(CLI::App& cmd, ImageFlags& f) {
  cmd.add_option("reference", f.reference,
                 "Image: DIR (OCI layout or root file system), FILE (docker/oci archive), "
                 "host[:port]/repo[:tag|@digest], or oci:|oci-archive:|docker-archive:|rootfs:|docker://")
      ->required();
  cmd.add_option("--platform", f.platform, "Platform to pick from a multi-platform index")
      ->capture_default_str();
  cmd.add_flag("--insecure", f.insecure, "Talk plain HTTP to the registry");
  cmd.add_option("--username,-u", f.username, "Registry user (or BULKHEAD_USERNAME)");
  cmd.add_option("--password,-p", f.password, "Registry password (or BULKHEAD_PASSWORD)");
  cmd.add_flag("--password-stdin", f.passwordStdin, "Read the registry password from stdin");
  cmd.add_option("--ca-cert", f.caCert, "PEM file of CA certificates for the registry")
      ->check(CLI::ExistingFile);
  cmd.add_option("--docker-config", f.dockerConfig,
                 "Docker config.json with credentials (default $DOCKER_CONFIG or ~/.docker)");
  cmd.add_flag("--no-cache", f.noCache, "Do not use or fill the layer cache");
  cmd.add_option("--cache-dir", f.cacheDir, "Cache directory (default ~/.cache/bulkhead)");
  cmd.add_option("--max-layer-size", f.maxLayerBytes, "Largest uncompressed layer, in bytes")
      ->capture_default_str();
  cmd.add_option("--max-ratio", f.maxRatio, "Largest decompression ratio (0: no limit)")
      ->capture_default_str();
  cmd.add_option("--timeout", f.timeoutSeconds, "Registry stall timeout in seconds")
      ->capture_default_str();
  cmd.add_option("--parallel", f.parallelism, "Layers read at once (default: one per core)");
}

Result<image::ReadOptions> readOptions(ImageFlags& f) {
  image::ReadOptions options;
  auto platform = image::Platform::parse(f.platform);
  if (!platform) return std::move(platform).error();
  options.resolve.platform = *platform;
  options.limits.maxBytes = f.maxLayerBytes;
  options.limits.maxRatio = f.maxRatio;
  options.useCache = !f.noCache;
  options.cacheDir = f.cacheDir;
  options.parallelism = f.parallelism;
  if (f.passwordStdin) {
    std::getline(std::cin, f.password);
  }
  options.registry.insecure = f.insecure;
  options.registry.username = f.username;
  options.registry.password = f.password;
  options.registry.caFile = f.caCert;
  options.registry.dockerConfigPath = f.dockerConfig;
  options.registry.http.stallSeconds = f.timeoutSeconds;
  options.registry.http.connectTimeoutMs = f.timeoutSeconds * 1000;
  return options;
}

int writeOutput(const std::string& text, const std::string& path) {
  if (path.empty() || path == "-") {
    std::cout << text;
    std::cout.flush();
    if (!std::cout) {
      fmt::print(stderr, "bulkhead: error: cannot write to stdout\n");
      return 2;
    }
    return 0;
  }
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    fmt::print(stderr, "bulkhead: error: cannot write {}\n", path);
    return 2;
  }
  return 0;
}

}  // namespace bulkhead::cli
