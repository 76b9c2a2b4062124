#pragma once
// What the user typed, turned into where the image lives. Explicit transports win;
// otherwise an existing path is sniffed and anything else is a registry reference.
//   oci:DIR[:TAG]  oci-archive:FILE[:TAG]  docker-archive:FILE[:TAG]  rootfs:DIR
//   docker://REF  registry:REF  DIR  FILE  host[:port]/repo[:tag|@digest]

#include <string>

#include "core/result.h"
#include "image/reference.h"

namespace bulkhead::image {

enum class SourceKind { kOciLayout, kOciArchive, kDockerArchive, kRootfs, kRegistry };
const char* sourceKindName(SourceKind kind);

struct Locator {
  SourceKind kind = SourceKind::kRegistry;
  std::string path;  // for everything but registries
  std::string tag;   // for layouts and archives
  RegistryReference reference;
};

Result<Locator> parseLocator(std::string_view text);

}  // namespace bulkhead::image
