#pragma once
// An image's software bill of materials: run every cataloger over an Image, then fill in
// what they share (purls, layers, which OS package owns a language package's files).

#include <string>
#include <vector>

#include "core/result.h"
#include "image/image_reader.h"
#include "sbom/package.h"

namespace bulkhead::sbom {

struct Sbom {
  std::string subject;  // what was scanned, as the user named it
  std::string sourceKind;
  std::string manifestDigest;
  std::string configDigest;
  std::vector<std::string> repoTags;
  std::string architecture;
  image::OsInfo os;
  std::vector<Package> packages;  // sorted
  std::vector<std::string> warnings;
};

// Capture rules for openImage(): the image library's own plus every cataloger's.
image::CaptureSpec sbomCapture();

Result<Sbom> buildSbom(const image::Image& image);

// The distro qualifier of OS purls: "debian-12", "alpine-3.19".
std::string distroQualifier(const image::OsInfo& os);

}  // namespace bulkhead::sbom
